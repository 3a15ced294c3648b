#pragma once

#include <array>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "config/compression/compressor.h"
#include "config/decoder.h"
#include "config/tls_config.h"
#include "exporters/exporterhelper/config.h"
#include "internal/signal.h"

namespace otlpd::exporters::otlphttp {

// otelcol's configcompression, shared with the other exporters.
using config::compression::Compression;
using config::compression::Compressor;
using config::compression::CompressorPool;
using config::compression::ContentEncoding;
using config::compression::ParseCompression;
using config::compression::ValidLevel;

// An http:// or https:// URL, split the way a request needs it.
struct Url {
  std::string text;     // as configured
  std::string display;  // for logs and errors: `text` with the credentials replaced by "xxxxx"
  bool https = false;
  std::string host;  // a name or an address, IPv6 without brackets
  std::string port;  // given, or 80/443 from the scheme
  bool default_port = true;
  std::string target;    // path and query: what the request line names ("/" at least)
  std::string userinfo;  // "user:password", percent-decoded; empty when none

  // host[:port] as the Host header and CONNECT name it (brackets for IPv6,
  // the port left out when it is the scheme's).
  std::string Authority() const;
  // Parses `text`; nullopt with `why` set when it is not a usable URL.
  static std::optional<Url> Parse(std::string_view text, std::string* why);
};

enum class Encoding { kProto, kJson };

// The `otlphttp` (otlp_http) exporter's options: otelcol's
// confighttp.ClientConfig plus the exporter's own keys and the exporterhelper
// blocks, with otelcol's names and defaults.
struct Config {
  std::string endpoint;                                          // base URL; /v1/<signal> is appended
  std::string traces_endpoint, metrics_endpoint, logs_endpoint;  // used verbatim
  std::string profiles_endpoint;  // used verbatim; else endpoint + /v1development/profiles
  // Where each signal goes, by SignalIndex; empty when neither `endpoint` nor
  // the signal's own key gives one (such data is refused when it comes).
  std::array<std::optional<Url>, kSignalCount> urls;
  Encoding encoding = Encoding::kProto;
  Compression compression = Compression::kGzip;
  int compression_level = 0;  // compression_params.level; 0: the algorithm's default
  std::map<std::string, std::string> headers;
  // Per attempt: connect, write and read together. otelcol's otlp_http
  // turns the exporterhelper timeout off and uses this one, so `timeout` is
  // decoded here and `helper.timeout` stays 0.
  std::chrono::nanoseconds timeout = std::chrono::seconds(30);
  config::TlsClientConfig tls;
  std::optional<Url> proxy;  // proxy_url
  // The proxy each signal's requests go through, by SignalIndex: proxy_url,
  // or without it the environment's (HTTP_PROXY, HTTPS_PROXY, NO_PROXY).
  std::array<std::optional<Url>, kSignalCount> proxies;
  int read_buffer_size = 0;  // initial size of each connection's read buffer; 0: Beast's default
  // Accepted with otelcol's default; unused: the request goes out in one
  // gathered write straight from the payload, with no buffer to size.
  int write_buffer_size = 524288;
  int max_idle_conns = 100;         // over all hosts; 0: no limit
  int max_idle_conns_per_host = 0;  // 0: as many as the sending queue has consumers (see http_client.h)
  int max_conns_per_host = 0;       // 0: no limit
  std::chrono::nanoseconds idle_conn_timeout = std::chrono::seconds(90);  // 0: no limit
  bool disable_keep_alives = false;
  exporterhelper::Config helper;
  std::string path;  // the component's key path, for errors found at Start (TLS files)

  // `getenv` is where proxy variables are read (tests pass their own).
  static Config Decode(config::MapDecoder& d,
                       const std::function<const char*(const char*)>& getenv = std::getenv);
};

}  // namespace otlpd::exporters::otlphttp
