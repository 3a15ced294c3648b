#pragma once

#include <array>
#include <chrono>
#include <memory>
#include <string>

#include "component/telemetry.h"
#include "internal/status.h"
#include "receivers/otlp/config.h"
#include "receivers/otlp/server_context.h"

namespace otlpd::receivers::otlp {

// OTLP/gRPC on nghttp2 and Boost.Asio: the same Export methods, budget
// accounting, telemetry and status codes as GrpcServer (gRPC C++), without
// gRPC C++'s per-call machinery. The default, under the feature gate
// `otlpd.receiver.otlp.nghttp2GrpcServer` (beta, on); a config with TLS, or a
// receiver feeding a pipeline that may block on disk, stays on GrpcServer.
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
// - keepalive.server_parameters as grpc-go's server does them (otelcol's
//   receiver is grpc-go), on one timer per connection armed for the earliest
//   check due (a read only stamps a time; the timer is never moved for it):
//   - time / timeout (unset: 2h / 20s; a time under 1s is 1s): after `time`
//     without a read the server sends a PING; if nothing is read (its ack or
//     any frame) within `timeout`, the connection is closed. As grpc-go, the
//     socket's TCP_USER_TIMEOUT is `timeout`.
//   - max_connection_idle (unset: never): no call open for that long, graceful
//     GOAWAY (NO_ERROR), then the connection closes.
//   - max_connection_age (unset: never; +-10% jitter per connection, as
//     grpc-go): graceful GOAWAY, calls in flight go on; max_connection_age_grace
//     later (unset: never) the connection is closed with what is still open.
//   A graceful GOAWAY is grpc-go's: one with the largest stream id and a PING,
//   on its ack the GOAWAY naming the last stream taken; the connection closes
//   once its calls are answered. Unlike grpc-go, keepalive pings go on after
//   an idle or age GOAWAY (grpc-go stops them), so a peer that vanishes while
//   draining is still found out.
// - "localhost" (transport tcp) listens, as gRPC C++ does, on what it resolves
//   to of each family: 127.0.0.1 and ::1 where the hosts file names both, on
//   one port (port 0: the one the first got). An address that does not bind
//   (::1 without IPv6) is skipped with a log line; none binding is an error.
//   Any other endpoint is one address, as grpc-go binds it.
// - Shutdown sends GOAWAY, lets calls in flight finish until the deadline,
//   then closes what is left.
// - write_buffer_size: what a connection keeps of frames the socket has not
//   taken (unset: 64 KiB); past it nghttp2 holds the rest until it drains.
// Not done: TLS (Serves sends it to gRPC C++). max_receive_memory_mib is gRPC
// C++'s resource quota: here the receive budget bounds request messages, and
// the one read buffer is read_buffer_size.
class H2GrpcServer {
 public:
  // `context` outlives the server.
  H2GrpcServer(GrpcConfig config, const ServerContext& context, ComponentTelemetry* telemetry);
  ~H2GrpcServer();

  // Whether this server can serve `config`: anything but TLS, which gRPC C++ serves.
  static bool Serves(const GrpcConfig& config) { return !config.tls; }

  Status Start();
  void Shutdown(std::chrono::steady_clock::time_point deadline);
  int port() const { return port_; }

  struct Impl;

 private:
  GrpcConfig config_;
  const ServerContext& context_;
  ComponentTelemetry* telemetry_;
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
};

}  // namespace otlpd::receivers::otlp
