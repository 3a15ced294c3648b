#include "ottl/compiler.h"

#include <algorithm>
#include <map>
#include <set>

#include "internal/text.h"
#include "ottl/functions.h"

namespace otlpd::ottl {
namespace {

using AttrsFn = std::function<Attrs*(EvalContext&)>;
using AnyFn = std::function<AnyValue*(EvalContext&)>;
using SetFn = std::function<Status(EvalContext&, const Value&)>;

// ---------------------------------------------------------------------------
// Contexts and enums

struct ContextInfo {
  ContextKind kind;
  std::string_view name;
};
constexpr ContextInfo kContexts[] = {
    {ContextKind::kResource, "resource"}, {ContextKind::kScope, "scope"},
    {ContextKind::kSpan, "span"},         {ContextKind::kSpanEvent, "spanevent"},
    {ContextKind::kMetric, "metric"},     {ContextKind::kDataPoint, "datapoint"},
    {ContextKind::kLog, "log"},
};

// Enums by the contexts that know them (§1.8).
std::optional<std::int64_t> EnumValue(ContextKind ctx, std::string_view name) {
  static const std::map<std::string_view, std::int64_t> kSpan = {
      {"SPAN_KIND_UNSPECIFIED", 0}, {"SPAN_KIND_INTERNAL", 1}, {"SPAN_KIND_SERVER", 2},
      {"SPAN_KIND_CLIENT", 3},      {"SPAN_KIND_PRODUCER", 4}, {"SPAN_KIND_CONSUMER", 5},
      {"STATUS_CODE_UNSET", 0},     {"STATUS_CODE_OK", 1},     {"STATUS_CODE_ERROR", 2},
  };
  static const std::map<std::string_view, std::int64_t> kMetric = {
      {"AGGREGATION_TEMPORALITY_UNSPECIFIED", 0},
      {"AGGREGATION_TEMPORALITY_DELTA", 1},
      {"AGGREGATION_TEMPORALITY_CUMULATIVE", 2},
      {"METRIC_DATA_TYPE_NONE", 0},
      {"METRIC_DATA_TYPE_GAUGE", 1},
      {"METRIC_DATA_TYPE_SUM", 2},
      {"METRIC_DATA_TYPE_HISTOGRAM", 3},
      {"METRIC_DATA_TYPE_EXPONENTIAL_HISTOGRAM", 4},
      {"METRIC_DATA_TYPE_SUMMARY", 5},
  };
  static const std::map<std::string, std::int64_t> kLog = [] {
    std::map<std::string, std::int64_t> m{{"SEVERITY_NUMBER_UNSPECIFIED", 0}};
    const char* levels[] = {"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"};
    for (int l = 0; l < 6; ++l) {
      for (int k = 0; k < 4; ++k) {
        std::string n = std::string("SEVERITY_NUMBER_") + levels[l] + (k == 0 ? "" : std::to_string(k + 1));
        m[n] = l * 4 + k + 1;
      }
    }
    return m;
  }();
  switch (ctx) {
    case ContextKind::kSpan:
    case ContextKind::kSpanEvent:
      if (auto it = kSpan.find(name); it != kSpan.end()) return it->second;
      return std::nullopt;
    case ContextKind::kMetric:
    case ContextKind::kDataPoint:
      if (auto it = kMetric.find(name); it != kMetric.end()) return it->second;
      if (ctx == ContextKind::kDataPoint) {
        if (name == "FLAG_NONE") return 0;
        if (name == "FLAG_NO_RECORDED_VALUE") return 1;
      }
      return std::nullopt;
    case ContextKind::kLog:
      if (auto it = kLog.find(std::string(name)); it != kLog.end()) return it->second;
      return std::nullopt;
    default: return std::nullopt;
  }
}

// ---------------------------------------------------------------------------
// Map and slice navigation (contexts/internal/ctxutil)

std::string_view AnyTypeName(const AnyValue& v) {
  switch (v.value_case()) {
    case AnyValue::kStringValue: return "Str";
    case AnyValue::kBoolValue: return "Bool";
    case AnyValue::kIntValue: return "Int";
    case AnyValue::kDoubleValue: return "Double";
    case AnyValue::kBytesValue: return "Bytes";
    case AnyValue::kKvlistValue: return "Map";
    case AnyValue::kArrayValue: return "Slice";
    default: return "Empty";
  }
}

AnyValue* FindKey(Attrs& attrs, std::string_view key) {
  for (KeyValue& kv : attrs) {
    if (kv.key() == key) return kv.mutable_value();
  }
  return nullptr;
}

struct KeyC {
  std::optional<Value> literal;
  Getter dynamic;
  int pos = 0;
};

Result<Value> KeyOf(const KeyC& k, EvalContext& ctx) {
  if (k.literal) return *k.literal;
  Result<Value> v = k.dynamic(ctx);
  if (!v.ok()) return v.status();
  if (v->is_nil()) return Status::InvalidArgument("key expression returned nil, expected an int or string");
  if (v->kind() != Value::Kind::kString && v->kind() != Value::Kind::kInt) {
    return Status::InvalidArgument("unsupported key type " + std::string(v->TypeName()) +
                                   ", expected an int or string");
  }
  return v;
}

// Reads keys[from..] below `v`; a missing key reads as nil.
Result<Value> ReadKeys(const AnyValue* v, const std::vector<KeyC>& keys, std::size_t from, EvalContext& ctx) {
  for (std::size_t i = from; i < keys.size(); ++i) {
    if (v == nullptr) return Value();
    Result<Value> key = KeyOf(keys[i], ctx);
    if (!key.ok()) return key.status();
    if (key->kind() == Value::Kind::kString) {
      if (!v->has_kvlist_value()) {
        return Status::InvalidArgument("type " + std::string(AnyTypeName(*v)) +
                                       " does not support string indexing");
      }
      v = FindKey(*const_cast<AnyValue*>(v)->mutable_kvlist_value()->mutable_values(), key->as_string());
    } else {
      if (!v->has_array_value()) {
        return Status::InvalidArgument("type " + std::string(AnyTypeName(*v)) +
                                       " does not support int indexing");
      }
      const std::int64_t n = key->as_int();
      if (n < 0 || n >= v->array_value().values_size()) {
        return Status::InvalidArgument("index " + std::to_string(n) + " out of bounds");
      }
      v = &v->array_value().values(static_cast<int>(n));
    }
  }
  return v == nullptr ? Value() : Value::FromAny(*v);
}

Result<Value> ReadAttrs(Attrs* attrs, const std::vector<KeyC>& keys, EvalContext& ctx) {
  Result<Value> key = KeyOf(keys[0], ctx);
  if (!key.ok()) return key.status();
  if (key->kind() != Value::Kind::kString)
    return Status::InvalidArgument("non-string indexing is not supported");
  return ReadKeys(FindKey(*attrs, key->as_string()), keys, 1, ctx);
}

Status CheckSettable(const Value& v) {
  if (v.kind() == Value::Kind::kTime || v.kind() == Value::Kind::kDuration) {
    return Status::InvalidArgument("unsupported type " + std::string(v.TypeName()) + " for set operation");
  }
  return Status::Ok();
}

// Writes `value` at keys[from..] below `v`, creating maps and padded slices
// where the value is empty, as ctxutil's setIndexableValue does.
Status WriteKeys(AnyValue* v, const std::vector<KeyC>& keys, std::size_t from, EvalContext& ctx,
                 const Value& value) {
  for (std::size_t i = from; i < keys.size(); ++i) {
    Result<Value> key = KeyOf(keys[i], ctx);
    if (!key.ok()) return key.status();
    if (key->kind() == Value::Kind::kString) {
      if (v->value_case() == AnyValue::VALUE_NOT_SET) v->mutable_kvlist_value();
      if (!v->has_kvlist_value()) {
        return Status::InvalidArgument("type " + std::string(AnyTypeName(*v)) +
                                       " does not support string indexing");
      }
      Attrs* m = v->mutable_kvlist_value()->mutable_values();
      AnyValue* next = FindKey(*m, key->as_string());
      if (next == nullptr) {
        KeyValue* kv = m->Add();
        kv->set_key(key->as_string());
        next = kv->mutable_value();
      }
      v = next;
    } else {
      const std::int64_t n = key->as_int();
      if (v->value_case() == AnyValue::VALUE_NOT_SET) {
        auto* arr = v->mutable_array_value();
        for (std::int64_t k = 0; k <= n; ++k) arr->add_values();
      }
      if (!v->has_array_value()) {
        return Status::InvalidArgument("type " + std::string(AnyTypeName(*v)) +
                                       " does not support int indexing");
      }
      if (n < 0 || n >= v->array_value().values_size()) {
        return Status::InvalidArgument("index " + std::to_string(n) + " out of bounds");
      }
      v = v->mutable_array_value()->mutable_values(static_cast<int>(n));
    }
  }
  value.ToAny(*v);
  return Status::Ok();
}

Status WriteAttrs(Attrs* attrs, const std::vector<KeyC>& keys, EvalContext& ctx, const Value& value) {
  Status s = CheckSettable(value);
  if (!s.ok()) return s;
  Result<Value> key = KeyOf(keys[0], ctx);
  if (!key.ok()) return key.status();
  if (key->kind() != Value::Kind::kString)
    return Status::InvalidArgument("non-string indexing is not supported");
  AnyValue* v = FindKey(*attrs, key->as_string());
  if (v == nullptr) {
    KeyValue* kv = attrs->Add();
    kv->set_key(key->as_string());
    v = kv->mutable_value();
  }
  return WriteKeys(v, keys, 1, ctx, value);
}

// The map at keys[from..] below v, for editors working in place.
Result<Attrs*> MapAtKeys(AnyValue* v, const std::vector<KeyC>& keys, std::size_t from, EvalContext& ctx) {
  for (std::size_t i = from; i < keys.size() && v != nullptr; ++i) {
    Result<Value> key = KeyOf(keys[i], ctx);
    if (!key.ok()) return key.status();
    if (key->kind() == Value::Kind::kString) {
      if (!v->has_kvlist_value()) {
        return Status::InvalidArgument("type " + std::string(AnyTypeName(*v)) +
                                       " does not support string indexing");
      }
      v = FindKey(*v->mutable_kvlist_value()->mutable_values(), key->as_string());
    } else {
      if (!v->has_array_value()) {
        return Status::InvalidArgument("type " + std::string(AnyTypeName(*v)) +
                                       " does not support int indexing");
      }
      const std::int64_t n = key->as_int();
      if (n < 0 || n >= v->array_value().values_size()) {
        return Status::InvalidArgument("index " + std::to_string(n) + " out of bounds");
      }
      v = v->mutable_array_value()->mutable_values(static_cast<int>(n));
    }
  }
  if (v == nullptr) return Status::InvalidArgument("expected pcommon.Map but got nil");
  if (!v->has_kvlist_value()) {
    return Status::InvalidArgument("expected pcommon.Map but got " +
                                   std::string(Value::FromAny(*v).TypeName()));
  }
  return v->mutable_kvlist_value()->mutable_values();
}

Value AttrsValue(const Attrs& attrs) {
  AnyValue any;
  *any.mutable_kvlist_value()->mutable_values() = attrs;
  return Value::Map(std::move(any));
}

// set on a whole map path: a map replaces it; other types change nothing.
void SetAttrs(Attrs* attrs, const Value& v) {
  if (v.kind() != Value::Kind::kMap) return;
  Attrs copy = v.as_map().kvlist_value().values();
  attrs->Swap(&copy);
}

// ---------------------------------------------------------------------------
// Typed paths

// What a path resolves to before its keys are applied.
struct Base {
  AttrsFn attrs;  // map-typed (attributes, cache, metadata)
  AnyFn any;      // AnyValue-typed (log body)
  Getter get;     // scalar
  SetFn set;
};

template <class G, class S>
Base StrPath(G g, S s) {
  Base b;
  b.get = [g](EvalContext& c) -> Result<Value> { return Value::String(std::string(g(c))); };
  b.set = [s](EvalContext& c, const Value& v) -> Status {
    if (v.kind() == Value::Kind::kString) s(c, v.as_string());
    return Status::Ok();
  };
  return b;
}

template <class G, class S>
Base IntPath(G g, S s) {
  Base b;
  b.get = [g](EvalContext& c) -> Result<Value> { return Value::Int(static_cast<std::int64_t>(g(c))); };
  b.set = [s](EvalContext& c, const Value& v) -> Status {
    if (v.kind() == Value::Kind::kInt) s(c, v.as_int());
    return Status::Ok();
  };
  return b;
}

template <class G, class S>
Base TimePath(G g, S s) {
  Base b;
  b.get = [g](EvalContext& c) -> Result<Value> { return Value::TimeNs(static_cast<std::int64_t>(g(c))); };
  b.set = [s](EvalContext& c, const Value& v) -> Status {
    if (v.kind() == Value::Kind::kTime) s(c, v.as_time());
    return Status::Ok();
  };
  return b;
}

Base AttrsPath(AttrsFn f) {
  Base b;
  b.attrs = std::move(f);
  return b;
}

// trace_id / span_id (and `.string`): 16 or 8 bytes, hex when `.string`.
template <class G, class S>
Base IdPath(int size, bool as_string, G g, S s) {
  Base b;
  if (!as_string) {
    b.get = [g, size](EvalContext& c) -> Result<Value> {
      std::string id = g(c);
      if (id.size() != static_cast<std::size_t>(size)) id.assign(static_cast<std::size_t>(size), '\0');
      return Value::ByteString(std::move(id), size);
    };
    b.set = [s, size](EvalContext& c, const Value& v) -> Status {
      if (v.kind() == Value::Kind::kBytes && v.as_bytes().id_size == size) {
        // An all-zero id is the empty id on the wire.
        const std::string& d = v.as_bytes().data;
        s(c, std::all_of(d.begin(), d.end(), [](char ch) { return ch == 0; }) ? std::string() : d);
      }
      return Status::Ok();
    };
    return b;
  }
  b.get = [g, size](EvalContext& c) -> Result<Value> {
    std::string id = g(c);
    if (id.size() != static_cast<std::size_t>(size) ||
        std::all_of(id.begin(), id.end(), [](char ch) { return ch == 0; })) {
      return Value::String("");
    }
    return Value::String(HexLower(id));
  };
  b.set = [s, size](EvalContext& c, const Value& v) -> Status {
    if (v.kind() != Value::Kind::kString) return Status::Ok();
    const std::string& hex = v.as_string();
    if (hex.empty()) {
      s(c, std::string());
      return Status::Ok();
    }
    if (hex.size() != static_cast<std::size_t>(size) * 2) {
      return Status::InvalidArgument("invalid length for " + std::string(size == 16 ? "TraceID" : "SpanID"));
    }
    std::string raw;
    if (!DecodeHex(hex, raw)) return Status::InvalidArgument("encoding/hex: invalid byte in " + hex);
    s(c, raw);
    return Status::Ok();
  };
  return b;
}

constexpr const char* kKindNames[] = {"Unspecified", "Internal", "Server", "Client", "Producer", "Consumer"};
constexpr const char* kKindDeprecated[] = {"SPAN_KIND_UNSPECIFIED", "SPAN_KIND_INTERNAL",
                                           "SPAN_KIND_SERVER",      "SPAN_KIND_CLIENT",
                                           "SPAN_KIND_PRODUCER",    "SPAN_KIND_CONSUMER"};

// The common one-word fields; `second` is the sub-field when there is one
// (`trace_id.string`), and is consumed only when the path uses it.
std::optional<Base> ResourcePath(const std::string& f) {
  if (f == "attributes") return AttrsPath([](EvalContext& c) { return c.resource->mutable_attributes(); });
  if (f == "dropped_attributes_count") {
    return IntPath([](EvalContext& c) { return c.resource->dropped_attributes_count(); },
                   [](EvalContext& c, std::int64_t v) {
                     c.resource->set_dropped_attributes_count(static_cast<std::uint32_t>(v));
                   });
  }
  if (f == "schema_url") {
    return StrPath([](EvalContext& c) { return *c.resource_schema_url; },
                   [](EvalContext& c, const std::string& v) { *c.resource_schema_url = v; });
  }
  return std::nullopt;
}

std::optional<Base> ScopePath(const std::string& f) {
  if (f == "attributes") return AttrsPath([](EvalContext& c) { return c.scope->mutable_attributes(); });
  if (f == "name") {
    return StrPath([](EvalContext& c) { return c.scope->name(); },
                   [](EvalContext& c, const std::string& v) { c.scope->set_name(v); });
  }
  if (f == "version") {
    return StrPath([](EvalContext& c) { return c.scope->version(); },
                   [](EvalContext& c, const std::string& v) { c.scope->set_version(v); });
  }
  if (f == "dropped_attributes_count") {
    return IntPath([](EvalContext& c) { return c.scope->dropped_attributes_count(); },
                   [](EvalContext& c, std::int64_t v) {
                     c.scope->set_dropped_attributes_count(static_cast<std::uint32_t>(v));
                   });
  }
  if (f == "schema_url") {
    return StrPath([](EvalContext& c) { return *c.scope_schema_url; },
                   [](EvalContext& c, const std::string& v) { *c.scope_schema_url = v; });
  }
  return std::nullopt;
}

std::optional<Base> SpanPath(const std::string& f, const std::string& sub, bool& used_sub) {
  auto span = [](EvalContext& c) { return c.span; };
  if (f == "attributes") return AttrsPath([](EvalContext& c) { return c.span->mutable_attributes(); });
  if (f == "name") {
    return StrPath([](EvalContext& c) { return c.span->name(); },
                   [](EvalContext& c, const std::string& v) { c.span->set_name(v); });
  }
  if (f == "trace_id" || f == "span_id" || f == "parent_span_id") {
    used_sub = sub == "string";
    const int size = f == "trace_id" ? 16 : 8;
    if (f == "trace_id") {
      return IdPath(
          size, used_sub, [](EvalContext& c) { return c.span->trace_id(); },
          [](EvalContext& c, const std::string& v) { c.span->set_trace_id(v); });
    }
    if (f == "span_id") {
      return IdPath(
          size, used_sub, [](EvalContext& c) { return c.span->span_id(); },
          [](EvalContext& c, const std::string& v) { c.span->set_span_id(v); });
    }
    return IdPath(
        size, used_sub, [](EvalContext& c) { return c.span->parent_span_id(); },
        [](EvalContext& c, const std::string& v) { c.span->set_parent_span_id(v); });
  }
  if (f == "trace_state") {
    return StrPath([](EvalContext& c) { return c.span->trace_state(); },
                   [](EvalContext& c, const std::string& v) { c.span->set_trace_state(v); });
  }
  if (f == "kind") {
    if (sub == "string" || sub == "deprecated_string") {
      used_sub = true;
      const bool dep = sub == "deprecated_string";
      Base b;
      b.get = [dep](EvalContext& c) -> Result<Value> {
        const int k = c.span->kind();
        if (k < 0 || k > 5) return Value::String("");
        return Value::String(dep ? kKindDeprecated[k] : kKindNames[k]);
      };
      b.set = [dep](EvalContext& c, const Value& v) -> Status {
        if (v.kind() != Value::Kind::kString) return Status::Ok();
        int k = 0;
        for (int i = 0; i < 6; ++i) {
          if (v.as_string() == (dep ? kKindDeprecated[i] : kKindNames[i])) k = i;
        }
        c.span->set_kind(static_cast<tracepb::Span_SpanKind>(k));
        return Status::Ok();
      };
      return b;
    }
    return IntPath(
        [](EvalContext& c) { return static_cast<std::int64_t>(c.span->kind()); },
        [](EvalContext& c, std::int64_t v) { c.span->set_kind(static_cast<tracepb::Span_SpanKind>(v)); });
  }
  if (f == "status" && sub == "code") {
    used_sub = true;
    return IntPath([](EvalContext& c) { return static_cast<std::int64_t>(c.span->status().code()); },
                   [](EvalContext& c, std::int64_t v) {
                     c.span->mutable_status()->set_code(static_cast<tracepb::Status_StatusCode>(v));
                   });
  }
  if (f == "status" && sub == "message") {
    used_sub = true;
    return StrPath([](EvalContext& c) { return c.span->status().message(); },
                   [](EvalContext& c, const std::string& v) { c.span->mutable_status()->set_message(v); });
  }
  if (f == "start_time_unix_nano") {
    return IntPath([](EvalContext& c) { return c.span->start_time_unix_nano(); },
                   [](EvalContext& c, std::int64_t v) {
                     c.span->set_start_time_unix_nano(static_cast<std::uint64_t>(v));
                   });
  }
  if (f == "end_time_unix_nano") {
    return IntPath([](EvalContext& c) { return c.span->end_time_unix_nano(); },
                   [](EvalContext& c, std::int64_t v) {
                     c.span->set_end_time_unix_nano(static_cast<std::uint64_t>(v));
                   });
  }
  if (f == "start_time") {
    return TimePath([](EvalContext& c) { return c.span->start_time_unix_nano(); },
                    [](EvalContext& c, std::int64_t v) {
                      c.span->set_start_time_unix_nano(static_cast<std::uint64_t>(v));
                    });
  }
  if (f == "end_time") {
    return TimePath([](EvalContext& c) { return c.span->end_time_unix_nano(); },
                    [](EvalContext& c, std::int64_t v) {
                      c.span->set_end_time_unix_nano(static_cast<std::uint64_t>(v));
                    });
  }
  if (f == "dropped_attributes_count") {
    return IntPath([](EvalContext& c) { return c.span->dropped_attributes_count(); },
                   [](EvalContext& c, std::int64_t v) {
                     c.span->set_dropped_attributes_count(static_cast<std::uint32_t>(v));
                   });
  }
  if (f == "dropped_events_count") {
    return IntPath([](EvalContext& c) { return c.span->dropped_events_count(); },
                   [](EvalContext& c, std::int64_t v) {
                     c.span->set_dropped_events_count(static_cast<std::uint32_t>(v));
                   });
  }
  if (f == "dropped_links_count") {
    return IntPath([](EvalContext& c) { return c.span->dropped_links_count(); },
                   [](EvalContext& c, std::int64_t v) {
                     c.span->set_dropped_links_count(static_cast<std::uint32_t>(v));
                   });
  }
  if (f == "flags") {
    return IntPath([](EvalContext& c) { return c.span->flags(); },
                   [](EvalContext& c, std::int64_t v) { c.span->set_flags(static_cast<std::uint32_t>(v)); });
  }
  (void)span;
  return std::nullopt;
}

std::optional<Base> SpanEventPath(const std::string& f) {
  if (f == "attributes") return AttrsPath([](EvalContext& c) { return c.event->mutable_attributes(); });
  if (f == "name") {
    return StrPath([](EvalContext& c) { return c.event->name(); },
                   [](EvalContext& c, const std::string& v) { c.event->set_name(v); });
  }
  if (f == "time_unix_nano") {
    return IntPath(
        [](EvalContext& c) { return c.event->time_unix_nano(); },
        [](EvalContext& c, std::int64_t v) { c.event->set_time_unix_nano(static_cast<std::uint64_t>(v)); });
  }
  if (f == "time") {
    return TimePath(
        [](EvalContext& c) { return c.event->time_unix_nano(); },
        [](EvalContext& c, std::int64_t v) { c.event->set_time_unix_nano(static_cast<std::uint64_t>(v)); });
  }
  if (f == "dropped_attributes_count") {
    return IntPath([](EvalContext& c) { return c.event->dropped_attributes_count(); },
                   [](EvalContext& c, std::int64_t v) {
                     c.event->set_dropped_attributes_count(static_cast<std::uint32_t>(v));
                   });
  }
  if (f == "event_index") {
    Base b;
    b.get = [](EvalContext& c) -> Result<Value> { return Value::Int(c.event_index); };
    return b;  // read-only
  }
  return std::nullopt;
}

std::int64_t MetricType(const metricspb::Metric& m) {
  switch (m.data_case()) {
    case metricspb::Metric::kGauge: return 1;
    case metricspb::Metric::kSum: return 2;
    case metricspb::Metric::kHistogram: return 3;
    case metricspb::Metric::kExponentialHistogram: return 4;
    case metricspb::Metric::kSummary: return 5;
    default: return 0;
  }
}

std::optional<Base> MetricPath(const std::string& f) {
  if (f == "name") {
    return StrPath([](EvalContext& c) { return c.metric->name(); },
                   [](EvalContext& c, const std::string& v) { c.metric->set_name(v); });
  }
  if (f == "description") {
    return StrPath([](EvalContext& c) { return c.metric->description(); },
                   [](EvalContext& c, const std::string& v) { c.metric->set_description(v); });
  }
  if (f == "unit") {
    return StrPath([](EvalContext& c) { return c.metric->unit(); },
                   [](EvalContext& c, const std::string& v) { c.metric->set_unit(v); });
  }
  if (f == "metadata") return AttrsPath([](EvalContext& c) { return c.metric->mutable_metadata(); });
  if (f == "type") {
    Base b;  // otelcol's setter is a no-op; here the path is read-only
    b.get = [](EvalContext& c) -> Result<Value> { return Value::Int(MetricType(*c.metric)); };
    return b;
  }
  if (f == "aggregation_temporality") {
    Base b;
    b.get = [](EvalContext& c) -> Result<Value> {
      const metricspb::Metric& m = *c.metric;
      if (m.has_sum()) return Value::Int(m.sum().aggregation_temporality());
      if (m.has_histogram()) return Value::Int(m.histogram().aggregation_temporality());
      if (m.has_exponential_histogram())
        return Value::Int(m.exponential_histogram().aggregation_temporality());
      return Value();
    };
    b.set = [](EvalContext& c, const Value& v) -> Status {
      if (v.kind() != Value::Kind::kInt) return Status::Ok();
      const auto t = static_cast<metricspb::AggregationTemporality>(v.as_int());
      metricspb::Metric& m = *c.metric;
      if (m.has_sum()) m.mutable_sum()->set_aggregation_temporality(t);
      if (m.has_histogram()) m.mutable_histogram()->set_aggregation_temporality(t);
      if (m.has_exponential_histogram()) m.mutable_exponential_histogram()->set_aggregation_temporality(t);
      return Status::Ok();
    };
    return b;
  }
  if (f == "is_monotonic") {
    Base b;
    b.get = [](EvalContext& c) -> Result<Value> {
      if (c.metric->has_sum()) return Value::Bool(c.metric->sum().is_monotonic());
      return Value();
    };
    b.set = [](EvalContext& c, const Value& v) -> Status {
      if (v.kind() == Value::Kind::kBool && c.metric->has_sum())
        c.metric->mutable_sum()->set_is_monotonic(v.as_bool());
      return Status::Ok();
    };
    return b;
  }
  return std::nullopt;
}

Attrs* DataPointAttrs(const DataPointRef& dp) {
  if (auto* p = dp.number()) return p->mutable_attributes();
  if (auto* p = dp.histogram()) return p->mutable_attributes();
  if (auto* p = dp.exponential()) return p->mutable_attributes();
  return dp.summary()->mutable_attributes();
}

// Applies `f` to whichever data point type has the field.
template <class F>
auto WithDataPoint(const DataPointRef& dp, F f) {
  if (auto* p = dp.number()) return f(*p);
  if (auto* p = dp.histogram()) return f(*p);
  if (auto* p = dp.exponential()) return f(*p);
  return f(*dp.summary());
}

Value IntSlice(const google::protobuf::RepeatedField<std::uint64_t>& r) {
  AnyValue any;
  auto* arr = any.mutable_array_value();
  for (std::uint64_t v : r) arr->add_values()->set_int_value(static_cast<std::int64_t>(v));
  return Value::Slice(std::move(any));
}

void SetUintSlice(google::protobuf::RepeatedField<std::uint64_t>* r, const Value& v) {
  if (v.kind() != Value::Kind::kSlice) return;
  r->Clear();
  for (const AnyValue& item : v.as_slice().array_value().values())
    r->Add(static_cast<std::uint64_t>(item.int_value()));
}

std::optional<Base> DataPointPath(const std::string& f, const std::string& sub, bool& used_sub) {
  if (f == "attributes") return AttrsPath([](EvalContext& c) { return DataPointAttrs(c.datapoint); });
  if (f == "start_time_unix_nano" || f == "time_unix_nano" || f == "start_time" || f == "time") {
    const bool start = f.rfind("start_", 0) == 0;
    auto get = [start](EvalContext& c) {
      return WithDataPoint(
          c.datapoint, [start](auto& p) { return start ? p.start_time_unix_nano() : p.time_unix_nano(); });
    };
    auto set = [start](EvalContext& c, std::int64_t v) {
      WithDataPoint(c.datapoint, [start, v](auto& p) {
        if (start) {
          p.set_start_time_unix_nano(static_cast<std::uint64_t>(v));
        } else {
          p.set_time_unix_nano(static_cast<std::uint64_t>(v));
        }
        return 0;
      });
    };
    if (f.size() > 5 && f.ends_with("_unix_nano")) return IntPath(get, set);
    return TimePath(get, set);
  }
  if (f == "flags") {
    return IntPath(
        [](EvalContext& c) { return WithDataPoint(c.datapoint, [](auto& p) { return p.flags(); }); },
        [](EvalContext& c, std::int64_t v) {
          WithDataPoint(c.datapoint, [v](auto& p) {
            p.set_flags(static_cast<std::uint32_t>(v));
            return 0;
          });
        });
  }
  Base b;
  if (f == "value_double") {
    b.get = [](EvalContext& c) -> Result<Value> {
      if (auto* p = c.datapoint.number()) return Value::Double(p->has_as_double() ? p->as_double() : 0);
      return Value();
    };
    b.set = [](EvalContext& c, const Value& v) -> Status {
      if (auto* p = c.datapoint.number(); p && v.kind() == Value::Kind::kDouble)
        p->set_as_double(v.as_double());
      return Status::Ok();
    };
    return b;
  }
  if (f == "value_int") {
    b.get = [](EvalContext& c) -> Result<Value> {
      if (auto* p = c.datapoint.number()) return Value::Int(p->has_as_int() ? p->as_int() : 0);
      return Value();
    };
    b.set = [](EvalContext& c, const Value& v) -> Status {
      if (auto* p = c.datapoint.number(); p && v.kind() == Value::Kind::kInt) p->set_as_int(v.as_int());
      return Status::Ok();
    };
    return b;
  }
  if (f == "count") {
    b.get = [](EvalContext& c) -> Result<Value> {
      if (auto* p = c.datapoint.histogram()) return Value::Int(static_cast<std::int64_t>(p->count()));
      if (auto* p = c.datapoint.exponential()) return Value::Int(static_cast<std::int64_t>(p->count()));
      if (auto* p = c.datapoint.summary()) return Value::Int(static_cast<std::int64_t>(p->count()));
      return Value();
    };
    b.set = [](EvalContext& c, const Value& v) -> Status {
      if (v.kind() != Value::Kind::kInt) return Status::Ok();
      const auto n = static_cast<std::uint64_t>(v.as_int());
      if (auto* p = c.datapoint.histogram()) p->set_count(n);
      if (auto* p = c.datapoint.exponential()) p->set_count(n);
      if (auto* p = c.datapoint.summary()) p->set_count(n);
      return Status::Ok();
    };
    return b;
  }
  if (f == "sum") {
    b.get = [](EvalContext& c) -> Result<Value> {
      if (auto* p = c.datapoint.histogram()) return Value::Double(p->sum());
      if (auto* p = c.datapoint.exponential()) return Value::Double(p->sum());
      if (auto* p = c.datapoint.summary()) return Value::Double(p->sum());
      return Value();
    };
    b.set = [](EvalContext& c, const Value& v) -> Status {
      if (v.kind() != Value::Kind::kDouble) return Status::Ok();
      if (auto* p = c.datapoint.histogram()) p->set_sum(v.as_double());
      if (auto* p = c.datapoint.exponential()) p->set_sum(v.as_double());
      if (auto* p = c.datapoint.summary()) p->set_sum(v.as_double());
      return Status::Ok();
    };
    return b;
  }
  if (f == "bucket_counts") {
    b.get = [](EvalContext& c) -> Result<Value> {
      if (auto* p = c.datapoint.histogram()) return IntSlice(p->bucket_counts());
      return Value();
    };
    b.set = [](EvalContext& c, const Value& v) -> Status {
      if (auto* p = c.datapoint.histogram()) SetUintSlice(p->mutable_bucket_counts(), v);
      return Status::Ok();
    };
    return b;
  }
  if (f == "explicit_bounds") {
    b.get = [](EvalContext& c) -> Result<Value> {
      auto* p = c.datapoint.histogram();
      if (p == nullptr) return Value();
      AnyValue any;
      auto* arr = any.mutable_array_value();
      for (double d : p->explicit_bounds()) arr->add_values()->set_double_value(d);
      return Value::Slice(std::move(any));
    };
    b.set = [](EvalContext& c, const Value& v) -> Status {
      auto* p = c.datapoint.histogram();
      if (p == nullptr || v.kind() != Value::Kind::kSlice) return Status::Ok();
      p->clear_explicit_bounds();
      for (const AnyValue& item : v.as_slice().array_value().values()) {
        p->add_explicit_bounds(item.has_int_value() ? static_cast<double>(item.int_value())
                                                    : item.double_value());
      }
      return Status::Ok();
    };
    return b;
  }
  if (f == "scale") {
    b.get = [](EvalContext& c) -> Result<Value> {
      if (auto* p = c.datapoint.exponential()) return Value::Int(p->scale());
      return Value();
    };
    b.set = [](EvalContext& c, const Value& v) -> Status {
      if (auto* p = c.datapoint.exponential(); p && v.kind() == Value::Kind::kInt)
        p->set_scale(static_cast<std::int32_t>(v.as_int()));
      return Status::Ok();
    };
    return b;
  }
  if (f == "zero_count") {
    b.get = [](EvalContext& c) -> Result<Value> {
      if (auto* p = c.datapoint.exponential()) return Value::Int(static_cast<std::int64_t>(p->zero_count()));
      return Value();
    };
    b.set = [](EvalContext& c, const Value& v) -> Status {
      if (auto* p = c.datapoint.exponential(); p && v.kind() == Value::Kind::kInt)
        p->set_zero_count(static_cast<std::uint64_t>(v.as_int()));
      return Status::Ok();
    };
    return b;
  }
  if ((f == "positive" || f == "negative") && (sub == "offset" || sub == "bucket_counts")) {
    used_sub = true;
    const bool pos = f == "positive";
    auto buckets = [pos](EvalContext& c) -> metricspb::ExponentialHistogramDataPoint_Buckets* {
      auto* p = c.datapoint.exponential();
      if (p == nullptr) return nullptr;
      return pos ? p->mutable_positive() : p->mutable_negative();
    };
    if (sub == "offset") {
      b.get = [buckets](EvalContext& c) -> Result<Value> {
        auto* bk = buckets(c);
        return bk ? Value::Int(bk->offset()) : Value();
      };
      b.set = [buckets](EvalContext& c, const Value& v) -> Status {
        if (auto* bk = buckets(c); bk && v.kind() == Value::Kind::kInt)
          bk->set_offset(static_cast<std::int32_t>(v.as_int()));
        return Status::Ok();
      };
    } else {
      b.get = [buckets](EvalContext& c) -> Result<Value> {
        auto* bk = buckets(c);
        return bk ? IntSlice(bk->bucket_counts()) : Value();
      };
      b.set = [buckets](EvalContext& c, const Value& v) -> Status {
        if (auto* bk = buckets(c)) SetUintSlice(bk->mutable_bucket_counts(), v);
        return Status::Ok();
      };
    }
    return b;
  }
  return std::nullopt;
}

std::optional<Base> LogPath(const std::string& f, const std::string& sub, bool& used_sub) {
  if (f == "attributes") return AttrsPath([](EvalContext& c) { return c.log->mutable_attributes(); });
  if (f == "event_name") {
    return StrPath([](EvalContext& c) { return c.log->event_name(); },
                   [](EvalContext& c, const std::string& v) { c.log->set_event_name(v); });
  }
  if (f == "severity_text") {
    return StrPath([](EvalContext& c) { return c.log->severity_text(); },
                   [](EvalContext& c, const std::string& v) { c.log->set_severity_text(v); });
  }
  if (f == "severity_number") {
    return IntPath([](EvalContext& c) { return static_cast<std::int64_t>(c.log->severity_number()); },
                   [](EvalContext& c, std::int64_t v) {
                     c.log->set_severity_number(static_cast<logspb::SeverityNumber>(v));
                   });
  }
  if (f == "time_unix_nano") {
    return IntPath(
        [](EvalContext& c) { return c.log->time_unix_nano(); },
        [](EvalContext& c, std::int64_t v) { c.log->set_time_unix_nano(static_cast<std::uint64_t>(v)); });
  }
  if (f == "observed_time_unix_nano") {
    return IntPath([](EvalContext& c) { return c.log->observed_time_unix_nano(); },
                   [](EvalContext& c, std::int64_t v) {
                     c.log->set_observed_time_unix_nano(static_cast<std::uint64_t>(v));
                   });
  }
  if (f == "time") {
    return TimePath(
        [](EvalContext& c) { return c.log->time_unix_nano(); },
        [](EvalContext& c, std::int64_t v) { c.log->set_time_unix_nano(static_cast<std::uint64_t>(v)); });
  }
  if (f == "observed_time") {
    return TimePath([](EvalContext& c) { return c.log->observed_time_unix_nano(); },
                    [](EvalContext& c, std::int64_t v) {
                      c.log->set_observed_time_unix_nano(static_cast<std::uint64_t>(v));
                    });
  }
  if (f == "dropped_attributes_count") {
    return IntPath([](EvalContext& c) { return c.log->dropped_attributes_count(); },
                   [](EvalContext& c, std::int64_t v) {
                     c.log->set_dropped_attributes_count(static_cast<std::uint32_t>(v));
                   });
  }
  if (f == "flags") {
    return IntPath([](EvalContext& c) { return c.log->flags(); },
                   [](EvalContext& c, std::int64_t v) { c.log->set_flags(static_cast<std::uint32_t>(v)); });
  }
  if (f == "trace_id") {
    used_sub = sub == "string";
    return IdPath(
        16, used_sub, [](EvalContext& c) { return c.log->trace_id(); },
        [](EvalContext& c, const std::string& v) { c.log->set_trace_id(v); });
  }
  if (f == "span_id") {
    used_sub = sub == "string";
    return IdPath(
        8, used_sub, [](EvalContext& c) { return c.log->span_id(); },
        [](EvalContext& c, const std::string& v) { c.log->set_span_id(v); });
  }
  if (f == "body") {
    if (sub == "string") {
      used_sub = true;
      return StrPath(
          [](EvalContext& c) { return AnyAsString(c.log->body()); },
          [](EvalContext& c, const std::string& v) { c.log->mutable_body()->set_string_value(v); });
    }
    Base b;
    b.any = [](EvalContext& c) { return c.log->mutable_body(); };
    return b;
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------
// The compiler

class Compiler {
 public:
  Compiler(std::string_view text, ContextKind context) : text_(text), context_(context) {}

  [[noreturn]] void Fail(int pos, const std::string& msg) const { throw SyntaxError(pos, msg); }

  Target CompilePath(const ast::Path& p) {
    std::size_t first = 0;
    ContextKind pctx = context_;
    if (auto named = ContextFromName(p.fields[0].name); named && p.fields.size() > 1) {
      if (!p.fields[0].keys.empty()) Fail(p.pos, "context name " + p.fields[0].name + " cannot be indexed");
      if (!ContextCanRead(context_, *named)) {
        Fail(p.pos, "path \"" + p.text + "\" names the " + p.fields[0].name + " context, which the " +
                        std::string(ContextName(context_)) + " context cannot read");
      }
      pctx = *named;
      first = 1;
    }
    const ast::Field& f = p.fields[first];
    const ast::Field* sub = first + 1 < p.fields.size() ? &p.fields[first + 1] : nullptr;
    const std::string sub_name = sub ? sub->name : "";
    bool used_sub = false;
    std::optional<Base> base;
    if (f.name == "cache") {
      base = AttrsPath([](EvalContext& c) { return c.cache; });
    } else {
      switch (pctx) {
        case ContextKind::kResource: base = ResourcePath(f.name); break;
        case ContextKind::kScope: base = ScopePath(f.name); break;
        case ContextKind::kSpan: base = SpanPath(f.name, sub_name, used_sub); break;
        case ContextKind::kSpanEvent: base = SpanEventPath(f.name); break;
        case ContextKind::kMetric: base = MetricPath(f.name); break;
        case ContextKind::kDataPoint: base = DataPointPath(f.name, sub_name, used_sub); break;
        case ContextKind::kLog: base = LogPath(f.name, sub_name, used_sub); break;
      }
    }
    const std::size_t consumed = first + 1 + (used_sub ? 1 : 0);
    if (!base || consumed != p.fields.size()) {
      Fail(p.pos, "path \"" + p.text + "\" is not a valid path for the " + std::string(ContextName(pctx)) +
                      " context (see the supported paths in the README)");
    }
    const ast::Field& last = p.fields[consumed - 1];
    if (used_sub && !f.keys.empty())
      Fail(p.pos, "path \"" + p.text + "\": only the last field may be indexed");
    std::vector<KeyC> keys;
    for (const ast::Key& k : last.keys) keys.push_back(CompileKey(k));

    Target t;
    t.text = p.text;
    if (base->attrs) {
      AttrsFn attrs = base->attrs;
      if (keys.empty()) {
        t.get = [attrs](EvalContext& c) -> Result<Value> { return AttrsValue(*attrs(c)); };
        t.set = [attrs](EvalContext& c, const Value& v) -> Status {
          SetAttrs(attrs(c), v);
          return Status::Ok();
        };
        t.map = [attrs](EvalContext& c) -> Result<Attrs*> { return attrs(c); };
      } else {
        t.get = [attrs, keys](EvalContext& c) { return ReadAttrs(attrs(c), keys, c); };
        t.set = [attrs, keys](EvalContext& c, const Value& v) { return WriteAttrs(attrs(c), keys, c, v); };
        t.map = [attrs, keys](EvalContext& c) -> Result<Attrs*> {
          Result<Value> key = KeyOf(keys[0], c);
          if (!key.ok()) return key.status();
          if (key->kind() != Value::Kind::kString)
            return Status::InvalidArgument("non-string indexing is not supported");
          return MapAtKeys(FindKey(*attrs(c), key->as_string()), keys, 1, c);
        };
      }
      return t;
    }
    if (base->any) {
      AnyFn any = base->any;
      t.get = [any, keys](EvalContext& c) { return ReadKeys(any(c), keys, 0, c); };
      t.set = [any, keys](EvalContext& c, const Value& v) -> Status {
        Status s = CheckSettable(v);
        if (!s.ok()) return s;
        return WriteKeys(any(c), keys, 0, c, v);
      };
      t.map = [any, keys](EvalContext& c) { return MapAtKeys(any(c), keys, 0, c); };
      return t;
    }
    if (!keys.empty()) Fail(p.pos, "path \"" + p.text + "\" cannot be indexed");
    t.get = base->get;
    t.set = base->set;
    return t;
  }

  KeyC CompileKey(const ast::Key& k) {
    KeyC out;
    out.pos = k.pos;
    if (k.expr->kind == ast::Expr::Kind::kString) {
      out.literal = Value::String(k.expr->s);
    } else if (k.expr->kind == ast::Expr::Kind::kInt) {
      out.literal = Value::Int(k.expr->i);
    } else if (k.expr->kind == ast::Expr::Kind::kPath || k.expr->kind == ast::Expr::Kind::kConverter ||
               k.expr->kind == ast::Expr::Kind::kMath || k.expr->kind == ast::Expr::Kind::kNeg) {
      out.dynamic = CompileExpr(*k.expr);
    } else {
      Fail(k.pos, "a key must be a string, an int, a path, a converter or a math expression");
    }
    return out;
  }

  // The literal value of an expression made only of literals.
  std::optional<Value> LiteralOf(const ast::Expr& e) {
    switch (e.kind) {
      case ast::Expr::Kind::kNil: return Value();
      case ast::Expr::Kind::kBool: return Value::Bool(e.b);
      case ast::Expr::Kind::kInt: return Value::Int(e.i);
      case ast::Expr::Kind::kFloat: return Value::Double(e.f);
      case ast::Expr::Kind::kString: return Value::String(e.s);
      case ast::Expr::Kind::kBytes: return Value::ByteString(e.s);
      case ast::Expr::Kind::kEnum: {
        auto v = EnumValue(context_, e.s);
        if (!v) Fail(e.pos, "enum symbol, " + e.s + ", not found");
        return Value::Int(*v);
      }
      default: return std::nullopt;
    }
  }

  Getter CompileExpr(const ast::Expr& e) {
    if (auto lit = LiteralOf(e)) {
      Value v = *lit;
      return [v](EvalContext&) -> Result<Value> { return v; };
    }
    switch (e.kind) {
      case ast::Expr::Kind::kPath: return CompilePath(*e.path).get;
      case ast::Expr::Kind::kConverter: return CompileConverter(*e.call);
      case ast::Expr::Kind::kMath: {
        Getter l = CompileExpr(*e.lhs);
        Getter r = CompileExpr(*e.rhs);
        const MathOp op = e.op;
        return [l, r, op](EvalContext& c) -> Result<Value> {
          Result<Value> a = l(c);
          if (!a.ok()) return a;
          Result<Value> b = r(c);
          if (!b.ok()) return b;
          return Arith(*a, *b, op);
        };
      }
      case ast::Expr::Kind::kNeg: {
        Getter inner = CompileExpr(*e.lhs);
        return [inner](EvalContext& c) -> Result<Value> {
          Result<Value> v = inner(c);
          if (!v.ok()) return v;
          if (v->kind() == Value::Kind::kInt)
            return Value::Int(static_cast<std::int64_t>(0 - static_cast<std::uint64_t>(v->as_int())));
          if (v->kind() == Value::Kind::kDouble) return Value::Double(-v->as_double());
          return Status::InvalidArgument("unsupported unary minus operation on type " +
                                         std::string(v->TypeName()));
        };
      }
      case ast::Expr::Kind::kList: {
        std::vector<Getter> items;
        for (const ast::Expr& item : e.items) items.push_back(CompileExpr(item));
        return [items](EvalContext& c) -> Result<Value> {
          AnyValue any;
          auto* arr = any.mutable_array_value();
          for (const Getter& g : items) {
            Result<Value> v = g(c);
            if (!v.ok()) return v;
            v->ToAny(*arr->add_values());
          }
          return Value::Slice(std::move(any));
        };
      }
      case ast::Expr::Kind::kMap: {
        std::vector<std::pair<std::string, Getter>> entries;
        for (std::size_t i = 0; i < e.items.size(); ++i)
          entries.emplace_back(e.map_keys[i], CompileExpr(e.items[i]));
        return [entries](EvalContext& c) -> Result<Value> {
          AnyValue any;
          auto* m = any.mutable_kvlist_value()->mutable_values();
          for (const auto& [k, g] : entries) {
            Result<Value> v = g(c);
            if (!v.ok()) return v;
            AnyValue* slot = FindKey(*m, k);
            if (slot == nullptr) {
              KeyValue* kv = m->Add();
              kv->set_key(k);
              slot = kv->mutable_value();
            }
            v->ToAny(*slot);
          }
          return Value::Map(std::move(any));
        };
      }
      default: Fail(e.pos, "unsupported expression");
    }
  }

  const FunctionSpec& Lookup(const ast::Call& call, bool editor) {
    const FunctionSpec* spec = FindFunction(call.name);
    if (spec == nullptr || (editor ? !spec->editor : !spec->converter)) {
      Fail(call.pos, "undefined function \"" + call.name + "\" (see the supported functions in the README)");
    }
    if (!spec->contexts.empty() &&
        std::find(spec->contexts.begin(), spec->contexts.end(), context_) == spec->contexts.end()) {
      Fail(call.pos, "function \"" + call.name + "\" is not available in the " +
                         std::string(ContextName(context_)) + " context");
    }
    return *spec;
  }

  Getter CompileConverter(const ast::Call& call);
  Editor CompileEditor(const ast::Call& call);

  Predicate CompileBool(const ast::BoolExpr& b) {
    switch (b.kind) {
      case ast::BoolExpr::Kind::kOr:
      case ast::BoolExpr::Kind::kAnd: {
        std::vector<Predicate> parts;
        for (const auto& child : b.children) parts.push_back(CompileBool(child));
        const bool is_or = b.kind == ast::BoolExpr::Kind::kOr;
        return [parts, is_or](EvalContext& c) -> Result<bool> {
          for (const Predicate& p : parts) {
            Result<bool> v = p(c);
            if (!v.ok()) return v;
            if (*v == is_or) return is_or;
          }
          return !is_or;
        };
      }
      case ast::BoolExpr::Kind::kNot: {
        Predicate inner = CompileBool(b.children[0]);
        return [inner](EvalContext& c) -> Result<bool> {
          Result<bool> v = inner(c);
          if (!v.ok()) return v;
          return !*v;
        };
      }
      case ast::BoolExpr::Kind::kConst: {
        const bool v = b.constant;
        return [v](EvalContext&) -> Result<bool> { return v; };
      }
      case ast::BoolExpr::Kind::kCompare: {
        Getter l = CompileExpr(*b.lhs);
        Getter r = CompileExpr(*b.rhs);
        const CompareOp op = b.op;
        return [l, r, op](EvalContext& c) -> Result<bool> {
          Result<Value> a = l(c);
          if (!a.ok()) return a.status();
          Result<Value> x = r(c);
          if (!x.ok()) return x.status();
          return Compare(*a, *x, op);
        };
      }
      case ast::BoolExpr::Kind::kConverter: {
        Getter g = CompileConverter(*b.call);
        const std::string name = b.call->name;
        return [g, name](EvalContext& c) -> Result<bool> {
          Result<Value> v = g(c);
          if (!v.ok()) return v.status();
          if (v->kind() != Value::Kind::kBool) {
            return Status::InvalidArgument("value returned from " + name +
                                           " is not a bool: " + std::string(v->TypeName()));
          }
          return v->as_bool();
        };
      }
    }
    Fail(b.pos, "unsupported condition");
  }

  std::string_view text() const { return text_; }
  ContextKind context() const { return context_; }

 private:
  std::string_view text_;
  ContextKind context_;
};

// Arguments bound to a FunctionSpec's parameters.
class BoundArgs : public Args {
 public:
  BoundArgs(Compiler& c, const ast::Call& call, const FunctionSpec& spec) : c_(c), call_(call), spec_(spec) {
    std::size_t required = 0;
    for (std::string_view p : spec.params) {
      if (!p.ends_with("?")) ++required;
    }
    bound_.assign(spec.params.size(), nullptr);
    std::size_t positional = 0;
    for (const ast::Arg& a : call.args) {
      if (a.name.empty()) {
        if (positional >= spec.params.size()) Count();
        bound_[positional++] = &a;
        continue;
      }
      std::size_t i = 0;
      for (; i < spec.params.size(); ++i) {
        std::string_view p = spec.params[i];
        if (p.ends_with("?")) p.remove_suffix(1);
        if (p == a.name) break;
      }
      if (i == spec.params.size()) Wrap(a.pos, "no such parameter: " + a.name);
      if (bound_[i] != nullptr) Wrap(a.pos, "parameter " + a.name + " given twice");
      bound_[i] = &a;
    }
    for (std::size_t i = 0; i < spec.params.size(); ++i) {
      if (bound_[i] == nullptr && !spec.params[i].ends_with("?")) Count();
    }
    (void)required;
  }

  bool Has(std::size_t i) const override { return i < bound_.size() && bound_[i] != nullptr; }

  Getter Get(std::size_t i) override { return c_.CompileExpr(Expr(i)); }

  Target PathTarget(std::size_t i) override {
    const ast::Expr& e = Expr(i);
    if (e.kind != ast::Expr::Kind::kPath) Fail(i, "must be a path");
    Target t = c_.CompilePath(*e.path);
    if (!t.set) Fail(i, "path \"" + t.text + "\" is read-only");
    return t;
  }

  std::function<Result<Attrs*>(EvalContext&)> MapTarget(std::size_t i) override {
    const ast::Expr& e = Expr(i);
    if (e.kind != ast::Expr::Kind::kPath) Fail(i, "must be a path to a map");
    Target t = c_.CompilePath(*e.path);
    if (!t.map) Fail(i, "path \"" + t.text + "\" is not a map");
    return t.map;
  }

  std::string LiteralString(std::size_t i) override {
    const ast::Expr& e = Expr(i);
    if (e.kind != ast::Expr::Kind::kString) Fail(i, "must be a string literal");
    return e.s;
  }

  std::int64_t LiteralInt(std::size_t i) override {
    const ast::Expr& e = Expr(i);
    if (e.kind != ast::Expr::Kind::kInt) Fail(i, "must be an int literal");
    return e.i;
  }

  bool LiteralBool(std::size_t i) override {
    const ast::Expr& e = Expr(i);
    if (e.kind != ast::Expr::Kind::kBool) Fail(i, "must be true or false");
    return e.b;
  }

  std::vector<std::string> LiteralStringList(std::size_t i) override {
    const ast::Expr& e = Expr(i);
    if (e.kind != ast::Expr::Kind::kList) Fail(i, "must be a list of string literals");
    std::vector<std::string> out;
    for (const ast::Expr& item : e.items) {
      if (item.kind != ast::Expr::Kind::kString) Fail(i, "must be a list of string literals");
      out.push_back(item.s);
    }
    return out;
  }

  std::vector<Getter> GetterList(std::size_t i) override {
    const ast::Expr& e = Expr(i);
    if (e.kind != ast::Expr::Kind::kList) Fail(i, "must be a list");
    std::vector<Getter> out;
    for (const ast::Expr& item : e.items) out.push_back(c_.CompileExpr(item));
    return out;
  }

  std::optional<Value> Literal(std::size_t i) override { return c_.LiteralOf(Expr(i)); }

  std::string FunctionName(std::size_t i) override {
    const ast::Expr& e = Expr(i);
    if (e.kind != ast::Expr::Kind::kEnum) Fail(i, "must be the name of a converter");
    const FunctionSpec* spec = FindFunction(e.s);
    if (spec == nullptr || !spec->converter) Fail(i, "undefined function \"" + e.s + "\"");
    static const std::set<std::string_view> kOneArg = {"SHA256",      "SHA1",        "SHA512", "MD5",
                                                       "ToLowerCase", "ToUpperCase", "String"};
    if (!kOneArg.count(e.s)) Fail(i, "function \"" + e.s + "\" cannot be used as an argument here");
    return e.s;
  }

  [[noreturn]] void Fail(std::size_t i, const std::string& message) override {
    std::string_view name = spec_.params[i];
    if (name.ends_with("?")) name.remove_suffix(1);
    Wrap(bound_[i] ? bound_[i]->pos : call_.pos, std::string(name) + " " + message);
  }

 private:
  const ast::Expr& Expr(std::size_t i) const { return *bound_[i]->value; }
  [[noreturn]] void Count() const {
    c_.Fail(call_.pos,
            "error while parsing arguments for call to \"" + call_.name +
                "\": incorrect number of arguments. Expected: " + std::to_string(spec_.params.size()) +
                " Received: " + std::to_string(call_.args.size()));
  }
  [[noreturn]] void Wrap(int pos, const std::string& msg) const {
    c_.Fail(pos, "error while parsing arguments for call to \"" + call_.name + "\": " + msg);
  }

  Compiler& c_;
  const ast::Call& call_;
  const FunctionSpec& spec_;
  std::vector<const ast::Arg*> bound_;
};

Getter Compiler::CompileConverter(const ast::Call& call) {
  const FunctionSpec& spec = Lookup(call, false);
  BoundArgs args(*this, call, spec);
  Getter g = spec.converter(args);
  if (call.keys.empty()) return g;
  std::vector<KeyC> keys;
  for (const ast::Key& k : call.keys) keys.push_back(CompileKey(k));
  return [g, keys](EvalContext& c) -> Result<Value> {
    Result<Value> v = g(c);
    if (!v.ok()) return v;
    AnyValue any;
    v->ToAny(any);
    if (v->kind() != Value::Kind::kMap && v->kind() != Value::Kind::kSlice) {
      return Status::InvalidArgument("type " + std::string(v->TypeName()) + " does not support indexing");
    }
    return ReadKeys(&any, keys, 0, c);
  };
}

Editor Compiler::CompileEditor(const ast::Call& call) {
  const FunctionSpec& spec = Lookup(call, true);
  BoundArgs args(*this, call, spec);
  return spec.editor(args);
}

SyntaxError Locate(std::string_view what, std::string_view text, const SyntaxError& e) {
  if (e.pos() < 0) return e;
  return SyntaxError(e.pos(), "invalid " + std::string(what) + " \"" + std::string(text) +
                                  "\": " + LineCol(text, e.pos()) + ": " + e.what());
}

// Collects the first segment of every path, for context inference.
void CollectExpr(const ast::Expr& e, std::set<std::string>& firsts, std::set<std::string>& enums,
                 std::set<std::string>& funcs);
void CollectCall(const ast::Call& c, std::set<std::string>& firsts, std::set<std::string>& enums,
                 std::set<std::string>& funcs) {
  funcs.insert(c.name);
  for (const ast::Arg& a : c.args) CollectExpr(*a.value, firsts, enums, funcs);
  for (const ast::Key& k : c.keys) CollectExpr(*k.expr, firsts, enums, funcs);
}
void CollectExpr(const ast::Expr& e, std::set<std::string>& firsts, std::set<std::string>& enums,
                 std::set<std::string>& funcs) {
  switch (e.kind) {
    case ast::Expr::Kind::kPath:
      if (e.path->fields.size() > 1) firsts.insert(e.path->fields[0].name);
      for (const ast::Field& f : e.path->fields) {
        for (const ast::Key& k : f.keys) CollectExpr(*k.expr, firsts, enums, funcs);
      }
      break;
    case ast::Expr::Kind::kEnum: enums.insert(e.s); break;
    case ast::Expr::Kind::kConverter: CollectCall(*e.call, firsts, enums, funcs); break;
    case ast::Expr::Kind::kMath:
      CollectExpr(*e.lhs, firsts, enums, funcs);
      CollectExpr(*e.rhs, firsts, enums, funcs);
      break;
    case ast::Expr::Kind::kNeg: CollectExpr(*e.lhs, firsts, enums, funcs); break;
    case ast::Expr::Kind::kList:
      for (const ast::Expr& i : e.items) CollectExpr(i, firsts, enums, funcs);
      break;
    case ast::Expr::Kind::kMap:
      for (const ast::Expr& v : e.items) CollectExpr(v, firsts, enums, funcs);
      break;
    default: break;
  }
}
void CollectBool(const ast::BoolExpr& b, std::set<std::string>& firsts, std::set<std::string>& enums,
                 std::set<std::string>& funcs) {
  for (const auto& c : b.children) CollectBool(c, firsts, enums, funcs);
  if (b.lhs) CollectExpr(*b.lhs, firsts, enums, funcs);
  if (b.rhs) CollectExpr(*b.rhs, firsts, enums, funcs);
  if (b.call) CollectCall(*b.call, firsts, enums, funcs);
}

}  // namespace

std::string_view ContextName(ContextKind kind) {
  for (const ContextInfo& c : kContexts) {
    if (c.kind == kind) return c.name;
  }
  return "";
}

std::optional<ContextKind> ContextFromName(std::string_view name) {
  if (name == "instrumentation_scope") return ContextKind::kScope;
  for (const ContextInfo& c : kContexts) {
    if (c.name == name) return c.kind;
  }
  return std::nullopt;
}

bool ContextCanRead(ContextKind kind, ContextKind ancestor) {
  if (kind == ancestor || ancestor == ContextKind::kResource) return true;
  switch (kind) {
    case ContextKind::kScope: return false;
    case ContextKind::kSpan: return ancestor == ContextKind::kScope;
    case ContextKind::kSpanEvent: return ancestor == ContextKind::kScope || ancestor == ContextKind::kSpan;
    case ContextKind::kMetric: return ancestor == ContextKind::kScope;
    case ContextKind::kDataPoint: return ancestor == ContextKind::kScope || ancestor == ContextKind::kMetric;
    case ContextKind::kLog: return ancestor == ContextKind::kScope;
    default: return false;
  }
}

Status Statement::Execute(EvalContext& ctx) const {
  if (where_) {
    Result<bool> cond = where_(ctx);
    if (!cond.ok()) return cond.status();
    if (!*cond) return Status::Ok();
  }
  return editor_(ctx);
}

Statement CompileStatement(std::string_view text, ContextKind context) {
  ast::Statement st = ParseStatement(text);
  Compiler c(text, context);
  try {
    Editor editor = c.CompileEditor(st.editor);
    Predicate where = st.where ? c.CompileBool(*st.where) : Predicate();
    return Statement(std::string(text), std::move(editor), std::move(where));
  } catch (const SyntaxError& e) {
    throw Locate("statement", text, e);
  }
}

namespace {

// A path whose value is a string field kept as received: the value's bytes
// appear verbatim in the serialized item. One level only: deeper indexing
// could fail (indexing a string), and a gated condition must not.
bool RawStringPath(const ast::Path& p) {
  if (p.fields.size() != 1) return false;
  const ast::Field& f = p.fields[0];
  if (f.name == "attributes") return f.keys.size() == 1;
  if (!f.keys.empty()) return false;
  return f.name == "name" || f.name == "body" || f.name == "severity_text" || f.name == "version" ||
         f.name == "unit" || f.name == "description" || f.name == "schema_url";
}

std::optional<std::vector<std::string>> LiteralGate(const ast::BoolExpr& b) {
  switch (b.kind) {
    case ast::BoolExpr::Kind::kCompare: {
      if (b.op != CompareOp::kEq || !b.lhs || !b.rhs) return std::nullopt;
      const ast::Expr* lit = b.lhs->kind == ast::Expr::Kind::kString ? b.lhs.get() : b.rhs.get();
      const ast::Expr* path = lit == b.lhs.get() ? b.rhs.get() : b.lhs.get();
      if (lit->kind != ast::Expr::Kind::kString || lit->s.empty()) return std::nullopt;
      if (path->kind != ast::Expr::Kind::kPath || !path->path || !RawStringPath(*path->path))
        return std::nullopt;
      return std::vector<std::string>{lit->s};
    }
    case ast::BoolExpr::Kind::kAnd:
      // Evaluation stops at the first false operand, so the first one decides.
      if (b.children.empty()) return std::nullopt;
      return LiteralGate(b.children.front());
    case ast::BoolExpr::Kind::kOr: {
      std::vector<std::string> all;
      for (const auto& child : b.children) {
        auto g = LiteralGate(child);
        if (!g) return std::nullopt;
        all.insert(all.end(), g->begin(), g->end());
      }
      if (all.empty()) return std::nullopt;
      return all;
    }
    default: return std::nullopt;
  }
}

}  // namespace

Condition CompileCondition(std::string_view text, ContextKind context) {
  ast::BoolExpr b = ParseCondition(text);
  Compiler c(text, context);
  try {
    return Condition(std::string(text), c.CompileBool(b), LiteralGate(b));
  } catch (const SyntaxError& e) {
    throw Locate("condition", text, e);
  }
}

Getter CompileValue(std::string_view text, ContextKind context) {
  ast::Expr e = ParseValue(text);
  Compiler c(text, context);
  try {
    return c.CompileExpr(e);
  } catch (const SyntaxError& err) {
    throw Locate("value", text, err);
  }
}

ContextKind InferContext(Signal signal, const std::vector<std::string>& statements,
                         const std::vector<std::string>& conditions) {
  std::set<std::string> firsts, enums, funcs;
  for (const std::string& s : statements) {
    ast::Statement st = ParseStatement(s);
    CollectCall(st.editor, firsts, enums, funcs);
    if (st.where) CollectBool(*st.where, firsts, enums, funcs);
  }
  for (const std::string& s : conditions) CollectBool(ParseCondition(s), firsts, enums, funcs);
  // otelcol's priority: the most specific context named wins.
  static constexpr std::string_view kPriority[] = {
      "log", "datapoint", "metric", "spanevent", "span", "scope", "instrumentation_scope", "resource"};
  std::optional<ContextKind> candidate;
  for (std::string_view name : kPriority) {
    if (firsts.count(std::string(name))) {
      candidate = ContextFromName(name);
      break;
    }
  }
  if (!candidate) {
    throw SyntaxError(
        -1, "unable to infer context from statements, path's first segment must be a valid context name");
  }
  std::vector<ContextKind> signal_contexts;
  switch (signal) {
    case Signal::kTraces:
      signal_contexts = {ContextKind::kResource, ContextKind::kScope, ContextKind::kSpan,
                         ContextKind::kSpanEvent};
      break;
    case Signal::kMetrics:
      signal_contexts = {ContextKind::kResource, ContextKind::kScope, ContextKind::kMetric,
                         ContextKind::kDataPoint};
      break;
    default: signal_contexts = {ContextKind::kResource, ContextKind::kScope, ContextKind::kLog}; break;
  }
  if (std::find(signal_contexts.begin(), signal_contexts.end(), *candidate) == signal_contexts.end()) {
    throw SyntaxError(-1, "inferred context \"" + std::string(ContextName(*candidate)) +
                              "\" is not a valid context for this signal");
  }
  // When the candidate lacks a used enum or function, the more specific
  // contexts of the signal are tried in order.
  // A bare converter name given as an argument (replace_pattern's
  // `function`, e.g. SHA256) reads as an enum here and fails inference, as
  // it does in otelcol v0.161.0; the grouped form with `context:` accepts it.
  std::string missing;
  auto fits = [&](ContextKind k) {
    for (const std::string& e : enums) {
      if (!EnumValue(k, e)) {
        missing = "the enum symbol \"" + e + "\"";
        return false;
      }
    }
    for (const std::string& f : funcs) {
      const FunctionSpec* spec = FindFunction(f);
      if (spec && !spec->contexts.empty() &&
          std::find(spec->contexts.begin(), spec->contexts.end(), k) == spec->contexts.end()) {
        missing = "the function \"" + f + "\"";
        return false;
      }
    }
    return true;
  };
  if (fits(*candidate)) return *candidate;
  const std::string first_missing = missing;
  for (ContextKind k : signal_contexts) {
    if (static_cast<int>(k) > static_cast<int>(*candidate) && fits(k)) return k;
  }
  throw SyntaxError(-1, "unable to infer a valid context from statements: inferred context \"" +
                            std::string(ContextName(*candidate)) + "\" does not support " + first_missing);
}

std::optional<ErrorMode> ParseErrorMode(std::string_view text) {
  const std::string lower = AsciiLower(text);
  if (lower == "ignore") return ErrorMode::kIgnore;
  if (lower == "silent") return ErrorMode::kSilent;
  if (lower == "propagate") return ErrorMode::kPropagate;
  return std::nullopt;
}

}  // namespace otlpd::ottl
