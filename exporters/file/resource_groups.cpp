#include "exporters/file/resource_groups.h"

#include <optional>
#include <unordered_map>

#include "otlp/wire/field_numbers.h"
#include "otlp/wire/wire_format.h"
#include "otlp/wire/wire_walker.h"

namespace otlpd::exporters::file {
namespace {

enum class Lookup { kFound, kAbsent, kMalformed };

// Follows protobuf's merge of a KeyValue's repeated `value` occurrences:
// the oneof member seen last wins, a repeated string replaces.
struct AnyValueState {
  std::uint32_t member = 0;
  std::string_view string_value;

  bool Read(std::string_view any_value) {
    wire::Reader r(any_value);
    wire::Field f;
    while (!r.AtEnd()) {
      if (!r.ReadField(f)) return false;
      if (f.number < 1 || f.number > wire::kAnyValueLastMember) continue;
      member = f.number;
      if (f.number == wire::kAnyValueString && f.type == wire::WireType::kLen) string_value = f.payload;
    }
    return true;
  }
};

// Reads one KeyValue; sets `matched` when its key is `attribute`.
bool ReadKeyValue(std::string_view kv, std::string_view attribute, bool& matched, AnyValueState& value) {
  std::string_view key;
  std::vector<std::string_view> values;
  wire::Reader r(kv);
  wire::Field f;
  while (!r.AtEnd()) {
    if (!r.ReadField(f)) return false;
    if (f.type != wire::WireType::kLen) continue;
    if (f.number == wire::kKeyValueKey) key = f.payload;
    if (f.number == wire::kKeyValueValue) values.push_back(f.payload);
  }
  matched = key == attribute;
  if (!matched) return true;
  for (std::string_view v : values) {
    if (!value.Read(v)) return false;
  }
  return true;
}

// The attribute's value in one resource entry (its `resource` occurrences
// merge, so their attributes are read in order and the first match counts).
Lookup FindStringAttribute(std::string_view entry, std::string_view attribute, std::string_view& out) {
  wire::Reader r(entry);
  wire::Field f;
  while (!r.AtEnd()) {
    if (!r.ReadField(f)) return Lookup::kMalformed;
    if (f.number != wire::kEntryResource || f.type != wire::WireType::kLen) continue;
    wire::Reader rr(f.payload);
    wire::Field a;
    while (!rr.AtEnd()) {
      if (!rr.ReadField(a)) return Lookup::kMalformed;
      if (a.number != wire::kResourceAttributes || a.type != wire::WireType::kLen) continue;
      bool matched = false;
      AnyValueState value;
      if (!ReadKeyValue(a.payload, attribute, matched, value)) return Lookup::kMalformed;
      if (!matched) continue;
      if (value.member != wire::kAnyValueString) return Lookup::kAbsent;
      out = value.string_value;
      return Lookup::kFound;
    }
  }
  return Lookup::kAbsent;
}

}  // namespace

Result<GroupedRequest> GroupByResourceAttribute(Signal signal, std::string_view request,
                                                std::string_view attribute) {
  GroupedRequest out;
  std::unordered_map<std::string_view, std::size_t> index;
  wire::EntryRange entries = wire::Resources(signal, request);
  for (const wire::Entry& e : entries) {
    std::string_view value;
    const Lookup found = FindStringAttribute(e.message, attribute, value);
    if (found == Lookup::kMalformed) return Status::InvalidArgument("malformed resource entry");
    if (found == Lookup::kAbsent) {
      ++out.dropped_resources;
      out.dropped_items += e.items;
      continue;
    }
    auto [it, inserted] = index.emplace(value, out.groups.size());
    if (inserted) out.groups.push_back(ResourceGroup{std::string(value), {}, 0});
    ResourceGroup& g = out.groups[it->second];
    g.request.append(e.field);
    g.items += e.items;
  }
  if (entries.malformed()) return Status::InvalidArgument("malformed request");
  if (signal == Signal::kProfiles) {
    // Every group's entries index the request's one dictionary: each group
    // gets the request's other fields (the dictionary) with its entries.
    std::string rest;
    wire::Reader reader(request);
    wire::Field f;
    while (!reader.AtEnd()) {
      if (!reader.ReadField(f)) return Status::InvalidArgument("malformed request");
      if (f.number != 1) rest.append(f.raw);
    }
    for (ResourceGroup& g : out.groups) g.request.append(rest);
  }
  return out;
}

}  // namespace otlpd::exporters::file
