// A request decoded once and handed along a run of adjacent OTTL processors
// (filter, transform, in any order and number): the run parses the bytes
// once and serializes once, where each processor alone would do both. Decode
// and encode are most of an OTTL processor's cost.
#pragma once

#include <google/protobuf/arena.h>

#include <variant>

#include "component/decoded.h"
#include "component/payload.h"
#include "internal/status.h"
#include "ottl/walk.h"

namespace otlpd::ottl {

// `bytes` parsed as a T allocated on `arena`; null when they do not parse.
template <class T>
T* ParseOnArena(google::protobuf::Arena& arena, std::string_view bytes) {
  T* m = google::protobuf::Arena::CreateMessage<T>(&arena);
  if (!m->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return nullptr;
  return m;
}

class DecodedRequest : public DecodedPayload {
 public:
  using Message = std::variant<TracesRequest*, MetricsRequest*, LogsRequest*>;

  // Parses `payload` on an arena owned by this object. InvalidArgument when
  // the bytes do not parse.
  static Result<std::unique_ptr<DecodedRequest>> Decode(const PayloadPtr& payload);

  Signal signal() const { return original_->signal; }
  const Message& message() { return message_; }
  const PayloadPtr& original() const { return original_; }

  // A processor changed the request: it is serialized again when it leaves the run.
  void MarkChanged() { changed_ = true; }
  bool changed() const { return changed_; }

  // The payload for a consumer that takes bytes: the original when nothing
  // changed, else the request serialized, its items counted again and the
  // sender's metadata kept.
  PayloadPtr Encode() const override;
  std::uint64_t items() const override;

 private:
  explicit DecodedRequest(PayloadPtr original) : original_(std::move(original)) {}

  google::protobuf::Arena arena_;
  PayloadPtr original_;
  Message message_;
  bool changed_ = false;
};

// The decoded request behind `p` when an OTTL processor made it; null for
// another kind (the caller then decodes p.Encode()).
inline DecodedRequest* AsDecodedRequest(DecodedPayload& p) { return dynamic_cast<DecodedRequest*>(&p); }

}  // namespace otlpd::ottl
