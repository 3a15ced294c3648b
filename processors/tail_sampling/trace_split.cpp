#include "processors/tail_sampling/trace_split.h"

#include <algorithm>
#include <cstring>
#include <unordered_map>

#include "otlp/wire/wire_format.h"

namespace otlpd::processors::tail_sampling {
namespace {

using wire::Field;
using wire::Reader;
using wire::WireType;

// Request.resource_spans = 1; ResourceSpans.resource = 1, scope_spans = 2;
// ScopeSpans.scope = 1, spans = 2; Span.trace_id = 1, parent_span_id = 4.
constexpr std::uint32_t kResourceSpans = 1;
constexpr std::uint32_t kResource = 1;
constexpr std::uint32_t kScopeSpans = 2;
constexpr std::uint32_t kScope = 1;
constexpr std::uint32_t kSpans = 2;
constexpr std::uint32_t kTraceId = 1;
constexpr std::uint32_t kParentSpanId = 4;

std::uint64_t FieldSize(std::uint64_t message_size) {
  return 1 + wire::VarintSize(message_size) + message_size;
}

struct ScopeGroup {
  std::size_t scope = 0;                // index into the resource's scope headers
  std::vector<std::string_view> spans;  // raw span fields
  std::uint64_t size = 0;               // ScopeSpans message size
};

struct TraceGroup {
  std::array<unsigned char, 16> id{};
  std::vector<ScopeGroup> scopes;
  std::int64_t spans = 0;
  bool has_root = false;
};

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
  std::vector<TraceGroup> groups;
  std::unordered_map<std::array<unsigned char, 16>, std::size_t, IdHash> index;
  std::vector<std::string> scope_headers;  // per scope entry of the resource: its raw scope fields
  Reader req(request);
  Field rf;
  while (!req.AtEnd()) {
    if (!req.ReadField(rf)) return Status::InvalidArgument("malformed ExportTraceServiceRequest");
    if (rf.number != kResourceSpans || rf.type != WireType::kLen) continue;
    groups.clear();
    index.clear();
    scope_headers.clear();
    std::string resource_header;
    Reader res(rf.payload);
    Field f;
    while (!res.AtEnd()) {
      if (!res.ReadField(f)) return Status::InvalidArgument("malformed ResourceSpans");
      if (f.type != WireType::kLen) continue;
      if (f.number == kResource) {
        resource_header.append(f.raw);
        continue;
      }
      if (f.number != kScopeSpans) continue;
      const std::size_t scope_index = scope_headers.size();
      std::string& header = scope_headers.emplace_back();
      Reader sc(f.payload);
      Field sf;
      while (!sc.AtEnd()) {
        if (!sc.ReadField(sf)) return Status::InvalidArgument("malformed ScopeSpans");
        if (sf.type != WireType::kLen) continue;
        if (sf.number == kScope) {
          header.append(sf.raw);
          continue;
        }
        if (sf.number != kSpans) continue;
        std::array<unsigned char, 16> id{};
        bool root = true;
        Reader sp(sf.payload);
        Field spf;
        while (!sp.AtEnd()) {
          if (!sp.ReadField(spf)) return Status::InvalidArgument("malformed Span");
          if (spf.type != WireType::kLen) continue;
          if (spf.number == kTraceId) {
            id = {};
            std::memcpy(id.data(), spf.payload.data(), std::min<std::size_t>(16, spf.payload.size()));
          } else if (spf.number == kParentSpanId) {
            root = AllZero(spf.payload);
          }
        }
        auto [it, inserted] = index.try_emplace(id, groups.size());
        if (inserted) groups.emplace_back().id = id;
        TraceGroup* g = &groups[it->second];
        if (g->scopes.empty() || g->scopes.back().scope != scope_index) {
          g->scopes.push_back(ScopeGroup{scope_index, {}, 0});
        }
        g->scopes.back().spans.push_back(sf.raw);
        g->scopes.back().size += sf.raw.size();
        ++g->spans;
        g->has_root = g->has_root || root;
      }
    }
    for (TraceGroup& g : groups) {
      TraceFragment frag;
      frag.trace_id = g.id;
      frag.spans = g.spans;
      frag.has_root = g.has_root;
      std::uint64_t size = resource_header.size();
      for (ScopeGroup& s : g.scopes) {
        s.size += scope_headers[s.scope].size();
        size += FieldSize(s.size);
      }
      frag.resource_spans_size = size;
      frag.bytes.reserve(FieldSize(size));
      wire::AppendTag(frag.bytes, kResourceSpans, WireType::kLen);
      wire::AppendVarint(frag.bytes, size);
      frag.bytes.append(resource_header);
      for (const ScopeGroup& s : g.scopes) {
        wire::AppendTag(frag.bytes, kScopeSpans, WireType::kLen);
        wire::AppendVarint(frag.bytes, s.size);
        frag.bytes.append(scope_headers[s.scope]);
        for (std::string_view span : s.spans) frag.bytes.append(span);
      }
      out.push_back(std::move(frag));
    }
  }
  return out;
}

}  // namespace otlpd::processors::tail_sampling
