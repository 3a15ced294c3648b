#include "config/component_id.h"

#include <string>

#include <catch2/catch.hpp>

namespace otlpd::config {
namespace {

std::string Why(std::string_view text) {
  std::string why;
  std::optional<ComponentId> id = ComponentId::Parse(text, &why);
  if (id) return "parsed as " + id->ToString();
  return why;
}

TEST_CASE("ComponentId parses type and optional name", "[config][component_id]") {
  std::string why;
  auto plain = ComponentId::Parse("otlp", &why);
  REQUIRE(plain);
  CHECK(plain->type == "otlp");
  CHECK(plain->name.empty());
  CHECK(plain->ToString() == "otlp");

  auto named = ComponentId::Parse("otlp_http/backend-1.eu", &why);
  REQUIRE(named);
  CHECK(named->type == "otlp_http");
  CHECK(named->name == "backend-1.eu");
  CHECK(named->ToString() == "otlp_http/backend-1.eu");

  // Only the first '/' separates; the name may hold more.
  auto nested = ComponentId::Parse("file/a/b", &why);
  REQUIRE(nested);
  CHECK(nested->type == "file");
  CHECK(nested->name == "a/b");

  // Surrounding spaces are trimmed on both sides of '/'.
  auto spaced = ComponentId::Parse("  otlp / two ", &why);
  REQUIRE(spaced);
  CHECK(spaced->type == "otlp");
  CHECK(spaced->name == "two");

  auto unicode = ComponentId::Parse("debug/naïve_日本", &why);
  REQUIRE(unicode);
  CHECK(unicode->name == "naïve_日本");
}

TEST_CASE("ComponentId rejects bad ids with otelcol's reasons", "[config][component_id]") {
  CHECK(Why("") == "id must not be empty");
  CHECK(Why("   ") == "id must not be empty");
  CHECK(Why("otlp/") == "in \"otlp/\" id: the part after / should not be empty");
  CHECK(Why("otlp/  ") == "in \"otlp/  \" id: the part after / should not be empty");
  CHECK(Why("/name") == "in \"/name\" id: the part before / should not be empty");
  CHECK_THAT(Why("1otlp"), Catch::Contains("invalid character(s) in type \"1otlp\""));
  CHECK_THAT(Why("ot-lp"), Catch::Contains("invalid character(s) in type \"ot-lp\""));
  CHECK_THAT(Why("otlp/a b"), Catch::Contains("invalid character(s) in name \"a b\""));
  CHECK_THAT(Why("otlp/a\tb"), Catch::Contains("invalid character(s) in name"));
  CHECK_THAT(Why("otlp/a+b"), Catch::Contains("invalid character(s) in name"));  // '+' is a symbol
  CHECK_THAT(Why("otlp/a\x01"), Catch::Contains("invalid character(s) in name"));
  CHECK_THAT(Why("otlp/\xff\xfe"), Catch::Contains("invalid character(s) in name"));    // not UTF-8
  CHECK_THAT(Why("otlp/a\xC2\xA0z"), Catch::Contains("invalid character(s) in name"));  // NBSP
}

TEST_CASE("ComponentId length limits", "[config][component_id]") {
  const std::string type63 = "a" + std::string(62, 'b');
  CHECK(Why(type63) == "parsed as " + type63);
  CHECK_THAT(Why(type63 + "c"), Catch::Contains("is longer than 63 characters"));

  const std::string name1024(1024, 'n');
  CHECK(Why("otlp/" + name1024) == "parsed as otlp/" + name1024);
  CHECK_THAT(Why("otlp/" + name1024 + "n"), Catch::Contains("name is longer than 1024 characters"));
}

TEST_CASE("ComponentId accepts a null why and orders ids", "[config][component_id]") {
  CHECK_FALSE(ComponentId::Parse("otlp/", nullptr));
  ComponentId a{"otlp", ""};
  ComponentId b{"otlp", "b"};
  CHECK(a < b);
  CHECK(a == ComponentId{"otlp", ""});
}

}  // namespace
}  // namespace otlpd::config
