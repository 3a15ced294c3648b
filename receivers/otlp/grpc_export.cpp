#include "receivers/otlp/grpc_export.h"

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "otlp/wire/wire_walker.h"

namespace otlpd::receivers::otlp {

std::optional<Signal> SignalForGrpcMethod(std::string_view method) {
  if (method == kTracesMethod) return Signal::kTraces;
  if (method == kMetricsMethod) return Signal::kMetrics;
  if (method == kLogsMethod) return Signal::kLogs;
  if (method == kProfilesMethod) return Signal::kProfiles;
  return std::nullopt;
}

int GrpcStatusCode(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return 0;
    case StatusCode::kInvalidArgument: return 3;
    case StatusCode::kDeadlineExceeded: return 4;
    case StatusCode::kResourceExhausted: return 8;
    case StatusCode::kInternal: return 13;
    case StatusCode::kUnavailable: return 14;
  }
  return 2;  // UNKNOWN
}

std::string GrpcStatusDetails(const Status& s) {
  // A retry hint marks RESOURCE_EXHAUSTED as temporary too (the receive budget's refusal).
  if (s.retry_after().count() <= 0) return {};
  google::rpc::RetryInfo info;
  auto ms = s.retry_after().count();
  info.mutable_retry_delay()->set_seconds(ms / 1000);
  info.mutable_retry_delay()->set_nanos(static_cast<int>((ms % 1000) * 1000000));
  google::rpc::Status details;
  details.set_code(GrpcStatusCode(s.code()));
  details.set_message(s.message());
  details.add_details()->PackFrom(info);
  return details.SerializeAsString();
}

Status ExportGrpcMessage(const GrpcExportTarget& target, Signal signal, std::string bytes,
                         std::shared_ptr<const Metadata> metadata, std::string client_ip, std::string gzip) {
  auto count = wire::ValidateAndCount(signal, bytes);
  if (!count.ok()) {
    // Malformed data is the client's to fix; nothing of it is kept.
    return Status::InvalidArgument("invalid " + std::string(SignalName(signal)) +
                                   " request: " + count.status().message());
  }
  const std::uint64_t items = *count;
  // otelcol's profiles receiver acknowledges a request without samples and drops it.
  if (signal == Signal::kProfiles && items == 0) return Status::Ok();
  SignalCounters& counters = (*target.telemetry)[signal];
  Status s = (*target.consumers)[SignalIndex(signal)]->Consume(MakePayload(
      signal, std::move(bytes), items, std::move(metadata), std::move(client_ip), std::move(gzip)));
  SignalCounters::Add(s.ok() ? counters.accepted : counters.refused, items);
  return s;
}

}  // namespace otlpd::receivers::otlp
