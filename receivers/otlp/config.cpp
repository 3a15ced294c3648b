#include "receivers/otlp/config.h"

#include <algorithm>

#include "config/http/server_config.h"
#include "internal/text.h"

namespace otlpd::receivers::otlp {
namespace {

void RejectUnsupported(config::MapDecoder& d, std::string_view key, std::string_view what) {
  if (const config::Node* n = d.Take(key); n != nullptr && !n->IsNull()) {
    d.Fail(key, std::string(what) + " is not supported yet");
  }
}

void RejectMiddlewares(config::MapDecoder& d) {
  if (const config::Node* m = d.Take("middlewares"); m != nullptr && m->IsSequence() && !m->items().empty()) {
    d.Fail("middlewares", "middlewares are not supported");
  }
}

void DecodeTransport(config::MapDecoder& d, std::string& transport, const std::string& endpoint) {
  d.Optional("transport", transport);
  if (transport == "unix" && endpoint.empty()) d.Fail("endpoint", "unix socket path cannot be empty");
  // otelcol also names udp*, ip* and unixgram/unixpacket, which fail when it
  // listens: an OTLP server is a stream server.
  if (transport != "tcp" && transport != "tcp4" && transport != "tcp6" && transport != "unix") {
    d.Fail("transport", "must be tcp, tcp4, tcp6 or unix (got \"" + transport + "\")");
  }
}

// confignet.DialerConfig, squashed into the address: a client setting that a
// server ignores, in otelcol too.
void DecodeDialer(config::MapDecoder& d) {
  if (!d.Has("dialer")) return;  // not printed by print-config, as otelcol does not
  config::MapDecoder dialer = d.Child("dialer");
  std::chrono::nanoseconds timeout{0};
  dialer.Optional("timeout", timeout);
  dialer.Finish();
}

enum class Transport { kHttp, kGrpc };

std::optional<TlsConfig> DecodeTls(config::MapDecoder& parent, Transport transport) {
  const config::Node* node = parent.Take("tls");
  // `tls:` with nothing after it is no TLS, like an absent key.
  if (node == nullptr || node->IsNull()) return std::nullopt;
  config::MapDecoder d(*node, parent.KeyPath("tls"));
  TlsConfig t = TlsConfig::Decode(d);
  if (transport == Transport::kGrpc) config::RejectGrpcTlsVersions(d, t);
  return t;
}

GrpcConfig DecodeGrpc(config::MapDecoder& d) {
  GrpcConfig c;
  d.Optional("endpoint", c.endpoint);
  DecodeTransport(d, c.transport, c.endpoint);
  DecodeDialer(d);
  if (d.Optional("max_recv_msg_size_mib", c.max_recv_msg_size_mib) && c.max_recv_msg_size_mib < 0) {
    d.Fail("max_recv_msg_size_mib", "must not be negative");
  }
  if (c.max_recv_msg_size_mib > 2047) d.Fail("max_recv_msg_size_mib", "must be below 2048 (gRPC's limit)");
  d.Optional("max_concurrent_streams", c.max_concurrent_streams);
  if (d.Optional("request_receive_timeout", c.request_receive_timeout) &&
      c.request_receive_timeout.count() < 0) {
    d.Fail("request_receive_timeout", "must not be negative");
  }
  if (d.Optional("max_receive_memory_mib", c.max_receive_memory_mib) &&
      (c.max_receive_memory_mib > (1u << 20) || c.max_receive_memory_mib * (1u << 20) < c.MaxRecvBytes())) {
    d.Fail("max_receive_memory_mib", "must hold one message of max_recv_msg_size_mib and be at most 1048576");
  }
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
  c.tls = DecodeTls(d, Transport::kGrpc);
  RejectUnsupported(d, "auth", "auth");
  RejectMiddlewares(d);
  d.Finish();
  return c;
}

CorsConfig DecodeCors(config::MapDecoder& d) {
  CorsConfig c;
  d.Optional("allowed_origins", c.allowed_origins);
  d.Optional("allowed_headers", c.allowed_headers);
  d.Optional("exposed_headers", c.exposed_headers);
  d.Optional("max_age", c.max_age);
  d.Finish();
  for (const std::string& o : c.allowed_origins) {
    if (std::count(o.begin(), o.end(), '*') > 1) {
      d.Fail("allowed_origins", "an origin may hold at most one wildcard (got \"" + o + "\")");
    }
  }
  return c;
}

// The path Go's url.Parse finds in a `*_url_path` value, with a leading "/"
// added (otelcol's SanitizedURLPath); "" and *why set when url.Parse fails.
// Follows net/url: control characters and a leading ":" are errors; a query
// ("?...") and a fragment ("#...") are cut off; "scheme:opaque" has an empty
// path; "//host/p" has the path "/p"; %XX escapes are decoded, a bad one is an error.
std::string UrlPath(std::string_view raw, std::string* why) {
  for (char ch : raw) {
    if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f) {
      *why = "net/url: invalid control character in URL";
      return "";
    }
  }
  std::string_view rest = raw.substr(0, raw.find('#'));
  // getScheme: letters, then letters, digits, "+-."; a ":" ends the scheme.
  bool has_scheme = false;
  for (std::size_t i = 0; i < rest.size(); ++i) {
    const char ch = rest[i];
    const bool letter = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
    const bool later = (ch >= '0' && ch <= '9') || ch == '+' || ch == '-' || ch == '.';
    if (letter || (later && i > 0)) continue;
    if (ch == ':') {
      if (i == 0) {
        *why = "missing protocol scheme";
        return "";
      }
      has_scheme = true;
      rest.remove_prefix(i + 1);
    }
    break;
  }
  rest = rest.substr(0, rest.find('?'));
  std::string path;
  if (rest.empty() || rest.front() != '/') {
    if (!has_scheme) {
      const std::string_view first = rest.substr(0, rest.find('/'));
      if (first.find(':') != std::string_view::npos) {
        *why = "first path segment in URL cannot contain colon";
        return "";
      }
    } else {
      rest = {};  // opaque: no path
    }
  }
  if (rest.substr(0, 2) == "//" && (has_scheme || rest.substr(0, 3) != "///")) {
    rest.remove_prefix(2);
    const std::size_t slash = rest.find('/');
    rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);
  }
  for (std::size_t i = 0; i < rest.size(); ++i) {
    if (rest[i] != '%') {
      path.push_back(rest[i]);
      continue;
    }
    if (i + 2 >= rest.size() || HexDigitValue(rest[i + 1]) < 0 || HexDigitValue(rest[i + 2]) < 0) {
      *why = "invalid URL escape \"" + std::string(rest.substr(i, 3)) + "\"";
      return "";
    }
    path.push_back(static_cast<char>(HexDigitValue(rest[i + 1]) * 16 + HexDigitValue(rest[i + 2])));
    i += 2;
  }
  if (path.empty() || path.front() != '/') path.insert(path.begin(), '/');
  return path;
}

void DecodeUrlPath(config::MapDecoder& d, std::string_view key, std::string& out) {
  std::string raw = out;  // the default, as print-config shows it
  if (!d.Optional(key, raw)) return;
  std::string why;
  out = UrlPath(raw, &why);
  if (!why.empty()) {
    d.Fail(key, "invalid HTTP URL path set for signal: parse \"" + raw + "\": " + why + " (as otelcol)");
  }
}

HttpConfig DecodeHttp(config::MapDecoder& d) {
  HttpConfig c;
  d.Optional("endpoint", c.endpoint);
  DecodeTransport(d, c.transport, c.endpoint);
  DecodeDialer(d);
  c.tls = DecodeTls(d, Transport::kHttp);
  if (d.Has("cors")) {
    config::MapDecoder cors = d.Child("cors");
    CorsConfig decoded = DecodeCors(cors);
    if (!decoded.allowed_origins.empty()) c.cors = std::move(decoded);
  }
  // confighttp treats 0 (and below) as "the default".
  auto body_size = static_cast<std::int64_t>(c.max_request_body_size);
  if (d.Optional("max_request_body_size", body_size) && body_size > 0) {
    c.max_request_body_size = static_cast<std::uint64_t>(body_size);
  }
  d.Optional("include_metadata", c.include_metadata);
  d.Opaque("response_headers", c.response_headers);
  http::CheckResponseHeaders(d, "response_headers", c.response_headers);
  if (d.Optional("compression_algorithms", c.compression_algorithms)) {
    static const std::vector<std::string> kKnown = {"",       "gzip",    "zstd", "zlib",
                                                    "snappy", "deflate", "lz4",  "x-snappy-framed"};
    for (const std::string& a : c.compression_algorithms) {
      if (std::find(kKnown.begin(), kKnown.end(), a) == kKnown.end()) {
        d.Fail("compression_algorithms", "unsupported compression algorithm \"" + a + "\"");
      }
    }
  }
  auto non_negative = [&](const char* key, std::chrono::nanoseconds& out) {
    if (d.Optional(key, out) && out.count() < 0) d.Fail(key, "must not be negative");
  };
  non_negative("read_timeout", c.read_timeout);
  non_negative("read_header_timeout", c.read_header_timeout);
  non_negative("write_timeout", c.write_timeout);
  {
    // confighttp v1.71 (otelcol v0.165): the keepalive section replaced the
    // top-level idle_timeout and keep_alives_enabled, which it refuses.
    config::MapDecoder keepalive = d.Child("keepalive");
    c.keep_alives_enabled = keepalive.SectionEnabled();
    if (keepalive.Optional("idle_timeout", c.idle_timeout) && c.idle_timeout.count() < 0) {
      keepalive.Fail("idle_timeout", "must not be negative");
    }
    keepalive.Finish();
  }
  for (std::string_view old : {"idle_timeout", "keep_alives_enabled"}) {
    if (d.Has(old)) {
      d.Take(old);
      d.Fail(old,
             std::string(old == "idle_timeout" ? "use keepalive.idle_timeout" : "use keepalive.enabled") +
                 ": otelcol's confighttp (v0.165) no longer has this key and refuses it");
    }
  }
  auto bounded = [&](const char* key, std::uint32_t& out, std::int64_t min, std::int64_t max) {
    std::int64_t v = out;  // the default, as print-config shows it
    if (!d.Optional(key, v)) return;
    if (v < min || v > max) {
      d.Fail(key, "must be between " + std::to_string(min) + " and " + std::to_string(max) + " (got " +
                      std::to_string(v) + ")");
    }
    out = static_cast<std::uint32_t>(v);
  };
  // The request line alone may take a kilobyte; 16 MiB is far past any client.
  bounded("max_request_header_size", c.max_request_header_size, 1024, 16 << 20);
  bounded("max_request_header_count", c.max_request_header_count, 1, 65536);
  bounded("max_connections", c.max_connections, 0, 1 << 24);
  DecodeUrlPath(d, "traces_url_path", c.traces_url_path);
  DecodeUrlPath(d, "metrics_url_path", c.metrics_url_path);
  DecodeUrlPath(d, "logs_url_path", c.logs_url_path);
  RejectUnsupported(d, "auth", "auth");
  RejectMiddlewares(d);
  d.Finish();
  return c;
}

}  // namespace

Config Config::Decode(config::MapDecoder& d) {
  Config c;
  config::MapDecoder protocols = d.Child("protocols");
  if (protocols.Has("grpc")) {
    config::MapDecoder g = protocols.Child("grpc");
    if (g.SectionEnabled()) c.grpc = DecodeGrpc(g);
  }
  if (protocols.Has("http")) {
    config::MapDecoder h = protocols.Child("http");
    if (h.SectionEnabled()) c.http = DecodeHttp(h);
  }
  protocols.Finish();
  d.Finish();
  if (!c.grpc && !c.http) {
    d.Fail("protocols", "must specify at least one protocol when using the OTLP receiver");
  }
  return c;
}

}  // namespace otlpd::receivers::otlp
