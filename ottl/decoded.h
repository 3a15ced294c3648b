// A request decoded once and handed along a run of adjacent OTTL processors
// (filter, transform, in any order and number): the run parses the bytes
// once and serializes once, where each processor alone would do both. Decode
// and encode are most of an OTTL processor's cost.
#pragma once

#include <google/protobuf/arena.h>

#include <variant>

#include "component/consumer.h"
#include "component/payload.h"
#include "component/status.h"
#include "ottl/walk.h"

namespace otlpd::ottl {

class DecodedRequest {
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
  PayloadPtr Encode() const;

 private:
  explicit DecodedRequest(PayloadPtr original) : original_(std::move(original)) {}

  google::protobuf::Arena arena_;
  PayloadPtr original_;
  Message message_;
  bool changed_ = false;
};

// A processor that can also take a request already decoded by the one before it.
class DecodedConsumer {
 public:
  virtual ~DecodedConsumer() = default;
  virtual Status ConsumeDecoded(DecodedRequest& request) = 0;
};

// Hands `request` on to `next`: still decoded when `next` takes it so, else
// as bytes (Encode()).
Status ForwardDecoded(DecodedRequest& request, Consumer* next);

}  // namespace otlpd::ottl
