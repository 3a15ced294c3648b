#pragma once

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "component/consumer.h"
#include "component/payload.h"
#include "component/telemetry.h"
#include "internal/status.h"

namespace otlpd::receivers::otlp {

// What both OTLP/gRPC servers (gRPC C++'s, grpc_server.h, and the one on
// nghttp2, h2_grpc_server.h) share: the methods served, the status codes and
// details they answer with, and what happens to a request message once it is
// whole and uncompressed.

inline constexpr std::string_view kTracesMethod =
    "/opentelemetry.proto.collector.trace.v1.TraceService/Export";
inline constexpr std::string_view kMetricsMethod =
    "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export";
inline constexpr std::string_view kLogsMethod = "/opentelemetry.proto.collector.logs.v1.LogsService/Export";
inline constexpr std::string_view kProfilesMethod =
    "/opentelemetry.proto.collector.profiles.v1development.ProfilesService/Export";

// The signal whose Export a method path (":path") names; nullopt for any other.
std::optional<Signal> SignalForGrpcMethod(std::string_view method);

// The gRPC status code (grpc::StatusCode's numbering) for one of ours.
int GrpcStatusCode(StatusCode code);

// The grpc-status-details-bin of a refusal: a serialized google.rpc.Status
// holding google.rpc.RetryInfo when the status carries a retry hint (the OTLP
// spec's mark of a retryable refusal); empty when it does not.
std::string GrpcStatusDetails(const Status& s);

struct GrpcExportTarget {
  const std::array<Consumer*, kSignalCount>* consumers;
  ComponentTelemetry* telemetry;
};

// Validates and counts one whole, uncompressed request message with the wire
// walker and hands it to the signal's consumer as it came (no copy);
// counts its items accepted or refused. `gzip`: the message as the client
// gzipped it, framed as Payload::gzip (empty when not kept).
Status ExportGrpcMessage(const GrpcExportTarget& target, Signal signal, std::string bytes,
                         std::shared_ptr<const Metadata> metadata, std::string client_ip,
                         std::string gzip = {});

}  // namespace otlpd::receivers::otlp
