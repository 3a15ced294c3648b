#pragma once

#include <array>
#include <chrono>
#include <memory>
#include <string>

#include "component/consumer.h"
#include "component/receive_budget.h"
#include "component/telemetry.h"
#include "internal/status.h"
#include "receivers/otlp/config.h"

namespace otlpd::receivers::otlp {

// OTLP/gRPC on nghttp2 and Boost.Asio: the same Export methods, budget
// accounting, telemetry and status codes as GrpcServer (gRPC C++), without
// gRPC C++'s per-call machinery. Chosen by the feature gate
// `otlpd.receiver.otlp.nghttp2GrpcServer`; a config with TLS or
// keepalive.server_parameters stays on GrpcServer (Serves).
//
// HTTP/2 with prior knowledge (h2c) over TCP or a Unix-domain socket, served
// by one thread running an io_context:
// - a connection holds its nghttp2 session, its socket and the calls it has
//   open; nothing else while idle. Reads go through one buffer of the server
//   (read_buffer_size): a connection waits for readability, then reads into
//   it and nghttp2 parses in place. What nghttp2 writes is kept only while the
//   socket does not take it.
// - a call's request message (5-byte gRPC prefix, then `length` bytes) is taken
//   from the receive budget when its prefix arrives, before a byte of it is
//   kept, and assembled in the one string the pipeline then gets: no flatten
//   copy. A compressed message (grpc-encoding gzip, deflate, zstd, snappy) is
//   inflated by BodyDecoder within max_recv_msg_size, its output on the same lease.
// - flow-control windows are acknowledged as data arrives (nghttp2's automatic
//   WINDOW_UPDATE): they pace, the budget bounds memory. They are large
//   enough for a whole max_recv_msg_size message in one round trip.
// - answers: a Trailers-Only HEADERS frame for a refusal (grpc-status,
//   grpc-message, grpc-status-details-bin with RetryInfo when retryable), or
//   headers + an empty Export*ServiceResponse + grpc-status 0 trailers.
//   A call refused before its request ended is then reset with NO_ERROR.
// - limits: SETTINGS_MAX_CONCURRENT_STREAMS (max_concurrent_streams), header
//   bytes per call, request_receive_timeout (the call is reset with CANCEL, as
//   gRPC C++ cancels it), keepalive.enforcement_policy as grpc-go enforces it
//   (GOAWAY ENHANCE_YOUR_CALM "too_many_pings").
// - Shutdown sends GOAWAY, lets calls in flight finish until the deadline,
//   then closes what is left.
// Not done: keepalive.server_parameters (server pings, max_connection_idle/age),
// max_receive_memory_mib (gRPC's quota; the receive budget bounds messages),
// write_buffer_size; "localhost" is bound on one address (IPv4 first, as the
// HTTP receiver does), where gRPC C++ binds 127.0.0.1 and ::1.
class H2GrpcServer {
 public:
  // `budget` (not null) outlives the server.
  H2GrpcServer(GrpcConfig config, std::string receiver_id, ComponentTelemetry* telemetry,
               ReceiveBudget* budget);
  ~H2GrpcServer();

  // Whether this server can serve `config`: not with TLS, nor with
  // keepalive.server_parameters (server pings, connection idle/age limits),
  // which it does not implement; gRPC C++ serves those.
  static bool Serves(const GrpcConfig& config) {
    const GrpcKeepalive& k = config.keepalive;
    return !config.tls && k.time.count() == 0 && k.timeout.count() == 0 &&
           k.max_connection_idle.count() == 0 && k.max_connection_age.count() == 0 &&
           k.max_connection_age_grace.count() == 0;
  }

  void SetConsumer(Signal signal, Consumer* next) { consumers_[SignalIndex(signal)] = next; }
  Status Start();
  void Shutdown(std::chrono::steady_clock::time_point deadline);
  int port() const { return port_; }

  struct Impl;

 private:
  GrpcConfig config_;
  std::string receiver_id_;
  ComponentTelemetry* telemetry_;
  ReceiveBudget* budget_;
  std::array<Consumer*, kSignalCount> consumers_{};
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
};

}  // namespace otlpd::receivers::otlp
