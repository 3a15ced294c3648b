#include "internal/json_string.h"

#include <catch2/catch.hpp>
#include <string>

using namespace otlpd;

namespace {

std::string Go(std::string_view s, JsonHtml html) {
  std::string out;
  AppendGoJsonString(out, s, html);
  return out;
}

}  // namespace

// Expected strings printed by Go 1.26 encoding/json (json.NewEncoder with
// SetEscapeHTML(false) and (true)) on the same inputs.
TEST_CASE("json_string: escapes as Go's encoding/json") {
  for (JsonHtml html : {JsonHtml::kKeep, JsonHtml::kEscape}) {
    CHECK(Go("a\"b\\c\b\f\n\r\t\x01\x1f\x7f", html) == "\"a\\\"b\\\\c\\b\\f\\n\\r\\t\\u0001\\u001f\x7f\"");
    CHECK(Go("\u2028|\u2029|é€😀", html) == "\"\\u2028|\\u2029|é€😀\"");
    CHECK(Go("bad\xffx\xc3(\xe2\x82|\xed\xa0\x80|\xf4\x90\x80\x80|\xc0\xaf", html) ==
          "\"bad\\ufffdx\\ufffd(\\ufffd\\ufffd|\\ufffd\\ufffd\\ufffd|\\ufffd\\ufffd\\ufffd\\ufffd|"
          "\\ufffd\\ufffd\"");
    CHECK(Go("", html) == "\"\"");
  }
  CHECK(Go("<a href='x'>&amp;</a>", JsonHtml::kKeep) == "\"<a href='x'>&amp;</a>\"");
  CHECK(Go("<a href='x'>&amp;</a>", JsonHtml::kEscape) ==
        "\"\\u003ca href='x'\\u003e\\u0026amp;\\u003c/a\\u003e\"");
}

TEST_CASE("json_string: appends after existing text") {
  std::string out = "{\"k\":";
  AppendGoJsonString(out, "v", JsonHtml::kKeep);
  CHECK(out == "{\"k\":\"v\"");
}
