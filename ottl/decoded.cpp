#include "ottl/decoded.h"

namespace otlpd::ottl {
namespace {

template <class Request>
Request* Parse(google::protobuf::Arena& arena, std::string_view bytes) {
  Request* req = google::protobuf::Arena::CreateMessage<Request>(&arena);
  if (!req->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return nullptr;
  return req;
}

}  // namespace

Result<std::unique_ptr<DecodedRequest>> DecodedRequest::Decode(const PayloadPtr& payload) {
  std::unique_ptr<DecodedRequest> d(new DecodedRequest(payload));
  const std::string& bytes = payload->bytes;
  bool ok = false;
  switch (payload->signal) {
    case Signal::kTraces: {
      auto* m = Parse<TracesRequest>(d->arena_, bytes);
      ok = m != nullptr;
      d->message_ = m;
      break;
    }
    case Signal::kMetrics: {
      auto* m = Parse<MetricsRequest>(d->arena_, bytes);
      ok = m != nullptr;
      d->message_ = m;
      break;
    }
    case Signal::kLogs: {
      auto* m = Parse<LogsRequest>(d->arena_, bytes);
      ok = m != nullptr;
      d->message_ = m;
      break;
    }
  }
  if (!ok) return Status::InvalidArgument("malformed request");
  return d;
}

PayloadPtr DecodedRequest::Encode() const {
  if (!changed_) return original_;
  return std::visit(
      [&](auto* req) {
        return MakePayload(original_->signal, req->SerializeAsString(), CountItems(*req),
                           original_->metadata);
      },
      message_);
}

std::uint64_t DecodedRequest::items() const {
  return std::visit([](auto* req) { return CountItems(*req); }, message_);
}

}  // namespace otlpd::ottl
