#include "exporters/otlphttp/config.h"

#include <catch2/catch.hpp>

#include "config/error.h"
#include "config/loader.h"
#include "exporters/otlphttp/factory.h"
#include "test/support/config_error.h"

using namespace otlpd;
using namespace std::chrono_literals;
using Catch::Contains;
using config::compression::Compression;
using exporters::otlphttp::Config;
using exporters::otlphttp::Encoding;
using exporters::otlphttp::Url;

namespace {

Config Decode(const std::string& yaml) {
  config::Node node = config::ParseYaml(yaml, "t.yaml");
  config::MapDecoder d(node, "exporters.otlphttp/backend");
  return Config::Decode(d);
}

std::string Error(const std::string& yaml) {
  return test::ConfigError([&] { Decode(yaml); });
}

std::string UrlOf(const Config& c, Signal s) {
  const auto& u = c.urls[SignalIndex(s)];
  return u ? u->text : "(none)";
}

}  // namespace

TEST_CASE("otlphttp exporter config has otelcol's defaults") {
  Config c = Decode("endpoint: https://collector:4318");
  CHECK(UrlOf(c, Signal::kTraces) == "https://collector:4318/v1/traces");
  CHECK(UrlOf(c, Signal::kMetrics) == "https://collector:4318/v1/metrics");
  CHECK(UrlOf(c, Signal::kLogs) == "https://collector:4318/v1/logs");
  CHECK(c.encoding == Encoding::kProto);
  CHECK(c.compression == Compression::kGzip);
  CHECK(c.compression_level == 0);
  CHECK(c.headers.empty());
  CHECK(c.timeout == 30s);
  // otelcol's otlp_http leaves the per-attempt timeout to its HTTP client.
  CHECK(c.helper.timeout == 0s);
  CHECK(c.read_buffer_size == 0);
  CHECK(c.write_buffer_size == 524288);
  CHECK(c.max_idle_conns == 100);
  CHECK(c.max_idle_conns_per_host == 0);
  CHECK(c.max_conns_per_host == 0);
  CHECK(c.idle_conn_timeout == 90s);
  CHECK_FALSE(c.disable_keep_alives);
  CHECK_FALSE(c.proxy.has_value());
  CHECK_FALSE(c.tls.insecure_skip_verify);
  CHECK(c.tls.min_version == "1.2");
  CHECK(c.helper.sending_queue.enabled);
  CHECK(c.helper.sending_queue.num_consumers == 10);
  CHECK(c.helper.sending_queue.queue_size == 1000);
  CHECK(c.helper.retry_on_failure.enabled);
  CHECK(c.helper.retry_on_failure.initial_interval == 5s);
  CHECK(c.helper.retry_on_failure.max_elapsed_time == 300s);
  CHECK(c.path == "exporters.otlphttp/backend");
}

TEST_CASE("otlphttp signal URLs follow otelcol's composeSignalURL") {
  // One slash between the base and v1/<signal>, whatever the base ends with.
  CHECK(UrlOf(Decode("endpoint: http://h:4318/"), Signal::kTraces) == "http://h:4318/v1/traces");
  CHECK(UrlOf(Decode("endpoint: http://h:4318/otlp"), Signal::kLogs) == "http://h:4318/otlp/v1/logs");
  CHECK(UrlOf(Decode("endpoint: http://h:4318/otlp/"), Signal::kMetrics) == "http://h:4318/otlp/v1/metrics");
  // A signal's own key is used verbatim and wins over endpoint.
  Config c = Decode("endpoint: http://h:4318\ntraces_endpoint: https://t.example/api/spans\n");
  CHECK(UrlOf(c, Signal::kTraces) == "https://t.example/api/spans");
  CHECK(UrlOf(c, Signal::kMetrics) == "http://h:4318/v1/metrics");
  // Without endpoint, only the signals given their own key have a URL.
  Config only = Decode("logs_endpoint: http://l:9000/ingest\n");
  CHECK(UrlOf(only, Signal::kLogs) == "http://l:9000/ingest");
  CHECK(UrlOf(only, Signal::kTraces) == "(none)");
  CHECK(UrlOf(only, Signal::kMetrics) == "(none)");
}

TEST_CASE("otlphttp URLs are split for the request") {
  std::string why;
  auto u = Url::Parse("https://collector.example/base?x=1", &why);
  REQUIRE(u);
  CHECK(u->https);
  CHECK(u->host == "collector.example");
  CHECK(u->port == "443");
  CHECK(u->default_port);
  CHECK(u->target == "/base?x=1");
  CHECK(u->Authority() == "collector.example");
  auto v6 = Url::Parse("http://[::1]:4318", &why);
  REQUIRE(v6);
  CHECK(v6->host == "::1");
  CHECK(v6->target == "/");
  CHECK(v6->Authority() == "[::1]:4318");
  auto user = Url::Parse("http://alice:s%3Acret@proxy:3128", &why);
  REQUIRE(user);
  CHECK(user->userinfo == "alice:s:cret");
  CHECK(user->display == "http://alice:xxxxx@proxy:3128");  // never a password in logs
  CHECK(Url::Parse("https://t0ken@h/p", &why)->display == "https://xxxxx@h/p");
  CHECK(Url::Parse("https://h/p", &why)->display == "https://h/p");
  CHECK(user->host == "proxy");
  CHECK(Url::Parse("HTTP://h", &why)->port == "80");
  CHECK_FALSE(Url::Parse("collector:4318", &why));
  CHECK_THAT(why, Contains("no scheme"));
  CHECK_FALSE(Url::Parse("grpc://h:1", &why));
  CHECK_FALSE(Url::Parse("http://:80/x", &why));
  CHECK_FALSE(Url::Parse("http://h:99999", &why));
  CHECK_FALSE(Url::Parse("http://h:x", &why));
  CHECK_FALSE(Url::Parse("http://::1:80", &why));
  CHECK_FALSE(Url::Parse("http://h/a b", &why));
}

TEST_CASE("otlphttp exporter config reads every key") {
  Config c = Decode(R"(
endpoint: http://backend:4318
traces_endpoint: http://backend:4318/t
metrics_endpoint: http://backend:4318/m
logs_endpoint: http://backend:4318/l
profiles_endpoint: http://backend:4318/p
encoding: json
compression: zstd
compression_params:
  level: 6
headers:
  X-Tenant: acme
  Authorization: Bearer t
timeout: 7s
tls:
  insecure: false
  ca_file: /etc/ca.pem
  cert_file: /etc/cert.pem
  key_file: /etc/key.pem
  insecure_skip_verify: true
  server_name_override: backend.example
  min_version: "1.3"
  max_version: "1.3"
  include_system_ca_certs_pool: true
proxy_url: http://user:pw@proxy:3128
read_buffer_size: 4096
write_buffer_size: 8192
max_conns_per_host: 5
keepalive:
  enabled: false
  max_idle_conns: 7
  max_idle_conns_per_host: 3
  idle_conn_timeout: 10s
force_attempt_http2: false
http2_read_idle_timeout: 10s
http2_ping_timeout: 5s
cookies:
  enabled: false
auth:
middlewares: []
retry_on_failure: {initial_interval: 1s}
sending_queue: {queue_size: 10, num_consumers: 2}
)");
  CHECK(UrlOf(c, Signal::kTraces) == "http://backend:4318/t");
  CHECK(UrlOf(c, Signal::kMetrics) == "http://backend:4318/m");
  CHECK(UrlOf(c, Signal::kLogs) == "http://backend:4318/l");
  CHECK(c.encoding == Encoding::kJson);
  CHECK(c.compression == Compression::kZstd);
  CHECK(c.compression_level == 6);
  CHECK(c.headers.at("X-Tenant") == "acme");  // sent as given
  CHECK(c.headers.at("Authorization") == "Bearer t");
  CHECK(c.timeout == 7s);
  CHECK(c.helper.timeout == 0s);
  CHECK(c.tls.ca_file == "/etc/ca.pem");
  CHECK(c.tls.cert_file == "/etc/cert.pem");
  CHECK(c.tls.key_file == "/etc/key.pem");
  CHECK(c.tls.insecure_skip_verify);
  CHECK(c.tls.server_name_override == "backend.example");
  CHECK(c.tls.min_version == "1.3");
  CHECK(c.tls.max_version == "1.3");
  CHECK(c.tls.include_system_ca_certs_pool);
  REQUIRE(c.proxy.has_value());
  CHECK(c.proxy->host == "proxy");
  CHECK(c.proxy->port == "3128");
  CHECK(c.proxy->userinfo == "user:pw");
  CHECK(c.read_buffer_size == 4096);
  CHECK(c.write_buffer_size == 8192);
  CHECK(c.max_idle_conns == 7);
  CHECK(c.max_idle_conns_per_host == 3);
  CHECK(c.max_conns_per_host == 5);
  CHECK(c.idle_conn_timeout == 10s);
  CHECK(c.disable_keep_alives);
  CHECK(c.helper.retry_on_failure.initial_interval == 1s);
  CHECK(c.helper.sending_queue.queue_size == 10);
  CHECK(c.helper.sending_queue.num_consumers == 2);
}

TEST_CASE("otlphttp exporter config takes every otelcol compression") {
  const std::vector<std::pair<std::string, Compression>> names = {
      {"gzip", Compression::kGzip},       {"zlib", Compression::kZlib},
      {"deflate", Compression::kDeflate}, {"zstd", Compression::kZstd},
      {"snappy", Compression::kSnappy},   {"x-snappy-framed", Compression::kSnappyFramed},
      {"lz4", Compression::kLz4},         {"none", Compression::kNone},
      {"\"\"", Compression::kNone}};
  for (const auto& [name, want] : names) {
    CAPTURE(name);
    CHECK(Decode("endpoint: http://h\ncompression: " + name).compression == want);
  }
  CHECK(Decode("endpoint: http://h\ncompression_params: {level: -1}").compression_level == -1);
  CHECK(Decode("endpoint: http://h\ncompression: zlib\ncompression_params: {level: 9}").compression_level ==
        9);
  CHECK(Decode("endpoint: http://h\ncompression: zstd\ncompression_params: {level: 22}").compression_level ==
        22);
}

TEST_CASE("otlphttp exporter config errors name the key path") {
  const std::string p = "exporters.otlphttp/backend";
  CHECK_THAT(Error("compression: gzip"), Contains(p + ".endpoint: at least one endpoint must be specified"));
  CHECK_THAT(Error("endpoint: collector:4318"),
             Contains(p + ".endpoint: must be a valid http:// or https:// URL: it has no scheme"));
  CHECK_THAT(Error("traces_endpoint: ftp://x/y"), Contains(p + ".traces_endpoint: must be a valid"));
  CHECK_THAT(Error("endpoint: http://h\nmetrics_endpoint: 'http://h:0/'"), Contains(p + ".metrics_endpoint"));
  CHECK_THAT(Error("endpoint: http://h\nencoding: protobuf"),
             Contains(p + ".encoding: invalid encoding type \"protobuf\""));
  CHECK_THAT(Error("endpoint: http://h\ncompression: brotli"),
             Contains(p + ".compression: unsupported compression type \"brotli\""));
  CHECK_THAT(Error("endpoint: http://h\ncompression_params: {level: 10}"),
             Contains(p + ".compression_params.level: unsupported level 10 for compression \"gzip\""));
  CHECK_THAT(Error("endpoint: http://h\ncompression: snappy\ncompression_params: {level: 1}"),
             Contains(p + ".compression_params.level: unsupported level 1"));
  CHECK_THAT(Error("endpoint: http://h\ncompression_params: {lvl: 1}"),
             Contains(p + ".compression_params: has invalid keys: lvl"));
  CHECK_THAT(Error("endpoint: http://h\nheaders: {\"bad key\": v}"),
             Contains(p + ".headers: \"bad key\" is not a valid HTTP header name"));
  CHECK_THAT(Error("endpoint: http://h\nheaders: {X-A: \"a\\nb\"}"), Contains("holds a line break"));
  CHECK_THAT(Error("endpoint: http://h\nheaders: {content-encoding: gzip}"),
             Contains("use the compression key"));
  CHECK_THAT(Error("endpoint: http://h\nheaders: {Content-Length: \"5\"}"), Contains("set by the exporter"));
  CHECK_THAT(Error("endpoint: http://h\nheaders: {X-Count: 5}"), Contains("got unconvertible type 'int'"));
  CHECK_THAT(Error("endpoint: http://h\ntimeout: -1s"), Contains(p + ".timeout: must be non-negative"));
  CHECK_THAT(Error("endpoint: http://h\ntls: {verify: false}"),
             Contains(p + ".tls: has invalid keys: verify"));
  CHECK_THAT(Error("endpoint: http://h\ntls: {cert_file: c.pem}"),
             Contains(p + ".tls.cert_file: a client certificate needs both"));
  CHECK_THAT(Error("endpoint: http://h\ntls: {min_version: \"1.4\"}"),
             Contains(p + ".tls.min_version: must be one"));
  CHECK_THAT(Error("endpoint: http://h\ntls: {reload_interval: 1m}"), Contains(p + ".tls.reload_interval"));
  CHECK_THAT(Error("endpoint: http://h\nproxy_url: proxy:3128"), Contains(p + ".proxy_url: must be a valid"));
  CHECK_THAT(Error("endpoint: http://h\nproxy_url: https://proxy:3128"),
             Contains(p + ".proxy_url: https:// proxies are not supported yet"));
  CHECK_THAT(Error("endpoint: http://h\nmax_conns_per_host: -1"),
             Contains(p + ".max_conns_per_host: must not be negative"));
  CHECK_THAT(Error("endpoint: http://h\nkeepalive: {idle_conn_timeout: -1s}"),
             Contains(p + ".keepalive.idle_conn_timeout"));
  // confighttp v1.71 moved these into keepalive; otelcol v0.165 refuses them.
  CHECK_THAT(Error("endpoint: http://h\nidle_conn_timeout: 10s"),
             Contains(p + ".idle_conn_timeout: use keepalive.idle_conn_timeout"));
  CHECK_THAT(Error("endpoint: http://h\nmax_idle_conns: 5"), Contains(p + ".max_idle_conns: use keepalive"));
  CHECK_THAT(Error("endpoint: http://h\ndisable_keep_alives: true"),
             Contains(p + ".disable_keep_alives: use keepalive: {enabled: false}"));
  CHECK_THAT(Error("endpoint: http://h\nread_buffer_size: -1"), Contains(p + ".read_buffer_size"));
  CHECK_THAT(Error("endpoint: http://h\ncookies: {enabled: true}"),
             Contains(p + ".cookies.enabled: cookies are not supported yet"));
  CHECK_THAT(Error("endpoint: http://h\nauth: {authenticator: oauth2client}"),
             Contains(p + ".auth: authenticator extensions are not supported yet"));
  CHECK_THAT(Error("endpoint: http://h\nmiddlewares: [{id: m}]"), Contains(p + ".middlewares"));
  CHECK_THAT(Error("endpoint: http://h\nsending_queue: {queue_size: 0}"),
             Contains(p + ".sending_queue.queue_size: must be positive"));
  CHECK_THAT(Error("endpoint: http://h\nretry_on_failure: {multiplier: -1}"),
             Contains(p + ".retry_on_failure.multiplier"));
  CHECK_THAT(Error("endpoint: http://h\nendpoints: [x]"), Contains(p + ": has invalid keys: endpoints"));
  // Errors point at the file position of the value.
  CHECK_THAT(Error("endpoint: http://h\nencoding: xml"), Contains("t.yaml:2:11"));
}

TEST_CASE("the otlphttp exporter's factories are otlphttp and otlp_http") {
  CHECK(exporters::otlphttp::OtlpHttpExporterFactory().type == "otlphttp");
  CHECK(exporters::otlphttp::OtlpUnderscoreHttpExporterFactory().type == "otlp_http");
  for (const ExporterFactory& f : {exporters::otlphttp::OtlpHttpExporterFactory(),
                                   exporters::otlphttp::OtlpUnderscoreHttpExporterFactory()}) {
    CHECK(f.signals.size() == 4);  // profiles too
    config::Node node = config::ParseYaml("endpoint: http://localhost:4318", "t.yaml");
    CreateContext ctx{config::ComponentId{std::string(f.type), ""}, "exporters." + std::string(f.type),
                      nullptr};
    CHECK(f.create(ctx, node) != nullptr);
    // A sending_queue.storage that names no extension is a located config error.
    config::Node storage = config::ParseYaml(
        "endpoint: http://localhost:4318\nsending_queue: {storage: file_storage}", "t.yaml");
    CHECK_THROWS_AS(f.create(ctx, storage), config::Error);

    // Used by a signal it has no URL for: refused at start with the key to set.
    config::Node traces_only =
        config::ParseYaml("traces_endpoint: http://localhost:4318/v1/traces", "t.yaml");
    ctx.signals = {Signal::kTraces};
    CHECK(f.create(ctx, traces_only) != nullptr);
    ctx.signals = {Signal::kTraces, Signal::kMetrics};
    try {
      f.create(ctx, traces_only);
      FAIL("a metrics pipeline without a metrics URL was accepted");
    } catch (const config::Error& e) {
      CHECK_THAT(e.what(), Contains("exporters." + std::string(f.type) + ".metrics_endpoint"));
      CHECK_THAT(e.what(), Contains("used in a metrics pipeline"));
      CHECK_THAT(e.what(), Contains("t.yaml:1:1"));
    }
    ctx.signals = {};
  }
}
