// The profiles signal end to end in process: OTLP receiver (gRPC, HTTP
// protobuf and JSON) -> otlp / otlphttp exporter -> a second OTLP receiver,
// plus the wire count, the debug rendering and the version metadata check.
#include <google/protobuf/util/message_differencer.h>
#include <grpcpp/grpcpp.h>

#include <catch2/catch.hpp>

#include "config/loader.h"
#include "exporters/debug/formatter.h"
#include "exporters/otlp/otlp_exporter.h"
#include "exporters/otlphttp/otlphttp_exporter.h"
#include "opentelemetry/proto/collector/profiles/v1development/profiles_service.grpc.pb.h"
#include "otlp/json/otlp_json.h"
#include "otlp/wire/wire_walker.h"
#include "receivers/otlp/otlp_receiver.h"
#include "test/receivers/otlp/grpc_server_choice.h"
#include "test/receivers/otlp/http_client.h"
#include "test/support/profiles_request.h"
#include "test/support/sink.h"

using namespace otlpd;
namespace pcol = opentelemetry::proto::collector::profiles::v1development;
using receivers::otlp::OtlpReceiver;
using test::ProfilesRequest;

namespace {

bool SameRequest(const std::string& bytes, const pcol::ExportProfilesServiceRequest& want) {
  pcol::ExportProfilesServiceRequest got;
  if (!got.ParseFromString(bytes)) return false;
  google::protobuf::util::MessageDifferencer differ;
  std::string report;
  differ.ReportDifferencesToString(&report);
  const bool same = differ.Compare(want, got);
  if (!same) UNSCOPED_INFO(report);
  return same;
}

std::unique_ptr<OtlpReceiver> StartReceiver(Telemetry& telemetry, Consumer* profiles) {
  auto node = config::ParseYaml(
      "protocols:\n  grpc:\n    endpoint: 127.0.0.1:0\n  http:\n    endpoint: 127.0.0.1:0\n", "test");
  config::MapDecoder d(node, "receivers.otlp");
  auto r = std::make_unique<OtlpReceiver>(
      "otlp", test::WithTestGrpcServer(receivers::otlp::Config::Decode(d)), &telemetry);
  r->SetConsumer(Signal::kProfiles, profiles);
  REQUIRE(r->Start().ok());
  return r;
}

grpc::Status ExportGrpc(int port, const pcol::ExportProfilesServiceRequest& req,
                        const std::vector<std::string>& versions = {}) {
  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials());
  auto stub = pcol::ProfilesService::NewStub(channel);
  grpc::ClientContext ctx;
  for (const std::string& v : versions) ctx.AddMetadata("otlp-profiles-development-version", v);
  pcol::ExportProfilesServiceResponse resp;
  return stub->Export(&ctx, req, &resp);
}

test::HttpResponse PostHttp(int port, const std::string& body, const std::string& content_type,
                            const std::vector<std::string>& versions = {}) {
  test::HttpClient client(port);
  test::HttpRequest r;
  r.target = "/v1development/profiles";
  r.body = body;
  r.headers.emplace_back("Content-Type", content_type);
  for (const std::string& v : versions) r.headers.emplace_back("OTLP-Profiles-Development-Version", v);
  return client.Send(r);
}

}  // namespace

TEST_CASE("profiles: the wire walk counts samples and never cuts a request") {
  const std::string bytes = ProfilesRequest().SerializeAsString();
  auto count = wire::ValidateAndCount(Signal::kProfiles, bytes);
  REQUIRE(count.ok());
  CHECK(*count == 3);
  auto pieces = wire::Split(Signal::kProfiles, bytes, 1);
  REQUIRE(pieces.ok());
  REQUIRE(pieces->size() == 1);
  CHECK((*pieces)[0].bytes == bytes);

  pcol::ExportProfilesServiceRequest bad = ProfilesRequest();
  bad.mutable_dictionary()->mutable_link_table(0)->set_trace_id("short");
  auto refused = wire::ValidateAndCount(Signal::kProfiles, bad.SerializeAsString());
  REQUIRE_FALSE(refused.ok());
  CHECK_THAT(refused.status().message(), Catch::Contains("dictionary.link_table[0]"));
}

TEST_CASE("profiles: JSON round trip uses hex ids and base64 bytes") {
  pcol::ExportProfilesServiceRequest req = ProfilesRequest();
  req.mutable_resource_profiles(0)->mutable_scope_profiles(0)->mutable_profiles(0)->set_original_payload(
      "\xff");
  auto json = json::EncodeRequest(Signal::kProfiles, req.SerializeAsString());
  REQUIRE(json.ok());
  CHECK_THAT(*json, Catch::Contains("\"profileId\":\"02020202020202020202020202020202\""));
  CHECK_THAT(*json, Catch::Contains("\"traceId\":\"01010101010101010101010101010101\""));
  CHECK_THAT(*json, Catch::Contains("\"originalPayload\":\"/w==\""));
  auto back = json::DecodeRequest(Signal::kProfiles, *json);
  REQUIRE(back.ok());
  CHECK(SameRequest(*back, req));
}

TEST_CASE("profiles: the debug exporter prints otelcol's summary and normal lines") {
  auto basic = exporters::debug::FormatProfiles(ProfilesRequest(), exporters::debug::Verbosity::kBasic);
  CHECK(basic.Summary() == "Profiles\t{\"resource profiles\": 1, \"sample records\": 3}");
  auto normal = exporters::debug::FormatProfiles(ProfilesRequest(), exporters::debug::Verbosity::kNormal);
  CHECK(normal.body ==
        "ResourceProfiles #0 service.name=svc\n"
        "ScopeProfiles #0 profiler\n"
        "02020202020202020202020202020202 samples=2 thread=main\n"
        "01010101010101010101010101010101 samples=1 thread=main\n");
}

TEST_CASE("profiles: OTLP receiver -> otlp (gRPC) exporter -> OTLP receiver keeps the bytes") {
  Telemetry telemetry;
  test::Sink backend_sink;
  auto backend = StartReceiver(telemetry, &backend_sink);
  auto node = config::ParseYaml(
      "endpoint: 127.0.0.1:" + std::to_string(backend->grpc_port()) +
          "\ntls: {insecure: true}\n"
          // Overridden, as otelcol's exporter does: sent as well, the receiver would refuse two values.
          "headers: {otlp-profiles-development-version: \"2\"}\n",
      "t.yaml");
  config::MapDecoder d(node, "exporters.otlp");
  ComponentTelemetry exporter_telemetry;
  exporters::otlp::OtlpExporter exporter("otlp", exporters::otlp::Config::Decode(d), &exporter_telemetry);
  REQUIRE(exporter.Start().ok());
  auto front = StartReceiver(telemetry, &exporter);

  const pcol::ExportProfilesServiceRequest req = ProfilesRequest();
  REQUIRE(ExportGrpc(front->grpc_port(), req).ok());
  REQUIRE(test::WaitFor([&] { return backend_sink.payloads().size() == 1; }, std::chrono::seconds(10)));
  const PayloadPtr got = backend_sink.payloads()[0];
  CHECK(got->signal == Signal::kProfiles);
  CHECK(got->items == 3);
  CHECK(got->bytes == req.SerializeAsString());

  front->Shutdown(Clock::now() + std::chrono::seconds(5));
  exporter.Shutdown(Clock::now() + std::chrono::seconds(5));
  backend->Shutdown(Clock::now() + std::chrono::seconds(5));
}

TEST_CASE("profiles: OTLP/HTTP protobuf and JSON -> otlphttp exporter -> OTLP receiver") {
  Telemetry telemetry;
  test::Sink backend_sink;
  auto backend = StartReceiver(telemetry, &backend_sink);
  const std::string base = "http://127.0.0.1:" + std::to_string(backend->http_port());
  const std::string encoding = GENERATE(std::string("proto"), std::string("json"));
  auto node = config::ParseYaml("endpoint: " + base + "\nencoding: " + encoding + "\n", "t.yaml");
  config::MapDecoder d(node, "exporters.otlphttp");
  exporters::otlphttp::Config config = exporters::otlphttp::Config::Decode(d);
  CHECK(config.urls[SignalIndex(Signal::kProfiles)]->text == base + "/v1development/profiles");
  ComponentTelemetry exporter_telemetry;
  exporters::otlphttp::OtlpHttpExporter exporter("otlphttp", std::move(config), &exporter_telemetry);
  REQUIRE(exporter.Start().ok());
  auto front = StartReceiver(telemetry, &exporter);

  const pcol::ExportProfilesServiceRequest req = ProfilesRequest();
  auto json = json::EncodeRequest(Signal::kProfiles, req.SerializeAsString());
  REQUIRE(json.ok());
  test::HttpResponse proto_answer =
      PostHttp(front->http_port(), req.SerializeAsString(), "application/x-protobuf");
  CHECK(proto_answer.status == 200);
  test::HttpResponse json_answer = PostHttp(front->http_port(), *json, "application/json", {"1"});
  CHECK(json_answer.status == 200);
  CHECK(json_answer.body == "{}");
  REQUIRE(test::WaitFor([&] { return backend_sink.payloads().size() == 2; }, std::chrono::seconds(10)));
  for (const PayloadPtr& got : backend_sink.payloads()) {
    CHECK(got->signal == Signal::kProfiles);
    CHECK(got->items == 3);
    CHECK(SameRequest(got->bytes, req));
  }

  front->Shutdown(Clock::now() + std::chrono::seconds(5));
  exporter.Shutdown(Clock::now() + std::chrono::seconds(5));
  backend->Shutdown(Clock::now() + std::chrono::seconds(5));
}

TEST_CASE("profiles: the receiver refuses other development versions and drops requests without samples") {
  Telemetry telemetry;
  test::Sink sink;
  auto receiver = StartReceiver(telemetry, &sink);
  const pcol::ExportProfilesServiceRequest req = ProfilesRequest();

  grpc::Status two = ExportGrpc(receiver->grpc_port(), req, {"2"});
  CHECK(two.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(two.error_message() ==
        "invalid or unsupported otlp-profiles-development-version: supported version is 1");
  grpc::Status many = ExportGrpc(receiver->grpc_port(), req, {"1", "1"});
  CHECK(many.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(many.error_message() == "otlp-profiles-development-version must contain exactly one value");
  test::HttpResponse http =
      PostHttp(receiver->http_port(), req.SerializeAsString(), "application/x-protobuf", {"01"});
  CHECK(http.status == 400);
  CHECK(sink.payloads().empty());

  pcol::ExportProfilesServiceRequest empty;
  *empty.mutable_dictionary() = req.dictionary();
  CHECK(ExportGrpc(receiver->grpc_port(), empty, {"1"}).ok());
  CHECK(sink.payloads().empty());
  CHECK(ExportGrpc(receiver->grpc_port(), req).ok());
  CHECK(sink.payloads().size() == 1);

  // Traces are not served where only profiles have a consumer.
  CHECK(PostHttp(receiver->http_port(), "", "application/x-protobuf").status == 200);
  test::HttpClient client(receiver->http_port());
  test::HttpRequest traces;
  traces.body = "";
  traces.headers.emplace_back("Content-Type", "application/x-protobuf");
  CHECK(client.Send(traces).status == 404);
  receiver->Shutdown(Clock::now() + std::chrono::seconds(5));
}
