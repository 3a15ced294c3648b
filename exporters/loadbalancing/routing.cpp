#include "exporters/loadbalancing/routing.h"

#include <map>
#include <optional>
#include <random>
#include <unordered_map>

#include "exporters/loadbalancing/identity.h"
#include "internal/base64.h"
#include "otlp/wire/any_value.h"
#include "otlp/wire/field_numbers.h"
#include "otlp/wire/regroup.h"
#include "otlp/wire/wire_format.h"
#include "otlp/wire/wire_walker.h"

namespace otlpd::exporters::loadbalancing {
namespace {

using wire::AnyValueAsString;
using wire::AnyValueView;
using wire::Field;
using wire::FirstLen;
using wire::LastVarint;
using wire::ParseAnyValue;
using wire::ParseKeyValue;
using wire::Reader;
using wire::ValueType;
using wire::WireType;

// pcommon Map.Get on a message holding repeated KeyValue at `field`: the
// first entry with that key.
std::optional<AnyValueView> FindAttribute(std::string_view message, std::uint32_t field,
                                          std::string_view key) {
  Reader r(message);
  Field f;
  while (!r.AtEnd() && r.ReadField(f)) {
    if (f.number != field || f.type != WireType::kLen) continue;
    std::string_view k, v;
    if (ParseKeyValue(f.payload, k, v) && k == key) return ParseAnyValue(v);
  }
  return std::nullopt;
}

// pcommon Value.Str(): the string, or "" for any other type.
std::string_view Str(const AnyValueView& v) {
  return v.type == ValueType::kStr ? v.bytes : std::string_view();
}

std::string Hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) {
    out.push_back(kDigits[(static_cast<unsigned char>(c) >> 4) & 0xf]);
    out.push_back(kDigits[static_cast<unsigned char>(c) & 0xf]);
  }
  return out;
}

// A trace or span id field as pcommon holds it: 16 bytes, zeros when absent.
std::string TraceId(std::string_view item, std::uint32_t field) {
  std::string_view id = FirstLen(item, field);
  std::string out(16, '\0');
  if (id.size() == 16) out.assign(id);
  return out;
}

bool IsZero(std::string_view id) {
  for (char c : id)
    if (c != 0) return false;
  return true;
}

// Go's ptrace.SpanKind.String().
std::string_view SpanKindName(std::uint64_t kind) {
  switch (kind) {
    case 0: return "Unspecified";
    case 1: return "Internal";
    case 2: return "Server";
    case 3: return "Client";
    case 4: return "Producer";
    case 5: return "Consumer";
  }
  return "";
}

// Destinations in first-met order, each with its part.
class Parts {
 public:
  explicit Parts(const Chooser& choose) : choose_(choose) {}

  // The group (index into parts) of an identifier, choosing on first sight.
  int GroupOf(const std::string& identifier) {
    auto it = by_identifier_.find(identifier);
    if (it != by_identifier_.end()) return it->second;
    const int g = GroupOfDestination(choose_(identifier));
    by_identifier_.emplace(identifier, g);
    return g;
  }
  int GroupOfDestination(int destination) {
    for (std::size_t i = 0; i < destinations_.size(); ++i) {
      if (destinations_[i] == destination) return static_cast<int>(i);
    }
    destinations_.push_back(destination);
    return static_cast<int>(destinations_.size() - 1);
  }

  // Takes each part's request out of `b` (null: the caller fills them).
  RouteResult Finish(wire::Regrouper* b, bool all_one_group, std::uint64_t dropped) {
    RouteResult out;
    out.dropped_items = dropped;
    out.whole = all_one_group && destinations_.size() == 1 && dropped == 0;
    for (std::size_t i = 0; i < destinations_.size(); ++i) {
      Part p;
      p.destination = destinations_[i];
      if (!out.whole && b != nullptr) {
        p.bytes = std::move(b->request(static_cast<int>(i)));
        p.items = b->items(static_cast<int>(i));
      }
      out.parts.push_back(std::move(p));
    }
    return out;
  }

 private:
  const Chooser& choose_;
  std::unordered_map<std::string, int> by_identifier_;
  std::vector<int> destinations_;
};

// Routing by something every resource has one of: each resource entry goes whole.
template <class KeyOfResource>
Result<RouteResult> RouteResources(Signal signal, std::string_view request, const Chooser& choose,
                                   KeyOfResource key_of) {
  Parts parts(choose);
  wire::Regrouper b;
  std::uint64_t dropped = 0;
  for (const wire::Entry& r : wire::Resources(signal, request)) {
    std::optional<std::string> key = key_of(r.message);
    if (!key) {
      dropped += r.items;
      continue;
    }
    b.AddResource(parts.GroupOf(*key), r.field, r.items);
  }
  return parts.Finish(&b, true, dropped);
}

// Routing per item (span, log record, metric).
template <class KeyOfItem>
Result<RouteResult> RouteItems(Signal signal, std::string_view request, const Chooser& choose,
                               KeyOfItem key_of) {
  Parts parts(choose);
  wire::Regrouper b;
  for (const wire::Entry& r : wire::Resources(signal, request)) {
    b.BeginResource(r.message);
    for (const wire::Entry& s : wire::Scopes(signal, r.message)) {
      b.BeginScope(s.message);
      for (const wire::Entry& item : wire::Items(signal, s.message)) {
        b.AddItem(parts.GroupOf(key_of(r.message, s.message, item.message)), item.field, item.items);
      }
      b.EndScope();
    }
    b.EndResource();
  }
  return parts.Finish(&b, true, 0);
}

// The attribute identifier of one resource of a trace batch (contrib's
// routingIdentifiersFromTraces): resource attributes, then those of the
// batch's first scope, the pseudo attributes span.kind / span.name and the
// attributes of the batch's first span.
std::string TraceAttributeKey(const std::vector<std::string>& attrs, std::string_view resource,
                              std::string_view first_scope, std::string_view first_span) {
  std::string key;
  const std::string_view res = FirstLen(resource, wire::kEntryResource);
  const std::string_view scope = FirstLen(first_scope, wire::kScopeEntryScope);
  for (const std::string& a : attrs) {
    if (auto v = FindAttribute(res, wire::kResourceAttributes, a)) {
      key += AttributeKey(a, AnyValueAsString(*v));
      continue;
    }
    if (auto v = FindAttribute(scope, wire::kScopeAttributes, a)) {
      key += AttributeKey(a, AnyValueAsString(*v));
      continue;
    }
    if (a == "span.kind") {
      key += AttributeKey(a, SpanKindName(LastVarint(first_span, wire::kSpanKind)));
      continue;
    }
    if (a == "span.name") {
      key += AttributeKey(a, FirstLen(first_span, wire::kSpanName));
      continue;
    }
    if (auto v = FindAttribute(first_span, wire::kSpanAttributes, a)) {
      key += AttributeKey(a, AnyValueAsString(*v));
      continue;
    }
    key += a + "=|";
  }
  return key;
}

// Traces by service or attributes: split per trace id first (contrib's
// batchpersignal.SplitTraces), then every trace batch goes to the backend of
// each distinct identifier of its resources.
Result<RouteResult> RouteTraceBatches(std::string_view request, const std::vector<std::string>& attrs,
                                      const Chooser& choose) {
  struct Batch {
    std::vector<std::string_view> resources;  // resource entry messages holding the trace, in order
    std::string_view first_scope, first_span;
  };
  std::unordered_map<std::string, int> batch_of;
  std::vector<Batch> batches;
  wire::Regrouper per_trace;
  for (const wire::Entry& r : wire::Resources(Signal::kTraces, request)) {
    per_trace.BeginResource(r.message);
    for (const wire::Entry& s : wire::Scopes(Signal::kTraces, r.message)) {
      per_trace.BeginScope(s.message);
      for (const wire::Entry& span : wire::Items(Signal::kTraces, s.message)) {
        const std::string tid = TraceId(span.message, wire::kSpanTraceId);
        auto [it, fresh] = batch_of.emplace(tid, static_cast<int>(batches.size()));
        if (fresh) batches.push_back(Batch{{}, s.message, span.message});
        Batch& batch = batches[static_cast<std::size_t>(it->second)];
        if (batch.resources.empty() || batch.resources.back().data() != r.message.data()) {
          batch.resources.push_back(r.message);
        }
        per_trace.AddItem(it->second, span.field, 1);
      }
      per_trace.EndScope();
    }
    per_trace.EndResource();
  }
  Parts parts(choose);
  std::vector<std::string> out;
  std::vector<std::uint64_t> out_items;
  bool one_group = true;
  for (std::size_t i = 0; i < batches.size(); ++i) {
    const Batch& batch = batches[i];
    std::vector<int> groups;
    for (std::string_view res : batch.resources) {
      const int g = parts.GroupOf(TraceAttributeKey(attrs, res, batch.first_scope, batch.first_span));
      if (std::find(groups.begin(), groups.end(), g) == groups.end()) groups.push_back(g);
    }
    if (groups.size() > 1) one_group = false;  // sent to several backends: parts needed
    for (int g : groups) {
      if (static_cast<std::size_t>(g) >= out.size()) {
        out.resize(static_cast<std::size_t>(g) + 1);
        out_items.resize(static_cast<std::size_t>(g) + 1);
      }
      out[static_cast<std::size_t>(g)] += per_trace.request(static_cast<int>(i));
      out_items[static_cast<std::size_t>(g)] += per_trace.items(static_cast<int>(i));
    }
  }
  RouteResult result = parts.Finish(nullptr, one_group, 0);
  if (!result.whole) {
    for (std::size_t g = 0; g < result.parts.size(); ++g) {
      result.parts[g].bytes = std::move(out[g]);
      result.parts[g].items = out_items[g];
    }
  }
  return result;
}

// Logs and metrics by attributes (contrib's splitLogsByAttributes and
// splitMetricsByAttributes): the key takes the attributes the resource has,
// then those its scope has, then per record (pseudo attributes log.severity
// and log.body) or per data point the rest, missing ones as "name=|". A
// resource or scope that holds every attribute goes whole.
Result<RouteResult> RouteByAttributes(Signal signal, std::string_view request,
                                      const std::vector<std::string>& attrs, const Chooser& choose) {
  Parts parts(choose);
  wire::Regrouper b;
  for (const wire::Entry& r : wire::Resources(signal, request)) {
    const std::string_view res = FirstLen(r.message, wire::kEntryResource);
    std::string base;
    std::vector<const std::string*> pending;
    for (const std::string& a : attrs) {
      if (auto v = FindAttribute(res, wire::kResourceAttributes, a)) {
        base += AttributeKey(a, AnyValueAsString(*v));
      } else {
        pending.push_back(&a);
      }
    }
    wire::Entry first_scope;
    const bool has_scopes = wire::Scopes(signal, r.message).Next(first_scope);
    if (pending.empty() || (signal == Signal::kLogs && !has_scopes)) {
      b.AddResource(parts.GroupOf(base), r.field, r.items);
      continue;
    }
    b.BeginResource(r.message);
    for (const wire::Entry& s : wire::Scopes(signal, r.message)) {
      const std::string_view scope = FirstLen(s.message, wire::kScopeEntryScope);
      std::string scope_key = base;
      std::vector<const std::string*> rest;
      for (const std::string* a : pending) {
        if (auto v = FindAttribute(scope, wire::kScopeAttributes, *a)) {
          scope_key += AttributeKey(*a, AnyValueAsString(*v));
        } else {
          rest.push_back(a);
        }
      }
      if (rest.empty()) {
        b.AddScope(parts.GroupOf(scope_key), s.field, s.items);
        continue;
      }
      b.BeginScope(s.message);
      for (const wire::Entry& item : wire::Items(signal, s.message)) {
        if (signal == Signal::kLogs) {
          std::string key = scope_key;
          for (const std::string* a : rest) {
            if (*a == "log.severity") {
              key += AttributeKey(*a, FirstLen(item.message, wire::kLogSeverityText));
            } else if (*a == "log.body") {
              key +=
                  AttributeKey(*a, AnyValueAsString(ParseAnyValue(FirstLen(item.message, wire::kLogBody))));
            } else if (auto v = FindAttribute(item.message, wire::kLogAttributes, *a)) {
              key += AttributeKey(*a, AnyValueAsString(*v));
            } else {
              key += *a + "=|";
            }
          }
          b.AddItem(parts.GroupOf(key), item.field, 1);
          continue;
        }
        const MetricPoints mp = ParseMetricPoints(item.message);
        for (std::string_view point : mp.points) {
          std::string key = scope_key;
          for (const std::string* a : rest) {
            if (auto v = FindAttribute(point, mp.attributes_field, *a)) {
              key += AttributeKey(*a, AnyValueAsString(*v));
            } else {
              key += *a + "=|";
            }
          }
          std::string field;
          AppendPointMetric(field, mp, point);
          b.AddItem(parts.GroupOf(key), field, 1);
        }
      }
      b.EndScope();
    }
    b.EndResource();
  }
  return parts.Finish(&b, true, 0);
}

std::string RandomTraceHex(const std::function<std::uint32_t()>& random) {
  static thread_local std::mt19937 gen{std::random_device{}()};
  const std::uint32_t v = random ? random() : static_cast<std::uint32_t>(gen());
  std::string id(16, '\0');
  for (int i = 0; i < 4; ++i) id[static_cast<std::size_t>(i)] = static_cast<char>((v >> (8 * i)) & 0xff);
  return Hex(id);
}

// The service.name of a Resource* entry's resource, if it has one.
std::optional<std::string> ServiceNameOf(std::string_view entry) {
  auto v = FindAttribute(FirstLen(entry, wire::kEntryResource), wire::kResourceAttributes, "service.name");
  if (!v) return std::nullopt;
  return std::string(Str(*v));
}

// "resource/<hex>" of a Resource* entry's resource.
std::optional<std::string> ResourceIdentityOf(std::string_view entry) {
  return ResourceIdentity(FirstLen(entry, wire::kEntryResource));
}

}  // namespace

std::string AttributeKey(std::string_view name, std::string_view value) {
  std::string out;
  out.reserve(name.size() + value.size() + 2);
  out.append(name);
  out += '=';
  out.append(value);
  out += '|';
  return out;
}

Result<RouteResult> Route(const RouteOptions& o, std::string_view request, const Chooser& choose) {
  switch (o.signal) {
    case Signal::kTraces:
      if (o.key == RoutingKey::kTraceId) {
        return RouteItems(Signal::kTraces, request, choose,
                          [](std::string_view, std::string_view, std::string_view span) {
                            return TraceId(span, wire::kSpanTraceId);
                          });
      }
      if (o.key == RoutingKey::kService) return RouteTraceBatches(request, {"service.name"}, choose);
      if (o.key == RoutingKey::kAttributes) return RouteTraceBatches(request, o.attributes, choose);
      break;
    case Signal::kLogs:
      if (o.key == RoutingKey::kService) {
        // contrib's logs exporter routes a resource without service.name by "".
        return RouteResources(
            Signal::kLogs, request, choose,
            [](std::string_view r) -> std::optional<std::string> { return ServiceNameOf(r).value_or(""); });
      }
      if (o.key == RoutingKey::kTraceId) {
        return RouteItems(Signal::kLogs, request, choose,
                          [&o](std::string_view, std::string_view, std::string_view record) {
                            const std::string tid = TraceId(record, wire::kLogTraceId);
                            return IsZero(tid) ? RandomTraceHex(o.random) : Hex(tid);
                          });
      }
      if (o.key == RoutingKey::kAttributes)
        return RouteByAttributes(Signal::kLogs, request, o.attributes, choose);
      if (o.key == RoutingKey::kResource)
        return RouteResources(Signal::kLogs, request, choose, ResourceIdentityOf);
      break;
    case Signal::kMetrics:
      if (o.key == RoutingKey::kService)
        return RouteResources(Signal::kMetrics, request, choose, ServiceNameOf);
      if (o.key == RoutingKey::kResource) {
        return RouteResources(Signal::kMetrics, request, choose, ResourceIdentityOf);
      }
      if (o.key == RoutingKey::kMetric) {
        return RouteItems(Signal::kMetrics, request, choose,
                          [](std::string_view, std::string_view, std::string_view metric) {
                            return std::string(FirstLen(metric, wire::kMetricName));
                          });
      }
      if (o.key == RoutingKey::kStreamId) return RouteStreams(request, choose);
      if (o.key == RoutingKey::kAttributes)
        return RouteByAttributes(Signal::kMetrics, request, o.attributes, choose);
      break;
    case Signal::kProfiles: break;  // not a signal of this exporter
  }
  return Status::InvalidArgument("loadbalancing: routing_key not supported for " +
                                 std::string(SignalName(o.signal)));
}

}  // namespace otlpd::exporters::loadbalancing
