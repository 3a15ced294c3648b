#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <random>

#include <boost/asio/ip/tcp.hpp>
#include <catch2/catch.hpp>

#include "config/compression/gzip_members.h"
#include "config/error.h"
#include "config/loader.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "opentelemetry/proto/collector/logs/v1/logs_service.grpc.pb.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.grpc.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.grpc.pb.h"
#include "receivers/otlp/h2_grpc_server.h"
#include "receivers/otlp/listen_endpoint.h"
#include "receivers/otlp/otlp_receiver.h"
#include "test/receivers/otlp/grpc_server_choice.h"
#include "test/receivers/otlp/requests.h"
#include "test/support/config_error.h"
#include "test/support/damage.h"
#include "test/support/gzip.h"
#include "test/support/raw_h2_client.h"
#include "test/support/raw_socket.h"
#include "test/support/sink.h"

using namespace otlpd;
using namespace opentelemetry::proto;
using receivers::otlp::Config;
using receivers::otlp::GrpcConfig;
using receivers::otlp::H2GrpcServer;
using receivers::otlp::OtlpReceiver;
using test::TraceRequest;

namespace {

constexpr char kTracesPath[] = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";

// `body` as one gRPC message: the 5-byte prefix (not compressed), then the bytes.
std::string GrpcFramed(const std::string& body) {
  std::string framed("\x00", 1);
  for (int shift = 24; shift >= 0; shift -= 8) framed.push_back(static_cast<char>(body.size() >> shift));
  return framed + body;
}

std::string HeaderOf(const test::RawH2Client::StreamState& s, const std::string& name) {
  auto it = s.headers.find(name);
  return it == s.headers.end() ? std::string() : it->second;
}

// Whether this machine can bind the IPv6 loopback.
bool Ipv6LoopbackWorks() {
  const int fd = ::socket(AF_INET6, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in6 a{};
  a.sin6_family = AF_INET6;
  a.sin6_addr = in6addr_loopback;
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

struct Fixture {
  Telemetry telemetry;
  test::Sink traces, metrics;
  std::unique_ptr<OtlpReceiver> receiver;
  std::shared_ptr<grpc::Channel> channel;

  // `uses_gzip`: whether the sinks stand for exporters that send gzip.
  explicit Fixture(const std::string& extra = "", bool uses_gzip = true) {
    traces.SetUsesGzip(uses_gzip);
    metrics.SetUsesGzip(uses_gzip);
    auto node = config::ParseYaml("protocols:\n  grpc:\n    endpoint: 127.0.0.1:0\n" + extra, "test");
    config::MapDecoder d(node, "receivers.otlp");
    receiver =
        std::make_unique<OtlpReceiver>("otlp", test::WithTestGrpcServer(Config::Decode(d)), &telemetry);
    receiver->SetConsumer(Signal::kTraces, &traces);
    receiver->SetConsumer(Signal::kMetrics, &metrics);
    REQUIRE(receiver->Start().ok());
    REQUIRE(receiver->grpc_port() > 0);
    channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(receiver->grpc_port()),
                                  grpc::InsecureChannelCredentials());
  }
  ~Fixture() { receiver->Shutdown(Clock::now() + std::chrono::seconds(5)); }

  grpc::Status SendTraces(const collector::trace::v1::ExportTraceServiceRequest& req,
                          grpc_compression_algorithm compression = GRPC_COMPRESS_NONE) {
    auto stub = collector::trace::v1::TraceService::NewStub(channel);
    grpc::ClientContext ctx;
    ctx.set_compression_algorithm(compression);
    ctx.AddMetadata("x-tenant", "acme");
    collector::trace::v1::ExportTraceServiceResponse resp;
    return stub->Export(&ctx, req, &resp);
  }

  const ComponentTelemetry* counters() const {
    for (auto* c : telemetry.All()) {
      if (c->kind == "receiver") return c;
    }
    return nullptr;
  }
};

}  // namespace

TEST_CASE("gRPC receiver hands valid requests on as the bytes that came") {
  Fixture f;
  auto req = TraceRequest(3);
  grpc::Status s = f.SendTraces(req);
  REQUIRE(s.ok());
  auto got = f.traces.payloads();
  REQUIRE(got.size() == 1);
  CHECK(got[0]->items == 3);
  CHECK(got[0]->bytes == req.SerializeAsString());
  CHECK(got[0]->metadata == nullptr);  // include_metadata is off by default
  CHECK(f.counters()->signals[0].accepted == 3);
}

TEST_CASE("gRPC receiver accepts gzip-compressed requests") {
  Fixture f;
  auto req = TraceRequest(50, std::string(200, 'n'));
  REQUIRE(f.SendTraces(req, GRPC_COMPRESS_GZIP).ok());
  REQUIRE(f.traces.payloads().size() == 1);
  const Payload& p = *f.traces.payloads()[0];
  CHECK(p.bytes == req.SerializeAsString());
  if (test::TestsNghttp2GrpcServer()) {
    // The client's gzip member goes on with the payload, for an exporter
    // that sends gzip; it decompresses to exactly the payload's bytes.
    REQUIRE_FALSE(p.gzip.empty());
    auto member = config::compression::JoinGzipMembers(p.gzip, p.bytes.size());
    REQUIRE(member.ok());
    CHECK(test::GunzipOneMember(*member) == p.bytes);
  } else {
    CHECK(p.gzip.empty());  // gRPC C++ decompresses before otlpd sees the message
  }
}

TEST_CASE("gRPC receiver keeps no gzip when nothing downstream sends gzip") {
  Fixture f("", /*uses_gzip=*/false);
  auto req = TraceRequest(50, std::string(200, 'n'));
  REQUIRE(f.SendTraces(req, GRPC_COMPRESS_GZIP).ok());
  REQUIRE(f.traces.payloads().size() == 1);
  CHECK(f.traces.payloads()[0]->bytes == req.SerializeAsString());
  CHECK(f.traces.payloads()[0]->gzip.empty());
}

TEST_CASE("gRPC receiver accepts deflate-compressed requests") {
  Fixture f;
  auto req = TraceRequest(20, std::string(300, 'd'));
  REQUIRE(f.SendTraces(req, GRPC_COMPRESS_DEFLATE).ok());
  REQUIRE(f.traces.payloads().size() == 1);
  CHECK(f.traces.payloads()[0]->bytes == req.SerializeAsString());
}

TEST_CASE("gRPC receiver takes a message close to max_recv_msg_size whole (flow control does not stall it)") {
  Fixture f;
  auto req = TraceRequest(12, std::string(300000, 'm'));  // about 3.6 MB of the default 4 MiB
  REQUIRE(req.ByteSizeLong() > 3u << 20);
  REQUIRE(f.SendTraces(req).ok());
  REQUIRE(f.SendTraces(req, GRPC_COMPRESS_GZIP).ok());
  REQUIRE(f.traces.payloads().size() == 2);
  CHECK(f.traces.payloads()[0]->bytes == req.SerializeAsString());
  CHECK(f.traces.payloads()[1]->bytes == req.SerializeAsString());
}

TEST_CASE("gRPC receiver serves many calls at once on one connection") {
  Fixture f;
  auto stub = collector::trace::v1::TraceService::NewStub(f.channel);
  grpc::CompletionQueue cq;
  constexpr int kCalls = 64;
  struct Call {
    grpc::ClientContext ctx;
    collector::trace::v1::ExportTraceServiceResponse resp;
    grpc::Status status;
    std::unique_ptr<grpc::ClientAsyncResponseReader<collector::trace::v1::ExportTraceServiceResponse>> reader;
  };
  std::vector<std::unique_ptr<Call>> calls;
  for (int i = 0; i < kCalls; ++i) {
    auto c = std::make_unique<Call>();
    c->ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    c->reader = stub->AsyncExport(&c->ctx, TraceRequest(i % 5 + 1), &cq);
    c->reader->Finish(&c->resp, &c->status, c.get());
    calls.push_back(std::move(c));
  }
  int done = 0, ok_calls = 0;
  void* tag = nullptr;
  bool ok = false;
  while (done < kCalls && cq.Next(&tag, &ok)) {
    ++done;
    ok_calls += static_cast<Call*>(tag)->status.ok();
  }
  CHECK(ok_calls == kCalls);
  std::uint64_t want = 0;
  for (int i = 0; i < kCalls; ++i) want += i % 5 + 1;
  CHECK(f.traces.items() == want);
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
}

TEST_CASE("gRPC receiver on nghttp2 refuses a request whose content-type is not gRPC, as grpc-go does") {
  Fixture f;
  test::RawH2Client client(f.receiver->grpc_port());
  REQUIRE(client.PumpUntil([&] { return client.settings_acked(); }, std::chrono::seconds(10)));
  const std::string framed = GrpcFramed(TraceRequest(1).SerializeAsString());
  const auto id = client.OpenCall(kTracesPath, "application/json");
  REQUIRE(client.SendData(id, framed, true) == framed.size());
  REQUIRE(client.PumpUntil([&] { return client.stream(id).closed; }, std::chrono::seconds(10)));
  const auto& s = client.stream(id);
  auto header = [&](const std::string& k) { return s.headers.count(k) ? s.headers.at(k) : std::string(); };
  INFO(":status " << header(":status") << ", grpc-status " << header("grpc-status") << ", reset "
                  << s.rst_code);
  if (test::TestsNghttp2GrpcServer()) {
    // As grpc-go (otelcol) answers it: HTTP 415 with INTERNAL, nothing handed on.
    CHECK(header(":status") == "415");
    CHECK(header("grpc-status") == "13");
    CHECK(header("grpc-message") == "transport: received unexpected content-type \"application/json\"");
    CHECK(f.traces.payloads().empty());
    // The same connection's next call, with a gRPC subtype, is served.
    const auto next = client.OpenCall(kTracesPath, "application/grpc+proto");
    REQUIRE(client.SendData(next, framed, true) == framed.size());
    REQUIRE(client.PumpUntil([&] { return client.stream(next).closed; }, std::chrono::seconds(10)));
    CHECK(client.stream(next).headers.count("grpc-status") == 1);
    CHECK(client.stream(next).headers.at("grpc-status") == "0");
    CHECK(f.traces.payloads().size() == 1);
  } else {
    // gRPC C++ takes any content-type (a difference to otelcol, kept as it is).
    CHECK(header("grpc-status") == "0");
  }
  CHECK(f.SendTraces(TraceRequest(1)).ok());
}

TEST_CASE("gRPC receiver sends GOAWAY ENHANCE_YOUR_CALM to a client that pings too often without calls") {
  Fixture f;  // keepalive.enforcement_policy defaults: permit_without_stream false
  test::RawH2Client client(f.receiver->grpc_port());
  REQUIRE(client.PumpUntil([&] { return client.settings_acked(); }, std::chrono::seconds(10)));
  for (int i = 0; i < 5; ++i) client.Ping();
  CHECK(client.PumpUntil([&] { return client.goaway(); }, std::chrono::seconds(10)));
  CHECK(client.goaway_code() == NGHTTP2_ENHANCE_YOUR_CALM);
  CHECK(f.SendTraces(TraceRequest(1)).ok());
}

TEST_CASE("gRPC receiver keeps client metadata when include_metadata is on") {
  Fixture f("    include_metadata: true\n");
  REQUIRE(f.SendTraces(TraceRequest(1)).ok());
  auto md = f.traces.payloads().at(0)->metadata;
  REQUIRE(md != nullptr);
  bool found = false;
  for (const auto& [k, v] : *md) found |= (k == "x-tenant" && v == "acme");
  CHECK(found);
}

TEST_CASE("gRPC receiver rejects malformed data and other clients go on") {
  Fixture f;
  auto stub = grpc::GenericStub(f.channel);
  grpc::ClientContext ctx;
  grpc::Slice garbage(std::string("\x0a\xff\xff\xff\x0f garbage", 13));
  grpc::ByteBuffer req(&garbage, 1), resp;
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  grpc::Status status;
  stub.UnaryCall(&ctx, "/opentelemetry.proto.collector.trace.v1.TraceService/Export", grpc::StubOptions(),
                 &req, &resp, [&](grpc::Status s) {
                   std::lock_guard<std::mutex> l(mu);
                   status = s;
                   done = true;
                   cv.notify_all();
                 });
  {
    std::unique_lock<std::mutex> l(mu);
    REQUIRE(cv.wait_for(l, std::chrono::seconds(10), [&] { return done; }));
  }
  CHECK(status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK_THAT(status.error_message(), Catch::Matchers::Contains("invalid traces request"));
  CHECK(f.traces.payloads().empty());
  // The same receiver still serves a good request.
  REQUIRE(f.SendTraces(TraceRequest(2)).ok());
  CHECK(f.traces.items() == 2);
}

TEST_CASE("gRPC receiver survives damaged HTTP/2 byte streams and goes on serving") {
  Fixture f;
  const int port = f.receiver->grpc_port();
  // A whole client conversation as bytes: preface and SETTINGS, a plain call,
  // a gzip call, a PING and a WINDOW_UPDATE.
  std::string valid;
  {
    test::RawH2Client c(port);
    REQUIRE(c.connected());
    const std::int32_t plain = c.OpenCall(kTracesPath);
    c.SendData(plain, GrpcFramed(TraceRequest(3).SerializeAsString()), true);
    const std::int32_t gz = c.OpenCall(kTracesPath, "application/grpc", {{"grpc-encoding", "gzip"}});
    std::string compressed = GrpcFramed(test::ZlibGzip(TraceRequest(2).SerializeAsString()));
    compressed[0] = 1;  // the compressed flag
    c.SendData(gz, compressed, true);
    c.Ping();
    valid = c.queued_bytes();
    // Undamaged, they are two good calls: both answered, 5 spans handed on.
    REQUIRE(
        c.PumpUntil([&] { return c.stream(plain).closed && c.stream(gz).closed; }, std::chrono::seconds(10)));
    CHECK(HeaderOf(c.stream(plain), "grpc-status") == "0");
    CHECK(HeaderOf(c.stream(gz), "grpc-status") == "0");
    REQUIRE(f.traces.items() == 5);
  }
  constexpr std::size_t kPreface = 24;
  // OTLPD_TEST_SEED: other damage, for longer runs by hand.
  const char* seed = std::getenv("OTLPD_TEST_SEED");
  std::mt19937 rng(seed != nullptr ? static_cast<unsigned>(std::strtoul(seed, nullptr, 10)) : 20261206u);
  for (int i = 0; i < 500; ++i) {
    // Most cases keep the preface, so the damage reaches the frame parser.
    const std::string bytes = test::Damage(valid, i % 10 == 0 ? 0 : kPreface, rng);
    CAPTURE(i, bytes.size());
    REQUIRE(test::SendAndClose(port, bytes));
  }
  // Still serving; what was handed on is whole, valid requests only.
  const std::uint64_t before = f.traces.items();
  REQUIRE(f.SendTraces(TraceRequest(2)).ok());
  CHECK(f.traces.items() == before + 2);
  for (const PayloadPtr& p : f.traces.payloads()) {
    collector::trace::v1::ExportTraceServiceRequest req;
    REQUIRE(req.ParseFromString(p->bytes));
    CHECK(test::SpanCount(req) == p->items);
  }
}

TEST_CASE("gRPC receiver answers UNIMPLEMENTED for unknown methods and signals without a pipeline") {
  Fixture f;
  auto logs = collector::logs::v1::LogsService::NewStub(f.channel);  // no logs consumer set
  grpc::ClientContext ctx;
  collector::logs::v1::ExportLogsServiceRequest req;
  collector::logs::v1::ExportLogsServiceResponse resp;
  CHECK(logs->Export(&ctx, req, &resp).error_code() == grpc::StatusCode::UNIMPLEMENTED);
}

TEST_CASE("gRPC receiver turns back-pressure into UNAVAILABLE with RetryInfo") {
  Fixture f;
  f.traces.SetRefuse([] { return Status::Unavailable("queue full", std::chrono::milliseconds(1500)); });
  grpc::Status s = f.SendTraces(TraceRequest(4));
  REQUIRE(s.error_code() == grpc::StatusCode::UNAVAILABLE);
  google::rpc::Status details;
  REQUIRE(details.ParseFromString(s.error_details()));
  REQUIRE(details.details_size() == 1);
  google::rpc::RetryInfo info;
  REQUIRE(details.details(0).UnpackTo(&info));
  CHECK(info.retry_delay().seconds() == 1);
  CHECK(info.retry_delay().nanos() == 500000000);
  CHECK(f.counters()->signals[0].refused == 4);
  CHECK(f.counters()->signals[0].accepted == 0);
}

TEST_CASE("gRPC receiver enforces max_recv_msg_size_mib") {
  Fixture f("    max_recv_msg_size_mib: 1\n");
  grpc::Status s = f.SendTraces(TraceRequest(10, std::string(200000, 'x')));
  CHECK(s.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED);
  CHECK(f.traces.payloads().empty());
  CHECK(f.SendTraces(TraceRequest(1)).ok());
}

TEST_CASE("otlp receiver config errors name the key path") {
  auto decode = [](const std::string& yaml) -> std::string {
    auto node = config::ParseYaml(yaml, "r.yaml");
    return test::ConfigError([&] {
      config::MapDecoder d(node, "receivers.otlp");
      Config::Decode(d);
    });
  };
  CHECK_THAT(
      decode("protocols:\n  grpc:\n    endpont: x\n"),
      Catch::Matchers::Contains("r.yaml:3:5") && Catch::Matchers::Contains("receivers.otlp.protocols.grpc"));
  CHECK_THAT(decode("protocols: {}\n"), Catch::Matchers::Contains("at least one protocol"));
  CHECK_THAT(decode("protocols:\n  grpc:\n    max_recv_msg_size_mib: lots\n"),
             Catch::Matchers::Contains("receivers.otlp.protocols.grpc.max_recv_msg_size_mib"));
  CHECK_THAT(
      decode("protocols:\n  grpc:\n    keepalive:\n      server_parameters:\n        time: 5 parsecs\n"),
      Catch::Matchers::Contains("keepalive.server_parameters.time"));
}

TEST_CASE("gRPC hardening keys: defaults, otelcol's 0, and bad values") {
  auto decode = [](const std::string& yaml) {
    auto node = config::ParseYaml(yaml, "r.yaml");
    config::MapDecoder d(node, "receivers.otlp");
    return Config::Decode(d);
  };
  auto error = [&](const std::string& yaml) -> std::string {
    return test::ConfigError([&] { decode(yaml); });
  };
  const GrpcConfig defaults = *decode("protocols:\n  grpc:\n").grpc;
  CHECK(defaults.max_concurrent_streams == 100);
  CHECK(defaults.request_receive_timeout == std::chrono::seconds(30));
  CHECK(defaults.ReceiveMemoryBytes() == 48u << 20);
  // A larger message limit raises the quota to two messages.
  CHECK(decode("protocols:\n  grpc:\n    max_recv_msg_size_mib: 64\n").grpc->ReceiveMemoryBytes() ==
        128u << 20);
  // otelcol's explicit 0 keeps its meaning: no stream limit, no timeout.
  const GrpcConfig zero =
      *decode("protocols:\n  grpc:\n    max_concurrent_streams: 0\n    request_receive_timeout: 0s\n").grpc;
  CHECK(zero.max_concurrent_streams == 0);
  CHECK(zero.request_receive_timeout.count() == 0);
  CHECK(decode("protocols:\n  grpc:\n    max_receive_memory_mib: 8\n").grpc->ReceiveMemoryBytes() ==
        8u << 20);
  CHECK_THAT(error("protocols:\n  grpc:\n    max_recv_msg_size_mib: 16\n    max_receive_memory_mib: 8\n"),
             Catch::Matchers::Contains("r.yaml:4:") &&
                 Catch::Matchers::Contains("receivers.otlp.protocols.grpc.max_receive_memory_mib"));
  CHECK_THAT(error("protocols:\n  grpc:\n    request_receive_timeout: -1s\n"),
             Catch::Matchers::Contains("request_receive_timeout: must not be negative"));
}

TEST_CASE("gRPC receiver cancels a call whose message does not arrive within request_receive_timeout") {
  Fixture f("    request_receive_timeout: 200ms\n");
  grpc::GenericStub stub(f.channel);
  grpc::CompletionQueue cq;
  grpc::ClientContext ctx;
  // A streaming call that never writes its message.
  auto call = stub.PrepareCall(&ctx, "/opentelemetry.proto.collector.trace.v1.TraceService/Export", &cq);
  call->StartCall(reinterpret_cast<void*>(1));
  grpc::Status status;
  void* tag = nullptr;
  bool ok = false;
  REQUIRE(cq.Next(&tag, &ok));  // started
  call->Finish(&status, reinterpret_cast<void*>(2));
  const auto deadline = std::chrono::system_clock::now() + std::chrono::seconds(20);
  REQUIRE(cq.AsyncNext(&tag, &ok, deadline) == grpc::CompletionQueue::GOT_EVENT);
  CHECK(tag == reinterpret_cast<void*>(2));
  CHECK(status.error_code() == grpc::StatusCode::CANCELLED);
  CHECK(f.SendTraces(TraceRequest(1)).ok());
  ctx.TryCancel();
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
}

TEST_CASE("the server on nghttp2 serves every gRPC config but TLS (keepalive.server_parameters too)") {
  auto grpc_of = [](const std::string& yaml) {
    auto node = config::ParseYaml("protocols:\n  grpc:\n" + yaml, "test");
    config::MapDecoder d(node, "receivers.otlp");
    return *Config::Decode(d).grpc;
  };
  CHECK(H2GrpcServer::Serves(
      grpc_of("    keepalive:\n      server_parameters:\n        time: 1s\n"
              "        timeout: 1s\n        max_connection_idle: 1s\n"
              "        max_connection_age: 1s\n        max_connection_age_grace: 1s\n")));
  GrpcConfig tls = grpc_of("    endpoint: 127.0.0.1:0\n");
  tls.tls.emplace();
  CHECK_FALSE(H2GrpcServer::Serves(tls));
}

TEST_CASE(
    "gRPC receiver pings a connection idle for keepalive time and closes it when the ping goes unanswered") {
  if (!test::TestsNghttp2GrpcServer()) return;  // gRPC C++: see above
  Fixture f("    keepalive:\n      server_parameters:\n        time: 1s\n        timeout: 200ms\n");
  test::RawH2Client client(f.receiver->grpc_port());
  client.set_ack_pings(false);
  REQUIRE(client.PumpUntil([&] { return client.settings_acked(); }, std::chrono::seconds(10)));
  REQUIRE(client.PumpUntil([&] { return client.pings_received() > 0; }, std::chrono::seconds(10)));
  CHECK(client.PumpUntil([&] { return !client.connected(); }, std::chrono::seconds(10)));
  CHECK(f.SendTraces(TraceRequest(1)).ok());
}

TEST_CASE("gRPC receiver keeps a connection whose client acknowledges the keepalive pings") {
  if (!test::TestsNghttp2GrpcServer()) return;  // gRPC C++: see above
  Fixture f("    keepalive:\n      server_parameters:\n        time: 1s\n        timeout: 200ms\n");
  test::RawH2Client client(f.receiver->grpc_port());
  REQUIRE(client.PumpUntil([&] { return client.settings_acked(); }, std::chrono::seconds(10)));
  // A second ping comes a keepalive time after the first was acknowledged,
  // well past the first one's timeout: the connection was kept.
  CHECK(client.PumpUntil([&] { return client.pings_received() >= 2; }, std::chrono::seconds(10)));
  REQUIRE(client.connected());
  CHECK_FALSE(client.goaway());
  const std::string framed = GrpcFramed(TraceRequest(1).SerializeAsString());
  const auto id = client.OpenCall(kTracesPath);
  REQUIRE(client.SendData(id, framed, true) == framed.size());
  REQUIRE(client.PumpUntil([&] { return client.stream(id).closed; }, std::chrono::seconds(10)));
  CHECK(HeaderOf(client.stream(id), "grpc-status") == "0");
}

TEST_CASE("gRPC receiver sends GOAWAY to a connection without calls for max_connection_idle and closes it") {
  if (!test::TestsNghttp2GrpcServer()) return;  // gRPC C++: see above
  Fixture f("    keepalive:\n      server_parameters:\n        max_connection_idle: 200ms\n");
  test::RawH2Client client(f.receiver->grpc_port());
  REQUIRE(client.PumpUntil([&] { return client.settings_acked(); }, std::chrono::seconds(10)));
  // A call open: the connection is not idle, however long it stays open.
  const auto id = client.OpenCall(kTracesPath);
  CHECK_FALSE(client.PumpUntil([&] { return client.goaway(); }, std::chrono::milliseconds(1000)));
  const std::string framed = GrpcFramed(TraceRequest(1).SerializeAsString());
  REQUIRE(client.SendData(id, framed, true) == framed.size());
  REQUIRE(client.PumpUntil([&] { return client.stream(id).closed; }, std::chrono::seconds(10)));
  CHECK(HeaderOf(client.stream(id), "grpc-status") == "0");
  // Now idle: GOAWAY NO_ERROR, then the connection ends.
  REQUIRE(client.PumpUntil([&] { return client.goaway(); }, std::chrono::seconds(10)));
  CHECK(client.goaway_code() == NGHTTP2_NO_ERROR);
  CHECK(client.PumpUntil([&] { return !client.connected(); }, std::chrono::seconds(10)));
}

TEST_CASE("gRPC receiver sends GOAWAY at max_connection_age and lets the call in flight finish") {
  if (!test::TestsNghttp2GrpcServer()) return;  // gRPC C++: see above
  Fixture f("    keepalive:\n      server_parameters:\n        max_connection_age: 200ms\n");
  test::RawH2Client client(f.receiver->grpc_port());
  REQUIRE(client.PumpUntil([&] { return client.settings_acked(); }, std::chrono::seconds(10)));
  const auto id = client.OpenCall(kTracesPath);
  REQUIRE(client.PumpUntil([&] { return client.goaway(); }, std::chrono::seconds(10)));
  CHECK(client.goaway_code() == NGHTTP2_NO_ERROR);
  // max_connection_age_grace unset: the call goes on to its answer.
  const std::string framed = GrpcFramed(TraceRequest(2).SerializeAsString());
  REQUIRE(client.SendData(id, framed, true) == framed.size());
  REQUIRE(client.PumpUntil([&] { return client.stream(id).closed; }, std::chrono::seconds(10)));
  CHECK(HeaderOf(client.stream(id), "grpc-status") == "0");
  CHECK(f.traces.items() == 2);
  // Its last call answered, the connection ends.
  CHECK(client.PumpUntil([&] { return !client.connected(); }, std::chrono::seconds(10)));
}

TEST_CASE(
    "gRPC receiver closes a connection max_connection_age_grace after its GOAWAY, calls in flight or not") {
  if (!test::TestsNghttp2GrpcServer()) return;  // gRPC C++: see above
  Fixture f(
      "    keepalive:\n      server_parameters:\n        max_connection_age: 200ms\n"
      "        max_connection_age_grace: 300ms\n");
  test::RawH2Client client(f.receiver->grpc_port());
  REQUIRE(client.PumpUntil([&] { return client.settings_acked(); }, std::chrono::seconds(10)));
  const auto id = client.OpenCall(kTracesPath);  // never finished
  REQUIRE(client.PumpUntil([&] { return client.goaway(); }, std::chrono::seconds(10)));
  CHECK(client.PumpUntil([&] { return !client.connected(); }, std::chrono::seconds(10)));
  CHECK(HeaderOf(client.stream(id), "grpc-status").empty());  // cut, not answered
  CHECK(f.traces.items() == 0);
}

TEST_CASE("a gRPC server on localhost binds one address of each family it resolves to") {
  namespace ip = boost::asio::ip;
  using receivers::otlp::ListenProtocol;
  const ListenProtocol::endpoint v4a(ip::tcp::endpoint(ip::make_address("127.0.0.1"), 4317));
  const ListenProtocol::endpoint v4b(ip::tcp::endpoint(ip::make_address("127.0.0.2"), 4317));
  const ListenProtocol::endpoint v6(ip::tcp::endpoint(ip::make_address("::1"), 4317));
  CHECK(receivers::otlp::OnePerFamily({v6, v4a, v4b}) == std::vector<ListenProtocol::endpoint>{v4a, v6});
  CHECK(receivers::otlp::OnePerFamily({v4a, v4b}) == std::vector<ListenProtocol::endpoint>{v4a});
  // Port 0: the port the first address got is set on the others.
  ListenProtocol::endpoint e = v6;
  receivers::otlp::SetPort(e, 43170);
  CHECK(receivers::otlp::PortOf(e) == 43170);
}

TEST_CASE("gRPC receiver on localhost listens on each family localhost resolves to and the machine has") {
  // What this machine says localhost is (the hosts file), of the families it can bind.
  bool want_v4 = false, want_v6 = false;
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  REQUIRE(::getaddrinfo("localhost", "0", &hints, &res) == 0);
  for (addrinfo* a = res; a != nullptr; a = a->ai_next) {
    want_v4 |= a->ai_family == AF_INET;
    want_v6 |= a->ai_family == AF_INET6;
  }
  ::freeaddrinfo(res);
  if (want_v6 && !Ipv6LoopbackWorks()) want_v6 = false;
  Telemetry telemetry;
  test::Sink traces;
  auto node = config::ParseYaml("protocols:\n  grpc:\n    endpoint: localhost:0\n", "test");
  config::MapDecoder d(node, "receivers.otlp");
  OtlpReceiver receiver("otlp", test::WithTestGrpcServer(Config::Decode(d)), &telemetry);
  receiver.SetConsumer(Signal::kTraces, &traces);
  REQUIRE(receiver.Start().ok());
  const std::string port = std::to_string(receiver.grpc_port());
  auto send = [&](const std::string& target) {
    auto stub = collector::trace::v1::TraceService::NewStub(
        grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    collector::trace::v1::ExportTraceServiceResponse resp;
    return stub->Export(&ctx, TraceRequest(1), &resp);
  };
  std::size_t sent = 0;
  if (want_v4) {
    const grpc::Status s = send("ipv4:127.0.0.1:" + port);
    CHECK(s.error_message().empty());
    sent += s.ok();
  }
  if (want_v6) {
    const grpc::Status s = send("ipv6:[::1]:" + port);
    CHECK(s.error_message().empty());
    sent += s.ok();
  } else {
    WARN("localhost is no IPv6 address on this machine (or ::1 does not bind): ::1 not tried");
  }
  CHECK(sent == static_cast<std::size_t>(want_v4) + static_cast<std::size_t>(want_v6));
  CHECK(traces.items() == sent);
  receiver.Shutdown(Clock::now() + std::chrono::seconds(5));
}
