#include "extensions/health_check/health_check_extension.h"

#include <catch2/catch.hpp>

#include "config/error.h"
#include "config/loader.h"
#include "extensions/health_check/factory.h"
#include "service/service.h"
#include "test/receivers/otlp/http_client.h"
#include "test/service/telemetry/http_get.h"
#include "test/support/config_error.h"
#include "test/support/created.h"
#include "test/support/process.h"
#include "test/support/sink.h"
#include "test/support/test_certs.h"

using namespace otlpd;
using namespace otlpd::extensions::health_check;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

Config Decode(const std::string& yaml, bool component_status_gate = false) {
  config::Node node = config::ParseYaml(yaml, "c.yaml");
  config::MapDecoder d(node, "extensions.health_check");
  return Config::Decode(d, component_status_gate);
}

std::string DecodeError(const std::string& yaml, bool component_status_gate = false) {
  return test::ConfigError([&] { Decode(yaml, component_status_gate); });
}

// Sends `request` on a fresh connection to 127.0.0.1:port and reads until
// the server closes it or 5 s pass; `closed` tells which.
struct RawAnswer {
  std::string bytes;
  bool closed = false;
};
RawAnswer RawExchange(int port, const std::string& request) {
  RawAnswer answer;
  const int fd = test::ConnectLoopback(port);
  REQUIRE(fd >= 0);
  if (!request.empty()) ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  char buf[4096];
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) answer.bytes.append(buf, static_cast<std::size_t>(n));
  answer.closed = n == 0;
  ::close(fd);
  return answer;
}

}  // namespace

TEST_CASE("health_check config: confighttp's server keys, with otelcol's verdicts") {
  Config c = Decode("{}");
  CHECK(c.server.transport == "tcp");
  CHECK(c.server.read_header_timeout == std::chrono::minutes(1));
  CHECK(c.server.write_timeout == std::chrono::seconds(30));
  CHECK(c.server.read_timeout.count() == 0);
  CHECK(c.server.keepalive);
  CHECK(c.server.idle_timeout == std::chrono::minutes(1));

  c = Decode(
      "transport: tcp4\nmax_request_body_size: -5\ninclude_metadata: true\n"
      "response_headers: {X-Served-By: otlpd}\ncompression_algorithms: [br]\nread_timeout: 5s\n"
      "read_header_timeout: 2s\nwrite_timeout: -1s\nkeepalive: {idle_timeout: 5s}\ndialer: {timeout: 1s}\n"
      "cors: {allowed_headers: [X-A]}\nmiddlewares: []\n");
  CHECK(c.server.transport == "tcp4");
  CHECK(c.server.response_headers.at("X-Served-By") == "otlpd");
  CHECK(c.server.read_timeout == std::chrono::seconds(5));
  CHECK(c.server.idle_timeout == std::chrono::seconds(5));
  const http::ServerOptions o = c.server.Options();
  CHECK(o.ip_version == 4);
  CHECK(o.write_timeout.count() == 0);  // negative: none, as Go's server
  CHECK(o.response_headers.size() == 1);
  CHECK_FALSE(Decode("keepalive: {enabled: false}\n").server.Options().keep_alive);
  CHECK_FALSE(Decode("keepalive: {idle_timeout: -1s}\n").server.Options().keep_alive);

  // Keys otelcol v0.165's confighttp no longer has.
  CHECK_THAT(DecodeError("idle_timeout: 5s\n"), Contains("has invalid keys: idle_timeout"));
  CHECK_THAT(DecodeError("keep_alives_enabled: false\n"), Contains("has invalid keys: keep_alives_enabled"));
  CHECK_THAT(DecodeError("transport: bogus\n"),
             Contains("extensions.health_check.transport") && Contains("unsupported transport type"));
  CHECK_THAT(DecodeError("transport: unix\n"), Contains("TCP only"));
  CHECK_THAT(DecodeError("transport: udp\n"), Contains("stream transport"));
  CHECK_THAT(DecodeError("endpoint: \"\"\n"), Contains("http endpoint required"));
  CHECK_THAT(DecodeError("cors: {allowed_origins: [\"https://a.example\"]}\n"),
             Contains("extensions.health_check.cors.allowed_origins") && Contains("not supported"));
  CHECK_THAT(DecodeError("auth: {authenticator: basicauth}\n"),
             Contains("extensions.health_check.auth") && Contains("not supported"));
  CHECK(DecodeError("auth: {enabled: false}\n").empty());
  CHECK_THAT(DecodeError("middlewares: [{id: m}]\n"), Contains("extensions.health_check.middlewares"));
  CHECK_THAT(DecodeError("response_headers: {\"bad name\": x}\n"),
             Contains("extensions.health_check.response_headers") && Contains("not a valid header name"));
  CHECK_THAT(DecodeError("keepalive: {idle: 5s}\n"), Contains("extensions.health_check.keepalive"));
}

TEST_CASE("health_check sends response_headers and honours keepalive and the read timeouts") {
  Config c = Decode(
      "endpoint: 127.0.0.1:0\nresponse_headers: {X-Served-By: otlpd, Cache-Control: no-store}\n"
      "read_header_timeout: 300ms\nkeepalive: {enabled: false}\n");
  HealthCheckExtension ext("health_check", c);
  REQUIRE(ext.Start().ok());
  ext.Ready();
  auto r = test::HttpGet(ext.port(), "/");
  CHECK(r.status == 200);
  CHECK_THAT(r.headers, Contains("X-Served-By: otlpd") && Contains("Cache-Control: no-store") &&
                            Contains("application/json"));
  CHECK_THAT(test::HttpGet(ext.port(), "/other").headers, Contains("X-Served-By: otlpd"));

  // Keep-alive off: the answer says so and the server closes the connection.
  RawAnswer a = RawExchange(ext.port(), "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(a.closed);
  CHECK_THAT(a.bytes, StartsWith("HTTP/1.1 200") && Contains("Connection: close"));

  // A client whose headers never end is cut off at read_header_timeout, not
  // after the 5 s the test waits.
  const auto start = std::chrono::steady_clock::now();
  a = RawExchange(ext.port(), "GET / HTTP/1.1\r\nHost: x\r\n");
  CHECK(a.closed);
  CHECK(a.bytes.empty());
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(4));
  ext.Shutdown(Clock::now() + std::chrono::seconds(1));
}

TEST_CASE("health_check keeps a connection alive by default, until idle_timeout") {
  Config c;
  c.server.endpoint = "127.0.0.1:0";
  c.server.idle_timeout = std::chrono::milliseconds(300);
  c.server.read_header_timeout = std::chrono::milliseconds(300);
  HealthCheckExtension ext("health_check", c);
  REQUIRE(ext.Start().ok());
  // Two requests on one connection, both answered; then idle_timeout plus
  // read_header_timeout closes it.
  const auto start = std::chrono::steady_clock::now();
  RawAnswer a =
      RawExchange(ext.port(), "GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /x HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(a.closed);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(4));
  CHECK_THAT(a.bytes, StartsWith("HTTP/1.1 503") && Contains("HTTP/1.1 404"));
  CHECK_THAT(a.bytes, !Contains("Connection: close"));
  ext.Shutdown(Clock::now() + std::chrono::seconds(1));
}

TEST_CASE("health_check config: otelcol's defaults and checks") {
  Config c = Decode("{}");
  CHECK(c.server.endpoint == "localhost:13133");
  CHECK(c.path == "/");
  CHECK(c.healthy_body.empty());

  c = Decode(
      "endpoint: 0.0.0.0:1234\npath: /health/status\nresponse_body:\n  healthy: up\n  unhealthy: down\n"
      "check_collector_pipeline:\n  enabled: false\n  interval: 5m\n  exporter_failure_threshold: 5\n");
  CHECK(c.server.endpoint == "0.0.0.0:1234");
  CHECK(c.path == "/health/status");
  CHECK(c.healthy_body == "up");
  CHECK(c.unhealthy_body == "down");

  CHECK_THAT(DecodeError("path: health\n"),
             Contains("c.yaml:1:7") && Contains("extensions.health_check.path"));
  CHECK_THAT(DecodeError("endpoint: localhost\n"),
             Contains("extensions.health_check.endpoint") && Contains("missing port"));
  CHECK_THAT(DecodeError("endpoint: localhost:99999\n"), Contains("extensions.health_check.endpoint"));
  // A string otelcol never parses (the legacy check is ignored): any value goes.
  CHECK(DecodeError("check_collector_pipeline:\n  interval: soon\n").empty());
  CHECK_THAT(DecodeError("check_collector_pipeline:\n  exporter_failure_threshold: many\n"),
             Contains("extensions.health_check.check_collector_pipeline.exporter_failure_threshold"));
  CHECK_THAT(DecodeError("response_body:\n  ok: yes\n"),
             Contains("extensions.health_check.response_body") && Contains("ok"));
  // tls is a server TLS block: a certificate and a key are required.
  CHECK_THAT(DecodeError("tls: {}\n"),
             Contains("extensions.health_check.tls.cert_file") && Contains("needs cert_file or cert_pem"));
  CHECK_FALSE(Decode("tls: {enabled: false}\n").server.tls.has_value());
  c = Decode("tls: {cert_file: /c.pem, key_file: /k.pem, client_ca_file: /ca.pem, min_version: \"1.3\"}\n");
  REQUIRE(c.server.tls.has_value());
  CHECK(c.server.tls->client_ca_file == "/ca.pem");
  CHECK(c.server.tls->min_version == "1.3");
  // The v2 layout: otelcol's own refusal without its feature gate, otlpd's with it.
  CHECK_THAT(
      DecodeError("http:\n  endpoint: localhost:13133\n"),
      Contains("extensions.health_check.http: v2 healthcheck configuration (http/grpc fields) detected "
               "but feature gate is disabled") &&
          Contains("--feature-gates=+extension.healthcheck.useComponentStatus"));
  CHECK_THAT(DecodeError("grpc: {}\n"), Contains("feature gate is disabled"));
  CHECK_THAT(DecodeError("http: {}\n", true),
             Contains("extensions.health_check.http: otlpd does not implement the v2 health check"));
  CHECK(DecodeError("component_health: {include_permanent_errors: true}\n").empty());
  CHECK_THAT(DecodeError("use_v2: true\n"), Contains("must specify at least one protocol"));
  CHECK_THAT(DecodeError("use_v2: true\n"), Contains("extensions.health_check.use_v2"));
  CHECK(DecodeError("use_v2: false\n").empty());
}

TEST_CASE("health_check answers 503 until Ready, 200 while ready, 503 after NotReady") {
  Config c;
  c.server.endpoint = "127.0.0.1:0";
  c.path = "/health";
  HealthCheckExtension ext("health_check", c);
  REQUIRE(ext.Start().ok());
  REQUIRE(ext.port() > 0);

  auto r = test::HttpGet(ext.port(), "/health");
  CHECK(r.status == 503);
  CHECK(r.body == R"({"status":"Server not available","upSince":"0001-01-01T00:00:00Z","uptime":""})");
  CHECK_THAT(r.headers, Contains("application/json"));

  ext.Ready();
  r = test::HttpGet(ext.port(), "/health");
  CHECK(r.status == 200);
  CHECK_THAT(r.body,
             StartsWith(R"({"status":"Server available","upSince":")") && Contains(R"(","uptime":")"));
  CHECK(test::HttpGet(ext.port(), "/health?verbose").status == 200);  // the query is not part of the path
  CHECK(test::HttpGet(ext.port(), "/").status == 404);

  ext.NotReady();
  CHECK(test::HttpGet(ext.port(), "/health").status == 503);
  ext.Ready();
  CHECK(test::HttpGet(ext.port(), "/health").status == 200);

  const int port = ext.port();
  ext.Shutdown(Clock::now() + std::chrono::seconds(1));
  CHECK(test::HttpGet(port, "/health").status == 0);  // nothing listens any more
}

TEST_CASE("health_check answers with the configured bodies") {
  Config c;
  c.server.endpoint = "127.0.0.1:0";
  c.healthy_body = "I'm OK";
  c.unhealthy_body = "I'm not well";
  HealthCheckExtension ext("health_check/custom", c);
  REQUIRE(ext.Start().ok());
  auto r = test::HttpGet(ext.port(), "/");
  CHECK(r.status == 503);
  CHECK(r.body == "I'm not well");
  ext.Ready();
  r = test::HttpGet(ext.port(), "/");
  CHECK(r.status == 200);
  CHECK(r.body == "I'm OK");
}

TEST_CASE("health_check serves HTTPS with tls, and asks for client certificates with client_ca_file") {
  const test::TestCerts& certs = test::SharedTestCerts();
  const std::string tls =
      "endpoint: 127.0.0.1:0\npath: /health\ntls:\n  cert_file: " + (certs.dir / "server.pem").string() +
      "\n  key_file: " + (certs.dir / "server.key").string() + "\n";
  {
    HealthCheckExtension ext("health_check", Decode(tls));
    REQUIRE(ext.Start().ok());
    ext.Ready();
    test::HttpClient client(ext.port(), test::TlsClientOptions{certs.ca, "", "", 0});
    auto r = client.Send({"GET", "/health", {}, ""});
    CHECK(r.status == 200);
    CHECK_THAT(r.body, StartsWith(R"({"status":"Server available")"));
    // Plain HTTP gets no answer from a TLS endpoint.
    CHECK(test::HttpGet(ext.port(), "/health").status != 200);
    ext.Shutdown(Clock::now() + std::chrono::seconds(1));
  }
  {
    HealthCheckExtension ext("health_check/mtls",
                             Decode(tls + "  client_ca_file: " + (certs.dir / "ca.pem").string() + "\n"));
    REQUIRE(ext.Start().ok());
    ext.Ready();
    test::HttpClient with_cert(ext.port(),
                               test::TlsClientOptions{certs.ca, certs.client_cert, certs.client_key, 0});
    CHECK(with_cert.Send({"GET", "/health", {}, ""}).status == 200);
    // Without a client certificate the handshake (or the first read) fails.
    bool refused = false;
    try {
      test::HttpClient without(ext.port(), test::TlsClientOptions{certs.ca, "", "", 0});
      without.Send({"GET", "/health", {}, ""});
    } catch (const boost::system::system_error&) {
      refused = true;
    }
    CHECK(refused);
    ext.Shutdown(Clock::now() + std::chrono::seconds(1));
  }
}

TEST_CASE("health_check does not start with a certificate it cannot read") {
  Config c =
      Decode("endpoint: 127.0.0.1:0\ntls: {cert_file: /nonexistent/c.pem, key_file: /nonexistent/k.pem}\n");
  HealthCheckExtension ext("health_check", c);
  Status s = ext.Start();
  CHECK_FALSE(s.ok());
  CHECK_THAT(s.message(), Contains("extension health_check") && Contains("/nonexistent/c.pem"));
}

TEST_CASE("health_check cannot take a port that is in use") {
  Config c;
  c.server.endpoint = "127.0.0.1:0";
  HealthCheckExtension first("health_check", c);
  REQUIRE(first.Start().ok());
  c.server.endpoint = "127.0.0.1:" + std::to_string(first.port());
  HealthCheckExtension second("health_check/2", c);
  Status s = second.Start();
  CHECK_FALSE(s.ok());
  CHECK_THAT(s.message(), Contains("cannot listen on 127.0.0.1:" + std::to_string(first.port())));
}

TEST_CASE("Go duration and time formats of the status body") {
  using namespace std::chrono;
  CHECK(GoDurationString(nanoseconds(0)) == "0s");
  CHECK(GoDurationString(nanoseconds(999)) == "999ns");
  CHECK(GoDurationString(microseconds(1500)) == "1.5ms");
  CHECK(GoDurationString(milliseconds(1500)) == "1.5s");
  CHECK(GoDurationString(milliseconds(62500)) == "1m2.5s");
  CHECK(GoDurationString(seconds(3723)) == "1h2m3s");
  CHECK(GoDurationString(nanoseconds(49013251800)) == "49.0132518s");
  CHECK(Rfc3339Nano(0) == "1970-01-01T00:00:00Z");
  CHECK(Rfc3339Nano(1500000000) == "1970-01-01T00:00:01.5Z");
  CHECK(Rfc3339Nano(1605067951684717400) == "2020-11-11T04:12:31.6847174Z");
}

namespace {

// An exporter that, while the Service shuts it down, asks the health check
// what it answers: the drain must already be reported as 503.
class ProbingExporter : public test::Sink {
 public:
  // `health`: the extension, started before this exporter.
  explicit ProbingExporter(HealthCheckExtension*& health) : health_(health) {}
  Status Start() override {
    status_at_start_ = test::HttpGet(health_->port(), "/").status;
    return Status::Ok();
  }
  void Shutdown(Clock::time_point) override {
    status_at_shutdown_ = test::HttpGet(health_->port(), "/").status;
  }
  int status_at_start_ = -1;
  int status_at_shutdown_ = -1;

 private:
  HealthCheckExtension*& health_;
};

class IdleReceiver : public Receiver {
 public:
  void SetConsumer(Signal, Consumer*) override {}
  Status Start() override { return Status::Ok(); }
  void Shutdown(Clock::time_point) override {}
};

}  // namespace

TEST_CASE("the Service reports ready after starting and not ready as shutdown begins") {
  ProbingExporter* exporter = nullptr;
  HealthCheckExtension* health = nullptr;
  Components components;
  components.extensions.push_back(HealthCheckExtensionFactory());
  test::CaptureCreated(components.extensions, "health_check", health);
  components.receivers.push_back(
      ReceiverFactory{"idle", {Signal::kTraces}, [](const CreateContext&, const config::Node&) {
                        return std::unique_ptr<Receiver>(std::make_unique<IdleReceiver>());
                      }});
  components.exporters.push_back(
      ExporterFactory{"probe", {Signal::kTraces}, [&](const CreateContext&, const config::Node&) {
                        auto e = std::make_unique<ProbingExporter>(health);
                        exporter = e.get();
                        return std::unique_ptr<Exporter>(std::move(e));
                      }});
  config::Node root = config::ParseYaml(
      "extensions:\n  health_check:\n    endpoint: 127.0.0.1:0"
      "\nreceivers:\n  idle:\nexporters:\n  probe:\n"
      "service:\n  extensions: [health_check]\n  pipelines:\n"
      "    traces:\n      receivers: [idle]\n      exporters: [probe]\n",
      "c.yaml");
  auto service = Service::Build(root, components);
  REQUIRE(service->Start().ok());
  const int port = health->port();
  CHECK(exporter->status_at_start_ == 503);  // extensions start first, not ready yet
  CHECK(test::HttpGet(port, "/").status == 200);
  service->Shutdown(Clock::now() + std::chrono::seconds(5));
  CHECK(exporter->status_at_shutdown_ == 503);
  CHECK(test::HttpGet(port, "/").status == 0);
}
