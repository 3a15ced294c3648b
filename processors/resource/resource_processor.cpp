#include "processors/resource/resource_processor.h"

#include "opentelemetry/proto/resource/v1/resource.pb.h"
#include "otlp/wire/field_numbers.h"
#include "otlp/wire/wire_format.h"
#include "otlp/wire/wire_walker.h"
#include "processors/internal/attraction/attraction.h"

namespace otlpd::processors::resource {
namespace {

// Rewrites one resource entry's message into `out` (as a complete field,
// tag and length included) when the actions change its Resource. Returns
// false when they do not, leaving `out` untouched.
Result<bool> RewriteEntry(std::string_view message, const ResourceMutator& mutate, std::string& out) {
  // Protobuf merges repeated occurrences of a message field; parsing their
  // concatenation does the same.
  std::string resource_bytes;
  bool resource_seen = false;
  wire::Reader reader(message);
  wire::Field f;
  while (!reader.AtEnd()) {
    if (!reader.ReadField(f)) return Status::InvalidArgument("malformed resource entry");
    if (f.number == wire::kEntryResource && f.type == wire::WireType::kLen) {
      resource_bytes.append(f.payload);
      resource_seen = true;
    }
  }
  opentelemetry::proto::resource::v1::Resource resource;
  if (!resource.ParseFromString(resource_bytes)) return Status::InvalidArgument("malformed resource");
  if (!mutate(resource)) return false;

  // Other fields keep their order; the resource goes where it first was
  // (first when it was absent, where serializers put it).
  std::string body;
  body.reserve(message.size() + 64);
  bool resource_written = false;
  auto write_resource = [&] {
    wire::AppendLengthDelimited(body, wire::kEntryResource, resource.SerializeAsString());
    resource_written = true;
  };
  if (!resource_seen) write_resource();
  reader = wire::Reader(message);
  while (!reader.AtEnd()) {
    if (!reader.ReadField(f)) return Status::InvalidArgument("malformed resource entry");
    if (f.number == wire::kEntryResource && f.type == wire::WireType::kLen) {
      if (!resource_written) write_resource();
      continue;
    }
    body.append(f.raw);
  }
  wire::AppendLengthDelimited(out, wire::kRequestEntries, body);
  return true;
}

}  // namespace

Result<std::optional<std::string>> RewriteResources(Signal signal, std::string_view request,
                                                    const std::vector<Action>& actions,
                                                    const Metadata* metadata) {
  return RewriteResources(signal, request, [&](opentelemetry::proto::resource::v1::Resource& resource) {
    return attraction::ApplyActions(actions, *resource.mutable_attributes(), metadata);
  });
}

Result<std::optional<std::string>> RewriteResources(Signal signal, std::string_view request,
                                                    const ResourceMutator& mutate) {
  std::optional<std::string> out;
  // Bytes between resource entries (other request fields) and unchanged
  // entries are copied lazily, so a request nobody changes costs no copy.
  const char* copied_to = request.data();
  std::string entry;
  wire::EntryRange entries = wire::Resources(signal, request);
  for (const wire::Entry& e : entries) {
    entry.clear();
    Result<bool> changed = RewriteEntry(e.message, mutate, entry);
    if (!changed.ok()) return changed.status();
    if (!*changed) continue;
    if (!out) {
      out.emplace();
      out->reserve(request.size() + 64);
    }
    out->append(copied_to, static_cast<std::size_t>(e.field.data() - copied_to));
    out->append(entry);
    copied_to = e.field.data() + e.field.size();
  }
  if (entries.malformed()) return Status::InvalidArgument("malformed request");
  if (out) out->append(copied_to, static_cast<std::size_t>(request.data() + request.size() - copied_to));
  return out;
}

Status ResourceProcessor::Consume(const PayloadPtr& payload) {
  Result<std::optional<std::string>> rewritten =
      RewriteResources(signal_, payload->bytes, config_.attributes, payload->metadata.get());
  if (!rewritten.ok()) return rewritten.status();
  if (!rewritten->has_value()) return next_->Consume(payload);
  return next_->Consume(DerivePayload(*payload, std::move(**rewritten), payload->items));
}

}  // namespace otlpd::processors::resource
