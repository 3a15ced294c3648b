// OTTL's runtime values. OTTL is dynamically typed over Go's types: nil,
// bool, int64, float64, string, []byte, pcommon.Map, pcommon.Slice,
// time.Time and time.Duration (contrib/pkg/ottl). One tagged union here
// stands for all of them; maps and slices hold an OTLP AnyValue (kvlist or
// array) shared read-only, so passing a value around never copies it.
#pragma once

#include <compare>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "internal/status.h"
#include "opentelemetry/proto/common/v1/common.pb.h"

namespace otlpd::ottl {

using AnyValue = opentelemetry::proto::common::v1::AnyValue;
using KeyValue = opentelemetry::proto::common::v1::KeyValue;
using Attrs = google::protobuf::RepeatedPtrField<KeyValue>;

struct Bytes {
  std::string data;
  // pcommon.TraceID / SpanID are Go arrays, distinct from []byte: a trace id
  // equals only another trace id. 0 = []byte, 16 = TraceID, 8 = SpanID.
  int id_size = 0;
  bool operator==(const Bytes&) const = default;
};
struct Time {
  std::int64_t ns = 0;  // since the Unix epoch
  bool operator==(const Time&) const = default;
};
struct Duration {
  std::int64_t ns = 0;
  bool operator==(const Duration&) const = default;
};
// Map (kvlist_value) or Slice (array_value): shared, never mutated once made.
struct MapValue {
  std::shared_ptr<const AnyValue> v;
};
struct SliceValue {
  std::shared_ptr<const AnyValue> v;
};

class Value {
 public:
  enum class Kind { kNil, kBool, kInt, kDouble, kString, kBytes, kMap, kSlice, kTime, kDuration };

  Value() = default;
  static Value Bool(bool b) { return Value(b); }
  static Value Int(std::int64_t i) { return Value(i); }
  static Value Double(double d) { return Value(d); }
  static Value String(std::string s) { return Value(std::move(s)); }
  static Value ByteString(std::string b, int id_size = 0) { return Value(Bytes{std::move(b), id_size}); }
  static Value TimeNs(std::int64_t ns) { return Value(Time{ns}); }
  static Value DurationNs(std::int64_t ns) { return Value(Duration{ns}); }
  // `any` holds a kvlist_value or array_value.
  static Value Map(AnyValue any);
  static Value Slice(AnyValue any);
  // The raw value of an AnyValue as pcommon.Value reads unwrap it.
  static Value FromAny(const AnyValue& any);

  Kind kind() const { return static_cast<Kind>(v_.index()); }
  bool is_nil() const { return kind() == Kind::kNil; }
  bool as_bool() const { return std::get<bool>(v_); }
  std::int64_t as_int() const { return std::get<std::int64_t>(v_); }
  double as_double() const { return std::get<double>(v_); }
  const std::string& as_string() const { return std::get<std::string>(v_); }
  const Bytes& as_bytes() const { return std::get<Bytes>(v_); }
  const AnyValue& as_map() const { return *std::get<MapValue>(v_).v; }  // kvlist_value inside
  const AnyValue& as_slice() const { return *std::get<SliceValue>(v_).v; }
  std::int64_t as_time() const { return std::get<Time>(v_).ns; }
  std::int64_t as_duration() const { return std::get<Duration>(v_).ns; }

  // The value written into an AnyValue (set): nil clears it.
  void ToAny(AnyValue& out) const;

  // Go's %T-like name used in error messages ("string", "int64", "pcommon.Map").
  std::string_view TypeName() const;

 private:
  template <class T>
  explicit Value(T v) : v_(std::move(v)) {}
  std::variant<std::monostate, bool, std::int64_t, double, std::string, Bytes, MapValue, SliceValue, Time,
               Duration>
      v_;
};

// pcommon Value.AsString() for an AnyValue, and JSON of a map/slice as Go's
// encoding/json writes their AsRaw() (sorted map keys, no HTML escaping).
std::string AnyAsString(const AnyValue& v);
// OTTL's StringLikeGetter: string as is; []byte lowercase hex; map/slice JSON;
// numbers/bools as Go's JSON; nullopt for nil.
std::optional<std::string> StringLike(const Value& v);
std::string JsonOf(const Value& v);

enum class CompareOp { kEq, kNe, kLt, kLe, kGt, kGe };
// contrib/pkg/ottl compare.go: never fails; mismatched types are only `!=`.
bool Compare(const Value& a, const Value& b, CompareOp op);

enum class MathOp { kAdd, kSub, kMul, kDiv };
// contrib/pkg/ottl math.go.
Result<Value> Arith(const Value& a, const Value& b, MathOp op);

// Go formatting helpers.

}  // namespace otlpd::ottl
