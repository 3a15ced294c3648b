// Resource-context OTTL over a serialized request without decoding its items:
// only each entry's Resource is decoded, and the scopes, spans, metrics and
// log records around it move as received bytes. Statements and conditions
// that read and write nothing below the resource (filter's `resource`
// conditions, transform's `context: resource` groups: dropping by service or
// namespace, setting resource attributes) need no more, and that is where an
// OTTL processor's time goes: decoding and encoding the items.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "internal/signal.h"
#include "internal/status.h"
#include "opentelemetry/proto/resource/v1/resource.pb.h"
#include "ottl/context.h"

namespace otlpd::ottl {

// The Resource (field 1) of a ResourceSpans/-Metrics/-Logs message; its
// occurrences merge, as protobuf's do. False when malformed.
bool ParseEntryResource(std::string_view entry_message, opentelemetry::proto::resource::v1::Resource& out);

// What to do with one resource entry.
enum class EntryAction {
  kKeep,  // as received; a statement that changed the resource makes it kRewrite anyway
  kDrop,  // leave it out
};

struct ResourcePassResult {
  std::string bytes;  // the new request; empty when `changed` is false
  std::uint64_t items_before = 0;
  std::uint64_t items_after = 0;
  bool changed = false;  // false: the request passes on as it came
  bool empty = false;    // no resource entry left
};

// Calls `fn` once per resource entry with ctx.resource and
// ctx.resource_schema_url set (a fresh `cache`, `now_ns`). An entry whose
// resource or schema URL `fn` changed is written again (its other fields
// copied as they are); `drop_without_scopes` also leaves out entries without
// scope entries, as otelcol's filter prunes them. InvalidArgument when the
// request does not walk; an error from `fn` stops the pass and is returned.
Result<ResourcePassResult> ResourcePass(Signal signal, std::string_view request,
                                        const std::function<Result<EntryAction>(EvalContext&)>& fn,
                                        std::int64_t now_ns, bool drop_without_scopes);

}  // namespace otlpd::ottl
