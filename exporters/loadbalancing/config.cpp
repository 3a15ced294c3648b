#include "exporters/loadbalancing/config.h"

namespace otlpd::exporters::loadbalancing {
namespace {

// contrib's defaults at the load balancer level: the zero values of Go's
// structs (no timeout, retry_on_failure disabled with zero intervals) and a
// queue that is off unless the `sending_queue` key is written, then with the
// exporterhelper queue defaults.
exporterhelper::Config LbHelperDefaults(bool queue_written) {
  exporterhelper::Config c;
  c.timeout = std::chrono::nanoseconds(0);
  c.retry_on_failure.enabled = false;
  c.retry_on_failure.initial_interval = std::chrono::nanoseconds(0);
  c.retry_on_failure.randomization_factor = 0;
  c.retry_on_failure.multiplier = 0;
  c.retry_on_failure.max_interval = std::chrono::nanoseconds(0);
  c.retry_on_failure.max_elapsed_time = std::chrono::nanoseconds(0);
  c.sending_queue.enabled = queue_written;
  return c;
}

std::optional<RoutingKey> ParseRoutingKey(const std::string& s) {
  if (s.empty()) return RoutingKey::kDefault;
  if (s == "traceID") return RoutingKey::kTraceId;
  if (s == "service") return RoutingKey::kService;
  if (s == "resource") return RoutingKey::kResource;
  if (s == "metric") return RoutingKey::kMetric;
  if (s == "streamID") return RoutingKey::kStreamId;
  if (s == "attributes") return RoutingKey::kAttributes;
  return std::nullopt;
}

// An optional resolver section (configoptional None flavor): absent or null
// is off, `enabled: false` is off, anything else (even `{}`) is on.
const config::Node* ResolverSection(config::MapDecoder& r, std::string_view key) {
  const config::Node* n = r.Take(key);
  if (n == nullptr || n->IsNull()) return nullptr;
  return n;
}

// One resolver section: `decode` reads (and checks) its keys; unless it says
// `enabled: false`, the result is kept in `out` and counted.
template <class T, class Decode>
void DecodeResolver(config::MapDecoder& r, std::string_view key, std::optional<T>& out, int& count,
                    Decode decode) {
  const config::Node* n = ResolverSection(r, key);
  if (n == nullptr) return;
  config::MapDecoder s(*n, r.KeyPath(key));
  const bool on = s.SectionEnabled();
  T resolver;
  decode(s, resolver);
  if (on) {
    out = std::move(resolver);
    ++count;
  }
}

void DecodeResolvers(config::MapDecoder& d, Config& c) {
  config::MapDecoder r = d.Child("resolver");
  int count = 0;
  DecodeResolver(r, "static", c.static_resolver, count, [](config::MapDecoder& s, StaticResolverConfig& sc) {
    s.Optional("hostnames", sc.hostnames);
    s.Finish();
  });
  DecodeResolver(r, "dns", c.dns_resolver, count, [](config::MapDecoder& s, DnsResolverConfig& dc) {
    s.Optional("hostname", dc.hostname);
    s.Optional("port", dc.port);
    s.Optional("interval", dc.interval);
    s.Optional("timeout", dc.timeout);
    s.Finish();
    // contrib: zero means the default.
    if (dc.interval.count() == 0) dc.interval = std::chrono::seconds(5);
    if (dc.timeout.count() == 0) dc.timeout = std::chrono::seconds(1);
    if (dc.interval.count() < 0) s.Fail("interval", "must be positive");
    if (dc.timeout.count() < 0) s.Fail("timeout", "must be positive");
  });
  DecodeResolver(r, "k8s", c.k8s_resolver, count, [](config::MapDecoder& s, K8sResolverConfig& kc) {
    s.Optional("service", kc.service);
    if (const config::Node* p = s.Take("ports"); p != nullptr && !p->IsNull()) {
      if (!p->IsSequence()) s.Fail("ports", "must be a list of ports");
      for (std::size_t i = 0; i < p->items().size(); ++i) {
        std::int64_t port = 0;
        config::DecodeValue(p->items()[i], s.KeyPath("ports") + "[" + std::to_string(i) + "]", port);
        if (port < INT32_MIN || port > INT32_MAX) s.Fail("ports", "a port does not fit an int32");
        kc.ports.push_back(port);
      }
    }
    s.Optional("timeout", kc.timeout);
    s.Optional("return_hostnames", kc.return_hostnames);
    s.Finish();
  });
  if (const config::Node* n = ResolverSection(r, "aws_cloud_map"); n != nullptr) {
    r.Fail("aws_cloud_map", "the aws_cloud_map resolver is not supported by otlpd (use static, dns or k8s)");
  }
  r.Finish();
  // contrib's newLoadBalancer checks, in its order.
  if (count > 1) d.Fail("resolver", "only one resolver should be specified");
  if (c.static_resolver && c.static_resolver->hostnames.empty()) {
    r.Fail("static", "no endpoints specified for the static resolver");
  }
  if (c.dns_resolver && c.dns_resolver->hostname.empty()) {
    r.Fail("dns", "no hostname specified to resolve the backends");
  }
  if (c.k8s_resolver && c.k8s_resolver->service.empty()) {
    r.Fail("k8s", "no service specified to resolve the backends");
  }
  if (count == 0) d.Fail("resolver", "no resolvers specified for the exporter");
}

}  // namespace

Config Config::Decode(config::MapDecoder& d) {
  Config c;
  c.path = d.path();
  d.Optional("routing_key", c.routing_key_text);
  std::optional<RoutingKey> key = ParseRoutingKey(c.routing_key_text);
  // An unknown key is refused when a signal's exporter is created (KeyFor),
  // as in contrib, so that the message names the signal.
  c.routing_key = key.value_or(RoutingKey::kDefault);
  d.Optional("routing_attributes", c.routing_attributes);
  // contrib's Config.Validate.
  if (c.routing_key_text == "attributes" && c.routing_attributes.empty()) {
    d.Fail("routing_attributes", "routing_attributes must be specified when routing_key is \"attributes\"");
  }
  if (c.routing_key_text != "attributes" && !c.routing_attributes.empty()) {
    d.Fail("routing_attributes",
           "routing_attributes can only be used when routing_key is \"attributes\"; got \"" +
               c.routing_key_text + "\". Remove routing_attributes or set routing_key to \"attributes\"");
  }
  {
    // protocol.otlp, with contrib's placeholder endpoint when none is written.
    config::MapDecoder p = d.Child("protocol");
    config::Node otlp_node;
    if (const config::Node* n = p.Take("otlp"); n != nullptr && !n->IsNull()) {
      otlp_node = *n;
    } else {
      otlp_node = config::Node::Map(n != nullptr ? n->mark() : config::Mark{});
    }
    if (!otlp_node.IsMap()) p.Fail("otlp", "must be a map");
    if (otlp_node.Find("endpoint") == nullptr) {
      otlp_node.Set("endpoint", otlp_node.mark(), config::Node::Scalar("placeholder:4317", otlp_node.mark()));
    }
    config::MapDecoder o(otlp_node, p.KeyPath("otlp"));
    c.otlp = otlp::Config::Decode(o);
    if (c.otlp.helper.sending_queue.enabled && c.otlp.helper.sending_queue.storage) {
      o.Fail("sending_queue", "a persistent queue (storage) per backend is not supported by otlpd yet");
    }
    p.Finish();
  }
  c.helper = exporterhelper::Config::Decode(d, LbHelperDefaults(d.Has("sending_queue")));
  if (c.helper.sending_queue.storage) {
    d.Fail("sending_queue",
           "a persistent queue (storage) is not supported by the loadbalancing exporter yet");
  }
  DecodeResolvers(d, c);
  d.Finish();
  return c;
}

std::optional<RoutingKey> Config::KeyFor(Signal signal, std::string* error) const {
  const std::optional<RoutingKey> key = ParseRoutingKey(routing_key_text);
  switch (signal) {
    case Signal::kTraces:
      if (key == RoutingKey::kDefault || key == RoutingKey::kTraceId) return RoutingKey::kTraceId;
      if (key == RoutingKey::kService || key == RoutingKey::kAttributes) return key;
      *error = "cannot configure loadbalancing traces exporter: unsupported routing_key: " + routing_key_text;
      return std::nullopt;
    case Signal::kLogs:
      if (key == RoutingKey::kDefault || key == RoutingKey::kService) return RoutingKey::kService;
      if (key == RoutingKey::kTraceId || key == RoutingKey::kResource || key == RoutingKey::kAttributes)
        return key;
      *error = "cannot configure loadbalancing logs exporter: unsupported routing_key: \"" +
               routing_key_text + "\"";
      return std::nullopt;
    case Signal::kMetrics:
      if (key == RoutingKey::kDefault || key == RoutingKey::kService) return RoutingKey::kService;
      if (key == RoutingKey::kResource || key == RoutingKey::kMetric || key == RoutingKey::kStreamId ||
          key == RoutingKey::kAttributes)
        return key;
      *error = "cannot configure loadbalancing metrics exporter: unsupported routing_key: \"" +
               routing_key_text + "\"";
      return std::nullopt;
    case Signal::kProfiles: break;  // not a signal of this exporter
  }
  return std::nullopt;
}

std::string EndpointWithPort(const std::string& endpoint) {
  if (endpoint.find(':') == std::string::npos) return endpoint + ":4317";
  return endpoint;
}

otlp::Config Config::BackendConfig(const std::string& endpoint) const {
  otlp::Config c = otlp;
  c.endpoint = endpoint;
  c.target = "dns:///" + endpoint;
  c.use_tls = !c.tls.insecure;
  return c;
}

}  // namespace otlpd::exporters::loadbalancing
