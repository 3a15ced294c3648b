#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "config/decoder.h"

namespace otlpd::receivers::otlp {

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
  std::string endpoint = "localhost:4317";
  std::string transport = "tcp";
  int max_recv_msg_size_mib = 0;  // 0: gRPC's default of 4 MiB
  std::uint32_t max_concurrent_streams = 0;
  int read_buffer_size = 524288;
  int write_buffer_size = 0;
  bool include_metadata = false;
  GrpcKeepalive keepalive;

  std::size_t MaxRecvBytes() const {
    return (max_recv_msg_size_mib > 0 ? static_cast<std::size_t>(max_recv_msg_size_mib) : 4) << 20;
  }
};

struct Config {
  std::optional<GrpcConfig> grpc;  // absent protocol = off, `grpc:` with nothing = on with defaults

  static Config Decode(config::MapDecoder& d);
};

}  // namespace otlpd::receivers::otlp
