#include "exporters/otlp/config.h"

#include <cctype>

#include "internal/host_port.h"
#include "internal/text.h"

namespace otlpd::exporters::otlp {
namespace {

bool StartsWith(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// Go's net.SplitHostPort plus a numeric port, as otelcol's otlp exporter
// validates its endpoint. Empty when fine, else the reason.
std::string CheckHostPort(std::string_view hostport) {
  std::string host, port, why;
  int value = 0;
  if (!SplitHostPort(hostport, &host, &port, &why) || !ParsePort(port, &value, &why)) return why;
  return "";
}

void DecodeEndpoint(config::MapDecoder& d, Config& c) {
  // Absent: Finish() says so, after naming any unknown key (a typo of endpoint).
  if (!d.Required("endpoint", c.endpoint)) return;
  std::string_view e = c.endpoint;
  std::optional<bool> scheme_tls;
  std::string_view hostport;
  if (StartsWith(e, "http://")) {
    scheme_tls = false;
    hostport = e.substr(7);
  } else if (StartsWith(e, "https://")) {
    scheme_tls = true;
    hostport = e.substr(8);
  } else if (StartsWith(e, "dns://")) {
    hostport = e.substr(StartsWith(e, "dns:///") ? 7 : 6);
  } else if (StartsWith(e, "unix://")) {
    // configgrpc's check; gRPC dials unix sockets itself, there is no port.
    // (`unix:path` without the slashes is a host "unix" with a bad port to otelcol, and to us.)
    if (e.size() == 7) d.Fail("endpoint", "unix socket path cannot be empty");
    c.target = c.endpoint;
  } else {
    hostport = e;
  }
  if (c.target.empty()) {
    if (hostport.empty()) d.Fail("endpoint", "requires a non-empty endpoint");
    if (std::string why = CheckHostPort(hostport); !why.empty()) {
      d.Fail("endpoint", why + " (want host:port, dns:///host:port, http(s)://host:port or unix:///path)");
    }
    c.target = "dns:///" + std::string(hostport);
  }
  c.use_tls = scheme_tls.value_or(!c.tls.insecure);
}

TlsConfig DecodeTls(config::MapDecoder& d) {
  TlsConfig t = TlsConfig::Decode(d);
  config::RejectGrpcTlsVersions(d, t);
  // Its credentials take either the given roots or the system's, not both.
  if (t.include_system_ca_certs_pool && t.has_ca()) {
    d.Fail("include_system_ca_certs_pool",
           "is not supported together with ca_file or ca_pem by the otlp exporter yet");
  }
  return t;
}

// gRPC metadata keys are lower-case ASCII [0-9a-z-_.]; values of text keys
// are printable ASCII. Anything else would fail every call, so say it now.
void CheckHeaders(config::MapDecoder& d, std::map<std::string, std::string>& headers) {
  std::map<std::string, std::string> lowered;
  for (auto& [key, value] : headers) {
    const std::string k = AsciiLower(key);
    bool ok = !k.empty() && !StartsWith(k, "grpc-");
    for (char ch : k)
      ok &= std::isdigit(static_cast<unsigned char>(ch)) || (ch >= 'a' && ch <= 'z') || ch == '-' ||
            ch == '_' || ch == '.';
    if (!ok) d.Fail("headers", "\"" + key + "\" is not a valid gRPC metadata key");
    const bool binary = k.size() > 4 && k.compare(k.size() - 4, 4, "-bin") == 0;
    if (!binary) {
      for (char ch : value) {
        if (ch < 0x20 || ch > 0x7e) d.Fail("headers", "the value of \"" + key + "\" must be printable ASCII");
      }
    }
    lowered[k] = value;
  }
  headers = std::move(lowered);
}

}  // namespace

Config Config::Decode(config::MapDecoder& d) {
  Config c;
  c.path = d.path();
  {
    config::MapDecoder t = d.Child("tls");
    c.tls = DecodeTls(t);
  }
  DecodeEndpoint(d, c);
  if (d.Opaque("headers", c.headers)) CheckHeaders(d, c.headers);
  std::string compression = "gzip";
  if (d.Optional("compression", compression)) {
    if (compression == "gzip") {
      c.compression = Compression::kGzip;
    } else if (compression == "none" || compression.empty()) {
      c.compression = Compression::kNone;
    } else if (compression == "zstd" || compression == "snappy") {
      d.Fail("compression", compression + " is not supported by gRPC C++ 1.51 (use gzip or none)");
    } else {
      d.Fail("compression", "unsupported compression type \"" + compression + "\" (use gzip or none)");
    }
  }
  if (const config::Node* n = d.Take("keepalive"); n != nullptr) {
    config::MapDecoder k(*n, d.KeyPath("keepalive"));
    KeepaliveConfig ka;
    k.Optional("time", ka.time);
    k.Optional("timeout", ka.timeout);
    k.Optional("permit_without_stream", ka.permit_without_stream);
    k.Finish();
    if (ka.time.count() < 0) k.Fail("time", "must be non-negative");
    if (ka.timeout.count() < 0) k.Fail("timeout", "must be non-negative");
    c.keepalive = ka;
  }
  if (d.Optional("balancer_name", c.balancer_name) && c.balancer_name != "round_robin" &&
      c.balancer_name != "pick_first") {
    d.Fail("balancer_name", "must be round_robin or pick_first (got \"" + c.balancer_name + "\")");
  }
  d.Optional("wait_for_ready", c.wait_for_ready);
  if (d.Optional("read_buffer_size", c.read_buffer_size) && c.read_buffer_size < 0) {
    d.Fail("read_buffer_size", "must be non-negative");
  }
  if (d.Optional("write_buffer_size", c.write_buffer_size) && c.write_buffer_size < 0) {
    d.Fail("write_buffer_size", "must be non-negative");
  }
  d.Optional("authority", c.authority);
  d.Optional("user_agent", c.user_agent);
  if (const config::Node* n = d.Take("auth"); n != nullptr && !n->IsNull()) {
    d.Fail("auth", "authenticator extensions are not supported yet");
  }
  c.helper = exporterhelper::Config::Decode(d);
  d.Finish();
  return c;
}

}  // namespace otlpd::exporters::otlp
