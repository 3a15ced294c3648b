#include "otlp/wire/any_value.h"

#include <cmath>

#include <catch2/catch.hpp>

#include "opentelemetry/proto/common/v1/common.pb.h"

using namespace otlpd;
using namespace otlpd::wire;
using opentelemetry::proto::common::v1::AnyValue;
using opentelemetry::proto::common::v1::KeyValue;

namespace {

AnyValue StrValue(const std::string& s) {
  AnyValue v;
  v.set_string_value(s);
  return v;
}
AnyValue IntValue(std::int64_t i) {
  AnyValue v;
  v.set_int_value(i);
  return v;
}
AnyValue DoubleValue(double d) {
  AnyValue v;
  v.set_double_value(d);
  return v;
}
AnyValue BytesValue(const std::string& b) {
  AnyValue v;
  v.set_bytes_value(b);
  return v;
}

}  // namespace

TEST_CASE("AnyValueAsString is pdata's Value.AsString()") {
  auto as = [](const AnyValue& v) { return AnyValueAsString(ParseAnyValue(v.SerializeAsString())); };
  CHECK(as(IntValue(-42)) == "-42");
  CHECK(as(DoubleValue(1.5)) == "1.5");
  CHECK(as(DoubleValue(1e21)) == "1e+21");
  CHECK(as(DoubleValue(1e-7)) == "1e-7");
  CHECK(as(DoubleValue(100)) == "100");
  CHECK(as(DoubleValue(std::nan(""))) == "NaN");
  CHECK(as(DoubleValue(-INFINITY)) == "-Infinity");
  AnyValue b;
  b.set_bool_value(true);
  CHECK(as(b) == "true");
  AnyValue m;
  auto* kvs = m.mutable_kvlist_value();
  auto put = [&](const char* k, AnyValue v) {
    auto* kv = kvs->add_values();
    kv->set_key(k);
    *kv->mutable_value() = std::move(v);
  };
  put("z", StrValue("<a&b>\n"));
  put("a", IntValue(1));
  AnyValue arr;
  *arr.mutable_array_value()->add_values() = DoubleValue(0.5);
  *arr.mutable_array_value()->add_values() = BytesValue("hi");
  *arr.mutable_array_value()->add_values() = AnyValue();
  put("m", arr);
  CHECK(as(m) == R"({"a":1,"m":[0.5,"aGk=",null],"z":"<a&b>\n"})");
  CHECK(as(BytesValue("hi")) == "aGk=");
  CHECK(as(AnyValue()).empty());
}

TEST_CASE("KeyValue on the wire: key, value, the canonical fast path and the last oneof member") {
  KeyValue kv;
  kv.set_key("http.route");
  *kv.mutable_value() = StrValue("/a");
  const std::string bytes = kv.SerializeAsString();
  std::string_view key, value;
  REQUIRE(ParseKeyValue(bytes, key, value));
  CHECK(key == "http.route");
  CHECK(ParseAnyValue(value).type == ValueType::kStr);
  CHECK(ParseAnyValue(value).bytes == "/a");
  std::string_view fast;
  REQUIRE(KeyValueKey(bytes, fast));
  CHECK(fast == "http.route");
  CHECK_FALSE(ParseKeyValue(std::string_view("\x0a\x05"
                                             "ab",
                                             4),
                            key, value));  // truncated

  // Two members on the wire: protobuf keeps the last.
  const std::string two = StrValue("x").SerializeAsString() + IntValue(7).SerializeAsString();
  AnyValueView v = ParseAnyValue(two);
  CHECK(v.type == ValueType::kInt);
  CHECK(v.int_value == 7);

  std::string out;
  AppendStringKeyValue(out, 3, "k", "v");
  KeyValue back;
  REQUIRE(back.ParseFromString(out.substr(2)));  // tag + length of field 3
  CHECK(back.key() == "k");
  CHECK(back.value().string_value() == "v");
}
