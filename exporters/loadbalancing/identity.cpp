#include "exporters/loadbalancing/identity.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "internal/xxhash64.h"
#include "otlp/wire/field_numbers.h"
#include "otlp/wire/otlp_levels.h"
#include "otlp/wire/wire_format.h"
#include "otlp/wire/wire_walker.h"

namespace otlpd::exporters::loadbalancing {
namespace {

using wire::AppendHeader;
using wire::AppendMessage;
using wire::FirstLen;
using wire::LastVarint;

using wire::Field;
using wire::Reader;
using wire::WireType;

constexpr int kMaxDepth = 64;

class Fnv64a {
 public:
  void Write(std::string_view b) {
    for (char c : b) {
      h_ ^= static_cast<unsigned char>(c);
      h_ *= 1099511628211ULL;
    }
  }
  void Write(const std::array<unsigned char, 16>& b) {
    Write(std::string_view(reinterpret_cast<const char*>(b.data()), b.size()));
  }
  std::uint64_t Sum() const { return h_; }

 private:
  std::uint64_t h_ = 14695981039346656037ULL;
};

void AppendLe64(std::string& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void WriteMap(std::string& buf, std::string_view message, std::uint32_t field, int depth);

// pcommon's Value as pdatautil's writeValueHash writes it. The last oneof
// member on the wire wins, as protobuf decodes it.
void WriteValue(std::string& buf, std::string_view any_value, int depth) {
  Reader r(any_value);
  Field f, last;
  bool found = false;
  while (!r.AtEnd() && r.ReadField(f)) {
    if (f.number >= 1 && f.number <= 7) {
      last = f;
      found = true;
    }
  }
  if (!found || depth > kMaxDepth) {
    buf.push_back('\xf5');
    return;
  }
  switch (last.number) {
    case 1:
      buf.push_back('\xf7');
      buf.append(last.payload);
      return;
    case 2: buf.push_back(last.value != 0 ? '\xf8' : '\xf9'); return;
    case 3:
      buf.push_back('\xfa');
      AppendLe64(buf, last.value);
      return;
    case 4:
      buf.push_back('\xfb');
      AppendLe64(buf, last.value);
      return;
    case 5: {  // ArrayValue { repeated AnyValue values = 1; }
      buf.push_back('\xfe');
      Reader a(last.payload);
      Field v;
      while (!a.AtEnd() && a.ReadField(v)) {
        if (v.number == 1 && v.type == WireType::kLen) WriteValue(buf, v.payload, depth + 1);
      }
      buf.push_back('\xff');
      return;
    }
    case 6:  // KeyValueList { repeated KeyValue values = 1; }
      buf.push_back('\xfc');
      WriteMap(buf, last.payload, 1, depth + 1);
      buf.push_back('\xfd');
      return;
    case 7:
      buf.push_back('\xf6');
      buf.append(last.payload);
      return;
  }
}

struct KeyValue {
  std::string_view key;
  std::string_view value;  // AnyValue message
};

bool SplitKeyValue(std::string_view message, KeyValue& kv) {
  Reader r(message);
  Field f;
  kv = {};
  while (!r.AtEnd()) {
    if (!r.ReadField(f)) return false;
    if (f.type != WireType::kLen) continue;
    if (f.number == wire::kKeyValueKey) kv.key = f.payload;
    if (f.number == wire::kKeyValueValue) kv.value = f.payload;
  }
  return true;
}

std::vector<KeyValue> Entries(std::string_view message, std::uint32_t field) {
  std::vector<KeyValue> out;
  Reader r(message);
  Field f;
  while (!r.AtEnd() && r.ReadField(f)) {
    KeyValue kv;
    if (f.number == field && f.type == WireType::kLen && SplitKeyValue(f.payload, kv)) out.push_back(kv);
  }
  return out;
}

void WriteMap(std::string& buf, std::string_view message, std::uint32_t field, int depth) {
  const std::vector<KeyValue> entries = Entries(message, field);
  std::vector<std::string_view> keys;
  keys.reserve(entries.size());
  for (const KeyValue& kv : entries) keys.push_back(kv.key);
  std::sort(keys.begin(), keys.end());
  for (std::string_view k : keys) {
    // Map.Get: the first entry with the key.
    std::string_view value;
    for (const KeyValue& kv : entries) {
      if (kv.key == k) {
        value = kv.value;
        break;
      }
    }
    buf.push_back('\xf4');
    buf.append(k);
    WriteValue(buf, value, depth);
  }
}

bool HasField(std::string_view message, std::uint32_t field) {
  Reader r(message);
  Field f;
  while (!r.AtEnd() && r.ReadField(f)) {
    if (f.number == field) return true;
  }
  return false;
}

std::string Hex64(const char* prefix, std::uint64_t v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%s/%llx", prefix, static_cast<unsigned long long>(v));
  return buf;
}

// Metric.data member field numbers and pmetric.MetricType values.
int MetricType(std::uint32_t data_field) {
  switch (data_field) {
    case wire::kMetricGauge: return 1;
    case wire::kMetricSum: return 2;
    case wire::kMetricHistogram: return 3;
    case wire::kMetricExpHistogram: return 4;
    case wire::kMetricSummary: return 5;
  }
  return 0;
}

// The attributes field of a data point of `data_field`'s kind.
std::uint32_t PointAttributesField(std::uint32_t data_field) {
  switch (data_field) {
    case wire::kMetricGauge:
    case wire::kMetricSum:
    case wire::kMetricSummary: return wire::kNumberPointAttributes;
    case wire::kMetricHistogram: return wire::kHistogramPointAttributes;
    case wire::kMetricExpHistogram: return wire::kExpHistogramPointAttributes;
  }
  return 0;
}

}  // namespace

MetricPoints ParseMetricPoints(std::string_view metric) {
  MetricPoints mp;
  const wire::schema::MetricData data = wire::schema::FindMetricData(metric);
  if (data.field == 0) return mp;
  mp.data_field = data.field;
  mp.attributes_field = PointAttributesField(data.field);
  Reader mr(metric);
  Field f;
  while (!mr.AtEnd() && mr.ReadField(f)) {
    if (!wire::IsMetricDataField(f.number)) mp.metric_header.append(f.raw);
  }
  // The occurrences of the data member that survive protobuf's oneof rule merge.
  Reader dr(metric.substr(data.offset));
  while (!dr.AtEnd() && dr.ReadField(f)) {
    if (f.number != data.field || f.type != WireType::kLen) continue;
    Reader pr(f.payload);
    Field p;
    while (!pr.AtEnd() && pr.ReadField(p)) {
      if (p.number == wire::kDataPoints && p.type == WireType::kLen) {
        mp.points.push_back(p.payload);
      } else {
        mp.data_header.append(p.raw);
      }
    }
  }
  return mp;
}

void AppendPointMetric(std::string& out, const MetricPoints& m, std::string_view point) {
  std::string data_body;
  wire::AppendTag(data_body, wire::kDataPoints, WireType::kLen);
  wire::AppendVarint(data_body, point.size());
  data_body.append(point);
  std::string metric_body;
  AppendMessage(metric_body, m.data_field, m.data_header, data_body);
  AppendMessage(out, wire::kScopeEntryItems, m.metric_header, metric_body);
}

std::array<unsigned char, 16> MapHash(std::string_view message, std::uint32_t field) {
  std::array<unsigned char, 16> out{};
  if (!HasField(message, field)) return out;
  std::string buf;
  WriteMap(buf, message, field, 0);
  std::uint64_t h = XxHash64(buf);
  for (int i = 0; i < 8; ++i)
    out[static_cast<std::size_t>(i)] = static_cast<unsigned char>((h >> (8 * i)) & 0xff);
  buf.push_back('\xf3');
  h = XxHash64(buf);
  for (int i = 0; i < 8; ++i)
    out[static_cast<std::size_t>(8 + i)] = static_cast<unsigned char>((h >> (8 * i)) & 0xff);
  return out;
}

std::string ResourceIdentity(std::string_view resource) {
  Fnv64a h;
  h.Write(MapHash(resource, 1));
  return Hex64("resource", h.Sum());
}

Result<RouteResult> RouteStreams(std::string_view request, const Chooser& choose) {
  // Parts as routing.cpp builds them, written out here for the per-point copies.
  std::vector<int> destinations;
  std::vector<std::string> requests;
  std::vector<std::uint64_t> items;
  auto group_of = [&](int destination) {
    for (std::size_t i = 0; i < destinations.size(); ++i)
      if (destinations[i] == destination) return i;
    destinations.push_back(destination);
    requests.emplace_back();
    items.push_back(0);
    return destinations.size() - 1;
  };
  for (const wire::Entry& r : wire::Resources(Signal::kMetrics, request)) {
    const std::string_view resource = FirstLen(r.message, wire::kEntryResource);
    const auto resource_hash = MapHash(resource, wire::kResourceAttributes);
    std::string resource_header;
    AppendHeader(resource_header, r.message, wire::kEntryScopes);
    std::vector<std::string> resource_bodies(destinations.size());
    for (const wire::Entry& s : wire::Scopes(Signal::kMetrics, r.message)) {
      const std::string_view scope = FirstLen(s.message, wire::kScopeEntryScope);
      std::string scope_header;
      AppendHeader(scope_header, s.message, wire::kScopeEntryItems);
      std::vector<std::string> scope_bodies(destinations.size());
      for (const wire::Entry& m : wire::Items(Signal::kMetrics, s.message)) {
        const MetricPoints mp = ParseMetricPoints(m.message);
        if (mp.data_field == 0) continue;  // no points: nothing to route (contrib drops it too)
        const wire::schema::MetricData data = wire::schema::FindMetricData(m.message);
        // identity.OfMetric: monotonic and temporality by type.
        const int type = MetricType(data.field);
        std::uint64_t temporality = 0;
        bool monotonic = false;
        {
          Reader dr(m.message.substr(data.offset));
          Field f;
          std::string merged;  // header fields of every occurrence, in order
          while (!dr.AtEnd() && dr.ReadField(f)) {
            if (f.number == data.field && f.type == WireType::kLen) merged.append(f.payload);
          }
          if (data.field == wire::kMetricSum) {
            temporality = LastVarint(merged, wire::kDataTemporality);
            monotonic = LastVarint(merged, wire::kSumIsMonotonic) != 0;
          } else if (data.field == wire::kMetricHistogram || data.field == wire::kMetricExpHistogram) {
            temporality = LastVarint(merged, wire::kDataTemporality);
            monotonic = true;
          }
        }
        Fnv64a metric_hash;
        metric_hash.Write(resource_hash);
        metric_hash.Write(FirstLen(scope, wire::kScopeName));
        metric_hash.Write(FirstLen(scope, wire::kScopeVersion));
        metric_hash.Write(MapHash(scope, wire::kScopeAttributes));
        metric_hash.Write(FirstLen(m.message, wire::kMetricName));
        metric_hash.Write(FirstLen(m.message, wire::kMetricUnit));
        const char tail[3] = {static_cast<char>(type), static_cast<char>(monotonic ? 1 : 0),
                              static_cast<char>(temporality)};
        metric_hash.Write(std::string_view(tail, 3));
        for (std::string_view point : mp.points) {
          Fnv64a h = metric_hash;
          h.Write(MapHash(point, mp.attributes_field));
          const std::size_t g = group_of(choose(Hex64("stream", h.Sum())));
          if (scope_bodies.size() < destinations.size()) scope_bodies.resize(destinations.size());
          AppendPointMetric(scope_bodies[g], mp, point);
          ++items[g];
        }
      }
      if (resource_bodies.size() < destinations.size()) resource_bodies.resize(destinations.size());
      for (std::size_t g = 0; g < scope_bodies.size(); ++g) {
        if (!scope_bodies[g].empty()) {
          AppendMessage(resource_bodies[g], wire::kEntryScopes, scope_header, scope_bodies[g]);
        }
      }
    }
    for (std::size_t g = 0; g < resource_bodies.size(); ++g) {
      if (!resource_bodies[g].empty()) {
        AppendMessage(requests[g], wire::kRequestEntries, resource_header, resource_bodies[g]);
      }
    }
  }
  RouteResult out;
  for (std::size_t g = 0; g < destinations.size(); ++g) {
    out.parts.push_back(Part{destinations[g], std::move(requests[g]), items[g]});
  }
  return out;
}

}  // namespace otlpd::exporters::loadbalancing
