#include "receivers/otlp/http_handler.h"

#include <algorithm>

#include "google/rpc/status.pb.h"
#include "internal/text.h"
#include "otlp/json/otlp_json.h"
#include "otlp/wire/wire_walker.h"

namespace otlpd::receivers::otlp {
namespace {

constexpr std::string_view kProtobufType = "application/x-protobuf";
constexpr std::string_view kJsonType = "application/json";

int RpcCodeFor(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return 0;
    case StatusCode::kInvalidArgument: return kRpcInvalidArgument;
    case StatusCode::kUnavailable: return kRpcUnavailable;
    case StatusCode::kResourceExhausted: return kRpcResourceExhausted;
    case StatusCode::kDeadlineExceeded: return 4;
    case StatusCode::kInternal: return kRpcInternal;
  }
  return kRpcInternal;
}

// Takes n bytes for the request; false with the answer when the budget refuses.
bool TakeFromBudget(BudgetLease& lease, std::uint64_t n, BodyFormat format, HttpAnswer* refused) {
  const ReceiveBudget::Verdict v = lease.Grow(n);
  if (v == ReceiveBudget::Verdict::kOk) return true;
  *refused = BudgetRefusal(v, format);
  return false;
}

}  // namespace

std::optional<BodyFormat> ParseContentType(std::string_view header) {
  std::string_view media = header.substr(0, header.find(';'));
  while (!media.empty() && (media.front() == ' ' || media.front() == '\t')) media.remove_prefix(1);
  while (!media.empty() && (media.back() == ' ' || media.back() == '\t')) media.remove_suffix(1);
  if (EqualsIgnoreCase(media, kProtobufType)) return BodyFormat::kProtobuf;
  if (EqualsIgnoreCase(media, kJsonType)) return BodyFormat::kJson;
  return std::nullopt;
}

std::string_view ContentTypeOf(BodyFormat format) {
  return format == BodyFormat::kJson ? kJsonType : kProtobufType;
}

HttpAnswer ErrorAnswer(int http_status, int rpc_code, std::string_view message, BodyFormat format) {
  google::rpc::Status status;
  status.set_code(rpc_code);
  status.set_message(std::string(message));
  HttpAnswer a;
  a.status = http_status;
  a.content_type = std::string(ContentTypeOf(format));
  a.body = format == BodyFormat::kJson ? json::EncodeMessage(status) : status.SerializeAsString();
  return a;
}

HttpAnswer BudgetRefusal(ReceiveBudget::Verdict verdict, BodyFormat format) {
  if (verdict == ReceiveBudget::Verdict::kTooLarge)
    return ErrorAnswer(413, kRpcResourceExhausted, ReceiveBudget::kTooLargeMessage, format);
  HttpAnswer a = ErrorAnswer(429, kRpcResourceExhausted, ReceiveBudget::kBusyMessage, format);
  a.retry_after_seconds = 1;
  return a;
}

int HttpStatusFor(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return 200;
    case StatusCode::kInvalidArgument: return 400;
    case StatusCode::kUnavailable:
    case StatusCode::kDeadlineExceeded: return 503;
    case StatusCode::kResourceExhausted: return 429;
    case StatusCode::kInternal: return 500;
  }
  return 500;
}

HttpAnswer ExportBody(Signal signal, BodyFormat format, std::string body,
                      std::shared_ptr<const Metadata> metadata, std::string client_address, Consumer& next,
                      SignalCounters& counters, BudgetLease* lease, std::string gzip) {
  if (format == BodyFormat::kJson) {
    gzip.clear();  // it holds the JSON text, not the protobuf sent on
    // The protobuf is rarely larger than its JSON: take the body's size for it
    // before decoding, and settle on its real size after.
    const std::uint64_t held = lease != nullptr ? lease->held() : 0;
    if (HttpAnswer refused; lease != nullptr && !TakeFromBudget(*lease, body.size(), format, &refused)) {
      return refused;
    }
    auto decoded = json::DecodeRequest(signal, body);
    if (!decoded.ok()) {
      // Out of memory while decoding is ours, not the client's.
      const Status& s = decoded.status();
      if (s.code() != StatusCode::kInvalidArgument)
        return ErrorAnswer(500, kRpcInternal, s.message(), format);
      return ErrorAnswer(400, kRpcInvalidArgument,
                         "invalid " + std::string(SignalName(signal)) + " request: " + s.message(), format);
    }
    body = std::move(*decoded);
    if (lease != nullptr) {
      const std::uint64_t need = held + body.capacity();
      HttpAnswer refused;
      if (need > lease->held() && !TakeFromBudget(*lease, need - lease->held(), format, &refused))
        return refused;
      lease->ShrinkTo(body.capacity());  // the JSON text is gone
    }
  }
  auto count = wire::ValidateAndCount(signal, body);
  if (!count.ok()) {
    return ErrorAnswer(400, kRpcInvalidArgument,
                       "invalid " + std::string(SignalName(signal)) + " request: " + count.status().message(),
                       format);
  }
  const std::uint64_t items = *count;
  // otelcol's profiles receiver acknowledges a request without samples and drops it.
  Status s = signal == Signal::kProfiles && items == 0
                 ? Status::Ok()
                 : next.Consume(MakePayload(signal, std::move(body), items, std::move(metadata),
                                            std::move(client_address), std::move(gzip)));
  SignalCounters::Add(s.ok() ? counters.accepted : counters.refused, items);
  if (!s.ok()) {
    HttpAnswer a = ErrorAnswer(HttpStatusFor(s.code()), RpcCodeFor(s.code()), s.message(), format);
    if (a.status == 503 || a.status == 429) {
      // Whole seconds, rounded up; at least one so clients do not hammer.
      const auto ms = s.retry_after().count();
      a.retry_after_seconds = std::max<int>(1, static_cast<int>((ms + 999) / 1000));
    }
    return a;
  }
  // An Export*ServiceResponse without partial_success: no bytes in protobuf, {} in JSON.
  HttpAnswer a;
  a.content_type = std::string(ContentTypeOf(format));
  if (format == BodyFormat::kJson) a.body = "{}";
  return a;
}

}  // namespace otlpd::receivers::otlp
