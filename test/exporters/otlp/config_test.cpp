#include "exporters/otlp/config.h"

#include <catch2/catch.hpp>

#include "config/error.h"
#include "config/loader.h"
#include "exporters/otlp/factory.h"
#include "test/support/config_error.h"

using namespace otlpd;
using namespace std::chrono_literals;
using Catch::Contains;
using exporters::otlp::Compression;
using exporters::otlp::Config;

namespace {

Config Decode(const std::string& yaml) {
  config::Node node = config::ParseYaml(yaml, "t.yaml");
  config::MapDecoder d(node, "exporters.otlp/backend");
  return Config::Decode(d);
}

std::string Error(const std::string& yaml) {
  return test::ConfigError([&] { Decode(yaml); });
}

}  // namespace

TEST_CASE("otlp exporter config has otelcol's defaults") {
  Config c = Decode("endpoint: collector:4317");
  CHECK(c.target == "dns:///collector:4317");
  CHECK(c.use_tls);  // TLS is on unless asked otherwise
  CHECK(c.compression == Compression::kGzip);
  CHECK(c.balancer_name == "round_robin");
  CHECK_FALSE(c.wait_for_ready);
  CHECK_FALSE(c.keepalive.has_value());
  CHECK(c.headers.empty());
  CHECK(c.write_buffer_size == 524288);
  CHECK(c.helper.timeout == 5s);
  CHECK(c.helper.sending_queue.num_consumers == 10);
  CHECK(c.helper.retry_on_failure.max_elapsed_time == 300s);
  CHECK(c.path == "exporters.otlp/backend");
}

TEST_CASE("otlp exporter endpoint schemes decide the target and TLS") {
  CHECK(Decode("endpoint: http://collector:4317").target == "dns:///collector:4317");
  CHECK_FALSE(Decode("endpoint: http://collector:4317").use_tls);
  CHECK(Decode("endpoint: https://collector:4317").use_tls);
  // https:// forces TLS even with insecure; http:// forces plaintext without it.
  CHECK(Decode("endpoint: https://collector:4317\ntls: {insecure: true}").use_tls);
  CHECK_FALSE(Decode("endpoint: collector:4317\ntls: {insecure: true}").use_tls);
  CHECK(Decode("endpoint: dns:///collector:4317").target == "dns:///collector:4317");
  CHECK(Decode("endpoint: dns://collector:4317").target == "dns:///collector:4317");
  CHECK(Decode("endpoint: '[::1]:4317'").target == "dns:///[::1]:4317");
  CHECK(Decode("endpoint: unix:///run/otel.sock").target == "unix:///run/otel.sock");
  // configgrpc's checks: unix:// needs a path; unix: without slashes is host "unix" with a bad port.
  CHECK(Error("endpoint: unix://") ==
        "t.yaml:1:11: exporters.otlp/backend.endpoint: unix socket path cannot be empty");
  CHECK_THAT(Error("endpoint: unix:/run/otel.sock"), Contains("invalid port"));
}

TEST_CASE("otlp exporter: a typo of endpoint is named as the unknown key, not as endpoint missing") {
  CHECK(Error("endpiont: backend:4317") == "t.yaml:1:1: exporters.otlp/backend: has invalid keys: endpiont");
  CHECK(Error("compression: none") == "t.yaml:1:1: exporters.otlp/backend.endpoint: is required");
}

TEST_CASE("otlp exporter config reads every key") {
  Config c = Decode(R"(
endpoint: backend:4317
tls:
  insecure: false
  ca_file: /etc/ca.pem
  cert_file: /etc/cert.pem
  key_file: /etc/key.pem
  insecure_skip_verify: true
  server_name_override: backend.example
  min_version: "1.2"
headers:
  X-Tenant: acme
  authorization: Bearer t
compression: none
keepalive:
  time: 30s
  permit_without_stream: true
balancer_name: pick_first
wait_for_ready: true
read_buffer_size: 1024
write_buffer_size: 2048
authority: backend.example
user_agent: my-agent
timeout: 1s
retry_on_failure: {initial_interval: 1s}
sending_queue: {queue_size: 10}
)");
  CHECK(c.tls.ca_file == "/etc/ca.pem");
  CHECK(c.tls.cert_file == "/etc/cert.pem");
  CHECK(c.tls.key_file == "/etc/key.pem");
  CHECK(c.tls.insecure_skip_verify);
  CHECK(c.tls.server_name_override == "backend.example");
  CHECK(c.headers.at("x-tenant") == "acme");  // gRPC metadata keys are lower-case
  CHECK(c.headers.at("authorization") == "Bearer t");
  CHECK(c.compression == Compression::kNone);
  REQUIRE(c.keepalive.has_value());
  CHECK(c.keepalive->time == 30s);
  CHECK(c.keepalive->timeout == 10s);
  CHECK(c.keepalive->permit_without_stream);
  CHECK(c.balancer_name == "pick_first");
  CHECK(c.wait_for_ready);
  CHECK(c.read_buffer_size == 1024);
  CHECK(c.write_buffer_size == 2048);
  CHECK(c.authority == "backend.example");
  CHECK(c.user_agent == "my-agent");
  CHECK(c.helper.timeout == 1s);
  CHECK(c.helper.retry_on_failure.initial_interval == 1s);
  CHECK(c.helper.sending_queue.queue_size == 10);
  CHECK(Decode("endpoint: a:1\ncompression: \"\"").compression == Compression::kNone);
  CHECK(Decode("endpoint: a:1\nkeepalive:").keepalive->time == 10s);
}

TEST_CASE("otlp exporter config errors name the key path") {
  CHECK_THAT(Error("compression: gzip"), Contains("exporters.otlp/backend.endpoint: is required"));
  CHECK_THAT(Error("endpoint: ''"),
             Contains("exporters.otlp/backend.endpoint: requires a non-empty endpoint"));
  CHECK_THAT(Error("endpoint: collector"),
             Contains("exporters.otlp/backend.endpoint: missing port in address"));
  CHECK_THAT(Error("endpoint: collector:http"), Contains("exporters.otlp/backend.endpoint: invalid port"));
  CHECK_THAT(Error("endpoint: collector:99999"), Contains("invalid port"));
  CHECK_THAT(Error("endpoint: a:1\ncompression: zstd"),
             Contains("exporters.otlp/backend.compression: zstd is not supported by gRPC C++ 1.51"));
  CHECK_THAT(Error("endpoint: a:1\ncompression: snappy"), Contains("snappy is not supported"));
  CHECK_THAT(Error("endpoint: a:1\ncompression: deflate"),
             Contains("unsupported compression type \"deflate\""));
  CHECK_THAT(Error("endpoint: a:1\nauth: {authenticator: oauth2client}"),
             Contains("exporters.otlp/backend.auth: authenticator extensions are not supported yet"));
  CHECK_THAT(Error("endpoint: a:1\nbalancer_name: least_request"),
             Contains("exporters.otlp/backend.balancer_name: must be round_robin or pick_first"));
  CHECK_THAT(Error("endpoint: a:1\ntls: {min_version: \"1.3\"}"),
             Contains("exporters.otlp/backend.tls.min_version: \"1.3\" is not supported"));
  // As the receiver's gRPC side: a minimum below the 1.2 gRPC always asks for is met.
  CHECK(Decode("endpoint: a:1\ntls: {min_version: \"1.1\"}").tls.min_version == "1.1");
  CHECK_THAT(Error("endpoint: a:1\ntls: {cert_file: c.pem}"),
             Contains("exporters.otlp/backend.tls.cert_file: a client certificate needs both"));
  CHECK_THAT(Error("endpoint: a:1\ntls: {ca_file: a.pem, ca_pem: x}"),
             Contains("exporters.otlp/backend.tls.ca_pem: set either ca_file or ca_pem"));
  CHECK_THAT(Error("endpoint: a:1\ntls: {verify: false}"),
             Contains("exporters.otlp/backend.tls: has invalid keys: verify"));
  CHECK_THAT(Error("endpoint: a:1\nheaders: {\"bad key\": v}"),
             Contains("exporters.otlp/backend.headers: \"bad key\" is not a valid gRPC metadata key"));
  CHECK_THAT(Error("endpoint: a:1\nkeepalive: {time: -1s}"),
             Contains("exporters.otlp/backend.keepalive.time: must be non-negative"));
  CHECK_THAT(Error("endpoint: a:1\nkeepalive: {interval: 1s}"),
             Contains("exporters.otlp/backend.keepalive: has invalid keys: interval"));
  CHECK_THAT(Error("endpoint: a:1\nsending_queue: {queue_size: -1}"),
             Contains("exporters.otlp/backend.sending_queue.queue_size: must be positive"));
  CHECK_THAT(Error("endpoint: a:1\nsending_queue: {storage: \"a b\"}"),
             Contains("exporters.otlp/backend.sending_queue.storage: is not a component id"));
  CHECK_THAT(Error("endpoint: a:1\nendpoints: [b:1]"),
             Contains("exporters.otlp/backend: has invalid keys: endpoints"));
}

TEST_CASE("the otlp exporter's factories are otlp and otlp_grpc") {
  CHECK(exporters::otlp::OtlpExporterFactory().type == "otlp");
  CHECK(exporters::otlp::OtlpGrpcExporterFactory().type == "otlp_grpc");
  for (const ExporterFactory& factory :
       {exporters::otlp::OtlpExporterFactory(), exporters::otlp::OtlpGrpcExporterFactory()}) {
    const ExporterFactory* f = &factory;
    const std::string_view type = f->type;
    CHECK(f->signals.size() == 4);  // profiles too
    config::Node node = config::ParseYaml("endpoint: localhost:4317\ntls: {insecure: true}", "t.yaml");
    CreateContext ctx{config::ComponentId{std::string(type), ""}, "exporters." + std::string(type), nullptr};
    auto exporter = f->create(ctx, node);
    REQUIRE(exporter != nullptr);
  }
}

TEST_CASE("the otlp exporter's sending_queue.storage must name an enabled storage extension") {
  config::Node node = config::ParseYaml("endpoint: a:1\nsending_queue:\n  storage: file_storage\n", "t.yaml");
  CreateContext ctx{config::ComponentId{"otlp", "backend"}, "exporters.otlp/backend", nullptr};
  try {
    exporters::otlp::OtlpExporterFactory().create(ctx, node);
    FAIL("no error");
  } catch (const config::Error& e) {
    CHECK_THAT(e.what(), Contains("t.yaml:3:12") &&
                             Contains("exporters.otlp/backend.sending_queue.storage") &&
                             Contains("\"file_storage\" which is not configured or not enabled"));
  }
}
