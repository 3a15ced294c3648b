#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/decoder.h"
#include "config/tls_config.h"
#include "internal/status.h"

namespace otlpd::receivers::otlp {

// `tls` of a server (otelcol's configtls.ServerConfig, shared with every
// component in config/tls_config.h). ca_file/ca_pem are accepted; a server
// verifies clients with client_ca_file.
using TlsConfig = config::TlsServerConfig;

// keepalive.server_parameters / enforcement_policy (configgrpc); zero = gRPC default.
struct GrpcKeepalive {
  std::chrono::nanoseconds max_connection_idle{0};
  std::chrono::nanoseconds max_connection_age{0};
  std::chrono::nanoseconds max_connection_age_grace{0};
  std::chrono::nanoseconds time{0};
  std::chrono::nanoseconds timeout{0};
  std::chrono::nanoseconds enforcement_min_time{0};
  bool enforcement_permit_without_stream = false;
};

// protocols.grpc: otelcol's configgrpc.ServerConfig keys and defaults.
struct GrpcConfig {
  static constexpr std::uint32_t kDefaultMaxConcurrentStreams = 100;
  static constexpr std::uint64_t kDefaultMaxReceiveMemoryMib = 48;

  std::string endpoint = "localhost:4317";
  std::string transport = "tcp";
  int max_recv_msg_size_mib = 0;  // 0: gRPC's default of 4 MiB
  // Streams one connection may have open. otelcol leaves it unlimited (0); a
  // hostile client could then hold thousands of idle streams, so the default
  // is a bound. An explicit 0 still means unlimited.
  std::uint32_t max_concurrent_streams = kDefaultMaxConcurrentStreams;
  // otlpd only: time a call may take to deliver its one request message;
  // past it the call is cancelled. 0: no limit.
  std::chrono::nanoseconds request_receive_timeout = std::chrono::seconds(30);
  // otlpd only: bytes gRPC C++ may hold for this server (messages being
  // assembled, read buffers, call state), as a gRPC ResourceQuota. Past it,
  // gRPC shrinks flow-control windows and then resets streams. 0: the
  // larger of 48 MiB and two messages of max_recv_msg_size_mib. The nghttp2
  // server has no such quota: the receive budget bounds its messages.
  std::uint64_t max_receive_memory_mib = 0;
  int read_buffer_size = 524288;
  int write_buffer_size = 0;
  bool include_metadata = false;
  GrpcKeepalive keepalive;
  std::optional<TlsConfig> tls;
  // Not a config key: the feature gate otlpd.receiver.otlp.nghttp2GrpcServer
  // (beta, on) serves this protocol on nghttp2 (h2_grpc_server.h) instead of
  // gRPC C++, where that server can (no TLS, no consumer that may block).
  bool nghttp2_server = true;

  std::size_t MaxRecvBytes() const {
    return (max_recv_msg_size_mib > 0 ? static_cast<std::size_t>(max_recv_msg_size_mib) : 4) << 20;
  }
  std::size_t ReceiveMemoryBytes() const {
    if (max_receive_memory_mib > 0) return static_cast<std::size_t>(max_receive_memory_mib) << 20;
    return std::max<std::size_t>(kDefaultMaxReceiveMemoryMib << 20, 2 * MaxRecvBytes());
  }
};

// cors (confighttp.CORSConfig): off unless allowed_origins lists something.
struct CorsConfig {
  std::vector<std::string> allowed_origins;
  std::vector<std::string> allowed_headers;
  std::vector<std::string> exposed_headers;
  int max_age = 0;  // seconds; 0: no Access-Control-Max-Age
};

// protocols.http: otelcol's confighttp.ServerConfig keys. otelcol's OTLP
// receiver turns the header, write and idle timeouts off; one stalled client
// could then hold a connection (and its buffers) forever, so otlpd defaults
// them to safe values and the keys still override them (README "Limits and
// timeouts"). The header and connection limits are otlpd's own keys.
struct HttpConfig {
  std::string endpoint = "localhost:4318";
  std::string transport = "tcp";
  std::optional<TlsConfig> tls;
  std::optional<CorsConfig> cors;
  std::uint64_t max_request_body_size = 20971520;
  bool include_metadata = false;
  std::map<std::string, std::string> response_headers;
  // Content-Encodings accepted; "" is an uncompressed body.
  std::vector<std::string> compression_algorithms = {"",       "gzip",    "zstd", "zlib",
                                                     "snappy", "deflate", "lz4",  "x-snappy-framed"};
  std::chrono::nanoseconds read_timeout = std::chrono::seconds(60);         // whole request; 0: none
  std::chrono::nanoseconds read_header_timeout = std::chrono::seconds(10);  // request line and headers;
                                                                            // 0: read_timeout
  std::chrono::nanoseconds write_timeout = std::chrono::seconds(30);        // the response; 0: none
  std::chrono::nanoseconds idle_timeout = std::chrono::seconds(60);         // between keep-alive requests;
                                                                            // 0: read_timeout
  bool keep_alives_enabled = true;
  // Request line plus headers, in bytes (Go's http.Server: 1 MiB), and the
  // number of header fields: each field costs an allocation, so many tiny
  // ones cost far more memory than their bytes.
  std::uint32_t max_request_header_size = 64 * 1024;
  std::uint32_t max_request_header_count = 100;
  // Open connections at once; 0: half the soft RLIMIT_NOFILE, at most 16384.
  // At the cap the connection idle the longest is closed for a new one; with
  // none idle the new one is refused.
  std::uint32_t max_connections = 0;
  std::string traces_url_path = "/v1/traces";
  std::string metrics_url_path = "/v1/metrics";
  std::string logs_url_path = "/v1/logs";
};

struct Config {
  // An absent protocol is off; `grpc:` with nothing under it is on with defaults.
  std::optional<GrpcConfig> grpc;
  std::optional<HttpConfig> http;

  static Config Decode(config::MapDecoder& d);
};

}  // namespace otlpd::receivers::otlp
