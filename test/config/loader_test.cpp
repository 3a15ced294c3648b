#include "config/loader.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include <catch2/catch.hpp>

#include "config/decoder.h"
#include "config/error.h"
#include "test/support/config_error.h"

namespace otlpd::config {
namespace {

using Catch::Contains;

EnvLookup FakeEnv(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

const std::map<std::string, std::string> kEnv = {
    {"HOST", "collector.local"},  {"PORT", "4317"},       {"EMPTY", ""},       {"PTR", "HOST"},
    {"MAP", "{a: 1, b: [x, y]}"}, {"LIST", "[one, two]"}, {"DOLLARS", "p$$w"}, {"BROKEN", "[unclosed"},
};

// A temp dir removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "otlpd_config_test_XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string Write(const std::string& name, const std::string& text) const {
    const std::filesystem::path p = path_ / name;
    std::ofstream(p) << text;
    return p.string();
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// The expanded scalar at `a.v` of "a: {v: <value>}".
Node Expanded(const std::string& value, std::vector<std::string>* warnings = nullptr) {
  LoadOptions o;
  o.default_yaml = "a:\n  v: " + value + "\n";
  o.env = FakeEnv(kEnv);
  Node root = Load(o, warnings);
  return *root.Find("a")->Find("v");
}

std::string ExpandedText(const std::string& value) { return Expanded(value).scalar(); }

std::string LoadError(const LoadOptions& o) {
  return test::ConfigError([&] { Load(o); });
}

std::string ExpandError(const std::string& value) {
  LoadOptions o;
  o.default_yaml = "a:\n  v: " + value + "\n";
  o.env = FakeEnv(kEnv);
  return LoadError(o);
}

TEST_CASE("ParseYaml keeps 1-based marks and quoting", "[config][loader]") {
  const Node root = ParseYaml("a:\n  b: 1\n  c: \"2\"\n  d: [x, 'y']\n  e:\n", "m.yaml");
  REQUIRE(root.IsMap());
  CHECK(root.mark().ToString() == "m.yaml:1:1");
  const Node& a = *root.Find("a");
  REQUIRE(a.IsMap());
  REQUIRE(a.entries().size() == 4);
  CHECK(a.entries()[0].key == "b");
  CHECK(a.entries()[0].key_mark.ToString() == "m.yaml:2:3");
  CHECK(a.entries()[0].value.mark().ToString() == "m.yaml:2:6");
  CHECK(a.entries()[0].value.scalar() == "1");
  CHECK_FALSE(a.entries()[0].value.quoted());
  CHECK(a.Find("c")->quoted());
  const Node& d = *a.Find("d");
  REQUIRE(d.IsSequence());
  REQUIRE(d.items().size() == 2);
  CHECK_FALSE(d.items()[0].quoted());
  CHECK(d.items()[1].quoted());
  CHECK(d.items()[1].mark().ToString() == "m.yaml:4:10");
  // An empty value points at its key, not at whatever token follows.
  CHECK(a.Find("e")->IsNull());
  CHECK(a.Find("e")->mark().ToString() == "m.yaml:5:3");
  CHECK(ParseYaml("", "e.yaml").IsNull());
  CHECK(ParseYaml("k: |\n  text\n", "l.yaml").Find("k")->quoted());
}

TEST_CASE("ParseYaml errors carry file:line:col", "[config][loader]") {
  REQUIRE_THROWS_WITH(ParseYaml("a: [1, 2\nb: c\n", "bad.yaml"), Contains("bad.yaml:2:2: ") &&
                                                                     Contains("invalid YAML") &&
                                                                     Contains("end of sequence flow"));
  REQUIRE_THROWS_WITH(ParseYaml("a:\n  b: 1\n c: 2\n", "indent.yaml"),
                      Contains("indent.yaml:3:2: invalid YAML"));
  REQUIRE_THROWS_WITH(ParseYaml("a: 1\nb: 2\na: 3\n", "dup.yaml"), "dup.yaml:3:1: a: duplicate key \"a\"");
  REQUIRE_THROWS_WITH(ParseYaml("x:\n  k: 1\n  k: 2\n", "dup.yaml"), "dup.yaml:3:3: k: duplicate key \"k\"");
  REQUIRE_THROWS_WITH(ParseYaml("? [a]\n: 1\n", "key.yaml"), Contains("key.yaml:1:3") && Contains("map key"));
  REQUIRE_THROWS_WITH(ParseYaml("a: *nope\n", "alias.yaml"), Contains("alias.yaml:1:4"));
}

TEST_CASE("ParseYaml survives hostile input", "[config][loader]") {
  // A self-referencing alias is a cycle in yaml-cpp's graph.
  REQUIRE_THROWS_WITH(ParseYaml("a: &x [*x]\n", "cycle.yaml"),
                      Contains("cycle.yaml:") && Contains("nesting"));
  REQUIRE_THROWS_WITH(ParseYaml("a: &x {b: *x}\n", "cycle.yaml"), Contains("nesting"));
  // Billion laughs.
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  for (char c = 'b'; c <= 'j'; ++c) {
    const char prev = static_cast<char>(c - 1);
    bomb += std::string(1, c) + ": &" + c + " [*" + prev + ", *" + prev + ", *" + prev + ", *" + prev +
            ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + "]\n";
  }
  REQUIRE_THROWS_WITH(ParseYaml(bomb, "bomb.yaml"), Contains("nodes"));
  // Very deep flow nesting is refused by yaml-cpp or by us, never a crash.
  REQUIRE_THROWS_AS(ParseYaml("a: " + std::string(5000, '[') + std::string(5000, ']'), "deep.yaml"), Error);
  CHECK_NOTHROW(ParseYaml(std::string("a: \"\0b\"", 7), "nul.yaml"));
}

TEST_CASE("Expansion: env references and defaults", "[config][loader]") {
  CHECK(ExpandedText("${env:HOST}") == "collector.local");
  CHECK(ExpandedText("${HOST}") == "collector.local");
  CHECK(ExpandedText("${env:NOPE:-fallback}") == "fallback");
  CHECK(ExpandedText("${env:NOPE:-}") == "");
  CHECK(ExpandedText("${env:NOPE:-a:-b}") == "a:-b");
  CHECK(ExpandedText("${env:HOST:-fallback}") == "collector.local");
  // The default applies only when unset, not when set to "".
  CHECK(ExpandedText("${env:EMPTY:-fallback}") == "");
  CHECK(ExpandedText("\"http://${env:HOST}:${env:PORT}/v1\"") == "http://collector.local:4317/v1");
  CHECK(ExpandedText("x${env:NOPE:-y}z") == "xyz");
  // Nested references resolve inside out.
  CHECK(ExpandedText("${env:${env:PTR}}") == "collector.local");
  CHECK(ExpandedText("${env:NOPE:-${env:PORT}}") == "4317");
  // Env values are used verbatim; they are not expanded or unescaped again.
  CHECK(ExpandedText("${env:DOLLARS}") == "p$$w");
}

TEST_CASE("Expansion: $$ escapes", "[config][loader]") {
  CHECK(ExpandedText("a$$b") == "a$b");
  CHECK(ExpandedText("\"$${env:HOST}\"") == "${env:HOST}");
  CHECK(ExpandedText("\"$$${env:HOST}\"") == "$collector.local");
  CHECK(ExpandedText("\"$$$${env:HOST}\"") == "$${env:HOST}");
  CHECK(ExpandedText("$$$") == "$$");
  CHECK(ExpandedText("$HOST") == "$HOST");  // no braces: not a reference
  CHECK(ExpandedText("cost$") == "cost$");
  // No closing brace: left as text, as otelcol does.
  CHECK(ExpandedText("\"${env:HOST\"") == "${env:HOST");
  CHECK(ExpandedText("\"${env:${env:PORT}\"") == "${env:4317");
  // Escaped text keeps its quoting; an escape alone makes no reference.
  Node n = Expanded("\"$${x}\"");
  CHECK(n.scalar() == "${x}");
  CHECK(n.quoted());
}

TEST_CASE("Expansion: a lone reference is typed, an embedded one is a string", "[config][loader]") {
  Node port = Expanded("${env:PORT}");
  REQUIRE(port.IsScalar());
  CHECK_FALSE(port.quoted());
  int p = 0;
  DecodeValue(port, "a.v", p);
  CHECK(p == 4317);
  // Quotes around a lone reference do not make it a string (YAML never saw the value).
  Node quoted_ref = Expanded("\"${env:PORT}\"");
  CHECK_FALSE(quoted_ref.quoted());
  std::chrono::nanoseconds d{};
  DecodeValue(quoted_ref, "a.v", d);
  CHECK(d.count() == 4317);  // a YAML integer is nanoseconds

  Node embedded = Expanded("1${env:PORT}");
  CHECK(embedded.scalar() == "14317");
  CHECK(embedded.quoted());
  CHECK_THROWS_WITH(DecodeValue(embedded, "a.v", d), Contains("invalid duration \"14317\""));

  // A value that is YAML structure becomes structure; marks stay at the reference.
  Node map = Expanded("${env:MAP}");
  REQUIRE(map.IsMap());
  CHECK(map.Find("a")->scalar() == "1");
  REQUIRE(map.Find("b")->IsSequence());
  CHECK(map.Find("b")->items()[1].scalar() == "y");
  CHECK(map.Find("b")->items()[1].mark().ToString() == "<default config>:2:6");
  Node list = Expanded("${LIST}");
  REQUIRE(list.IsSequence());
  CHECK(list.items().size() == 2);
  // Not valid YAML: a plain string.
  Node broken = Expanded("${env:BROKEN}");
  REQUIRE(broken.IsScalar());
  CHECK(broken.scalar() == "[unclosed");
  CHECK(broken.quoted());
  // Embedded structure is just text.
  CHECK(ExpandedText("\"m=${env:MAP}\"") == "m={a: 1, b: [x, y]}");
}

TEST_CASE("Expansion: a string option takes a lone reference's text, whatever it reads as",
          "[config][loader]") {
  // confmap keeps a reference's original text for string targets: `endpoint:
  // ${env:PORT}` is "4317" although `endpoint: 4317` is refused.
  std::string s;
  DecodeValue(Expanded("${env:PORT}"), "a.v", s);
  CHECK(s == "4317");
  CHECK_THROWS_WITH(DecodeValue(Expanded("4317"), "a.v", s), Contains("got unconvertible type 'int'"));
  DecodeValue(Expanded("${env:MAP}"), "a.v", s);
  CHECK(s == "{a: 1, b: [x, y]}");
  DecodeValue(Expanded("${env:BROKEN}"), "a.v", s);
  CHECK(s == "[unclosed");
  // List items and map values that are references: their text too.
  std::vector<std::string> list;
  DecodeValue(Expanded("[a, \"${env:PORT}\", \"${env:MAP}\"]"), "a.v", list);
  CHECK(list == std::vector<std::string>{"a", "4317", "{a: 1, b: [x, y]}"});
  std::map<std::string, std::string> map;
  DecodeValue(Expanded("{k: \"${env:PORT}\"}"), "a.v", map);
  CHECK(map == std::map<std::string, std::string>{{"k", "4317"}});
  // A whole list from a reference is its YAML (confmap keeps the text only
  // where the option is a string): a number is not a list, `[one, two]` is.
  CHECK_THROWS_WITH(DecodeValue(Expanded("${env:PORT}"), "a.v", list), Contains("array or slice, got int"));
  DecodeValue(Expanded("${LIST}"), "a.v", list);
  CHECK(list == std::vector<std::string>{"one", "two"});
  // The values inside a map or list a reference expands to are typed as YAML types them.
  CHECK_THROWS_WITH(DecodeValue(*Expanded("${env:MAP}").Find("a"), "a.a", s),
                    Contains("got unconvertible type 'int'"));
  // Numbers still read a reference as its YAML value.
  int port = 0;
  DecodeValue(Expanded("${env:PORT}"), "a.v", port);
  CHECK(port == 4317);
}

TEST_CASE("Expansion: unset variables warn and give empty", "[config][loader]") {
  std::vector<std::string> warnings;
  LoadOptions o;
  o.default_yaml = "exporters:\n  otlp:\n    endpoint: ${env:UNSET}\n    headers: [a, \"x${UNSET2}\"]\n";
  o.env = FakeEnv(kEnv);
  Node root = Load(o, &warnings);
  const Node& otlp = *root.Find("exporters")->Find("otlp");
  CHECK(otlp.Find("endpoint")->scalar() == "");
  CHECK(otlp.Find("headers")->items()[1].scalar() == "x");
  REQUIRE(warnings.size() == 2);
  CHECK(warnings[0] ==
        "<default config>:3:15: exporters.otlp.endpoint: environment variable \"UNSET\" is not set; using "
        "\"\"");
  CHECK_THAT(warnings[1], Contains("exporters.otlp.headers[1]: environment variable \"UNSET2\" is not set"));
  // A null warnings pointer is fine.
  CHECK_NOTHROW(Load(o));
}

TEST_CASE("Expansion errors: names, schemes, stray $", "[config][loader]") {
  CHECK(ExpandError("${env:BAD-NAME}") ==
        "<default config>:2:6: a.v: environment variable \"BAD-NAME\" in \"${env:BAD-NAME}\" has invalid "
        "name: must "
        "match ^[a-zA-Z_][a-zA-Z0-9_]*$");
  CHECK_THAT(ExpandError("${1ABC}"), Contains("has invalid name"));
  CHECK_THAT(ExpandError("${}"), Contains("has invalid name"));
  CHECK_THAT(ExpandError("\"${env:}\""), Contains("has invalid name"));
  CHECK_THAT(ExpandError("${ HOST }"), Contains("has invalid name"));
  CHECK_THAT(
      ExpandError("${VAR:-x}"),
      Contains("<default config>:2:6: a.v: scheme \"VAR\" is not supported") && Contains("${env:VAR:-x}"));
  CHECK_THAT(ExpandError("${file:/etc/passwd}"), Contains("the file provider") && Contains("not supported"));
  CHECK_THAT(ExpandError("\"${http://example.com/x}\""),
             Contains("the http provider") && Contains("not supported"));
  CHECK_THAT(ExpandError("\"${yaml:a: b}\""), Contains("the yaml provider"));
  CHECK_THAT(ExpandError("${custom:x}"), Contains("scheme \"custom\" is not supported"));
  CHECK_THAT(ExpandError("${a:b}"), Contains("invalid reference"));
  CHECK_THAT(ExpandError("\"${env:A$B}\""), Contains("unsupported characters ('$')"));
  // A list item names its index.
  LoadOptions o;
  o.default_yaml = "l: [ok, \"${env:-}\"]\n";
  CHECK_THAT(LoadError(o), Contains("<default config>:1:9: l[1]: environment variable"));
}

TEST_CASE("Load merges several --config sources in order", "[config][loader]") {
  TempDir dir;
  const std::string a = dir.Write("a.yaml",
                                  "receivers:\n"
                                  "  otlp:\n"
                                  "    protocols:\n"
                                  "      grpc:\n"
                                  "        endpoint: 0.0.0.0:4317\n"
                                  "exporters:\n"
                                  "  debug:\n"
                                  "    verbosity: basic\n"
                                  "service:\n"
                                  "  pipelines:\n"
                                  "    traces:\n"
                                  "      receivers: [otlp]\n"
                                  "      exporters: [debug, file]\n");
  const std::string b = dir.Write("b.yaml",
                                  "receivers:\n"
                                  "  otlp:\n"
                                  "    protocols:\n"
                                  "      http:\n"
                                  "exporters:\n"
                                  "  debug:\n"
                                  "    verbosity: detailed\n"
                                  "service:\n"
                                  "  pipelines:\n"
                                  "    traces:\n"
                                  "      exporters: [debug]\n");
  LoadOptions o;
  o.config_uris = {a, "file:" + b};
  o.env = FakeEnv(kEnv);
  Node root = Load(o);
  const Node& protocols = *root.Find("receivers")->Find("otlp")->Find("protocols");
  // Maps merge key by key.
  REQUIRE(protocols.Find("grpc") != nullptr);
  CHECK(protocols.Find("grpc")->Find("endpoint")->scalar() == "0.0.0.0:4317");
  CHECK(protocols.Find("http") != nullptr);
  // Scalars: the later source wins, and its mark names its file.
  const Node& verbosity = *root.Find("exporters")->Find("debug")->Find("verbosity");
  CHECK(verbosity.scalar() == "detailed");
  CHECK(verbosity.mark().ToString() == b + ":7:16");
  // Lists are replaced, not appended.
  const Node& traces = *root.Find("service")->Find("pipelines")->Find("traces");
  REQUIRE(traces.Find("exporters")->items().size() == 1);
  CHECK(traces.Find("exporters")->items()[0].scalar() == "debug");
  CHECK(traces.Find("receivers")->items()[0].scalar() == "otlp");
  CHECK(traces.Find("receivers")->mark().ToString() == a + ":12:18");

  // Reversed order: a wins.
  o.config_uris = {b, a};
  Node reversed = Load(o);
  CHECK(reversed.Find("exporters")->Find("debug")->Find("verbosity")->scalar() == "basic");
  CHECK(reversed.Find("service")->Find("pipelines")->Find("traces")->Find("exporters")->items().size() == 2);
}

TEST_CASE("Load: env: and yaml: sources, default config", "[config][loader]") {
  LoadOptions o;
  o.env = FakeEnv({{"CFG", "processors:\n  batch:\n    timeout: 1s\n"}});
  o.config_uris = {"env:CFG", "yaml:processors::batch::send_batch_size: 10"};
  Node root = Load(o);
  const Node& batch = *root.Find("processors")->Find("batch");
  CHECK(batch.Find("timeout")->scalar() == "1s");
  CHECK(batch.Find("timeout")->mark().ToString() == "env:CFG:3:14");
  CHECK(batch.Find("send_batch_size")->scalar() == "10");

  std::vector<std::string> warnings;
  o.config_uris = {"env:MISSING"};
  Node empty = Load(o, &warnings);
  CHECK(empty.IsMap());
  CHECK(empty.entries().empty());
  REQUIRE(warnings.size() == 1);
  CHECK_THAT(warnings[0], Contains("MISSING"));

  LoadOptions d;
  d.default_yaml = "exporters:\n  debug:\n";
  d.env = FakeEnv({});
  Node def = Load(d);
  REQUIRE(def.Find("exporters") != nullptr);
  CHECK(def.Find("exporters")->mark().ToString() == "<default config>:2:3");
  // An empty default gives an empty map.
  CHECK(
      Load(LoadOptions{.config_uris = {}, .set_flags = {}, .env = FakeEnv({}), .default_yaml = ""}).IsMap());
}

TEST_CASE("Load: source errors", "[config][loader]") {
  TempDir dir;
  LoadOptions o;
  o.env = FakeEnv({});
  const std::string missing = (dir.path() / "nope.yaml").string();
  o.config_uris = {missing};
  CHECK(LoadError(o) == "cannot read config file \"" + missing + "\": No such file or directory");
  o.config_uris = {"file:" + missing};
  CHECK_THAT(LoadError(o), Contains(missing));
  o.config_uris = {dir.path().string()};
  CHECK_THAT(LoadError(o), Contains("cannot read config file"));
  o.config_uris = {"http://example.com/c.yaml"};
  CHECK_THAT(LoadError(o), Contains("http config source is not supported"));
  o.config_uris = {"s3:bucket/c.yaml"};
  CHECK_THAT(LoadError(o), Contains("scheme \"s3\" is not supported"));
  o.config_uris = {"env:1BAD"};
  CHECK_THAT(LoadError(o), Contains("has invalid name"));
  o.config_uris = {dir.Write("list.yaml", "- a\n- b\n")};
  CHECK_THAT(LoadError(o), Contains("list.yaml:1:1: a config must be a map of sections, got a list"));
  o.config_uris = {dir.Write("syntax.yaml", "service:\n  pipelines: [\n")};
  CHECK_THAT(LoadError(o), Contains("syntax.yaml:3:1: invalid YAML"));
  o.config_uris = {"yaml:a::::b: 1"};
  CHECK_THAT(LoadError(o), Contains("empty segment"));
}

TEST_CASE("--set overrides nested keys and creates missing ones", "[config][loader]") {
  TempDir dir;
  const std::string base = dir.Write("base.yaml",
                                     "processors:\n"
                                     "  batch:\n"
                                     "    timeout: 1s\n"
                                     "    send_batch_size: 100\n"
                                     "service:\n"
                                     "  pipelines:\n"
                                     "    traces:\n"
                                     "      receivers: [otlp]\n");
  LoadOptions o;
  o.env = FakeEnv(kEnv);
  o.config_uris = {base, "yaml:processors::batch::timeout: 2s"};
  o.set_flags = {"processors.batch.timeout=5s", "exporters.otlp/x.endpoint = ${env:HOST}:4317",
                 "service.pipelines.traces.receivers=[otlp, zipkin]",
                 "processors.batch.send_batch_size=${PORT}"};
  Node root = Load(o);
  const Node& batch = *root.Find("processors")->Find("batch");
  const Node& timeout = *batch.Find("timeout");
  CHECK(timeout.scalar() == "5s");  // --set beats every --config
  CHECK(timeout.mark().ToString() == "--set:1:29");
  CHECK(*timeout.mark().file == "--set");
  const Node& size = *batch.Find("send_batch_size");
  int n = 0;
  DecodeValue(size, "processors.batch.send_batch_size", n);
  CHECK(n == 4317);
  // Missing maps are created.
  const Node* endpoint = root.Find("exporters")->Find("otlp/x")->Find("endpoint");
  REQUIRE(endpoint != nullptr);
  CHECK(endpoint->scalar() == "collector.local:4317");
  // A YAML list value replaces the list.
  const Node& receivers = *root.Find("service")->Find("pipelines")->Find("traces")->Find("receivers");
  REQUIRE(receivers.items().size() == 2);
  CHECK(receivers.items()[1].scalar() == "zipkin");

  // Even with no --config, --set applies over the default.
  LoadOptions d;
  d.env = FakeEnv({});
  d.default_yaml = "a:\n  b: 1\n  c: 2\n";
  d.set_flags = {"a.b=3"};
  Node def = Load(d);
  CHECK(def.Find("a")->Find("b")->scalar() == "3");
  CHECK(def.Find("a")->Find("c")->scalar() == "2");

  d.set_flags = {"a.b"};
  CHECK(LoadError(d) == "--set \"a.b\": missing \"=\" (expected --set key.path=value)");
  d.set_flags = {"=1"};
  CHECK_THAT(LoadError(d), Contains("empty key"));
  d.set_flags = {"a..b=1"};
  CHECK_THAT(LoadError(d), Contains("empty segment"));
  d.set_flags = {"a.b=[1, 2"};
  CHECK_THAT(LoadError(d), Contains("--set:") && Contains("invalid YAML"));
}

TEST_CASE("Merge: maps deep, everything else replaced", "[config][loader]") {
  Node base = ParseYaml("a: {x: 1, y: [1, 2]}\nb: 1\nc: {k: v}\n", "base");
  const Node over = ParseYaml("a: {y: [3], z: 4}\nb: {n: 1}\nc:\n", "over");
  Merge(base, over);
  const Node& a = *base.Find("a");
  CHECK(a.Find("x")->scalar() == "1");
  REQUIRE(a.Find("y")->items().size() == 1);
  CHECK(a.Find("y")->items()[0].scalar() == "3");
  CHECK(a.Find("z")->scalar() == "4");
  CHECK(base.Find("b")->IsMap());
  CHECK(base.Find("c")->IsNull());  // an explicit null replaces, as in otelcol
  // Source order of keys is kept; new keys are appended.
  REQUIRE(a.entries().size() == 3);
  CHECK(a.entries()[2].key == "z");

  Node scalar = Node::Scalar("s", Mark{});
  Merge(scalar, over);
  CHECK(scalar.IsMap());
}

TEST_CASE("ProcessEnv reads the real environment", "[config][loader]") {
  ::setenv("OTLPD_CONFIG_TEST_VAR", "value", 1);
  ::unsetenv("OTLPD_CONFIG_TEST_UNSET");
  EnvLookup env = ProcessEnv();
  CHECK(env("OTLPD_CONFIG_TEST_VAR") == std::optional<std::string>("value"));
  CHECK_FALSE(env("OTLPD_CONFIG_TEST_UNSET"));
  LoadOptions o;  // default env is the process environment
  o.default_yaml = "v: ${env:OTLPD_CONFIG_TEST_VAR}\n";
  CHECK(Load(o).Find("v")->scalar() == "value");
}

}  // namespace
}  // namespace otlpd::config

namespace otlpd::config {
namespace {

TEST_CASE("Loader budget counts bytes: an alias to a large scalar repeated is a located error",
          "[config][loader]") {
  // 64 KiB repeated 125k times would be 8 GiB of text, in only 125k nodes. The
  // error points at the repeated value (yaml-cpp marks an alias with its anchor).
  std::string bomb = "a: &a " + std::string(64 * 1024, 'x') + "\nb: [";
  for (int i = 0; i < 125000; ++i) bomb += "*a, ";
  bomb += "*a]\n";
  REQUIRE_THROWS_WITH(ParseYaml(bomb, "bomb.yaml"), Contains("bomb.yaml:1:4") && Contains("32 MiB"));
  // ${env:...} references repeated by an alias: the expansion counts too.
  std::string refs = "x: &r ${env:BIG}\ny: [";
  for (int i = 0; i < 1000; ++i) refs += "*r, ";
  refs += "*r]\n";
  LoadOptions o;
  o.config_uris = {"yaml:" + refs};
  o.env = FakeEnv({{"BIG", std::string(128 * 1024, 'b')}});
  REQUIRE_THROWS_WITH(Load(o), Contains("y[") && Contains("32 MiB"));
  // A config of normal size with a large value is fine.
  CHECK_NOTHROW(ParseYaml("a: &a " + std::string(64 * 1024, 'x') + "\nb: [*a, *a, *a]\n", "ok.yaml"));
}

}  // namespace
}  // namespace otlpd::config
