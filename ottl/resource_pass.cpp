#include "ottl/resource_pass.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>

#include "otlp/wire/field_numbers.h"
#include "otlp/wire/wire_format.h"
#include "otlp/wire/wire_walker.h"

namespace otlpd::ottl {
namespace {

bool HasScope(Signal signal, std::string_view message) {
  for (const wire::Entry& s : wire::Scopes(signal, message)) {
    (void)s;
    return true;
  }
  return false;
}

}  // namespace

bool ParseEntryResource(std::string_view message, opentelemetry::proto::resource::v1::Resource& out) {
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const std::uint8_t*>(message.data()),
                                            static_cast<int>(message.size()));
  while (true) {
    const std::uint32_t tag = in.ReadTag();
    if (tag == 0) return true;
    if (tag == ((wire::kEntryResource << 3) | 2u)) {
      std::uint32_t len = 0;
      if (!in.ReadVarint32(&len)) return false;
      auto limit = in.PushLimit(static_cast<int>(len));
      if (!out.MergeFromCodedStream(&in) || !in.ConsumedEntireMessage()) return false;
      in.PopLimit(limit);
      continue;
    }
    if (!google::protobuf::internal::WireFormatLite::SkipField(&in, tag)) return false;
  }
}

Result<ResourcePassResult> ResourcePass(Signal signal, std::string_view request,
                                        const std::function<Result<EntryAction>(EvalContext&)>& fn,
                                        std::int64_t now_ns, bool drop_without_scopes) {
  ResourcePassResult out;
  opentelemetry::proto::resource::v1::Resource resource;
  Attrs cache;
  std::string before, after, schema, message;
  wire::EntryRange entries = wire::Resources(signal, request);
  for (const wire::Entry& e : entries) {
    out.items_before += e.items;
    if (drop_without_scopes && !HasScope(signal, e.message)) {
      out.changed = true;
      continue;
    }
    resource.Clear();
    if (!ParseEntryResource(e.message, resource)) return Status::InvalidArgument("malformed resource");
    const std::string_view schema_in = wire::LastLen(e.message, wire::kEntrySchemaUrl);
    schema.assign(schema_in);
    before.clear();
    resource.SerializeToString(&before);
    cache.Clear();
    EvalContext ctx;
    ctx.resource = &resource;
    ctx.resource_schema_url = &schema;
    ctx.cache = &cache;
    ctx.now_ns = now_ns;
    Result<EntryAction> action = fn(ctx);
    if (!action.ok()) return action.status();
    if (*action == EntryAction::kDrop) {
      out.changed = true;
      continue;
    }
    after.clear();
    resource.SerializeToString(&after);
    if (after == before && schema == schema_in) {
      out.bytes.append(e.field);
    } else {
      // The entry again: the new resource and schema URL, then every other field as it came.
      out.changed = true;
      message.clear();
      wire::AppendLengthDelimited(message, wire::kEntryResource, after);
      if (!schema.empty()) wire::AppendLengthDelimited(message, wire::kEntrySchemaUrl, schema);
      wire::Reader r(e.message);
      wire::Field f;
      while (!r.AtEnd() && r.ReadField(f)) {
        if (f.number != wire::kEntryResource && f.number != wire::kEntrySchemaUrl) message.append(f.raw);
      }
      wire::AppendLengthDelimited(out.bytes, wire::kRequestEntries, message);
    }
    out.items_after += e.items;
  }
  if (entries.malformed()) return Status::InvalidArgument("malformed request");
  out.empty = out.bytes.empty();
  if (!out.changed) out.bytes.clear();
  return out;
}

}  // namespace otlpd::ottl
