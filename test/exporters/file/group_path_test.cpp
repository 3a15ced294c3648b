#include "exporters/file/group_path.h"

#include <catch2/catch.hpp>

#include <string>

namespace otlpd::exporters::file {
namespace {

TEST_CASE("the value replaces the *", "[file][group_by]") {
  GroupPath p("/data/otel/*.json");
  CHECK(p.For("checkout") == "/data/otel/checkout.json");
  CHECK(p.For("") == "/data/otel/.json");
  CHECK(p.For("team/app") == "/data/otel/team/app.json");  // subdirectories, as otelcol allows
  CHECK(p.For("..hidden") == "/data/otel/..hidden.json");
  CHECK(p.For("a..b") == "/data/otel/a..b.json");
  CHECK(p.For("./x") == "/data/otel/./x.json");
  CHECK(GroupPath("out/app-*").For("x") == "out/app-x");
  CHECK(GroupPath("out/*/traces.bin").For("svc") == "out/svc/traces.bin");
}

TEST_CASE("values that could leave the directory are refused", "[file][group_by]") {
  GroupPath p("/data/otel/*.json");
  for (const char* bad : {"..", "../x", "../../etc/passwd", "a/../../b", "a/..", "x/../y", "/etc/passwd", "/",
                          "//x", "a/b/../../.."}) {
    INFO(bad);
    CHECK_FALSE(p.For(bad).has_value());
  }
  CHECK_FALSE(p.For(std::string("a\0b", 3)).has_value());
  // The same with the * in the middle of a file name.
  CHECK_FALSE(GroupPath("out/app-*").For("../x").has_value());
  CHECK_FALSE(GroupPath("out/app-*.log").For("..").has_value());
}

}  // namespace
}  // namespace otlpd::exporters::file
