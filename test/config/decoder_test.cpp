#include "config/decoder.h"

#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include <catch2/catch.hpp>

#include "config/loader.h"
#include "test/support/config_error.h"

namespace otlpd::config {
namespace {

using namespace std::chrono_literals;
using Catch::Contains;

// Parses "v: <text>" and returns the value node (kept alive in a static).
const Node& Value(const std::string& text) {
  static Node holder;
  holder = ParseYaml("v: " + text, "t.yaml");
  return *holder.Find("v");
}

template <class T>
T Decode(const std::string& text) {
  T out{};
  DecodeValue(Value(text), "a.v", out);
  return out;
}

template <class T>
std::string DecodeError(const std::string& text) {
  return test::ConfigError([&] {
    T out{};
    DecodeValue(Value(text), "a.v", out);
  });
}

TEST_CASE("DecodeValue bool takes go-yaml v3's (YAML 1.2) spellings only", "[config][decoder]") {
  for (const char* t : {"true", "True", "TRUE"}) {
    INFO(t);
    CHECK(Decode<bool>(t) == true);
  }
  for (const char* f : {"false", "False", "FALSE"}) {
    INFO(f);
    CHECK(Decode<bool>(f) == false);
  }
  // Strings to go-yaml v3, which otelcol refuses for a boolean.
  for (const char* word : {"yes", "Yes", "on", "ON", "y", "no", "off", "n"}) {
    INFO(word);
    CHECK_THAT(DecodeError<bool>(word), Contains("expected a boolean (true or false)"));
  }
  CHECK(DecodeError<bool>("\"true\"") ==
        "t.yaml:1:4: a.v: expected type 'bool', got unconvertible type 'string' (\"true\"; write it without "
        "quotes)");
  CHECK(DecodeError<bool>("maybe") == "t.yaml:1:4: a.v: expected a boolean (true or false), got \"maybe\"");
  CHECK(DecodeError<bool>("tru") != "");
  CHECK(DecodeError<bool>("1") != "");
}

TEST_CASE("DecodeValue integers with range checks", "[config][decoder]") {
  CHECK(Decode<int>("42") == 42);
  CHECK(Decode<int>("-42") == -42);
  CHECK(Decode<int>("+7") == 7);
  // otelcol: "'limit_mib' expected type 'uint32', got unconvertible type 'string'".
  CHECK(DecodeError<int>("\"5\"") ==
        "t.yaml:1:4: a.v: expected type 'int', got unconvertible type 'string' (\"5\"; write it without "
        "quotes)");
  CHECK_THAT(DecodeError<std::uint32_t>("'5'"), Contains("expected type 'uint32'"));
  CHECK(Decode<int>("0x1F") == 31);
  CHECK(Decode<int>("0o17") == 15);
  CHECK(Decode<int>("0b101") == 5);
  CHECK(Decode<int>("1_000") == 1000);
  CHECK(Decode<int>("2147483647") == 2147483647);
  CHECK(Decode<int>("-2147483648") == std::numeric_limits<int>::min());
  CHECK(DecodeError<int>("2147483648") ==
        "t.yaml:1:4: a.v: \"2147483648\" is out of range (-2147483648 to 2147483647)");
  CHECK_THAT(DecodeError<int>("-2147483649"), Contains("is out of range"));

  CHECK(Decode<std::int64_t>("9223372036854775807") == std::numeric_limits<std::int64_t>::max());
  CHECK(Decode<std::int64_t>("-9223372036854775808") == std::numeric_limits<std::int64_t>::min());
  CHECK_THAT(DecodeError<std::int64_t>("9223372036854775808"), Contains("out of range"));
  CHECK_THAT(DecodeError<std::int64_t>("99999999999999999999999"), Contains("out of range"));

  CHECK(Decode<std::uint64_t>("18446744073709551615") == std::numeric_limits<std::uint64_t>::max());
  CHECK_THAT(DecodeError<std::uint64_t>("18446744073709551616"), Contains("out of range"));
  CHECK(Decode<std::uint32_t>("4294967295") == 4294967295u);
  CHECK(Decode<std::uint32_t>("-0") == 0u);
  CHECK(DecodeError<std::uint32_t>("-1") == "t.yaml:1:4: a.v: \"-1\" is out of range (0 to 4294967295)");
  CHECK_THAT(DecodeError<std::uint32_t>("4294967296"), Contains("out of range"));

  CHECK(DecodeError<int>("abc") == "t.yaml:1:4: a.v: expected an integer, got \"abc\"");
  // A YAML float is cut toward zero, as mapstructure converts one.
  CHECK(Decode<int>("1.5") == 1);
  CHECK(Decode<int>("-2.9") == -2);
  CHECK(Decode<std::uint32_t>("1e3") == 1000u);
  CHECK_THAT(DecodeError<std::uint32_t>("-1.5"), Contains("out of range for uint32"));
  CHECK_THAT(DecodeError<int>("3e9"), Contains("is out of range"));
  CHECK_THAT(DecodeError<int>(".inf"), Contains("out of range for int"));
  CHECK_THAT(DecodeError<int>("0x"), Contains("expected an integer"));
  // Not an octal int, so go-yaml reads "09" as the float 9, and an integer takes it.
  CHECK(Decode<int>("09") == 9);
  CHECK_THAT(DecodeError<int>("\"\""), Contains("unconvertible type 'string'"));
  CHECK_THAT(DecodeError<int>("1-"), Contains("expected an integer"));
}

TEST_CASE("DecodeValue floating point", "[config][decoder]") {
  CHECK(Decode<double>("1.5") == 1.5);
  CHECK(Decode<double>("-2") == -2.0);
  CHECK(Decode<double>("1e3") == 1000.0);
  CHECK(Decode<double>(".5") == 0.5);
  CHECK(Decode<double>(".inf") == std::numeric_limits<double>::infinity());
  CHECK(Decode<double>("-.Inf") == -std::numeric_limits<double>::infinity());
  CHECK(std::isnan(Decode<double>(".nan")));
  CHECK(Decode<float>("0.25") == 0.25f);
  CHECK_THAT(DecodeError<double>("abc"), Contains("expected a number, got \"abc\""));
  CHECK_THAT(DecodeError<double>("inf"), Contains("expected a number"));
  CHECK_THAT(DecodeError<double>("1e999"), Contains("expected a number"));
  CHECK_THAT(DecodeError<float>("1e39"), Contains("out of range for a 32-bit float"));
  CHECK_THAT(DecodeError<double>("\"1.5\""),
             Contains("expected type 'float64', got unconvertible type 'string'"));
  CHECK_THAT(DecodeError<float>("\"1.5\""), Contains("expected type 'float32'"));
}

TEST_CASE("DecodeValue string takes text, never a map", "[config][decoder]") {
  CHECK(Decode<std::string>("hello") == "hello");
  CHECK(Decode<std::string>("\"0123\"") == "0123");
  CHECK(Decode<std::string>("'true'") == "true");
  CHECK(Decode<std::string>("|\n  5\n") == "5\n");  // block scalars are strings
  CHECK(DecodeError<std::string>("{a: 1}") == "t.yaml:1:4: a.v: expected a value, got a map");
  CHECK(DecodeError<std::string>("[1]") == "t.yaml:1:4: a.v: expected a value, got a list");
}

TEST_CASE("DecodeValue string refuses what Go's YAML decoder reads as a number or a boolean",
          "[config][decoder]") {
  // otelcol: "'endpoint' expected type 'string', got unconvertible type 'int'".
  CHECK(
      DecodeError<std::string>("5") ==
      "t.yaml:1:4: a.v: expected type 'string', got unconvertible type 'int' (5; quote it to mean the text)");
  CHECK_THAT(DecodeError<std::string>("true"), Contains("got unconvertible type 'bool' (true;"));
  CHECK_THAT(DecodeError<std::string>("False"), Contains("got unconvertible type 'bool'"));
  CHECK_THAT(DecodeError<std::string>("1.3"), Contains("got unconvertible type 'float64'"));
  CHECK_THAT(DecodeError<std::string>(".inf"), Contains("got unconvertible type 'float64'"));
  CHECK_THAT(DecodeError<std::string>("0750"), Contains("got unconvertible type 'int'"));
  CHECK_THAT(DecodeError<std::string>("0x1F"), Contains("got unconvertible type 'int'"));
  CHECK_THAT(DecodeError<std::string>("1_000"), Contains("got unconvertible type 'int'"));
  CHECK_THAT(DecodeError<std::string>("-2e3"), Contains("got unconvertible type 'float64'"));
  // Strings to go-yaml v3 (YAML 1.2): the YAML 1.1 booleans, versions, durations, addresses.
  for (const char* text : {"yes", "on", "n", "1.2.3", "5s", "localhost:4317", "0x", "1e", "+", "0b2"}) {
    CAPTURE(text);
    CHECK(Decode<std::string>(text) == text);
  }
}

TEST_CASE("String lists and maps are strict item by item", "[config][decoder]") {
  CHECK(DecodeError<std::vector<std::string>>("[a, 5]") ==
        "t.yaml:1:8: a.v[1]: expected type 'string', got unconvertible type 'int' (5; quote it to mean the "
        "text)");
  CHECK(Decode<std::vector<std::string>>("[a, \"5\"]") == std::vector<std::string>{"a", "5"});
  // otelcol: "'metadata_keys' source data must be an array or slice, got int".
  CHECK(DecodeError<std::vector<std::string>>("5") ==
        "t.yaml:1:4: a.v: source data must be an array or slice, got int (5; quote it to mean the text)");
  CHECK_THAT(DecodeError<std::vector<std::string>>("true"), Contains("array or slice, got bool"));
  CHECK(Decode<std::vector<std::string>>("\"5\"") == std::vector<std::string>{"5"});
  using StringMap = std::map<std::string, std::string>;
  CHECK_THAT(DecodeError<StringMap>("{a: x, b: 5}"),
             Contains("t.yaml:1:14: a.v.b: expected type 'string', got unconvertible type 'int'"));
  CHECK_THAT(DecodeError<StringMap>("{a: true}"), Contains("got unconvertible type 'bool'"));
}

TEST_CASE("MapDecoder::LevelNumber reads a number where a level name may be", "[config][decoder]") {
  auto level = [](const std::string& yaml) {
    static Node holder;
    holder = ParseYaml(yaml, "t.yaml");
    MapDecoder d(holder, "exporters.debug");
    std::optional<std::int64_t> n = d.LevelNumber("verbosity", "configtelemetry.Level");
    return std::make_pair(n, d.Has("verbosity"));
  };
  CHECK(level("verbosity: 1").first == 1);
  CHECK(level("verbosity: -1").first == -1);
  CHECK(level("verbosity: 0x2").first == 2);
  CHECK(level("verbosity: 2.9").first == 2);  // cut toward zero, as Go converts
  CHECK(level("verbosity: -1.5").first == -1);
  CHECK_FALSE(level("verbosity: normal").first);
  CHECK_FALSE(level("verbosity: \"2\"").first);  // a name, and an unknown one
  CHECK_FALSE(level("verbosity:").first);
  CHECK_FALSE(level("other: 1").first);
  CHECK_THROWS_WITH(level("verbosity: true"),
                    "t.yaml:1:12: exporters.debug.verbosity: expected type 'configtelemetry.Level', got "
                    "unconvertible type 'bool' (true)");
  CHECK_THROWS_WITH(level("verbosity: .inf"), Contains("out of range for configtelemetry.Level"));
  // A number is read: Finish() does not call it unknown.
  Node n = ParseYaml("verbosity: 1", "t.yaml");
  MapDecoder d(n, "exporters.debug");
  CHECK(d.LevelNumber("verbosity", "configtelemetry.Level") == 1);
  CHECK_NOTHROW(d.Finish());
}

TEST_CASE("Null keeps the default for scalars", "[config][decoder]") {
  int i = 7;
  DecodeValue(Value(""), "a.v", i);
  CHECK(i == 7);
  std::string s = "keep";
  DecodeValue(Value("~"), "a.v", s);
  CHECK(s == "keep");
}

TEST_CASE("ParseGoDuration follows Go's time.ParseDuration", "[config][decoder]") {
  struct Case {
    const char* text;
    std::chrono::nanoseconds want;
  };
  const Case good[] = {
      {"0", 0ns},
      {"-0", 0ns},
      {"+0", 0ns},
      {"200ms", 200ms},
      {"1h30m", 90min},
      {"1.5s", 1500ms},
      {"-1s", -1s},
      {"+5s", 5s},
      {".5s", 500ms},
      {"1.s", 1s},
      {"10ns", 10ns},
      {"3us", 3us},
      {"3µs", 3us},
      {"3\xCE\xBCs", 3us},
      {"2m", 2min},
      {"1h", 1h},
      {"1h2m3s4ms", 1h + 2min + 3s + 4ms},
      {"0.000000001s", 1ns},
      {"1.0000000009s", 1s},
      {"9223372036854775807ns", std::chrono::nanoseconds(std::numeric_limits<std::int64_t>::max())},
      {"-9223372036854775808ns", std::chrono::nanoseconds(std::numeric_limits<std::int64_t>::min())},
      {"2562047h", std::chrono::hours(2562047)},
  };
  for (const Case& c : good) {
    INFO(c.text);
    auto d = ParseGoDuration(c.text);
    REQUIRE(d);
    CHECK(d->count() == c.want.count());
  }
  for (const char* bad : {"", "5", "-", "+", "s", ".s", "1x", "1.5.5s", "abc", "1 s", " 1s", "1s ", "1S",
                          "1sec", "9223372036854775808ns", "2562048h", "-9223372036854775809ns", "1h-1m"}) {
    INFO(bad);
    CHECK_FALSE(ParseGoDuration(bad));
  }
}

TEST_CASE("DecodeValue duration: strings, and bare integers as nanoseconds", "[config][decoder]") {
  CHECK(Decode<std::chrono::nanoseconds>("200ms") == 200ms);
  CHECK(Decode<std::chrono::nanoseconds>("\"1h30m\"") == 90min);
  CHECK(Decode<std::chrono::nanoseconds>("5") == 5ns);
  CHECK(Decode<std::chrono::nanoseconds>("0") == 0ns);
  CHECK(Decode<std::chrono::nanoseconds>("1.5") == 1ns);  // a YAML float, cut as Go converts it
  // A quoted "5" is a string, and Go's ParseDuration wants a unit.
  CHECK_THAT(DecodeError<std::chrono::nanoseconds>("\"5\""), Contains("invalid duration \"5\""));
  CHECK(DecodeError<std::chrono::nanoseconds>("5x") ==
        "t.yaml:1:4: a.v: invalid duration \"5x\" (expected a Go duration such as 200ms, 5s or 1h30m)");
  CHECK_THAT(DecodeError<std::chrono::nanoseconds>("{a: 1}"), Contains("expected a duration, got a map"));
}

TEST_CASE("DecodeValue string lists", "[config][decoder]") {
  CHECK(Decode<std::vector<std::string>>("[a, b, c]") == std::vector<std::string>{"a", "b", "c"});
  CHECK(Decode<std::vector<std::string>>("a,b") == std::vector<std::string>{"a", "b"});
  CHECK(Decode<std::vector<std::string>>("\"\"").empty());
  std::vector<std::string> v{"default"};
  DecodeValue(Value(""), "a.v", v);
  CHECK(v.empty());
  CHECK(DecodeError<std::vector<std::string>>("[a, {b: 1}]") ==
        "t.yaml:1:8: a.v[1]: expected a value, got a map");
  CHECK(DecodeError<std::vector<std::string>>("{a: 1}") == "t.yaml:1:4: a.v: expected a list, got a map");
}

TEST_CASE("DecodeValue string maps", "[config][decoder]") {
  CHECK(Decode<std::map<std::string, std::string>>("{a: \"1\", b: x, c: }") ==
        std::map<std::string, std::string>{{"a", "1"}, {"b", "x"}, {"c", ""}});
  CHECK(DecodeError<std::map<std::string, std::string>>("{a: [1]}") ==
        "t.yaml:1:8: a.v.a: expected a value, got a list");
  CHECK(DecodeError<std::map<std::string, std::string>>("[1]") ==
        "t.yaml:1:4: a.v: expected a map, got a list");
}

constexpr const char* kExporterYaml =
    "exporters:\n"
    "  file/a:\n"
    "    path: /tmp/x\n"
    "    flush_interval: 5x\n"
    "    rotation:\n"
    "      max_megabytes: 5000000000\n"
    "    timeout:\n"
    "      nested: 1\n"
    "    bogus: 1\n"
    "    format: json\n";

TEST_CASE("MapDecoder names the full key path and location", "[config][decoder]") {
  const Node root = ParseYaml(kExporterYaml, "cfg.yaml");
  const Node& file = *root.Find("exporters")->Find("file/a");

  SECTION("bad duration") {
    MapDecoder d(file, "exporters.file/a");
    std::chrono::nanoseconds flush = 1s;
    REQUIRE_THROWS_WITH(
        d.Optional("flush_interval", flush),
        "cfg.yaml:4:21: exporters.file/a.flush_interval: invalid duration \"5x\" (expected a Go "
        "duration such as 200ms, 5s or 1h30m)");
  }
  SECTION("integer out of range in a child block") {
    MapDecoder d(file, "exporters.file/a");
    MapDecoder rotation = d.Child("rotation");
    int max_mb = 100;
    REQUIRE_THROWS_WITH(
        rotation.Optional("max_megabytes", max_mb),
        "cfg.yaml:6:22: exporters.file/a.rotation.max_megabytes: \"5000000000\" is out of range "
        "(-2147483648 to 2147483647)");
  }
  SECTION("map where a scalar is expected") {
    MapDecoder d(file, "exporters.file/a");
    std::chrono::nanoseconds timeout{};
    REQUIRE_THROWS_WITH(d.Optional("timeout", timeout),
                        "cfg.yaml:8:7: exporters.file/a.timeout: expected a duration, got a map");
  }
  SECTION("unknown keys are reported at the first unknown key") {
    MapDecoder d(file, "exporters.file/a");
    std::string path;
    CHECK(d.Required("path", path));
    CHECK(path == "/tmp/x");
    d.Take("flush_interval");
    d.Take("rotation");
    d.Take("timeout");
    REQUIRE_THROWS_WITH(d.Finish(), "cfg.yaml:9:5: exporters.file/a: has invalid keys: bogus, format");
    d.Take("bogus");
    REQUIRE_THROWS_WITH(d.Finish(), "cfg.yaml:10:5: exporters.file/a: has invalid keys: format");
    d.Take("format");
    CHECK_NOTHROW(d.Finish());
  }
  SECTION("unread keys in a child are the child's") {
    MapDecoder d(file, "exporters.file/a");
    MapDecoder timeout = d.Child("timeout");
    REQUIRE_THROWS_WITH(timeout.Finish(), "cfg.yaml:8:7: exporters.file/a.timeout: has invalid keys: nested");
  }
  SECTION("required, fail and helpers") {
    MapDecoder d(file, "exporters.file/a");
    CHECK(d.Has("path"));
    CHECK_FALSE(d.Has("nope"));
    CHECK(d.KeyPath("x") == "exporters.file/a.x");
    std::string s;
    CHECK_FALSE(d.Required("endpoint", s));
    REQUIRE_THROWS_WITH(d.FailMissing("endpoint"), "cfg.yaml:3:5: exporters.file/a.endpoint: is required");
    REQUIRE_THROWS_WITH(d.Fail("path", "must be absolute"),
                        "cfg.yaml:3:11: exporters.file/a.path: must be absolute");
    REQUIRE_THROWS_WITH(d.Fail("absent", "bad"), "cfg.yaml:3:5: exporters.file/a.absent: bad");
    // Optional leaves the default when the key is absent.
    int n = 9;
    CHECK_FALSE(d.Optional("absent", n));
    CHECK(n == 9);
  }
}

TEST_CASE("MapDecoder reports unknown keys before missing required ones", "[config][decoder]") {
  const Node root = ParseYaml("a:\n  pathh: /x\n  format: json\nb:\n  format: json\nc:\n", "t.yaml");
  std::string path;
  std::string format;
  {
    // A typo of a required key: the typo is named, where it is written.
    MapDecoder d(*root.Find("a"), "exporters.file");
    CHECK_FALSE(d.Required("path", path));
    d.Optional("format", format);
    REQUIRE_THROWS_WITH(d.Finish(), "t.yaml:2:3: exporters.file: has invalid keys: pathh");
    // FailMissing (immediate) names an unread key that looks like a typo of it.
    REQUIRE_THROWS_WITH(
        d.FailMissing("path"),
        "t.yaml:2:3: exporters.file: has invalid keys: pathh (path is required; a typo of it?)");
  }
  {
    // No unknown key: the missing one is reported by Finish.
    MapDecoder d(*root.Find("b"), "exporters.file");
    CHECK_FALSE(d.Required("path", path));
    d.Optional("format", format);
    REQUIRE_THROWS_WITH(d.Finish(), "t.yaml:5:3: exporters.file.path: is required");
    // And FailMissing does not take an unrelated key for a typo.
    MapDecoder e(*root.Find("b"), "exporters.file");
    REQUIRE_THROWS_WITH(e.FailMissing("path"), "t.yaml:5:3: exporters.file.path: is required");
  }
  {
    // A null section has no keys at all: still missing.
    MapDecoder d(*root.Find("c"), "exporters.file");
    CHECK_FALSE(d.Required("path", path));
    REQUIRE_THROWS_WITH(d.Finish(), Catch::Contains("exporters.file.path: is required"));
  }
}

TEST_CASE("MapDecoder on null, absent and non-map nodes", "[config][decoder]") {
  const Node root = ParseYaml("receivers:\n  otlp:\n  bad: [1]\n", "r.yaml");
  const Node& otlp = *root.Find("receivers")->Find("otlp");
  REQUIRE(otlp.IsNull());
  MapDecoder d(otlp, "receivers.otlp");
  CHECK_FALSE(d.Has("protocols"));
  CHECK(d.Take("protocols") == nullptr);
  MapDecoder protocols = d.Child("protocols");
  MapDecoder grpc = protocols.Child("grpc");
  CHECK_NOTHROW(grpc.Finish());
  CHECK(grpc.path() == "receivers.otlp.protocols.grpc");
  // An absent block reports at the nearest real place.
  REQUIRE_THROWS_WITH(grpc.FailMissing("endpoint"),
                      "r.yaml:2:3: receivers.otlp.protocols.grpc.endpoint: is required");
  CHECK_NOTHROW(d.Finish());

  REQUIRE_THROWS_WITH(MapDecoder(*root.Find("receivers")->Find("bad"), "receivers.bad"),
                      "r.yaml:3:8: receivers.bad: expected a map, got a list");
  MapDecoder top(root, "");
  REQUIRE_THROWS_WITH(top.Child("receivers").Child("bad"),
                      "r.yaml:3:8: receivers.bad: expected a map, got a list");
}

TEST_CASE("ParseOctal reads directory_permissions as otelcol does", "[config][decoder]") {
  CHECK(ParseOctal("0750") == 0750u);
  CHECK(ParseOctal("755") == 0755u);
  CHECK(ParseOctal("0") == 0u);
  CHECK(ParseOctal("37777777777") == 0xFFFFFFFFu);
  CHECK_FALSE(ParseOctal(""));
  CHECK_FALSE(ParseOctal("0o750"));
  CHECK_FALSE(ParseOctal("-750"));
  CHECK_FALSE(ParseOctal("0758"));
  CHECK_FALSE(ParseOctal("rwxr-x---"));
  // Beyond 32 bits is refused, not wrapped into a small mode.
  CHECK_FALSE(ParseOctal("40000000000"));
  CHECK_FALSE(ParseOctal("100000000000"));
}

}  // namespace
}  // namespace otlpd::config
