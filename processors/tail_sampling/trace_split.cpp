#include "processors/tail_sampling/trace_split.h"

#include <algorithm>
#include <cstring>
#include <unordered_map>

#include "otlp/wire/field_numbers.h"
#include "otlp/wire/regroup.h"
#include "otlp/wire/wire_format.h"
#include "otlp/wire/wire_walker.h"

namespace otlpd::processors::tail_sampling {
namespace {

using wire::Field;
using wire::Reader;
using wire::WireType;

struct IdHash {
  std::size_t operator()(const std::array<unsigned char, 16>& id) const {
    std::uint64_t lo = 0;
    std::uint64_t hi = 0;
    std::memcpy(&lo, id.data(), 8);
    std::memcpy(&hi, id.data() + 8, 8);
    return static_cast<std::size_t>(lo ^ (hi * 0x9E3779B97F4A7C15ull));
  }
};

bool AllZero(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c == 0; });
}

}  // namespace

Result<std::vector<TraceFragment>> SplitByTrace(std::string_view request) {
  std::vector<TraceFragment> out;
  std::unordered_map<std::array<unsigned char, 16>, int, IdHash> index;
  wire::EntryRange resources = wire::Resources(Signal::kTraces, request);
  for (const wire::Entry& r : resources) {
    // One regrouping per resource entry: a fragment is one (resource, trace).
    wire::Regrouper groups(wire::Regrouper::Headers::kMessageOnly);
    index.clear();
    const std::size_t first = out.size();
    groups.BeginResource(r.message);
    wire::EntryRange scopes = wire::Scopes(Signal::kTraces, r.message);
    for (const wire::Entry& s : scopes) {
      groups.BeginScope(s.message);
      wire::EntryRange spans = wire::Items(Signal::kTraces, s.message);
      for (const wire::Entry& span : spans) {
        std::array<unsigned char, 16> id{};
        bool root = true;
        Reader sp(span.message);
        Field f;
        while (!sp.AtEnd()) {
          if (!sp.ReadField(f)) return Status::InvalidArgument("malformed Span");
          if (f.type != WireType::kLen) continue;
          if (f.number == wire::kSpanTraceId) {
            id = {};
            std::memcpy(id.data(), f.payload.data(), std::min<std::size_t>(16, f.payload.size()));
          } else if (f.number == wire::kSpanParentSpanId) {
            root = AllZero(f.payload);
          }
        }
        auto [it, inserted] = index.try_emplace(id, static_cast<int>(out.size() - first));
        if (inserted) out.emplace_back().trace_id = id;
        TraceFragment& frag = out[first + static_cast<std::size_t>(it->second)];
        ++frag.spans;
        frag.has_root = frag.has_root || root;
        groups.AddItem(it->second, span.field, 1);
      }
      if (spans.malformed()) return Status::InvalidArgument("malformed ScopeSpans");
      groups.EndScope();
    }
    if (scopes.malformed()) return Status::InvalidArgument("malformed ResourceSpans");
    groups.EndResource();
    for (std::size_t g = first; g < out.size(); ++g) {
      TraceFragment& frag = out[g];
      frag.bytes = std::move(groups.request(static_cast<int>(g - first)));
      // The ResourceSpans message size: the field without its tag and length.
      Reader whole(frag.bytes);
      Field f;
      if (whole.ReadField(f)) frag.resource_spans_size = f.payload.size();
    }
  }
  if (resources.malformed()) return Status::InvalidArgument("malformed ExportTraceServiceRequest");
  return out;
}

}  // namespace otlpd::processors::tail_sampling
