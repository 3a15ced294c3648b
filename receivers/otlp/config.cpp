#include "receivers/otlp/config.h"

namespace otlpd::receivers::otlp {
namespace {

// `enabled: false` turns an optional block off, as in otelcol's configoptional.
bool Enabled(config::MapDecoder& d) {
  bool enabled = true;
  d.Optional("enabled", enabled);
  return enabled;
}

void RejectUnsupported(config::MapDecoder& d, std::string_view key, std::string_view what) {
  if (const config::Node* n = d.Take(key); n != nullptr && !n->IsNull()) {
    d.Fail(key, std::string(what) + " is not supported yet");
  }
}

GrpcConfig DecodeGrpc(config::MapDecoder& d) {
  GrpcConfig c;
  d.Optional("endpoint", c.endpoint);
  d.Optional("transport", c.transport);
  if (c.transport != "tcp" && c.transport != "tcp4" && c.transport != "tcp6") {
    d.Fail("transport", "must be tcp, tcp4 or tcp6 (got \"" + c.transport + "\")");
  }
  if (d.Optional("max_recv_msg_size_mib", c.max_recv_msg_size_mib) && c.max_recv_msg_size_mib < 0) {
    d.Fail("max_recv_msg_size_mib", "must not be negative");
  }
  d.Optional("max_concurrent_streams", c.max_concurrent_streams);
  if (d.Optional("read_buffer_size", c.read_buffer_size) && c.read_buffer_size < 0) {
    d.Fail("read_buffer_size", "must not be negative");
  }
  if (d.Optional("write_buffer_size", c.write_buffer_size) && c.write_buffer_size < 0) {
    d.Fail("write_buffer_size", "must not be negative");
  }
  d.Optional("include_metadata", c.include_metadata);
  {
    config::MapDecoder k = d.Child("keepalive");
    config::MapDecoder sp = k.Child("server_parameters");
    sp.Optional("max_connection_idle", c.keepalive.max_connection_idle);
    sp.Optional("max_connection_age", c.keepalive.max_connection_age);
    sp.Optional("max_connection_age_grace", c.keepalive.max_connection_age_grace);
    sp.Optional("time", c.keepalive.time);
    sp.Optional("timeout", c.keepalive.timeout);
    sp.Finish();
    config::MapDecoder ep = k.Child("enforcement_policy");
    ep.Optional("min_time", c.keepalive.enforcement_min_time);
    ep.Optional("permit_without_stream", c.keepalive.enforcement_permit_without_stream);
    ep.Finish();
    k.Finish();
  }
  RejectUnsupported(d, "tls", "tls");
  RejectUnsupported(d, "auth", "auth");
  if (const config::Node* m = d.Take("middlewares"); m != nullptr && m->IsSequence() && !m->items().empty()) {
    d.Fail("middlewares", "middlewares are not supported");
  }
  d.Finish();
  return c;
}

}  // namespace

Config Config::Decode(config::MapDecoder& d) {
  Config c;
  config::MapDecoder protocols = d.Child("protocols");
  if (protocols.Has("grpc")) {
    config::MapDecoder g = protocols.Child("grpc");
    if (Enabled(g)) c.grpc = DecodeGrpc(g);
  }
  if (protocols.Has("http")) {
    config::MapDecoder h = protocols.Child("http");
    if (Enabled(h)) protocols.Fail("http", "the OTLP/HTTP protocol is not supported yet");
  }
  protocols.Finish();
  d.Finish();
  if (!c.grpc) {
    d.Fail("protocols", "must specify at least one protocol when using the OTLP receiver");
  }
  return c;
}

}  // namespace otlpd::receivers::otlp
