#include "ottl/value.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <map>

#include "internal/base64.h"
#include "internal/go_format.h"
#include "internal/json_string.h"
#include "internal/text.h"
#include "otlp/value/any_value_string.h"

namespace otlpd::ottl {
namespace {

// OTTL prints a NaN or an infinity as Go's fmt does, bare, and keeps <, >, &.
constexpr otlp::AnyValueTextOptions kTextOptions{JsonHtml::kKeep,
                                                 otlp::AnyValueTextOptions::NonFinite::kBare};

void AppendJsonAny(std::string& out, const AnyValue& v) { otlp::AppendAnyValueJson(out, v, kTextOptions); }

template <class T>
int Cmp3(const T& a, const T& b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

bool FromOrder(int c, CompareOp op) {
  switch (op) {
    case CompareOp::kEq: return c == 0;
    case CompareOp::kNe: return c != 0;
    case CompareOp::kLt: return c < 0;
    case CompareOp::kLe: return c <= 0;
    case CompareOp::kGt: return c > 0;
    case CompareOp::kGe: return c >= 0;
  }
  return false;
}

bool FromEquality(bool equal, CompareOp op) {
  if (op == CompareOp::kEq) return equal;
  if (op == CompareOp::kNe) return !equal;
  return false;
}

}  // namespace

Value Value::Map(AnyValue any) { return Value(MapValue{std::make_shared<const AnyValue>(std::move(any))}); }
Value Value::Slice(AnyValue any) {
  return Value(SliceValue{std::make_shared<const AnyValue>(std::move(any))});
}

Value Value::FromAny(const AnyValue& any) {
  switch (any.value_case()) {
    case AnyValue::kStringValue: return String(any.string_value());
    case AnyValue::kBoolValue: return Bool(any.bool_value());
    case AnyValue::kIntValue: return Int(any.int_value());
    case AnyValue::kDoubleValue: return Double(any.double_value());
    case AnyValue::kBytesValue: return ByteString(any.bytes_value());
    case AnyValue::kKvlistValue: return Map(any);
    case AnyValue::kArrayValue: return Slice(any);
    default: return Value();
  }
}

void Value::ToAny(AnyValue& out) const {
  switch (kind()) {
    case Kind::kNil: out.Clear(); return;
    case Kind::kBool: out.set_bool_value(as_bool()); return;
    case Kind::kInt: out.set_int_value(as_int()); return;
    case Kind::kDouble: out.set_double_value(as_double()); return;
    case Kind::kString: out.set_string_value(as_string()); return;
    case Kind::kBytes: out.set_bytes_value(as_bytes().data); return;
    case Kind::kMap: {
      AnyValue copy = as_map();  // `out` may live inside the source map
      out = std::move(copy);
      return;
    }
    case Kind::kSlice: {
      AnyValue copy = as_slice();
      out = std::move(copy);
      return;
    }
    // Not reachable through set: the setter refuses these types first.
    case Kind::kTime:
    case Kind::kDuration: out.Clear(); return;
  }
}

std::string_view Value::TypeName() const {
  switch (kind()) {
    case Kind::kNil: return "nil";
    case Kind::kBool: return "bool";
    case Kind::kInt: return "int64";
    case Kind::kDouble: return "float64";
    case Kind::kString: return "string";
    case Kind::kBytes:
      return as_bytes().id_size == 16  ? "pcommon.TraceID"
             : as_bytes().id_size == 8 ? "pcommon.SpanID"
                                       : "[]uint8";
    case Kind::kMap: return "pcommon.Map";
    case Kind::kSlice: return "pcommon.Slice";
    case Kind::kTime: return "time.Time";
    case Kind::kDuration: return "time.Duration";
  }
  return "unknown";
}

std::string AnyAsString(const AnyValue& v) { return otlp::AnyValueAsString(v, kTextOptions); }

std::string JsonOf(const Value& v) {
  std::string out;
  switch (v.kind()) {
    case Value::Kind::kNil: return "null";
    case Value::Kind::kBool: return v.as_bool() ? "true" : "false";
    case Value::Kind::kInt: return std::to_string(v.as_int());
    case Value::Kind::kDouble: AppendGoJsonFloat(out, v.as_double()); return out;
    case Value::Kind::kString: AppendGoJsonString(out, v.as_string(), JsonHtml::kKeep); return out;
    case Value::Kind::kBytes: AppendGoJsonString(out, Base64(v.as_bytes().data), JsonHtml::kKeep); return out;
    case Value::Kind::kMap: AppendJsonAny(out, v.as_map()); return out;
    case Value::Kind::kSlice: AppendJsonAny(out, v.as_slice()); return out;
    case Value::Kind::kTime: return std::to_string(v.as_time());
    case Value::Kind::kDuration: return std::to_string(v.as_duration());
  }
  return out;
}

std::optional<std::string> StringLike(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kNil: return std::nullopt;
    case Value::Kind::kString: return v.as_string();
    case Value::Kind::kBytes: return HexLower(v.as_bytes().data);
    case Value::Kind::kMap: return AnyAsString(v.as_map());
    case Value::Kind::kSlice: return AnyAsString(v.as_slice());
    default: return JsonOf(v);
  }
}

bool Compare(const Value& a, const Value& b, CompareOp op) {
  using K = Value::Kind;
  const K ka = a.kind();
  const K kb = b.kind();
  if (ka == K::kNil || kb == K::kNil) {
    if (ka == kb) return op == CompareOp::kEq || op == CompareOp::kLe || op == CompareOp::kGe;
    return op == CompareOp::kNe;
  }
  if (ka == K::kInt && kb == K::kInt) return FromOrder(Cmp3(a.as_int(), b.as_int()), op);
  if ((ka == K::kInt || ka == K::kDouble) && (kb == K::kInt || kb == K::kDouble)) {
    const double x = ka == K::kInt ? static_cast<double>(a.as_int()) : a.as_double();
    const double y = kb == K::kInt ? static_cast<double>(b.as_int()) : b.as_double();
    // NaN compares false everywhere but !=, as in Go.
    if (std::isnan(x) || std::isnan(y)) return op == CompareOp::kNe;
    return FromOrder(Cmp3(x, y), op);
  }
  if (ka != kb) return op == CompareOp::kNe;
  switch (ka) {
    case K::kString: return FromOrder(a.as_string().compare(b.as_string()), op);
    case K::kBool: return FromOrder(Cmp3(a.as_bool(), b.as_bool()), op);
    case K::kBytes: {
      const Bytes& x = a.as_bytes();
      const Bytes& y = b.as_bytes();
      if (x.id_size != y.id_size) return op == CompareOp::kNe;
      // TraceID/SpanID are Go arrays: only == and != are defined.
      if (x.id_size != 0) return FromEquality(x.data == y.data, op);
      return FromOrder(x.data.compare(y.data), op);
    }
    case K::kTime: return FromOrder(Cmp3(a.as_time(), b.as_time()), op);
    case K::kDuration: return FromOrder(Cmp3(a.as_duration(), b.as_duration()), op);
    case K::kMap: return FromEquality(AnyAsString(a.as_map()) == AnyAsString(b.as_map()), op);
    case K::kSlice: return FromEquality(AnyAsString(a.as_slice()) == AnyAsString(b.as_slice()), op);
    default: return op == CompareOp::kNe;
  }
}

Result<Value> Arith(const Value& a, const Value& b, MathOp op) {
  using K = Value::Kind;
  const K ka = a.kind();
  const K kb = b.kind();
  if (ka == K::kTime || ka == K::kDuration) {
    if (op == MathOp::kMul || op == MathOp::kDiv) {
      return Status::InvalidArgument(
          "only addition and subtraction are supported for time.Time and time.Duration");
    }
    if (ka == K::kTime && kb == K::kDuration) {
      const std::int64_t d = b.as_duration();
      return Value::TimeNs(op == MathOp::kAdd ? a.as_time() + d : a.as_time() - d);
    }
    if (ka == K::kTime && kb == K::kTime && op == MathOp::kSub)
      return Value::DurationNs(a.as_time() - b.as_time());
    if (ka == K::kDuration && kb == K::kDuration) {
      return Value::DurationNs(op == MathOp::kAdd ? a.as_duration() + b.as_duration()
                                                  : a.as_duration() - b.as_duration());
    }
    if (ka == K::kDuration && kb == K::kTime && op == MathOp::kAdd)
      return Value::TimeNs(b.as_time() + a.as_duration());
    return Status::InvalidArgument(std::string("unsupported operation on ") + std::string(a.TypeName()) +
                                   " and " + std::string(b.TypeName()));
  }
  if (ka != K::kInt && ka != K::kDouble) {
    return Status::InvalidArgument(JsonOf(a) + " must be int64, float64, time.Time or time.Duration");
  }
  if (kb != K::kInt && kb != K::kDouble)
    return Status::InvalidArgument(JsonOf(b) + " must be int64 or float64");
  if (ka == K::kInt && kb == K::kInt) {
    // Go wraps on overflow: compute in unsigned.
    const auto x = static_cast<std::uint64_t>(a.as_int());
    const auto y = static_cast<std::uint64_t>(b.as_int());
    switch (op) {
      case MathOp::kAdd: return Value::Int(static_cast<std::int64_t>(x + y));
      case MathOp::kSub: return Value::Int(static_cast<std::int64_t>(x - y));
      case MathOp::kMul: return Value::Int(static_cast<std::int64_t>(x * y));
      case MathOp::kDiv:
        if (b.as_int() == 0) return Status::InvalidArgument("attempted to divide by 0");
        if (b.as_int() == -1) return Value::Int(static_cast<std::int64_t>(0 - x));  // MinInt / -1 wraps
        return Value::Int(a.as_int() / b.as_int());
    }
  }
  const double x = ka == K::kInt ? static_cast<double>(a.as_int()) : a.as_double();
  const double y = kb == K::kInt ? static_cast<double>(b.as_int()) : b.as_double();
  switch (op) {
    case MathOp::kAdd: return Value::Double(x + y);
    case MathOp::kSub: return Value::Double(x - y);
    case MathOp::kMul: return Value::Double(x * y);
    case MathOp::kDiv:
      if (y == 0) return Status::InvalidArgument("attempted to divide by 0");
      return Value::Double(x / y);
  }
  return Status::Internal("bad math op");
}

}  // namespace otlpd::ottl
