#include "exporters/loadbalancing/config.h"

#include <catch2/catch.hpp>

#include "component/telemetry.h"
#include "config/error.h"
#include "config/loader.h"
#include "exporters/loadbalancing/factory.h"
#include "test/support/config_error.h"

using namespace otlpd;
using namespace std::chrono_literals;
using Catch::Contains;
using exporters::loadbalancing::Config;
using exporters::loadbalancing::RoutingKey;

namespace {

Config Decode(const std::string& yaml) {
  config::Node node = config::ParseYaml(yaml, "t.yaml");
  config::MapDecoder d(node, "exporters.loadbalancing");
  return Config::Decode(d);
}

std::string Error(const std::string& yaml) {
  return test::ConfigError([&] { Decode(yaml); });
}

// The whole factory, as the service calls it for pipelines of `signals`.
std::string CreateError(const std::string& yaml, std::vector<Signal> signals) {
  Telemetry telemetry;
  CreateContext ctx;
  ctx.id = *config::ComponentId::Parse("loadbalancing", nullptr);
  ctx.path = "exporters.loadbalancing";
  ctx.telemetry = &telemetry;
  ctx.signals = std::move(signals);
  bool created = false;
  std::string error = test::ConfigError([&] {
    config::Node node = config::ParseYaml(yaml, "t.yaml");
    created = exporters::loadbalancing::LoadbalancingExporterFactory().create(ctx, node) != nullptr;
  });
  return error.empty() && !created ? "null" : error;
}

const std::string kStatic = "resolver:\n  static:\n    hostnames: [a:4317, b:4317]\n";

}  // namespace

TEST_CASE("loadbalancing config: contrib's defaults") {
  Config c = Decode(kStatic);
  CHECK(c.routing_key == RoutingKey::kDefault);
  REQUIRE(c.static_resolver);
  CHECK(c.static_resolver->hostnames == std::vector<std::string>{"a:4317", "b:4317"});
  CHECK_FALSE(c.dns_resolver);
  // protocol.otlp: the otlp exporter's defaults, placeholder endpoint.
  CHECK(c.otlp.endpoint == "placeholder:4317");
  CHECK(c.otlp.compression == exporters::otlp::Compression::kGzip);
  CHECK(c.otlp.helper.sending_queue.enabled);
  CHECK(c.otlp.helper.retry_on_failure.enabled);
  CHECK(c.otlp.helper.timeout == 5s);
  // Load balancer level: no timeout, no retries, no queue.
  CHECK(c.helper.timeout == 0ns);
  CHECK_FALSE(c.helper.retry_on_failure.enabled);
  CHECK_FALSE(c.helper.sending_queue.enabled);
}

TEST_CASE("loadbalancing config: the queue is on as soon as sending_queue is written") {
  Config c = Decode(kStatic + "sending_queue:\n  num_consumers: 2\n");
  CHECK(c.helper.sending_queue.enabled);
  CHECK(c.helper.sending_queue.num_consumers == 2);
  CHECK(c.helper.sending_queue.queue_size == 1000);
  CHECK_FALSE(Decode(kStatic + "sending_queue:\n  enabled: false\n").helper.sending_queue.enabled);
  Config t = Decode(kStatic +
                    "timeout: 3s\nretry_on_failure:\n  enabled: true\n  initial_interval: 1s\n"
                    "  max_interval: 2s\n  max_elapsed_time: 10s\n  multiplier: 2\n");
  CHECK(t.helper.timeout == 3s);
  CHECK(t.helper.retry_on_failure.enabled);
}

TEST_CASE("loadbalancing config: protocol.otlp is the otlp exporter's config") {
  Config c =
      Decode(kStatic +
             "protocol:\n  otlp:\n    timeout: 1s\n    tls:\n      insecure: true\n    compression: none\n"
             "    headers:\n      X-Tenant: a\n    sending_queue:\n      enabled: false\n");
  CHECK(c.otlp.helper.timeout == 1s);
  CHECK(c.otlp.tls.insecure);
  CHECK(c.otlp.compression == exporters::otlp::Compression::kNone);
  CHECK(c.otlp.headers.at("x-tenant") == "a");
  CHECK_FALSE(c.otlp.helper.sending_queue.enabled);
  auto b = c.BackendConfig("10.0.0.1:4317");
  CHECK(b.endpoint == "10.0.0.1:4317");
  CHECK(b.target == "dns:///10.0.0.1:4317");
  CHECK_FALSE(b.use_tls);
  CHECK(b.helper.timeout == 1s);
  CHECK_THAT(Error(kStatic + "protocol:\n  otlp:\n    compresion: gzip\n"),
             Contains("exporters.loadbalancing.protocol.otlp") && Contains("compresion"));
  CHECK_THAT(Error(kStatic + "protocol:\n  otlphttp: {}\n"), Contains("otlphttp"));
}

TEST_CASE("loadbalancing config: endpointWithPort") {
  using exporters::loadbalancing::EndpointWithPort;
  CHECK(EndpointWithPort("10.0.0.1") == "10.0.0.1:4317");
  CHECK(EndpointWithPort("backend:1234") == "backend:1234");
  CHECK(EndpointWithPort("[::1]:55690") == "[::1]:55690");
}

TEST_CASE("loadbalancing config: routing_key and routing_attributes, contrib's messages") {
  CHECK(Decode(kStatic + "routing_key: service\n").routing_key == RoutingKey::kService);
  CHECK(Decode(kStatic + "routing_key: streamID\n").routing_key == RoutingKey::kStreamId);
  CHECK_THAT(Error(kStatic + "routing_key: attributes\n"),
             Contains("routing_attributes must be specified when routing_key is \"attributes\""));
  CHECK_THAT(
      Error(kStatic + "routing_key: service\nrouting_attributes: [a]\n"),
      Contains("routing_attributes can only be used when routing_key is \"attributes\"; got \"service\". "
               "Remove routing_attributes or set routing_key to \"attributes\""));
  CHECK(Decode(kStatic + "routing_key: attributes\nrouting_attributes: [a, b]\n").routing_attributes.size() ==
        2);
}

TEST_CASE("loadbalancing config: resolvers, contrib's messages") {
  CHECK_THAT(Error("routing_key: service\n"), Contains("no resolvers specified for the exporter"));
  CHECK_THAT(Error("resolver: {}\n"), Contains("no resolvers specified for the exporter"));
  CHECK_THAT(Error("resolver:\n  static:\n"), Contains("no resolvers specified for the exporter"));
  CHECK_THAT(Error("resolver:\n  static: {}\n"), Contains("no endpoints specified for the static resolver"));
  CHECK_THAT(Error("resolver:\n  static:\n    hostnames: [a]\n  dns:\n    hostname: b\n"),
             Contains("only one resolver should be specified"));
  CHECK_THAT(Error("resolver:\n  dns:\n    port: \"4317\"\n"),
             Contains("no hostname specified to resolve the backends"));
  CHECK_THAT(Error("resolver:\n  k8s:\n    ports: [4317]\n"),
             Contains("no service specified to resolve the backends"));
  CHECK(Error("resolver:\n  k8s:\n    service: gw.observability\n    ports: [4317]\n") == "");
  CHECK_THAT(Error("resolver:\n  aws_cloud_map:\n    namespace: n\n"), Contains("aws_cloud_map"));
  CHECK_THAT(Error("resolver:\n  static:\n    hostnames: [a]\n    extra: 1\n"), Contains("extra"));
  // A resolver turned off is as if absent.
  CHECK_THAT(Error("resolver:\n  static:\n    enabled: false\n    hostnames: [a]\n"),
             Contains("no resolvers specified for the exporter"));
}

TEST_CASE("loadbalancing config: dns resolver defaults") {
  Config c = Decode("resolver:\n  dns:\n    hostname: gateway.svc\n");
  REQUIRE(c.dns_resolver);
  CHECK(c.dns_resolver->hostname == "gateway.svc");
  CHECK(c.dns_resolver->port.empty());
  CHECK(c.dns_resolver->interval == 5s);
  CHECK(c.dns_resolver->timeout == 1s);
  Config p = Decode(
      "resolver:\n  dns:\n    hostname: g\n    port: \"55690\"\n    interval: 0s\n    timeout: 250ms\n");
  CHECK(p.dns_resolver->port == "55690");
  CHECK(p.dns_resolver->interval == 5s);  // zero means the default, as in contrib
  CHECK(p.dns_resolver->timeout == 250ms);
}

TEST_CASE("loadbalancing factory: routing_key per signal, contrib's messages") {
  CHECK(CreateError(kStatic, {Signal::kTraces, Signal::kLogs, Signal::kMetrics}) == "");
  CHECK(CreateError(kStatic + "routing_key: traceID\n", {Signal::kTraces, Signal::kLogs}) == "");
  CHECK_THAT(
      CreateError(kStatic + "routing_key: traceID\n", {Signal::kMetrics}),
      Contains("cannot configure loadbalancing metrics exporter: unsupported routing_key: \"traceID\""));
  CHECK_THAT(CreateError(kStatic + "routing_key: metric\n", {Signal::kTraces}),
             Contains("cannot configure loadbalancing traces exporter: unsupported routing_key: metric"));
  CHECK_THAT(CreateError(kStatic + "routing_key: streamID\n", {Signal::kLogs}),
             Contains("cannot configure loadbalancing logs exporter: unsupported routing_key: \"streamID\""));
  CHECK_THAT(CreateError(kStatic + "routing_key: nope\n", {Signal::kTraces}),
             Contains("unsupported routing_key: nope"));
  CHECK(CreateError(kStatic + "routing_key: streamID\n", {Signal::kMetrics}) == "");
  CHECK(CreateError(kStatic + "routing_key: resource\n", {Signal::kMetrics, Signal::kLogs}) == "");
  CHECK(CreateError(kStatic + "routing_key: attributes\nrouting_attributes: [a]\n",
                    {Signal::kTraces, Signal::kMetrics, Signal::kLogs}) == "");
}
