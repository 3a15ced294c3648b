#include "exporters/otlp/otlp_exporter.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <future>
#include <random>
#include <set>
#include <thread>

#include <catch2/catch.hpp>

#include "config/compression/gzip_members.h"
#include "config/loader.h"
#include "opentelemetry/proto/collector/logs/v1/logs_service.pb.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "receivers/otlp/otlp_receiver.h"
#include "test/exporters/exporterhelper/manual_time_source.h"
#include "test/exporters/otlp/raw_h2_server.h"
#include "test/exporters/otlp/test_server.h"
#include "test/support/gzip.h"
#include "test/support/process.h"
#include "test/support/sink.h"

using namespace otlpd;
using namespace std::chrono_literals;
using exporters::otlp::OtlpExporter;
using test::TestServer;
namespace pb = opentelemetry::proto;

namespace {

// Retries fast and forever unless a test says otherwise.
constexpr const char* kFastRetry =
    "retry_on_failure: {initial_interval: 5ms, max_interval: 50ms, max_elapsed_time: 0}\n";

PayloadPtr Traces(int spans, const std::string& name = "op") {
  pb::collector::trace::v1::ExportTraceServiceRequest req;
  auto* rs = req.add_resource_spans();
  auto* kv = rs->mutable_resource()->add_attributes();
  kv->set_key("service.name");
  kv->mutable_value()->set_string_value("svc");
  auto* ss = rs->add_scope_spans();
  for (int i = 0; i < spans; ++i) {
    auto* s = ss->add_spans();
    s->set_trace_id(std::string(16, static_cast<char>(i + 1)));
    s->set_span_id(std::string(8, static_cast<char>(i + 1)));
    s->set_name(name);
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

bool TestsGrpcCppClient() {
  const char* client = std::getenv("OTLPD_TEST_GRPC_CLIENT");
  return client != nullptr && std::string_view(client) == "grpcpp";
}

struct ExporterFixture {
  ComponentTelemetry telemetry;
  std::unique_ptr<OtlpExporter> exporter;
  bool shut_down = false;

  explicit ExporterFixture(const std::string& yaml, exporters::exporterhelper::SenderOptions options = {}) {
    config::Node node = config::ParseYaml(yaml, "test.yaml");
    config::MapDecoder d(node, "exporters.otlp");
    exporters::otlp::Config config = exporters::otlp::Config::Decode(d);
    // ctest runs these tests twice: on the nghttp2 client (the default) and,
    // with OTLPD_TEST_GRPC_CLIENT=grpcpp, on gRPC C++'s.
    if (TestsGrpcCppClient()) config.nghttp2_client = false;
    exporter = std::make_unique<OtlpExporter>("otlp", std::move(config), &telemetry, std::move(options));
    REQUIRE(exporter->Start().ok());
  }
  ~ExporterFixture() {
    if (!shut_down) Shutdown(Clock::now() + 10s);
  }
  void Shutdown(Clock::time_point deadline) {
    shut_down = true;
    exporter->Shutdown(deadline);
  }
  SignalCounters& operator[](Signal s) { return telemetry[s]; }
};

std::string PlainTo(const std::string& endpoint) {
  return "endpoint: " + endpoint + "\ntls: {insecure: true}\n";
}

// otlpd's own OTLP/gRPC receiver, in process, as the backend.
struct ReceiverFixture {
  Telemetry telemetry;
  test::Sink traces, metrics, logs;
  std::unique_ptr<receivers::otlp::OtlpReceiver> receiver;

  explicit ReceiverFixture(const std::string& extra = "") {
    auto node =
        config::ParseYaml("protocols:\n  grpc:\n    endpoint: 127.0.0.1:0\n" + extra, "receiver.yaml");
    config::MapDecoder d(node, "receivers.otlp");
    receiver = std::make_unique<receivers::otlp::OtlpReceiver>("otlp", receivers::otlp::Config::Decode(d),
                                                               &telemetry);
    receiver->SetConsumer(Signal::kTraces, &traces);
    receiver->SetConsumer(Signal::kMetrics, &metrics);
    receiver->SetConsumer(Signal::kLogs, &logs);
    REQUIRE(receiver->Start().ok());
  }
  ~ReceiverFixture() { receiver->Shutdown(Clock::now() + 5s); }
  std::string endpoint() const { return "127.0.0.1:" + std::to_string(receiver->grpc_port()); }
};

// A self-signed certificate for "otlpd-test" (no IP in it), made once with
// the openssl tool; it also serves as its own CA and as a client certificate.
struct Certs {
  std::string dir, cert_file, key_file, cert_pem, key_pem;
  bool ok = false;
};
const Certs& TestCerts() {
  static test::TempDir tmp;
  static Certs certs = [] {
    Certs c;
    c.dir = tmp.path().string();
    c.cert_file = c.dir + "/cert.pem";
    c.key_file = c.dir + "/key.pem";
    std::string cmd =
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj "
        "/CN=otlpd-test -addext subjectAltName=DNS:otlpd-test -keyout " +
        c.key_file + " -out " + c.cert_file + " >/dev/null 2>&1";
    c.ok = std::system(cmd.c_str()) == 0;
    if (c.ok) {
      std::ifstream cert(c.cert_file), key(c.key_file);
      std::stringstream cs, ks;
      cs << cert.rdbuf();
      ks << key.rdbuf();
      c.cert_pem = cs.str();
      c.key_pem = ks.str();
    }
    return c;
  }();
  return certs;
}

}  // namespace

TEST_CASE("the otlp exporter delivers every signal's bytes unchanged to otlpd's receiver") {
  ReceiverFixture backend;
  ExporterFixture e(PlainTo(backend.endpoint()) + kFastRetry);  // gzip, the default
  PayloadPtr traces = Traces(3), metrics = Metrics(4), logs = Logs(5);
  REQUIRE(e.exporter->Consume(traces).ok());
  REQUIRE(e.exporter->Consume(metrics).ok());
  REQUIRE(e.exporter->Consume(logs).ok());
  REQUIRE(test::WaitFor([&] {
    return backend.traces.items() == 3 && backend.metrics.items() == 4 && backend.logs.items() == 5;
  }));
  CHECK(backend.traces.payloads().at(0)->bytes == traces->bytes);
  CHECK(backend.metrics.payloads().at(0)->bytes == metrics->bytes);
  CHECK(backend.logs.payloads().at(0)->bytes == logs->bytes);
  // Each signal's counter moves when its own answer is read, in any order.
  CHECK(test::WaitFor([&] {
    return e[Signal::kLogs].sent == 5 && e[Signal::kTraces].sent == 3 && e[Signal::kMetrics].sent == 4;
  }));
  CHECK(e[Signal::kTraces].send_failed == 0);
}

TEST_CASE("the otlp exporter sends headers as gRPC metadata") {
  ReceiverFixture backend("    include_metadata: true\n");
  ExporterFixture e(PlainTo(backend.endpoint()) + "headers: {X-Tenant: acme, x-scope: \"42\"}\n");
  REQUIRE(e.exporter->Consume(Traces(1)).ok());
  REQUIRE(test::WaitFor([&] { return backend.traces.items() == 1; }));
  auto md = backend.traces.payloads().at(0)->metadata;
  REQUIRE(md != nullptr);
  std::set<std::pair<std::string, std::string>> got(md->begin(), md->end());
  CHECK(got.count({"x-tenant", "acme"}) == 1);
  CHECK(got.count({"x-scope", "42"}) == 1);
  bool otlpd_agent = false;
  for (const auto& [k, v] : *md) otlpd_agent |= k == "user-agent" && v.rfind("otlpd ", 0) == 0;
  CHECK(otlpd_agent);
}

TEST_CASE("the otlp exporter compresses with gzip unless compression is none") {
  TestServer::Options no_gzip;
  no_gzip.accept_gzip = false;
  TestServer server(no_gzip);
  REQUIRE(server.running());
  {
    // A server that does not take gzip refuses the request: proof it was gzipped.
    ExporterFixture e(PlainTo(server.endpoint()) + "retry_on_failure: {enabled: false}\n");
    REQUIRE(e.exporter->Consume(Traces(2, std::string(500, 'a'))).ok());
    REQUIRE(test::WaitFor([&] { return e[Signal::kTraces].send_failed == 2; }));
    CHECK(e[Signal::kTraces].sent == 0);
  }
  {
    ExporterFixture e(PlainTo(server.endpoint()) + "compression: none\nretry_on_failure: {enabled: false}\n");
    PayloadPtr p = Traces(2, std::string(500, 'a'));
    REQUIRE(e.exporter->Consume(p).ok());
    REQUIRE(test::WaitFor([&] { return e[Signal::kTraces].sent == 2; }));
    CHECK(server.requests().back().bytes == p->bytes);
  }
}

// A gzip member of `data` as zlib makes it at its default level, framed as
// Payload::gzip.
std::string FramedGzip(const std::string& data) {
  const std::string member = test::ZlibGzip(data);
  std::string framed;
  config::compression::AppendMember(framed, member);
  return framed;
}

// Span names of random letters: gzip made request by request is then as
// small as the batch's own, so the exporter passes the senders' gzip on.
std::string RandomName(std::mt19937& rng) {
  static constexpr char kLetters[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string s(3000, ' ');
  for (char& c : s) c = kLetters[rng() % 64];
  return s;
}

TEST_CASE("the otlp exporter passes the senders' gzip on, joined into one member") {
  TestServer server;  // gRPC C++: one gzip member per message, or the call fails
  REQUIRE(server.running());
  ExporterFixture e(PlainTo(server.endpoint()) + "retry_on_failure: {enabled: false}\n");
  std::mt19937 rng(3);
  PayloadPtr a = Traces(2, RandomName(rng)), b = Traces(3, RandomName(rng));
  PayloadPtr c = Traces(2, RandomName(rng)), d = Traces(3, RandomName(rng));
  REQUIRE(c->bytes.size() == a->bytes.size());
  REQUIRE(d->bytes.size() == b->bytes.size());

  // A batch of two requests, each with its sender's gzip. The first body of
  // a signal is measured: all ways are made and the smallest goes out.
  const std::string bytes = a->bytes + b->bytes;
  REQUIRE(e.exporter
              ->Consume(MakePayload(Signal::kTraces, bytes, 5, nullptr, {},
                                    FramedGzip(a->bytes) + FramedGzip(b->bytes)))
              .ok());
  REQUIRE(test::WaitFor([&] { return e[Signal::kTraces].sent == 5; }));
  CHECK(server.requests().back().bytes == bytes);

  // Members that (unlike any a receiver keeps) hold other spans of the same
  // sizes: what arrives is theirs, so nothing was compressed here, and gRPC
  // C++ read the two members joined as one.
  REQUIRE(e.exporter
              ->Consume(MakePayload(Signal::kTraces, bytes, 5, nullptr, {},
                                    FramedGzip(c->bytes) + FramedGzip(d->bytes)))
              .ok());
  REQUIRE(test::WaitFor([&] { return e[Signal::kTraces].sent == 10; }));
  CHECK(server.requests().back().bytes == c->bytes + d->bytes);

  // Members that do not add up to the payload's size are not used.
  REQUIRE(
      e.exporter->Consume(MakePayload(Signal::kTraces, bytes, 5, nullptr, {}, FramedGzip(c->bytes))).ok());
  REQUIRE(test::WaitFor([&] { return e[Signal::kTraces].sent == 15; }));
  CHECK(server.requests().back().bytes == bytes);
}

TEST_CASE("the otlp exporter retries exactly the retryable gRPC codes") {
  struct Case {
    int code;
    std::optional<std::chrono::milliseconds> retry_info;
    bool retried;
  };
  auto c = GENERATE(Case{1, {}, true}, Case{4, {}, true}, Case{10, {}, true}, Case{11, {}, true},
                    Case{14, {}, true}, Case{14, 10ms, true}, Case{15, {}, true}, Case{8, 10ms, true},
                    Case{8, {}, false}, Case{2, {}, false}, Case{3, {}, false}, Case{5, {}, false},
                    Case{7, {}, false}, Case{9, {}, false}, Case{12, {}, false}, Case{13, {}, false},
                    Case{16, {}, false});
  CAPTURE(c.code, c.retry_info.has_value());
  TestServer server;
  REQUIRE(server.running());
  server.Script({TestServer::Reply{c.code, "scripted", c.retry_info, {}}});
  ExporterFixture e(PlainTo(server.endpoint()) + kFastRetry);
  REQUIRE(e.exporter->Consume(Traces(3)).ok());
  if (c.retried) {
    REQUIRE(test::WaitFor([&] { return e[Signal::kTraces].sent == 3; }));
    CHECK(server.calls() == 2);
    CHECK(e[Signal::kTraces].send_failed == 0);
  } else {
    REQUIRE(test::WaitFor([&] { return e[Signal::kTraces].send_failed == 3; }));
    CHECK(server.calls() == 1);
    CHECK(e[Signal::kTraces].sent == 0);
  }
}

TEST_CASE("the otlp exporter waits at least the RetryInfo delay") {
  auto [code, delay] = GENERATE(std::pair{14, 7s}, std::pair{8, 3s});
  CAPTURE(code);
  TestServer server;
  server.Script({TestServer::Reply{code, "slow down", std::chrono::milliseconds(delay), {}}});
  test::ManualTimeSource time;
  exporters::exporterhelper::SenderOptions options;
  options.time = &time;
  options.random = [] { return 0.5; };
  // timeout 0: no attempt deadline, which would mix manual and real time.
  ExporterFixture e(PlainTo(server.endpoint()) + kFastRetry + "timeout: 0s\n", options);
  REQUIRE(e.exporter->Consume(Traces(1)).ok());
  REQUIRE(test::WaitFor([&] { return e[Signal::kTraces].sent == 1; }));
  CHECK(time.sleeps() == std::vector<std::chrono::nanoseconds>{delay});
}

TEST_CASE("the otlp exporter counts partial_success rejections and does not retry") {
  TestServer server;
  server.Script({TestServer::Reply{0, "", {}, std::pair{std::int64_t{2}, std::string("2 spans too old")}}});
  ExporterFixture e(PlainTo(server.endpoint()) + kFastRetry);
  REQUIRE(e.exporter->Consume(Traces(5)).ok());
  REQUIRE(test::WaitFor([&] { return e[Signal::kTraces].sent == 3; }));
  CHECK(e[Signal::kTraces].send_failed == 2);
  CHECK(server.calls() == 1);
}

TEST_CASE("the otlp exporter reads a gzip-compressed answer") {
  TestServer::Options options;
  options.gzip_answers = true;
  TestServer server(options);
  REQUIRE(server.running());
  server.Script({TestServer::Reply{0, "", {}, std::pair{std::int64_t{1}, std::string(300, 'x')}}});
  ExporterFixture e(PlainTo(server.endpoint()) + kFastRetry);
  REQUIRE(e.exporter->Consume(Traces(5)).ok());
  // The rejected count is inside the compressed answer.
  REQUIRE(test::WaitFor([&] { return e[Signal::kTraces].sent == 4; }));
  CHECK(e[Signal::kTraces].send_failed == 1);
  CHECK(server.calls() == 1);
}

TEST_CASE("the otlp exporter sends a message far larger than the HTTP/2 windows, and many at once") {
  ReceiverFixture backend("    max_recv_msg_size_mib: 64\n");
  ExporterFixture e(PlainTo(backend.endpoint()) + kFastRetry + "compression: none\n" +
                    "sending_queue: {num_consumers: 8}\n");
  // About 12 MB: hundreds of DATA frames past the peer's 64 KiB initial window.
  PayloadPtr big = Traces(20000, std::string(600, 'b'));
  REQUIRE(big->bytes.size() > (10u << 20));
  REQUIRE(e.exporter->Consume(big).ok());
  std::vector<PayloadPtr> small;
  for (int i = 0; i < 200; ++i) {
    small.push_back(Traces(1 + i % 7, "s" + std::to_string(i)));
    REQUIRE(e.exporter->Consume(small.back()).ok());
  }
  std::uint64_t want = 20000;
  for (const auto& p : small) want += p->items;
  REQUIRE(test::WaitFor([&] { return backend.traces.items() == want; }, 60s));
  std::multiset<std::string> got, sent;
  for (const auto& p : backend.traces.payloads()) got.insert(p->bytes);
  sent.insert(big->bytes);
  for (const auto& p : small) sent.insert(p->bytes);
  CHECK(got == sent);
  CHECK(test::WaitFor([&] { return e[Signal::kTraces].sent == want; }));
  CHECK(e[Signal::kTraces].send_failed == 0);
}

TEST_CASE("a call past its timeout fails with DEADLINE_EXCEEDED and the next call goes through") {
  TestServer server;
  server.Hold();
  ExporterFixture e(PlainTo(server.endpoint()) + "timeout: 200ms\nretry_on_failure: {enabled: false}\n");
  REQUIRE(e.exporter->Consume(Traces(3)).ok());
  REQUIRE(test::WaitFor([&] { return e[Signal::kTraces].send_failed == 3; }));
  server.Release();
  REQUIRE(e.exporter->Consume(Traces(2)).ok());
  REQUIRE(test::WaitFor([&] { return e[Signal::kTraces].sent == 2; }));
  CHECK(server.calls() == 2);
}

TEST_CASE("keepalive pings find a backend that stopped answering long before the call's timeout") {
  if (TestsGrpcCppClient()) {
    // gRPC C++ sends nothing before the server's SETTINGS, so it never gets
    // as far as a ping here; the call waits for its timeout.
    WARN("nghttp2 client only");
    return;
  }
  // A backend whose connections the kernel accepts and nobody serves.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  REQUIRE(::listen(fd, 8) == 0);
  {
    ExporterFixture e(
        PlainTo("127.0.0.1:" + std::to_string(ntohs(addr.sin_port))) +
        "timeout: 60s\nkeepalive: {time: 100ms, timeout: 100ms}\nretry_on_failure: {enabled: false}\n");
    REQUIRE(e.exporter->Consume(Traces(2)).ok());
    // Only the keepalive can end the call this early: its timeout is a minute.
    CHECK(test::WaitFor([&] { return e[Signal::kTraces].send_failed == 2; }, 20s));
  }
  ::close(fd);
}

TEST_CASE("an HTTP status without a gRPC status means what gRPC says it means") {
  using Answer = test::RawH2Server::Answer;
  SECTION("503 (a proxy with no backend): UNAVAILABLE, retried") {
    test::RawH2Server server({Answer{Answer::kHttpStatus, 503, 0, ""}});
    REQUIRE(server.port() != 0);
    ExporterFixture e(PlainTo(server.endpoint()) + kFastRetry);
    REQUIRE(e.exporter->Consume(Traces(2)).ok());
    REQUIRE(test::WaitFor([&] { return e[Signal::kTraces].sent == 2; }));
    CHECK(server.requests() == 2);
    CHECK(e[Signal::kTraces].send_failed == 0);
  }
  SECTION("401: UNAUTHENTICATED, permanent") {
    test::RawH2Server server({Answer{Answer::kHttpStatus, 401, 0, ""}});
    ExporterFixture e(PlainTo(server.endpoint()) + kFastRetry);
    REQUIRE(e.exporter->Consume(Traces(2)).ok());
    REQUIRE(test::WaitFor([&] { return e[Signal::kTraces].send_failed == 2; }));
    CHECK(server.requests() == 1);
  }
  SECTION("a trailers-only gRPC error") {
    test::RawH2Server server({Answer{Answer::kTrailersOnly, 200, 16, "no token"}});
    ExporterFixture e(PlainTo(server.endpoint()) + kFastRetry);
    REQUIRE(e.exporter->Consume(Traces(3)).ok());
    REQUIRE(test::WaitFor([&] { return e[Signal::kTraces].send_failed == 3; }));
    CHECK(server.requests() == 1);
  }
}

TEST_CASE(
    "a stream the server refused unprocessed is sent again by the client, not by the exporter's retries") {
  if (TestsGrpcCppClient()) {
    // gRPC C++ 1.51 fails such a call with UNAVAILABLE (RST_STREAM error code
    // 7) and leaves it to the exporter's retries; grpc-go, otelcol's client,
    // sends it again at once, as the nghttp2 client does.
    WARN("nghttp2 client only");
    return;
  }
  using Answer = test::RawH2Server::Answer;
  test::RawH2Server server({Answer{Answer::kRefusedStream, 200, 0, ""}});
  REQUIRE(server.port() != 0);
  ExporterFixture e(PlainTo(server.endpoint()) + "retry_on_failure: {enabled: false}\n");
  REQUIRE(e.exporter->Consume(Traces(4)).ok());
  REQUIRE(test::WaitFor([&] { return e[Signal::kTraces].sent + e[Signal::kTraces].send_failed == 4; }));
  CHECK(e[Signal::kTraces].sent == 4);
  CHECK(server.requests() == 2);
}

TEST_CASE("an OK without a response message fails the call, as gRPC's unary clients fail it") {
  TestServer server;
  TestServer::Reply broken;
  broken.no_message = true;
  server.Script({broken});
  ExporterFixture e(PlainTo(server.endpoint()) + kFastRetry);
  REQUIRE(e.exporter->Consume(Traces(2)).ok());
  // Internal: not retryable.
  REQUIRE(test::WaitFor([&] { return e[Signal::kTraces].send_failed == 2; }));
  CHECK(server.calls() == 1);
  CHECK(e[Signal::kTraces].sent == 0);
}

TEST_CASE("a full sending queue refuses with a retryable status") {
  TestServer server;
  server.Hold();
  ExporterFixture e(PlainTo(server.endpoint()) + "sending_queue: {num_consumers: 1, queue_size: 2}\n");
  REQUIRE(e.exporter->Consume(Traces(1)).ok());
  REQUIRE(e.exporter->Consume(Traces(1)).ok());
  REQUIRE(test::WaitFor([&] { return server.calls() == 1; }));
  Status refused = e.exporter->Consume(Traces(1));
  CHECK(refused.retryable());
  CHECK(e[Signal::kTraces].enqueue_failed == 1);
  server.Release();
  REQUIRE(test::WaitFor([&] { return e[Signal::kTraces].sent == 2; }));
  CHECK(e.exporter->Consume(Traces(1)).ok());
}

TEST_CASE("shutdown drains the sending queue") {
  TestServer server;
  server.Hold();
  ExporterFixture e(PlainTo(server.endpoint()) + "sending_queue: {num_consumers: 2}\n");
  for (int i = 0; i < 20; ++i) REQUIRE(e.exporter->Consume(Traces(2, "op" + std::to_string(i))).ok());
  REQUIRE(test::WaitFor([&] { return server.calls() == 2; }));
  auto shutdown = std::async(std::launch::async, [&] { e.Shutdown(Clock::now() + 30s); });
  server.Release();
  shutdown.get();
  CHECK(e[Signal::kTraces].sent == 40);
  CHECK(e[Signal::kTraces].send_failed == 0);
  CHECK(server.calls() == 20);
}

TEST_CASE("a backend that is down for a while gets everything exactly once when it is back") {
  test::ReservedPort down;  // the backend, down: connections are reset
  REQUIRE(down.port() != 0);
  const std::string endpoint = "127.0.0.1:" + std::to_string(down.port());
  ExporterFixture e(PlainTo(endpoint) +
                    "retry_on_failure: {initial_interval: 20ms, max_interval: 200ms, max_elapsed_time: 0}\n");
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
  TestServer::Options options;
  options.port = down.port();
  TestServer server(options);
  REQUIRE(server.running());
  REQUIRE(test::WaitFor([&] { return e[Signal::kTraces].sent == 30; }, 60s));
  auto requests = server.requests();
  CHECK(requests.size() == 30);
  std::set<std::string> got;
  for (const auto& r : requests) got.insert(r.bytes);
  CHECK(got == sent);
  CHECK(e[Signal::kTraces].send_failed == 0);
}

TEST_CASE("shutdown with the backend down gives up at the deadline and counts the loss") {
  test::ReservedPort down;  // the backend, down for good
  ExporterFixture e(PlainTo("127.0.0.1:" + std::to_string(down.port())) + kFastRetry);
  for (int i = 0; i < 5; ++i) REQUIRE(e.exporter->Consume(Traces(2)).ok());
  e.Shutdown(Clock::now() + 300ms);
  CHECK(e[Signal::kTraces].send_failed == 10);
  CHECK(e[Signal::kTraces].sent == 0);
}

TEST_CASE("a call still in flight at the shutdown deadline is cancelled") {
  TestServer server;
  server.Hold();
  ExporterFixture e(PlainTo(server.endpoint()) + "timeout: 0s\n");  // no attempt timeout to end it
  REQUIRE(e.exporter->Consume(Traces(4)).ok());
  REQUIRE(test::WaitFor([&] { return server.calls() == 1; }));
  e.Shutdown(Clock::now() + 200ms);
  CHECK(e[Signal::kTraces].send_failed == 4);
}

TEST_CASE("the otlp exporter speaks TLS") {
  const Certs& certs = TestCerts();
  if (!certs.ok) {
    WARN("openssl is not available; TLS tests skipped");
    return;
  }
  TestServer::Options tls;
  tls.cert_pem = certs.cert_pem;
  tls.key_pem = certs.key_pem;
  TestServer server(tls);
  REQUIRE(server.running());
  const std::string endpoint = "endpoint: " + server.endpoint() + "\n";
  auto deliver = [&](const std::string& yaml) {
    ExporterFixture e(yaml + "retry_on_failure: {enabled: false}\n");
    REQUIRE(e.exporter->Consume(Traces(1)).ok());
    REQUIRE(test::WaitFor([&] { return e[Signal::kTraces].sent + e[Signal::kTraces].send_failed == 1; }));
    return e[Signal::kTraces].sent == 1;
  };

  SECTION("verified against ca_file, with the certificate's name") {
    CHECK(deliver(endpoint + "tls: {ca_file: " + certs.cert_file + ", server_name_override: otlpd-test}\n"));
  }
  SECTION("verified against ca_pem") {
    std::string yaml = endpoint + "tls:\n  server_name_override: otlpd-test\n  ca_pem: |\n";
    std::istringstream lines(certs.cert_pem);
    for (std::string line; std::getline(lines, line);) yaml += "    " + line + "\n";
    CHECK(deliver(yaml));
  }
  SECTION("a certificate that does not name the host is refused") {
    CHECK_FALSE(deliver(endpoint + "tls: {ca_file: " + certs.cert_file + "}\n"));
  }
  SECTION("an unknown CA is refused") { CHECK_FALSE(deliver(endpoint)); }
  SECTION("insecure_skip_verify accepts any certificate") {
    CHECK(deliver(endpoint + "tls: {insecure_skip_verify: true}\n"));
  }
  SECTION("https:// forces TLS even with tls.insecure") {
    CHECK(deliver("endpoint: https://" + server.endpoint() + "\ntls: {insecure: true, ca_file: " +
                  certs.cert_file + ", server_name_override: otlpd-test}\n"));
  }
  SECTION("plaintext cannot talk to a TLS server") {
    CHECK_FALSE(deliver("endpoint: http://" + server.endpoint() + "\n"));
  }
}

TEST_CASE("the otlp exporter presents a client certificate (mTLS)") {
  const Certs& certs = TestCerts();
  if (!certs.ok) return;
  TestServer::Options tls;
  tls.cert_pem = certs.cert_pem;
  tls.key_pem = certs.key_pem;
  tls.client_ca_pem = certs.cert_pem;
  TestServer server(tls);
  REQUIRE(server.running());
  const std::string base = "endpoint: " + server.endpoint() + "\nretry_on_failure: {enabled: false}\n" +
                           "tls:\n  ca_file: " + certs.cert_file + "\n  server_name_override: otlpd-test\n";
  {
    ExporterFixture e(base + "  cert_file: " + certs.cert_file + "\n  key_file: " + certs.key_file + "\n");
    REQUIRE(e.exporter->Consume(Traces(1)).ok());
    CHECK(test::WaitFor([&] { return e[Signal::kTraces].sent == 1; }));
  }
  {
    ExporterFixture e(base);
    REQUIRE(e.exporter->Consume(Traces(1)).ok());
    CHECK(test::WaitFor([&] { return e[Signal::kTraces].send_failed == 1; }));
  }
}

TEST_CASE("a TLS file that cannot be read fails Start with the key path") {
  config::Node node = config::ParseYaml("endpoint: a:1\ntls: {ca_file: /nonexistent/ca.pem}", "t.yaml");
  config::MapDecoder d(node, "exporters.otlp/x");
  ComponentTelemetry telemetry;
  OtlpExporter e("otlp/x", exporters::otlp::Config::Decode(d), &telemetry);
  Status s = e.Start();
  CHECK_FALSE(s.ok());
  CHECK_THAT(s.message(), Catch::Contains("exporters.otlp/x.tls.ca_file: cannot read /nonexistent/ca.pem"));
  e.Shutdown(Clock::now());
}
