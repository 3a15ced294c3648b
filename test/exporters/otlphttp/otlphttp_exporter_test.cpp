#include "exporters/otlphttp/otlphttp_exporter.h"

#include <cstdlib>
#include <ctime>
#include <fstream>
#include <future>
#include <set>
#include <sstream>
#include <thread>

#include <google/protobuf/util/message_differencer.h>
#include <catch2/catch.hpp>

#include "config/compression/compressor.h"
#include "config/loader.h"
#include "opentelemetry/proto/collector/logs/v1/logs_service.pb.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb.h"
#include "opentelemetry/proto/collector/profiles/v1development/profiles_service.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "receivers/otlp/otlp_receiver.h"
#include "test/exporters/exporterhelper/manual_time_source.h"
#include "test/exporters/otlphttp/http_test_server.h"
#include "test/support/process.h"
#include "test/support/sink.h"

using namespace otlpd;
using namespace std::chrono_literals;
using config::compression::Compression;
using exporters::otlphttp::OtlpHttpExporter;
using test::HttpTestServer;
namespace pb = opentelemetry::proto;

namespace {

// Retries fast and forever unless a test says otherwise.
constexpr const char* kFastRetry =
    "retry_on_failure: {initial_interval: 5ms, max_interval: 50ms, max_elapsed_time: 0}\n";
constexpr const char* kNoRetry = "retry_on_failure: {enabled: false}\n";

PayloadPtr Traces(int spans, const std::string& name = "op") {
  pb::collector::trace::v1::ExportTraceServiceRequest req;
  auto* rs = req.add_resource_spans();
  auto* kv = rs->mutable_resource()->add_attributes();
  kv->set_key("service.name");
  kv->mutable_value()->set_string_value("svc");
  auto* ss = rs->add_scope_spans();
  for (int i = 0; i < spans; ++i) {
    auto* s = ss->add_spans();
    s->set_trace_id(std::string(16, static_cast<char>(i % 250 + 1)));
    s->set_span_id(std::string(8, static_cast<char>(i % 250 + 1)));
    s->set_name(name);
    s->set_start_time_unix_nano(1700000000000000000ull + static_cast<std::uint64_t>(i));
  }
  return MakePayload(Signal::kTraces, req.SerializeAsString(), static_cast<std::uint64_t>(spans));
}

PayloadPtr Metrics(int points) {
  pb::collector::metrics::v1::ExportMetricsServiceRequest req;
  auto* m = req.add_resource_metrics()->add_scope_metrics()->add_metrics();
  m->set_name("requests");
  for (int i = 0; i < points; ++i) m->mutable_gauge()->add_data_points()->set_as_int(i);
  return MakePayload(Signal::kMetrics, req.SerializeAsString(), static_cast<std::uint64_t>(points));
}

PayloadPtr Logs(int records) {
  pb::collector::logs::v1::ExportLogsServiceRequest req;
  auto* sl = req.add_resource_logs()->add_scope_logs();
  for (int i = 0; i < records; ++i)
    sl->add_log_records()->mutable_body()->set_string_value("line " + std::to_string(i));
  return MakePayload(Signal::kLogs, req.SerializeAsString(), static_cast<std::uint64_t>(records));
}

struct ExporterFixture {
  ComponentTelemetry telemetry;
  std::unique_ptr<OtlpHttpExporter> exporter;
  bool shut_down = false;

  explicit ExporterFixture(const std::string& yaml, exporters::exporterhelper::SenderOptions options = {}) {
    config::Node node = config::ParseYaml(yaml, "test.yaml");
    config::MapDecoder d(node, "exporters.otlphttp");
    exporter = std::make_unique<OtlpHttpExporter>("otlphttp", exporters::otlphttp::Config::Decode(d),
                                                  &telemetry, std::move(options));
    Status s = exporter->Start();
    INFO(s.message());
    REQUIRE(s.ok());
  }
  ~ExporterFixture() {
    if (!shut_down) Shutdown(Clock::now() + 10s);
  }
  void Shutdown(Clock::time_point deadline) {
    shut_down = true;
    exporter->Shutdown(deadline);
  }
  SignalCounters& operator[](Signal s) { return telemetry[s]; }
  // Every item of the payloads given so far either sent or given up on.
  bool Settled(Signal s, std::uint64_t items) { return (*this)[s].sent + (*this)[s].send_failed == items; }
};

// otlpd's own OTLP/HTTP receiver, in process, as the backend; it decodes
// every Content-Encoding otelcol's clients send, and keeps the request
// headers as metadata.
struct ReceiverFixture {
  Telemetry telemetry;
  test::Sink traces, metrics, logs, profiles;
  std::unique_ptr<receivers::otlp::OtlpReceiver> receiver;

  explicit ReceiverFixture(int port = 0) {
    auto node = config::ParseYaml("protocols:\n  http:\n    endpoint: 127.0.0.1:" + std::to_string(port) +
                                      "\n    include_metadata: true\n    max_request_body_size: 67108864\n",
                                  "receiver.yaml");
    config::MapDecoder d(node, "receivers.otlp");
    receiver = std::make_unique<receivers::otlp::OtlpReceiver>("otlp", receivers::otlp::Config::Decode(d),
                                                               &telemetry);
    receiver->SetConsumer(Signal::kTraces, &traces);
    receiver->SetConsumer(Signal::kMetrics, &metrics);
    receiver->SetConsumer(Signal::kLogs, &logs);
    receiver->SetConsumer(Signal::kProfiles, &profiles);
    REQUIRE(receiver->Start().ok());
  }
  ~ReceiverFixture() { receiver->Shutdown(Clock::now() + 5s); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(receiver->http_port()); }
};

template <class Message>
bool SameMessage(const PayloadPtr& a, const PayloadPtr& b) {
  Message ma, mb;
  return ma.ParseFromString(a->bytes) && mb.ParseFromString(b->bytes) &&
         google::protobuf::util::MessageDifferencer::Equivalent(ma, mb);
}

std::string Header(const PayloadPtr& p, const std::string& name) {
  if (p->metadata == nullptr) return "";
  for (const auto& [k, v] : *p->metadata) {
    if (k == name) return v;
  }
  return "";
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A CA, a server certificate for localhost, 127.0.0.1 and otlpd-test, and a
// client certificate, made with the openssl tool once per run.
struct Certs {
  test::TempDir dir;
  std::string ca_file, ca, server_cert, server_key, client_cert_file, client_key_file;
  bool ok = false;

  Certs() {
    const std::string d = dir.path().string();
    const std::string script =
        "set -e; cd '" + d +
        "'\n"
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj "
        "/CN=otlpd-test-ca -keyout ca.key -out ca.pem 2>/dev/null\n"
        "printf 'subjectAltName=DNS:localhost,DNS:otlpd-test,IP:127.0.0.1\\n' > server.ext\n"
        "printf 'extendedKeyUsage=clientAuth\\n' > client.ext\n"
        "for who in server client; do\n"
        "  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=$who -keyout "
        "$who.key "
        "-out $who.csr 2>/dev/null\n"
        "  openssl x509 -req -in $who.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile $who.ext "
        "-out $who.pem 2>/dev/null\n"
        "done\n";
    test::WriteFile(dir / "make.sh", script);
    ok = std::system(("sh '" + (dir / "make.sh").string() + "'").c_str()) == 0;
    ca_file = d + "/ca.pem";
    ca = Slurp(ca_file);
    server_cert = Slurp(d + "/server.pem");
    server_key = Slurp(d + "/server.key");
    client_cert_file = d + "/client.pem";
    client_key_file = d + "/client.key";
    ok = ok && !ca.empty() && !server_key.empty();
  }
};

const Certs& TestCerts() {
  static Certs certs;
  return certs;
}

std::string ImfFixdate(std::chrono::system_clock::time_point t) {
  const std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

}  // namespace

TEST_CASE(
    "the otlphttp exporter delivers every signal to otlpd's receiver in every encoding and compression") {
  const std::string encoding = GENERATE("proto", "json");
  const std::string compression =
      GENERATE("gzip", "zlib", "deflate", "zstd", "snappy", "x-snappy-framed", "lz4", "none");
  CAPTURE(encoding, compression);
  ReceiverFixture backend;
  ExporterFixture e("endpoint: " + backend.url() + "\nencoding: " + encoding +
                    "\ncompression: " + compression + "\n" + kNoRetry);
  PayloadPtr traces = Traces(3), metrics = Metrics(4), logs = Logs(5);
  REQUIRE(e.exporter->Consume(traces).ok());
  REQUIRE(e.exporter->Consume(metrics).ok());
  REQUIRE(e.exporter->Consume(logs).ok());
  REQUIRE(test::WaitFor([&] {
    return e.Settled(Signal::kTraces, 3) && e.Settled(Signal::kMetrics, 4) && e.Settled(Signal::kLogs, 5);
  }));
  CHECK(e[Signal::kTraces].sent == 3);
  CHECK(e[Signal::kMetrics].sent == 4);
  CHECK(e[Signal::kLogs].sent == 5);
  REQUIRE(backend.traces.payloads().size() == 1);
  REQUIRE(backend.metrics.payloads().size() == 1);
  REQUIRE(backend.logs.payloads().size() == 1);
  if (encoding == "proto") {
    // The payload's bytes arrive unchanged.
    CHECK(backend.traces.payloads()[0]->bytes == traces->bytes);
    CHECK(backend.metrics.payloads()[0]->bytes == metrics->bytes);
    CHECK(backend.logs.payloads()[0]->bytes == logs->bytes);
  } else {
    // OTLP/JSON writes empty sub-messages ("resource":{}), so the decoded
    // bytes may differ; the messages are the same.
    CHECK(SameMessage<pb::collector::trace::v1::ExportTraceServiceRequest>(backend.traces.payloads()[0],
                                                                           traces));
    CHECK(SameMessage<pb::collector::metrics::v1::ExportMetricsServiceRequest>(backend.metrics.payloads()[0],
                                                                               metrics));
    CHECK(SameMessage<pb::collector::logs::v1::ExportLogsServiceRequest>(backend.logs.payloads()[0], logs));
  }
  const PayloadPtr got = backend.traces.payloads()[0];
  CHECK(Header(got, "content-type") == (encoding == "json" ? "application/json" : "application/x-protobuf"));
  CHECK(Header(got, "content-encoding") == (compression == "none" ? "" : compression));
  CHECK(Header(got, "user-agent").rfind("otlpd/", 0) == 0);
  CHECK(Header(got, "host") == backend.url().substr(7));
}

TEST_CASE("the otlphttp exporter delivers large requests") {
  const std::string compression = GENERATE("none", "gzip", "zstd");
  CAPTURE(compression);
  ReceiverFixture backend;
  ExporterFixture e("endpoint: " + backend.url() + "\ncompression: " + compression + "\n" + kNoRetry);
  PayloadPtr big = Traces(20000, std::string(200, 'n'));  // ~5 MB
  REQUIRE(e.exporter->Consume(big).ok());
  REQUIRE(test::WaitFor([&] { return e.Settled(Signal::kTraces, 20000); }, 60s));
  CHECK(e[Signal::kTraces].sent == 20000);
  REQUIRE(backend.traces.payloads().size() == 1);
  CHECK(backend.traces.payloads()[0]->bytes == big->bytes);
}

TEST_CASE("the otlphttp exporter sends the configured headers as given") {
  ReceiverFixture backend;
  ExporterFixture e(
      "endpoint: " + backend.url() +
      "\nheaders: {X-Tenant: acme, Authorization: \"Bearer s3cret\", User-Agent: my-agent/1}\n");
  REQUIRE(e.exporter->Consume(Logs(1)).ok());
  REQUIRE(test::WaitFor([&] { return backend.logs.items() == 1; }));
  const PayloadPtr got = backend.logs.payloads().at(0);
  CHECK(Header(got, "x-tenant") == "acme");
  CHECK(Header(got, "authorization") == "Bearer s3cret");
  CHECK(Header(got, "user-agent") == "my-agent/1");  // configured headers win, as in otelcol
}

TEST_CASE("profiles requests declare the development version once, over a configured value") {
  ReceiverFixture backend;
  ExporterFixture e("endpoint: " + backend.url() +
                    "\nheaders: {OTLP-Profiles-Development-Version: \"2\", X-Tenant: acme}\n" + kNoRetry);
  pb::collector::profiles::v1development::ExportProfilesServiceRequest req;
  req.add_resource_profiles()->add_scope_profiles()->add_profiles()->add_samples()->add_values(1);
  REQUIRE(e.exporter->Consume(MakePayload(Signal::kProfiles, req.SerializeAsString(), 1)).ok());
  // Two values, or the configured "2", would be refused by the receiver (as by otelcol's).
  REQUIRE(test::WaitFor([&] { return backend.profiles.items() == 1; }));
  const PayloadPtr got = backend.profiles.payloads().at(0);
  CHECK(Header(got, "otlp-profiles-development-version") == "1");
  CHECK(Header(got, "x-tenant") == "acme");
  // Other signals send the configured headers as given.
  REQUIRE(e.exporter->Consume(Logs(1)).ok());
  REQUIRE(test::WaitFor([&] { return backend.logs.items() == 1; }));
  CHECK(Header(backend.logs.payloads().at(0), "otlp-profiles-development-version") == "2");
}

TEST_CASE("a Host header replaces the URL's host and signal URLs are used verbatim") {
  HttpTestServer server;
  REQUIRE(server.running());
  ExporterFixture e("traces_endpoint: " + server.url() + "/custom/path?tenant=1\nlogs_endpoint: " +
                    server.url() + "/l\nheaders: {Host: virtual.example}\n" + kNoRetry);
  REQUIRE(e.exporter->Consume(Traces(1)).ok());
  REQUIRE(e.exporter->Consume(Logs(1)).ok());
  REQUIRE(test::WaitFor([&] { return e[Signal::kTraces].sent == 1 && e[Signal::kLogs].sent == 1; }));
  std::set<std::string> targets;
  for (const auto& r : server.requests()) {
    CHECK(r.method == "POST");
    CHECK(r.Header("host") == "virtual.example");
    targets.insert(r.target);
  }
  CHECK(targets == std::set<std::string>{"/custom/path?tenant=1", "/l"});
  // Metrics have no URL here: refused for good, with the reason.
  REQUIRE(e.exporter->Consume(Metrics(2)).ok());
  REQUIRE(test::WaitFor([&] { return e[Signal::kMetrics].send_failed == 2; }));
  CHECK(server.calls() == 2);
}

TEST_CASE("the otlphttp exporter retries exactly 429, 502, 503 and 504") {
  const int code = GENERATE(429, 502, 503, 504, 400, 401, 403, 404, 405, 408, 409, 413, 415, 500, 501, 505);
  CAPTURE(code);
  const bool retried = code == 429 || code == 502 || code == 503 || code == 504;
  HttpTestServer server;
  REQUIRE(server.running());
  server.Script({HttpTestServer::Reply{code, "application/x-protobuf", "", {}, false}});
  ExporterFixture e("endpoint: " + server.url() + "\n" + kFastRetry);
  REQUIRE(e.exporter->Consume(Traces(3)).ok());
  if (retried) {
    REQUIRE(test::WaitFor([&] { return e[Signal::kTraces].sent == 3; }));
    CHECK(server.calls() == 2);
    CHECK(e[Signal::kTraces].send_failed == 0);
  } else {
    REQUIRE(test::WaitFor([&] { return e[Signal::kTraces].send_failed == 3; }));
    CHECK(server.calls() == 1);
    CHECK(e[Signal::kTraces].sent == 0);
  }
}

TEST_CASE("the otlphttp exporter waits as long as Retry-After says") {
  HttpTestServer server;
  REQUIRE(server.running());
  test::ManualTimeSource time;
  exporters::exporterhelper::SenderOptions options;
  options.time = &time;
  options.random = [] { return 0.5; };  // backoff waits exactly initial_interval (5ms)

  SECTION("delay-seconds on 429") {
    server.Script({HttpTestServer::Reply{429, "", "", {{"Retry-After", "7"}}, false}});
    ExporterFixture e("endpoint: " + server.url() + "\n" + kFastRetry, options);
    REQUIRE(e.exporter->Consume(Traces(1)).ok());
    REQUIRE(test::WaitFor([&] { return e[Signal::kTraces].sent == 1; }));
    CHECK(time.sleeps() == std::vector<std::chrono::nanoseconds>{7s});
  }
  SECTION("an HTTP-date on 503") {
    // Whole seconds: the wait is between 29 and 30 s from when it was written.
    server.Script({HttpTestServer::Reply{
        503, "", "", {{"Retry-After", ImfFixdate(std::chrono::system_clock::now() + 30s)}}, false}});
    ExporterFixture e("endpoint: " + server.url() + "\n" + kFastRetry, options);
    REQUIRE(e.exporter->Consume(Traces(1)).ok());
    REQUIRE(test::WaitFor([&] { return e[Signal::kTraces].sent == 1; }));
    REQUIRE(time.sleeps().size() == 1);
    CHECK(time.sleeps()[0] > 25s);
    CHECK(time.sleeps()[0] <= 30s);
  }
  SECTION("not on 502, and not when unreadable") {
    server.Script({HttpTestServer::Reply{502, "", "", {{"Retry-After", "7"}}, false},
                   HttpTestServer::Reply{503, "", "", {{"Retry-After", "soon"}}, false}});
    ExporterFixture e("endpoint: " + server.url() + "\n" + kFastRetry, options);
    REQUIRE(e.exporter->Consume(Traces(1)).ok());
    REQUIRE(test::WaitFor([&] { return e[Signal::kTraces].sent == 1; }));
    // Plain backoff: 5 ms, then 5 ms * 1.5.
    CHECK(time.sleeps() == std::vector<std::chrono::nanoseconds>{5ms, 7500us});
  }
}

TEST_CASE("partial_success is counted and not retried") {
  pb::collector::logs::v1::ExportLogsServiceResponse response;
  response.mutable_partial_success()->set_rejected_log_records(2);
  response.mutable_partial_success()->set_error_message("2 records too old");
  HttpTestServer server;
  REQUIRE(server.running());
  const std::string encoding = GENERATE("proto", "json");
  CAPTURE(encoding);
  if (encoding == "proto") {
    server.Script(
        {HttpTestServer::Reply{200, "application/x-protobuf", response.SerializeAsString(), {}, false}});
  } else {
    server.Script(
        {HttpTestServer::Reply{200,
                               "application/json",
                               R"({"partialSuccess":{"rejectedLogRecords":"2","errorMessage":"too old"}})",
                               {},
                               false}});
  }
  ExporterFixture e("endpoint: " + server.url() + "\nencoding: " + encoding + "\n" + kFastRetry);
  REQUIRE(e.exporter->Consume(Logs(5)).ok());
  REQUIRE(test::WaitFor([&] { return e.Settled(Signal::kLogs, 5); }));
  CHECK(e[Signal::kLogs].sent == 3);
  CHECK(e[Signal::kLogs].send_failed == 2);
  CHECK(server.calls() == 1);
}

TEST_CASE("a 2xx whose body does not parse is a permanent failure") {
  HttpTestServer server;
  REQUIRE(server.running());
  server.Script({HttpTestServer::Reply{200, "application/x-protobuf", "\xff\xff garbage", {}, false}});
  ExporterFixture e("endpoint: " + server.url() + "\n" + kFastRetry);
  REQUIRE(e.exporter->Consume(Traces(4)).ok());
  REQUIRE(test::WaitFor([&] { return e[Signal::kTraces].send_failed == 4; }));
  CHECK(server.calls() == 1);
  CHECK(e[Signal::kTraces].sent == 0);
}

TEST_CASE("at most 64 KiB of a response body is read, and the connection is not kept") {
  pb::collector::trace::v1::ExportTraceServiceResponse response;
  response.mutable_partial_success()->set_error_message(std::string(100 * 1024, 'w'));
  HttpTestServer server;
  REQUIRE(server.running());
  server.Script(
      {HttpTestServer::Reply{200, "application/x-protobuf", response.SerializeAsString(), {}, false},
       HttpTestServer::Reply{400, "text/plain", std::string(1 << 20, 'e'), {}, false}});
  ExporterFixture e("endpoint: " + server.url() + "\nsending_queue: {num_consumers: 1}\n" + kFastRetry);
  // Cut at 64 KiB the response no longer parses: permanent, like otelcol.
  REQUIRE(e.exporter->Consume(Traces(1)).ok());
  REQUIRE(test::WaitFor([&] { return e[Signal::kTraces].send_failed == 1; }));
  REQUIRE(e.exporter->Consume(Traces(1)).ok());
  REQUIRE(test::WaitFor([&] { return e[Signal::kTraces].send_failed == 2; }));
  REQUIRE(e.exporter->Consume(Traces(1)).ok());
  REQUIRE(test::WaitFor([&] { return e[Signal::kTraces].sent == 1; }));
  CHECK(server.calls() == 3);
  CHECK(server.accepts() == 3);  // each unread rest took its connection along
}

TEST_CASE("keep-alive: one connection carries many requests") {
  HttpTestServer server;
  REQUIRE(server.running());

  SECTION("one sender thread, one connection") {
    ExporterFixture e("endpoint: " + server.url() + "\nsending_queue: {num_consumers: 1}\n" + kNoRetry);
    for (int i = 0; i < 20; ++i) REQUIRE(e.exporter->Consume(Traces(1)).ok());
    REQUIRE(test::WaitFor([&] { return e[Signal::kTraces].sent == 20; }));
    CHECK(server.calls() == 20);
    CHECK(server.accepts() == 1);
    CHECK(e.exporter->connections_opened() == 1);
  }
  SECTION("every signal shares the host's connections") {
    ExporterFixture e("endpoint: " + server.url() + "\nsending_queue: {num_consumers: 1}\n" + kNoRetry);
    for (int i = 0; i < 5; ++i) {
      REQUIRE(e.exporter->Consume(Traces(1)).ok());
      REQUIRE(e.exporter->Consume(Metrics(1)).ok());
      REQUIRE(e.exporter->Consume(Logs(1)).ok());
    }
    REQUIRE(test::WaitFor([&] { return e[Signal::kLogs].sent == 5 && e[Signal::kTraces].sent == 5; }));
    REQUIRE(test::WaitFor([&] { return e[Signal::kMetrics].sent == 5; }));
    CHECK(server.accepts() == 1);
  }
  SECTION("four sender threads use at most four") {
    ExporterFixture e("endpoint: " + server.url() + "\nsending_queue: {num_consumers: 4}\n" + kNoRetry);
    for (int i = 0; i < 200; ++i) REQUIRE(e.exporter->Consume(Traces(1)).ok());
    REQUIRE(test::WaitFor([&] { return e[Signal::kTraces].sent == 200; }));
    CHECK(server.accepts() <= 4);
  }
  SECTION("max_conns_per_host bounds them") {
    ExporterFixture e("endpoint: " + server.url() +
                      "\nmax_conns_per_host: 1\nsending_queue: {num_consumers: 4}\n" + kNoRetry);
    for (int i = 0; i < 100; ++i) REQUIRE(e.exporter->Consume(Traces(1)).ok());
    REQUIRE(test::WaitFor([&] { return e[Signal::kTraces].sent == 100; }));
    CHECK(server.accepts() == 1);
  }
  SECTION("a connection the server closed while idle is replaced, nothing fails") {
    ExporterFixture e("endpoint: " + server.url() + "\nsending_queue: {num_consumers: 1}\n" + kNoRetry);
    REQUIRE(e.exporter->Consume(Traces(1)).ok());
    REQUIRE(test::WaitFor([&] { return e[Signal::kTraces].sent == 1; }));
    server.CloseConnections();
    for (int i = 0; i < 3; ++i) REQUIRE(e.exporter->Consume(Traces(1)).ok());
    REQUIRE(test::WaitFor([&] { return e.Settled(Signal::kTraces, 4); }));
    CHECK(e[Signal::kTraces].sent == 4);
    CHECK(server.accepts() == 2);
  }
  SECTION("Connection: close from the server is honoured") {
    server.SetDefault(HttpTestServer::Reply{200, "", "", {}, true});
    ExporterFixture e("endpoint: " + server.url() + "\nsending_queue: {num_consumers: 1}\n" + kNoRetry);
    for (int i = 0; i < 5; ++i) REQUIRE(e.exporter->Consume(Traces(1)).ok());
    REQUIRE(test::WaitFor([&] { return e.Settled(Signal::kTraces, 5); }));
    CHECK(e[Signal::kTraces].sent == 5);
    CHECK(server.accepts() == 5);
  }
  SECTION("keepalive: {enabled: false}: a connection per request") {
    ExporterFixture e("endpoint: " + server.url() +
                      "\nkeepalive: {enabled: false}\nsending_queue: {num_consumers: 1}\n" + kNoRetry);
    for (int i = 0; i < 5; ++i) REQUIRE(e.exporter->Consume(Traces(1)).ok());
    REQUIRE(test::WaitFor([&] { return e.Settled(Signal::kTraces, 5); }));
    CHECK(e[Signal::kTraces].sent == 5);
    CHECK(server.accepts() == 5);
    CHECK(server.requests().at(0).Header("connection") == "close");
  }
}

TEST_CASE("an attempt that takes longer than timeout fails and is retried") {
  HttpTestServer server;
  REQUIRE(server.running());
  server.Hold();
  ExporterFixture e(
      "endpoint: " + server.url() +
      "\ntimeout: 200ms\nsending_queue: {num_consumers: 1}\nretry_on_failure: {initial_interval: "
      "5ms, max_interval: 5ms, max_elapsed_time: 0}\n");
  REQUIRE(e.exporter->Consume(Traces(2)).ok());
  // Two attempts reach the server while it holds every answer: the first
  // timed out and was retried.
  REQUIRE(test::WaitFor([&] { return server.calls() >= 2; }));
  CHECK(e[Signal::kTraces].sent == 0);
  server.Release();
  REQUIRE(test::WaitFor([&] { return e[Signal::kTraces].sent == 2; }));
  CHECK(e[Signal::kTraces].send_failed == 0);
}

TEST_CASE("a host name that does not resolve fails the attempt within its timeout") {
  // .invalid never resolves (RFC 2606); without a reachable DNS server the
  // lookup is cut off by the attempt's deadline instead.
  ExporterFixture e("endpoint: http://otlpd-test.invalid:4318\ntimeout: 2s\n" + std::string(kNoRetry));
  REQUIRE(e.exporter->Consume(Traces(1)).ok());
  CHECK(test::WaitFor([&] { return e[Signal::kTraces].send_failed == 1; }, 30s));
  CHECK(e[Signal::kTraces].sent == 0);
}

TEST_CASE("a request in flight at the shutdown deadline is aborted") {
  HttpTestServer server;
  REQUIRE(server.running());
  server.Hold();
  ExporterFixture e("endpoint: " + server.url() + "\ntimeout: 0s\n");  // no attempt timeout to end it
  REQUIRE(e.exporter->Consume(Traces(4)).ok());
  REQUIRE(test::WaitFor([&] { return server.calls() == 1; }));
  e.Shutdown(Clock::now() + 200ms);
  CHECK(e[Signal::kTraces].send_failed == 4);
  server.Release();
}

TEST_CASE("shutdown drains the sending queue") {
  ReceiverFixture backend;
  ExporterFixture e("endpoint: " + backend.url() + "\nsending_queue: {num_consumers: 2}\n");
  for (int i = 0; i < 30; ++i) REQUIRE(e.exporter->Consume(Traces(2, "op" + std::to_string(i))).ok());
  e.Shutdown(Clock::now() + 30s);
  CHECK(e[Signal::kTraces].sent == 60);
  CHECK(e[Signal::kTraces].send_failed == 0);
  CHECK(backend.traces.items() == 60);
}

TEST_CASE("a backend that is down for a while gets everything exactly once when it is back") {
  test::ReservedPort down;  // the backend, down: connections are reset
  REQUIRE(down.port() != 0);
  ExporterFixture e(
      "endpoint: http://127.0.0.1:" + std::to_string(down.port()) +
      "\nretry_on_failure: {initial_interval: 20ms, max_interval: 200ms, max_elapsed_time: 0}\n");
  std::set<std::string> sent;
  for (int i = 0; i < 30; ++i) {
    PayloadPtr p = Traces(1, "span " + std::to_string(i));
    sent.insert(p->bytes);
    REQUIRE(e.exporter->Consume(p).ok());
  }
  // The outage lasts until the exporter has tried a few times.
  REQUIRE(test::WaitFor([&] { return down.attempts() >= 3; }, 30s));
  CHECK(e[Signal::kTraces].sent == 0);
  down.Release();
  ReceiverFixture backend(down.port());
  REQUIRE(test::WaitFor([&] { return e[Signal::kTraces].sent == 30; }, 60s));
  std::set<std::string> got;
  for (const auto& p : backend.traces.payloads()) got.insert(p->bytes);
  CHECK(backend.traces.payloads().size() == 30);
  CHECK(got == sent);
  CHECK(e[Signal::kTraces].send_failed == 0);
}

TEST_CASE("the otlphttp exporter speaks TLS") {
  const Certs& certs = TestCerts();
  if (!certs.ok) {
    WARN("openssl is not available; TLS tests skipped");
    return;
  }
  HttpTestServer::Options tls;
  tls.cert_pem = certs.server_cert;
  tls.key_pem = certs.server_key;
  HttpTestServer server(tls);
  REQUIRE(server.running());
  const std::string https = server.url();
  auto deliver = [&](const std::string& yaml) {
    ExporterFixture e(yaml + kNoRetry);
    REQUIRE(e.exporter->Consume(Traces(1)).ok());
    REQUIRE(test::WaitFor([&] { return e.Settled(Signal::kTraces, 1); }));
    return e[Signal::kTraces].sent == 1;
  };

  SECTION("verified against ca_file, by IP address") {
    CHECK(deliver("endpoint: " + https + "\ntls: {ca_file: " + certs.ca_file + "}\n"));
  }
  SECTION("verified against ca_pem, by host name") {
    std::string yaml =
        "endpoint: https://localhost:" + std::to_string(server.port()) + "\ntls:\n  ca_pem: |\n";
    std::istringstream lines(certs.ca);
    for (std::string line; std::getline(lines, line);) yaml += "    " + line + "\n";
    CHECK(deliver(yaml));
  }
  SECTION("server_name_override names what the certificate must say") {
    CHECK(deliver("endpoint: " + https + "\ntls: {ca_file: " + certs.ca_file +
                  ", server_name_override: otlpd-test}\n"));
    CHECK_FALSE(deliver("endpoint: " + https + "\ntls: {ca_file: " + certs.ca_file +
                        ", server_name_override: other.example}\n"));
  }
  SECTION("an unknown CA is refused") { CHECK_FALSE(deliver("endpoint: " + https + "\n")); }
  SECTION("insecure_skip_verify accepts any certificate") {
    CHECK(deliver("endpoint: " + https + "\ntls: {insecure_skip_verify: true, server_name_override: x}\n"));
  }
  SECTION("TLS 1.3 only still works with a 1.3 server") {
    CHECK(deliver("endpoint: " + https + "\ntls: {ca_file: " + certs.ca_file + ", min_version: \"1.3\"}\n"));
  }
  SECTION("the scheme decides: http:// does not speak TLS, tls.insecure does not turn it off") {
    CHECK_FALSE(deliver("endpoint: http://127.0.0.1:" + std::to_string(server.port()) + "\n"));
    CHECK(deliver("endpoint: " + https + "\ntls: {insecure: true, ca_file: " + certs.ca_file + "}\n"));
  }
  SECTION("https:// to a plaintext server fails") {
    HttpTestServer plain;
    CHECK_FALSE(deliver("endpoint: https://127.0.0.1:" + std::to_string(plain.port()) +
                        "\ntls: {insecure_skip_verify: true}\n"));
  }
}

TEST_CASE("the otlphttp exporter presents a client certificate (mTLS)") {
  const Certs& certs = TestCerts();
  if (!certs.ok) return;
  HttpTestServer::Options tls;
  tls.cert_pem = certs.server_cert;
  tls.key_pem = certs.server_key;
  tls.client_ca_pem = certs.ca;
  HttpTestServer server(tls);
  REQUIRE(server.running());
  const std::string base =
      "endpoint: " + server.url() + "\n" + kNoRetry + "tls:\n  ca_file: " + certs.ca_file + "\n";
  {
    ExporterFixture e(base + "  cert_file: " + certs.client_cert_file +
                      "\n  key_file: " + certs.client_key_file + "\n");
    REQUIRE(e.exporter->Consume(Traces(1)).ok());
    CHECK(test::WaitFor([&] { return e[Signal::kTraces].sent == 1; }));
  }
  {
    ExporterFixture e(base);
    REQUIRE(e.exporter->Consume(Traces(1)).ok());
    CHECK(test::WaitFor([&] { return e[Signal::kTraces].send_failed == 1; }));
    CHECK(e[Signal::kTraces].sent == 0);
  }
}

TEST_CASE("TLS material that cannot be used fails Start with the key path") {
  auto start = [](const std::string& yaml) {
    config::Node node = config::ParseYaml(yaml, "t.yaml");
    config::MapDecoder d(node, "exporters.otlphttp/x");
    ComponentTelemetry telemetry;
    OtlpHttpExporter e("otlphttp/x", exporters::otlphttp::Config::Decode(d), &telemetry);
    Status s = e.Start();
    e.Shutdown(Clock::now());
    return s;
  };
  Status missing = start("endpoint: https://a:1\ntls: {ca_file: /nonexistent/ca.pem}");
  CHECK_FALSE(missing.ok());
  CHECK_THAT(missing.message(),
             Catch::Contains("exporters.otlphttp/x.tls.ca_file: cannot read /nonexistent/ca.pem"));
  Status garbage = start("endpoint: https://a:1\ntls: {ca_pem: not a certificate}");
  CHECK_THAT(garbage.message(), Catch::Contains("exporters.otlphttp/x.tls.ca_pem"));
  const Certs& certs = TestCerts();
  if (!certs.ok) return;
  Status mismatch = start("endpoint: https://a:1\ntls: {cert_file: " + certs.client_cert_file +
                          ", key_file: " + (certs.dir / "server.key").string() + "}");
  CHECK_THAT(mismatch.message(), Catch::Contains("the key does not match the certificate"));
}

// Two spans through a forwarding proxy: the backend gets them unchanged, and
// the proxy saw one absolute-form request for `target`.
static void SendTracesThroughProxy(ExporterFixture& e, ReceiverFixture& backend, HttpTestServer& proxy,
                                   const std::string& target) {
  PayloadPtr traces = Traces(2);
  REQUIRE(e.exporter->Consume(traces).ok());
  REQUIRE(test::WaitFor([&] { return e.Settled(Signal::kTraces, 2); }));
  CHECK(e[Signal::kTraces].sent == 2);
  REQUIRE(backend.traces.payloads().size() == 1);
  CHECK(backend.traces.payloads()[0]->bytes == traces->bytes);
  REQUIRE(proxy.requests().size() == 1);
  CHECK(proxy.requests()[0].target == target);
}

TEST_CASE("the otlphttp exporter takes its proxy from HTTP_PROXY and NO_PROXY when proxy_url is unset") {
  ReceiverFixture backend;
  HttpTestServer::Options proxy_options;
  proxy_options.proxy = true;
  // The name below exists only for the proxy (loopback targets never use one).
  proxy_options.upstream = "127.0.0.1:" + std::to_string(backend.receiver->http_port());
  HttpTestServer proxy(proxy_options);
  REQUIRE(proxy.running());
  const std::string target = "http://otlp-backend.test:" + std::to_string(backend.receiver->http_port());

  struct ScopedEnv {
    std::string name;
    ScopedEnv(std::string n, const std::string& value) : name(std::move(n)) {
      ::setenv(name.c_str(), value.c_str(), 1);
    }
    ~ScopedEnv() { ::unsetenv(name.c_str()); }
  };
  ScopedEnv http_proxy("HTTP_PROXY", "127.0.0.1:" + std::to_string(proxy.port()));
  ScopedEnv no_proxy("NO_PROXY", "metrics.otlp-backend.test");  // another host: no effect on this one

  ExporterFixture e("endpoint: " + target + "\n" + kNoRetry);
  SendTracesThroughProxy(e, backend, proxy, target + "/v1/traces");
}

TEST_CASE("the otlphttp exporter goes through an http:// proxy") {
  HttpTestServer::Options proxy_options;
  proxy_options.proxy = true;
  HttpTestServer proxy(proxy_options);
  REQUIRE(proxy.running());
  const std::string proxy_url = "http://user:pw@127.0.0.1:" + std::to_string(proxy.port());

  SECTION("http:// targets: absolute-form requests") {
    ReceiverFixture backend;
    ExporterFixture e("endpoint: " + backend.url() + "\nproxy_url: " + proxy_url + "\n" + kNoRetry);
    SendTracesThroughProxy(e, backend, proxy, backend.url() + "/v1/traces");
    CHECK(proxy.requests()[0].Header("proxy-authorization") == "Basic dXNlcjpwdw==");
  }
  SECTION("https:// targets: a CONNECT tunnel with TLS inside") {
    const Certs& certs = TestCerts();
    if (!certs.ok) return;
    HttpTestServer::Options tls;
    tls.cert_pem = certs.server_cert;
    tls.key_pem = certs.server_key;
    HttpTestServer backend(tls);
    REQUIRE(backend.running());
    ExporterFixture e("endpoint: " + backend.url() + "\nproxy_url: " + proxy_url +
                      "\ntls: {ca_file: " + certs.ca_file + "}\n" + kNoRetry);
    REQUIRE(e.exporter->Consume(Logs(3)).ok());
    REQUIRE(test::WaitFor([&] { return e.Settled(Signal::kLogs, 3); }));
    CHECK(e[Signal::kLogs].sent == 3);
    REQUIRE(proxy.requests().size() == 1);
    CHECK(proxy.requests()[0].method == "CONNECT");
    CHECK(proxy.requests()[0].target == "127.0.0.1:" + std::to_string(backend.port()));
    CHECK(proxy.requests()[0].Header("proxy-authorization") == "Basic dXNlcjpwdw==");
    REQUIRE(backend.requests().size() == 1);
    CHECK(backend.requests()[0].target == "/v1/logs");
    CHECK(backend.requests()[0].Header("proxy-authorization").empty());  // stays with the proxy
  }
}
