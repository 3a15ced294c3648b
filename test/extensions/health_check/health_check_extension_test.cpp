#include "extensions/health_check/health_check_extension.h"

#include <catch2/catch.hpp>

#include "config/error.h"
#include "config/loader.h"
#include "extensions/health_check/factory.h"
#include "service/service.h"
#include "test/receivers/otlp/http_client.h"
#include "test/service/telemetry/http_get.h"
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
  try {
    Decode(yaml, component_status_gate);
  } catch (const config::Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("health_check config: otelcol's defaults and checks") {
  Config c = Decode("{}");
  CHECK(c.endpoint == "localhost:13133");
  CHECK(c.path == "/");
  CHECK(c.healthy_body.empty());

  c = Decode(
      "endpoint: 0.0.0.0:1234\npath: /health/status\nresponse_body:\n  healthy: up\n  unhealthy: down\n"
      "check_collector_pipeline:\n  enabled: false\n  interval: 5m\n  exporter_failure_threshold: 5\n");
  CHECK(c.endpoint == "0.0.0.0:1234");
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
  CHECK_FALSE(Decode("tls: {enabled: false}\n").tls.has_value());
  c = Decode("tls: {cert_file: /c.pem, key_file: /k.pem, client_ca_file: /ca.pem, min_version: \"1.3\"}\n");
  REQUIRE(c.tls.has_value());
  CHECK(c.tls->client_ca_file == "/ca.pem");
  CHECK(c.tls->min_version == "1.3");
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
  c.endpoint = "127.0.0.1:0";
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
  c.endpoint = "127.0.0.1:0";
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
  c.endpoint = "127.0.0.1:0";
  HealthCheckExtension first("health_check", c);
  REQUIRE(first.Start().ok());
  c.endpoint = "127.0.0.1:" + std::to_string(first.port());
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
