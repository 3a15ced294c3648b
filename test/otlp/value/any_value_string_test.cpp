#include "otlp/value/any_value_string.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>

namespace otlpd::otlp {
namespace {

using opentelemetry::proto::common::v1::AnyValue;
using NonFinite = AnyValueTextOptions::NonFinite;

constexpr AnyValueTextOptions kEscapeFail{JsonHtml::kEscape, NonFinite::kFail};
constexpr AnyValueTextOptions kKeepFail{JsonHtml::kKeep, NonFinite::kFail};
constexpr AnyValueTextOptions kEscapeQuoted{JsonHtml::kEscape, NonFinite::kQuoted};
constexpr AnyValueTextOptions kKeepBare{JsonHtml::kKeep, NonFinite::kBare};

AnyValue Str(const std::string& s) {
  AnyValue v;
  v.set_string_value(s);
  return v;
}

AnyValue Dbl(double d) {
  AnyValue v;
  v.set_double_value(d);
  return v;
}

// {"b": [1, true, <d>], "a": "<&>", "a": "x"}: keys out of order, a repeated key.
AnyValue Map(double d) {
  AnyValue v;
  auto* kv = v.mutable_kvlist_value()->add_values();
  kv->set_key("b");
  auto* list = kv->mutable_value()->mutable_array_value();
  list->add_values()->set_int_value(1);
  list->add_values()->set_bool_value(true);
  *list->add_values() = Dbl(d);
  kv = v.mutable_kvlist_value()->add_values();
  kv->set_key("a");
  *kv->mutable_value() = Str("<&>");
  kv = v.mutable_kvlist_value()->add_values();
  kv->set_key("a");
  *kv->mutable_value() = Str("x\u2028");
  return v;
}

TEST_CASE("AnyValueAsString: scalars as pcommon's AsString") {
  CHECK(AnyValueAsString(Str("<a & b>"), kEscapeFail) == "<a & b>");  // strings as they are
  AnyValue v;
  CHECK(AnyValueAsString(v, kEscapeFail).empty());
  v.set_bool_value(true);
  CHECK(AnyValueAsString(v, kEscapeFail) == "true");
  v.set_int_value(-42);
  CHECK(AnyValueAsString(v, kEscapeFail) == "-42");
  v.set_bytes_value("\x01\x02\x03");
  CHECK(AnyValueAsString(v, kEscapeFail) == "AQID");
  CHECK(AnyValueAsString(Dbl(1.5), kEscapeFail) == "1.5");
  CHECK(AnyValueAsString(Dbl(1e21), kEscapeFail) == "1e+21");
  CHECK(AnyValueAsString(Dbl(std::nan("")), kEscapeFail) == "json: unsupported value: NaN");
  CHECK(AnyValueAsString(Dbl(-std::numeric_limits<double>::infinity()), kEscapeQuoted) ==
        "json: unsupported value: -Inf");
  CHECK(AnyValueAsString(Dbl(std::numeric_limits<double>::infinity()), kKeepBare) == "+Inf");
}

TEST_CASE("AnyValueAsString: maps and slices as Go's json.Marshal") {
  CHECK(AnyValueAsString(Map(0.5), kEscapeFail) == R"({"a":"x\u2028","b":[1,true,0.5]})");
  CHECK(AnyValueAsString(Map(0.5), kKeepFail) == R"({"a":"x\u2028","b":[1,true,0.5]})");
  AnyValue html;
  *html.mutable_array_value()->add_values() = Str("<&>");
  CHECK(AnyValueAsString(html, kEscapeFail) == R"(["\u003c\u0026\u003e"])");
  CHECK(AnyValueAsString(html, kKeepFail) == R"(["<&>"])");
  AnyValue empty_item;
  empty_item.mutable_array_value()->add_values();
  CHECK(AnyValueAsString(empty_item, kEscapeFail) == "[null]");
}

TEST_CASE("AnyValueAsString: a NaN inside a map, by the caller's choice") {
  const double nan = std::nan("");
  CHECK(AnyValueAsString(Map(nan), kEscapeFail).empty());  // json.Marshal fails
  CHECK(AnyValueAsString(Map(nan), kEscapeQuoted) == R"({"a":"x\u2028","b":[1,true,"NaN"]})");
  CHECK(AnyValueAsString(Map(nan), kKeepBare) == R"({"a":"x\u2028","b":[1,true,NaN]})");
  std::string out;
  CHECK_FALSE(AppendAnyValueJson(out, Map(nan), kEscapeFail));
  out.clear();
  CHECK(AppendAnyValueJson(out, Str("a\"b"), kEscapeFail));
  CHECK(out == R"("a\"b")");
}

}  // namespace
}  // namespace otlpd::otlp
