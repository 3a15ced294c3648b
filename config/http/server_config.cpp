#include "config/http/server_config.h"

#include <algorithm>

namespace otlpd::http {
namespace {

using Nanos = std::chrono::nanoseconds;

void DecodeTransport(config::MapDecoder& d, ServerConfig& c) {
  if (!d.Optional("transport", c.transport)) return;
  const std::string& t = c.transport;
  if (t == "tcp" || t == "tcp4" || t == "tcp6") return;
  // confignet's transport types: otelcol accepts these at validate.
  static constexpr std::string_view kKnown[] = {"udp", "udp4", "udp6",     "ip",        "ip4",
                                                "ip6", "unix", "unixgram", "unixpacket"};
  if (std::find(std::begin(kKnown), std::end(kKnown), t) == std::end(kKnown)) {
    d.Fail("transport", "unsupported transport type \"" + t + "\"");
  }
  if (t == "unix") {
    d.Fail("transport",
           "otlpd serves this endpoint on TCP only (tcp, tcp4 or tcp6); a unix socket is not supported here");
  }
  d.Fail("transport",
         "an HTTP server needs a stream transport: tcp, tcp4 or tcp6 (otelcol fails to listen on \"" + t +
             "\")");
}

void DecodeCors(config::MapDecoder& d) {
  std::vector<std::string> origins, headers, exposed;
  int max_age = 0;
  d.Optional("allowed_origins", origins);
  d.Optional("allowed_headers", headers);
  d.Optional("exposed_headers", exposed);
  d.Optional("max_age", max_age);
  d.Finish();
  // Without origins confighttp installs no CORS handler either.
  if (!origins.empty()) {
    d.Fail("allowed_origins", "CORS is not supported on this endpoint (it answers probes, not browsers)");
  }
}

Nanos NonNegative(Nanos d) { return d.count() < 0 ? Nanos{0} : d; }

}  // namespace

void CheckResponseHeaders(const config::MapDecoder& d, std::string_view key,
                          const std::map<std::string, std::string>& headers) {
  for (const auto& [name, value] : headers) {
    if (name.empty() || std::any_of(name.begin(), name.end(), [](char ch) {
          return ch <= ' ' || ch == ':' || static_cast<unsigned char>(ch) >= 0x7f;
        })) {
      d.Fail(key, "\"" + name + "\" is not a valid header name");
    }
    if (std::any_of(value.begin(), value.end(),
                    [](char ch) { return ch == '\r' || ch == '\n' || ch == '\0'; })) {
      d.Fail(key, "the value of \"" + name + "\" holds a line break or NUL");
    }
  }
}

void ServerConfig::DecodeInto(config::MapDecoder& d, ServerConfig& c) {
  d.Optional("endpoint", c.endpoint);
  DecodeTransport(d, c);
  if (d.Has("dialer")) {
    // confignet.DialerConfig, squashed into the address: a client setting.
    config::MapDecoder dialer = d.Child("dialer");
    Nanos timeout{0};
    dialer.Optional("timeout", timeout);
    dialer.Finish();
  }
  if (d.Has("tls")) {
    config::MapDecoder tls = d.Child("tls");
    if (tls.SectionEnabled()) c.tls = config::TlsServerConfig::Decode(tls);
  }
  if (d.Has("cors")) {
    config::MapDecoder cors = d.Child("cors");
    if (cors.SectionEnabled()) DecodeCors(cors);
  }
  if (const config::Node* auth = d.Take("auth"); auth != nullptr && !auth->IsNull()) {
    config::MapDecoder a(*auth, d.KeyPath("auth"));
    if (a.SectionEnabled()) {
      d.Fail("auth",
             "authentication is not supported on this endpoint (otlpd has no authenticator extensions)");
    }
  }
  if (const config::Node* m = d.Take("middlewares"); m != nullptr && m->IsSequence() && !m->items().empty()) {
    d.Fail("middlewares", "middlewares are not supported (otlpd has no middleware extensions)");
  }
  d.Optional("max_request_body_size", c.max_request_body_size);
  d.Optional("include_metadata", c.include_metadata);
  d.Opaque("response_headers", c.response_headers);
  CheckResponseHeaders(d, "response_headers", c.response_headers);
  d.Optional("compression_algorithms", c.compression_algorithms);
  d.Optional("read_timeout", c.read_timeout);
  d.Optional("read_header_timeout", c.read_header_timeout);
  d.Optional("write_timeout", c.write_timeout);
  {
    // configoptional: present unless `enabled: false`. otelcol v0.165's
    // server then keeps connections alive anyway, with no idle bound;
    // otlpd does what confighttp documents: no keep-alive.
    config::MapDecoder keepalive = d.Child("keepalive");
    c.keepalive = keepalive.SectionEnabled();
    keepalive.Optional("idle_timeout", c.idle_timeout);
    keepalive.Finish();
  }
}

ServerOptions ServerConfig::Options() const {
  ServerOptions o;
  o.read_timeout = NonNegative(read_timeout);
  o.read_header_timeout = NonNegative(read_header_timeout);
  o.write_timeout = NonNegative(write_timeout);
  // Go's server: an idle deadline already past ends the connection after
  // each answer.
  o.keep_alive = keepalive && idle_timeout.count() >= 0;
  o.idle_timeout = NonNegative(idle_timeout);
  o.ip_version = transport == "tcp4" ? 4 : transport == "tcp6" ? 6 : 0;
  for (const auto& [name, value] : response_headers) o.response_headers.emplace_back(name, value);
  return o;
}

}  // namespace otlpd::http
