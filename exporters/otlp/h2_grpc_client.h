#pragma once

#include <memory>

#include "exporters/otlp/export_client.h"

namespace otlpd::exporters::otlp {

// The otlp exporter's Export call on otlpd's own HTTP/2 client (nghttp2),
// behind the feature gate `otlpd.exporter.otlp.nghttp2GrpcClient` (beta,
// on). gRPC C++ spends about a millisecond of CPU on each call the exporter
// makes a few times a second (its call, filter and polling machinery runs
// cold every time): a quarter of otlpd's CPU in issue 18's scenarios. This
// client runs each call on the calling (sending-queue consumer) thread, over
// a connection of its own for the call's length: connections are pooled per
// backend address and reused last-in first-out, so a steady flow keeps using
// one warm connection, and concurrent calls never share a socket or a lock
// while they run. The payload's bytes go to the socket without a copy
// (nghttp2's no-copy DATA frames, gathered into one sendmsg).
//
// Same outcome as gRPC C++ for the same answer: gRPC's status mapping for
// HTTP status and RST_STREAM codes, grpc-message percent-decoding,
// grpc-status-details-bin, gzip in both directions, grpc-timeout from the
// deadline, wait_for_ready, round_robin over every address DNS gives (per
// call) or pick_first, and one transparent retry for a call the server
// refused unprocessed (GOAWAY, REFUSED_STREAM), keepalive PINGs while a call
// waits (an idle pooled connection is replaced instead of pinged). Serves
// plaintext TCP targets; TLS and unix sockets stay on gRPC C++.
class H2GrpcClient final : public ExportClient {
 public:
  static bool Serves(const Config& config);

  explicit H2GrpcClient(const Config& config);
  ~H2GrpcClient() override;

  Status Connect() override;
  exporterhelper::SendResult Export(const PayloadPtr& payload, Clock::time_point deadline) override;
  void CancelAll() override;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace otlpd::exporters::otlp
