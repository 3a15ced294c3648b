#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>

#include "config/compression/compressor.h"
#include "config/decoder.h"
#include "config/tls_config.h"
#include "exporters/exporterhelper/config.h"

namespace otlpd::exporters::otlp {

// `tls` of a gRPC client (otelcol configtls, client side; config/tls_config.h).
// insecure: plaintext unless the endpoint says https://.
using TlsConfig = config::TlsClientConfig;

// `keepalive`: client pings on an idle connection; absent = none.
struct KeepaliveConfig {
  std::chrono::nanoseconds time = std::chrono::seconds(10);
  std::chrono::nanoseconds timeout = std::chrono::seconds(10);
  bool permit_without_stream = false;
};

// gzip or none (otelcol's configgrpc also takes zstd and snappy, which gRPC
// C++ 1.51 cannot announce in grpc-encoding).
using config::compression::Compression;

// The `otlp` (otlp_grpc) exporter's options: otelcol's configgrpc.ClientConfig
// plus the exporterhelper blocks, with otelcol's names and defaults.
struct Config {
  std::string endpoint;  // as written
  std::string target;    // what gRPC dials: scheme http(s):// removed, dns:// normalised
  bool use_tls = true;   // from the endpoint scheme and tls.insecure
  TlsConfig tls;
  std::map<std::string, std::string> headers;  // keys lower-cased, as gRPC metadata requires
  Compression compression = Compression::kGzip;
  std::optional<KeepaliveConfig> keepalive;
  std::string balancer_name = "round_robin";
  bool wait_for_ready = false;
  int read_buffer_size = 0;        // accepted; gRPC C++ sizes its own buffers
  int write_buffer_size = 524288;  // accepted; likewise
  std::string authority;
  std::string user_agent;
  exporterhelper::Config helper;
  // Not a config key: the feature gate otlpd.exporter.otlp.nghttp2GrpcClient
  // (beta, on) sends through otlpd's HTTP/2 client (h2_grpc_client.h) instead
  // of gRPC C++, where that client serves the config.
  bool nghttp2_client = true;
  std::string path;  // the component's key path, for errors found at Start (TLS files)

  static Config Decode(config::MapDecoder& d);
};

}  // namespace otlpd::exporters::otlp
