#include "exporters/otlphttp/config.h"
#include "exporters/otlphttp/proxy_env.h"
#include "internal/text.h"

#include <algorithm>
#include <cctype>

namespace otlpd::exporters::otlphttp {
namespace {

std::optional<std::string> PercentDecode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size() || HexDigitValue(s[i + 1]) < 0 || HexDigitValue(s[i + 2]) < 0) return std::nullopt;
    out += static_cast<char>(HexDigitValue(s[i + 1]) * 16 + HexDigitValue(s[i + 2]));
    i += 2;
  }
  return out;
}

bool IsTokenChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// A URL key: empty is "not set"; anything else must parse.
void DecodeUrl(config::MapDecoder& d, std::string_view key, std::string& out) {
  if (!d.Optional(key, out) || out.empty()) return;
  std::string why;
  if (!Url::Parse(out, &why)) d.Fail(key, "must be a valid http:// or https:// URL: " + why);
}

// The path otelcol appends to `endpoint` for a signal: v1/<signal>, and
// v1development/profiles while profiles are in development.
std::string SignalPath(Signal signal) {
  return std::string(signal == Signal::kProfiles ? "v1development/" : "v1/") +
         std::string(SignalName(signal));
}

// otelcol's composeSignalURL: the signal's own key verbatim, else the base
// URL with the signal's path appended after exactly one slash.
std::optional<Url> SignalUrl(const std::string& endpoint, const std::string& override_url, Signal signal) {
  std::string text = override_url;
  if (text.empty()) {
    if (endpoint.empty()) return std::nullopt;
    text = endpoint + (endpoint.back() == '/' ? "" : "/") + SignalPath(signal);
  }
  std::string why;
  return Url::Parse(text, &why);
}

void CheckHeaders(config::MapDecoder& d, const std::map<std::string, std::string>& headers) {
  for (const auto& [name, value] : headers) {
    if (name.empty() || !std::all_of(name.begin(), name.end(), IsTokenChar)) {
      d.Fail("headers", "\"" + name + "\" is not a valid HTTP header name");
    }
    if (std::any_of(value.begin(), value.end(), [](char c) { return c == '\r' || c == '\n' || c == '\0'; })) {
      d.Fail("headers", "the value of \"" + name + "\" holds a line break or NUL");
    }
    // The exporter frames and encodes the body itself; these would contradict it.
    for (std::string_view own : {"Content-Length", "Transfer-Encoding", "Connection"}) {
      if (EqualsIgnoreCase(name, own)) {
        d.Fail("headers", "\"" + name + "\" is set by the exporter and cannot be configured");
      }
    }
    if (EqualsIgnoreCase(name, "Content-Encoding")) {
      d.Fail("headers", "\"" + name + "\" is set by the exporter; use the compression key instead");
    }
  }
}

void NonNegative(config::MapDecoder& d, std::string_view key, int& out) {
  if (d.Optional(key, out) && out < 0) d.Fail(key, "must not be negative");
}

void NonNegative(config::MapDecoder& d, std::string_view key, std::chrono::nanoseconds& out) {
  if (d.Optional(key, out) && out.count() < 0) d.Fail(key, "must not be negative");
}

}  // namespace

std::string Url::Authority() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return default_port ? h : h + ":" + port;
}

std::optional<Url> Url::Parse(std::string_view text, std::string* why) {
  auto fail = [&](std::string reason) -> std::optional<Url> {
    if (why != nullptr) *why = std::move(reason);
    return std::nullopt;
  };
  Url u;
  u.text = std::string(text);
  for (char c : text) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f)
      return fail("it holds a space or a control character");
  }
  const std::size_t colon = text.find("://");
  if (colon == std::string_view::npos) return fail("it has no scheme (want http:// or https://)");
  const std::string_view scheme = text.substr(0, colon);
  if (EqualsIgnoreCase(scheme, "https")) {
    u.https = true;
  } else if (!EqualsIgnoreCase(scheme, "http")) {
    return fail("unsupported scheme \"" + std::string(scheme) + "\" (want http or https)");
  }
  std::string_view rest = text.substr(colon + 3);
  if (std::size_t hash = rest.find('#'); hash != std::string_view::npos) rest = rest.substr(0, hash);
  const std::size_t authority_end = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, authority_end);
  const std::string_view target = authority_end == std::string_view::npos ? "" : rest.substr(authority_end);
  u.display = u.text;
  if (std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
    auto user = PercentDecode(authority.substr(0, at));
    if (!user) return fail("invalid percent-encoding in the user info");
    u.userinfo = std::move(*user);
    // "user:password" shows the user, a lone "token" nothing.
    const std::size_t user_end = authority.substr(0, at).find(':');
    const std::string shown =
        user_end == std::string_view::npos ? "xxxxx" : std::string(authority.substr(0, user_end)) + ":xxxxx";
    u.display =
        std::string(text.substr(0, colon + 3)) + shown + "@" + std::string(text.substr(colon + 3 + at + 1));
    authority = authority.substr(at + 1);
  }
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return fail("missing ']' in the host");
    u.host = std::string(authority.substr(1, close - 1));
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty() && after.front() != ':') return fail("unexpected text after ']' in the host");
    if (!after.empty()) port = after.substr(1);
  } else {
    const std::size_t c = authority.rfind(':');
    u.host = std::string(authority.substr(0, c));
    if (c != std::string_view::npos) port = authority.substr(c + 1);
    if (u.host.find(':') != std::string::npos) return fail("an IPv6 host must be in brackets");
  }
  if (u.host.empty()) return fail("it has no host");
  if (u.host.find_first_of("%/\\") != std::string::npos) return fail("invalid host \"" + u.host + "\"");
  if (!port.empty()) {
    if (port.size() > 5 ||
        !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
        std::stoi(std::string(port)) > 65535 || std::stoi(std::string(port)) == 0) {
      return fail("invalid port \"" + std::string(port) + "\"");
    }
    u.port = std::string(port);
    u.default_port = u.port == (u.https ? "443" : "80");
  } else {
    u.port = u.https ? "443" : "80";
  }
  u.target = target.empty() || target.front() == '?' ? "/" + std::string(target) : std::string(target);
  return u;
}

Config Config::Decode(config::MapDecoder& d, const std::function<const char*(const char*)>& getenv) {
  Config c;
  c.path = d.path();
  DecodeUrl(d, "endpoint", c.endpoint);
  DecodeUrl(d, "traces_endpoint", c.traces_endpoint);
  DecodeUrl(d, "metrics_endpoint", c.metrics_endpoint);
  DecodeUrl(d, "logs_endpoint", c.logs_endpoint);
  DecodeUrl(d, "profiles_endpoint", c.profiles_endpoint);
  if (c.endpoint.empty() && c.traces_endpoint.empty() && c.metrics_endpoint.empty() &&
      c.logs_endpoint.empty() && c.profiles_endpoint.empty()) {
    d.Fail("endpoint",
           "at least one endpoint must be specified (endpoint, or traces_endpoint, metrics_endpoint, "
           "logs_endpoint, profiles_endpoint)");
  }
  c.urls[SignalIndex(Signal::kTraces)] = SignalUrl(c.endpoint, c.traces_endpoint, Signal::kTraces);
  c.urls[SignalIndex(Signal::kMetrics)] = SignalUrl(c.endpoint, c.metrics_endpoint, Signal::kMetrics);
  c.urls[SignalIndex(Signal::kLogs)] = SignalUrl(c.endpoint, c.logs_endpoint, Signal::kLogs);
  c.urls[SignalIndex(Signal::kProfiles)] = SignalUrl(c.endpoint, c.profiles_endpoint, Signal::kProfiles);
  for (Signal s : kSignalsWithProfiles) {
    // Appending to a valid base URL can still give a bad one ("http://h?q" + "/v1/...").
    if (!c.urls[SignalIndex(s)] && !c.endpoint.empty()) {
      d.Fail("endpoint", "appending /" + SignalPath(s) + " does not give a valid URL");
    }
  }

  std::string encoding = "proto";
  if (d.Optional("encoding", encoding)) {
    if (encoding == "proto") {
      c.encoding = Encoding::kProto;
    } else if (encoding == "json") {
      c.encoding = Encoding::kJson;
    } else {
      d.Fail("encoding", "invalid encoding type \"" + encoding + "\" (use proto or json)");
    }
  }
  std::string compression = "gzip";
  if (d.Optional("compression", compression)) {
    auto parsed = ParseCompression(compression);
    if (!parsed) {
      d.Fail("compression", "unsupported compression type \"" + compression +
                                "\" (use gzip, zstd, zlib, deflate, snappy, x-snappy-framed, lz4 or none)");
    }
    c.compression = *parsed;
  }
  {
    config::MapDecoder p = d.Child("compression_params");
    p.Optional("level", c.compression_level);
    p.Finish();
    if (c.compression != Compression::kNone && !ValidLevel(c.compression, c.compression_level)) {
      p.Fail("level", "unsupported level " + std::to_string(c.compression_level) + " for compression \"" +
                          std::string(ContentEncoding(c.compression)) + "\"" +
                          (c.compression == Compression::kGzip || c.compression == Compression::kZlib ||
                                   c.compression == Compression::kDeflate
                               ? " (use -2 to 9)"
                               : " (this compression takes no level)"));
    }
  }
  if (d.Opaque("headers", c.headers)) CheckHeaders(d, c.headers);
  {
    config::MapDecoder t = d.Child("tls");
    c.tls = config::TlsClientConfig::Decode(t);
  }
  std::string proxy_url;
  if (d.Optional("proxy_url", proxy_url) && !proxy_url.empty()) {
    std::string why;
    c.proxy = Url::Parse(proxy_url, &why);
    if (!c.proxy) d.Fail("proxy_url", "must be a valid http:// URL: " + why);
    if (c.proxy->https) d.Fail("proxy_url", "https:// proxies are not supported yet (use an http:// proxy)");
  }
  for (Signal s : kSignalsWithProfiles) {
    const std::optional<Url>& url = c.urls[SignalIndex(s)];
    if (!url) continue;
    if (c.proxy) {
      c.proxies[SignalIndex(s)] = c.proxy;
      continue;
    }
    EnvProxy env = ProxyFromEnvironment(*url, getenv);
    if (!env.error.empty()) d.Fail("proxy_url", "not set, and the environment's " + env.error);
    c.proxies[SignalIndex(s)] = std::move(env.proxy);
  }
  NonNegative(d, "read_buffer_size", c.read_buffer_size);
  NonNegative(d, "write_buffer_size", c.write_buffer_size);
  NonNegative(d, "max_conns_per_host", c.max_conns_per_host);
  {
    // confighttp v1.71 (otelcol v0.165): the keepalive section (configoptional;
    // `enabled: false` is a connection per request) replaced the top-level
    // keys, which it refuses.
    config::MapDecoder keepalive = d.Child("keepalive");
    c.disable_keep_alives = !keepalive.SectionEnabled();
    NonNegative(keepalive, "idle_conn_timeout", c.idle_conn_timeout);
    NonNegative(keepalive, "max_idle_conns", c.max_idle_conns);
    NonNegative(keepalive, "max_idle_conns_per_host", c.max_idle_conns_per_host);
    keepalive.Finish();
  }
  for (std::string_view old : {"idle_conn_timeout", "max_idle_conns", "max_idle_conns_per_host"}) {
    if (d.Take(old) != nullptr) {
      d.Fail(old, "use keepalive." + std::string(old) +
                      ": otelcol's confighttp (v0.165) no longer has this key and refuses it");
    }
  }
  if (d.Take("disable_keep_alives") != nullptr) {
    d.Fail("disable_keep_alives",
           "use keepalive: {enabled: false}: otelcol's confighttp (v0.165) no longer has this key and "
           "refuses it");
  }
  // otlpd speaks HTTP/1.1 only (keep-alive, one request per connection at a
  // time); the HTTP/2 keys are accepted so otelcol configs load, and change nothing.
  bool force_attempt_http2 = true;
  d.Optional("force_attempt_http2", force_attempt_http2);
  std::chrono::nanoseconds http2_timeout{0};
  NonNegative(d, "http2_read_idle_timeout", http2_timeout);
  NonNegative(d, "http2_ping_timeout", http2_timeout);
  {
    config::MapDecoder cookies = d.Child("cookies");
    bool enabled = false;
    if (cookies.Optional("enabled", enabled) && enabled)
      cookies.Fail("enabled", "cookies are not supported yet");
    cookies.Finish();
  }
  if (const config::Node* n = d.Take("auth"); n != nullptr && !n->IsNull()) {
    d.Fail("auth", "authenticator extensions are not supported yet");
  }
  if (const config::Node* n = d.Take("middlewares");
      n != nullptr && !n->IsNull() && !(n->IsSequence() && n->items().empty())) {
    d.Fail("middlewares", "middlewares are not supported");
  }
  exporterhelper::Config defaults;
  defaults.timeout = c.timeout;
  c.helper = exporterhelper::Config::Decode(d, defaults);
  c.timeout = c.helper.timeout;
  c.helper.timeout = std::chrono::nanoseconds(0);
  d.Finish();
  return c;
}

}  // namespace otlpd::exporters::otlphttp
