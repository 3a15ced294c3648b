#include "ottl/decoded.h"

namespace otlpd::ottl {

Result<std::unique_ptr<DecodedRequest>> DecodedRequest::Decode(const PayloadPtr& payload) {
  std::unique_ptr<DecodedRequest> d(new DecodedRequest(payload));
  const std::string& bytes = payload->bytes;
  switch (payload->signal) {
    case Signal::kTraces: d->message_ = ParseOnArena<TracesRequest>(d->arena_, bytes); break;
    case Signal::kMetrics: d->message_ = ParseOnArena<MetricsRequest>(d->arena_, bytes); break;
    case Signal::kLogs: d->message_ = ParseOnArena<LogsRequest>(d->arena_, bytes); break;
    case Signal::kProfiles: return Status::InvalidArgument("OTTL has no profiles contexts in otlpd");
  }
  if (std::visit([](auto* m) { return m == nullptr; }, d->message_)) {
    return Status::InvalidArgument("malformed request");
  }
  return d;
}

PayloadPtr DecodedRequest::Encode() const {
  if (!changed_) return original_;
  return std::visit(
      [&](auto* req) { return DerivePayload(*original_, req->SerializeAsString(), CountItems(*req)); },
      message_);
}

std::uint64_t DecodedRequest::items() const {
  return std::visit([](auto* req) { return CountItems(*req); }, message_);
}

}  // namespace otlpd::ottl
