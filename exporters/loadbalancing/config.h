#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/decoder.h"
#include "exporters/exporterhelper/config.h"
#include "exporters/otlp/config.h"
#include "internal/signal.h"

namespace otlpd::exporters::loadbalancing {

// `routing_key`: what a request is split by before each part is hashed onto
// the ring. kDefault ("") means traceID for traces, service for logs and metrics.
enum class RoutingKey { kDefault, kTraceId, kService, kResource, kMetric, kStreamId, kAttributes };

// `resolver.static`: a fixed list of backends, used as written.
struct StaticResolverConfig {
  std::vector<std::string> hostnames;
};

// `resolver.dns`: the A/AAAA records of `hostname`, re-resolved every `interval`.
struct DnsResolverConfig {
  std::string hostname;
  std::string port;  // empty: backends are bare IPs (the exporter still dials :4317)
  std::chrono::nanoseconds interval = std::chrono::seconds(5);
  std::chrono::nanoseconds timeout = std::chrono::seconds(1);
};

// `resolver.k8s`: a Service's EndpointSlices. Decoded and checked as contrib
// does, but refused when the exporter is created: otlpd has no Kubernetes
// API client yet.
struct K8sResolverConfig {
  std::string service;
  std::vector<std::int64_t> ports;
  std::chrono::nanoseconds timeout = std::chrono::minutes(1);
  bool return_hostnames = false;
};

// The `loadbalancing` (load_balancing) exporter's options, contrib v0.161.0's
// names, defaults and messages.
struct Config {
  RoutingKey routing_key = RoutingKey::kDefault;
  std::string routing_key_text;  // as written, for messages
  std::vector<std::string> routing_attributes;
  // protocol.otlp: the whole otlp exporter config; `endpoint` is replaced per
  // backend (it defaults to "placeholder:4317" and is only validated).
  otlp::Config otlp;
  // timeout / retry_on_failure / sending_queue at the load balancer level:
  // off by default (contrib: no timeout, retries disabled, queue only when
  // the `sending_queue` key is written).
  exporterhelper::Config helper;
  std::optional<StaticResolverConfig> static_resolver;
  std::optional<DnsResolverConfig> dns_resolver;
  std::optional<K8sResolverConfig> k8s_resolver;
  std::string path;  // key path of the component, for messages

  static Config Decode(config::MapDecoder& d);

  // The routing key in effect for `signal`, or the message contrib gives
  // when creating that signal's exporter with an unsupported one.
  std::optional<RoutingKey> KeyFor(Signal signal, std::string* error) const;

  // The otlp exporter config for one backend: protocol.otlp with `endpoint`
  // (host:port, as endpointWithPort gives it) in place of the configured one.
  otlp::Config BackendConfig(const std::string& endpoint) const;
};

// contrib's endpointWithPort: ":4317" appended to an endpoint without ':'.
std::string EndpointWithPort(const std::string& endpoint);

}  // namespace otlpd::exporters::loadbalancing
