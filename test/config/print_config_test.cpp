#include "config/print_config.h"

#include <chrono>
#include <map>
#include <string>

#include <catch2/catch.hpp>

#include "config/loader.h"

namespace otlpd::config {
namespace {

using namespace std::chrono_literals;
using Catch::Contains;

// A component's decoder as every component writes one: defaults in the
// struct, Optional() for each key, Child() for sections, Opaque() for secrets.
struct Example {
  std::chrono::nanoseconds timeout = 5s;
  std::string endpoint = "localhost:4317";
  std::string token;
  std::string password = "changeme";
  std::map<std::string, std::string> headers;
  bool retry_enabled = true;
  double factor = 0.5;
  int queue_size = 1000;
  std::string version = "1.2";
};

Example DecodeExample(const Node& node) {
  Example e;
  MapDecoder d(node, "exporters.example");
  d.Optional("timeout", e.timeout);
  d.Optional("endpoint", e.endpoint);
  d.Opaque("token", e.token);
  d.Opaque("password", e.password);
  d.Opaque("headers", e.headers);
  MapDecoder retry = d.Child("retry_on_failure");
  retry.Optional("enabled", e.retry_enabled);
  retry.Optional("randomization_factor", e.factor);
  retry.Finish();
  MapDecoder queue = d.Child("sending_queue");
  queue.SectionEnabled();
  queue.Optional("queue_size", e.queue_size);
  queue.Optional("version", e.version);
  queue.Finish();
  d.Finish();
  return e;
}

// Loads `yaml`, decodes exporters.example inside a recording and returns
// the effective config.
Node Effective(const std::string& yaml, bool redact, Node* root_out = nullptr) {
  static Node root;
  root = ParseYaml(yaml, "t.yaml");
  DecodeRecording recording;
  {
    DecodeRecording::Scope scope(recording);
    DecodeExample(*root.Find("exporters")->Find("example"));
  }
  if (root_out != nullptr) *root_out = root;
  return EffectiveConfig(root, recording, redact);
}

const Node& At(const Node& n, std::initializer_list<std::string_view> path) {
  const Node* cur = &n;
  for (std::string_view key : path) {
    cur = cur->Find(key);
    REQUIRE(cur != nullptr);
  }
  return *cur;
}

TEST_CASE("print-config fills in the defaults each decoder left, sections included") {
  const Node out = Effective("exporters:\n  example:\n    endpoint: backend:4317\n", true);
  CHECK(At(out, {"exporters", "example", "endpoint"}).scalar() == "backend:4317");
  CHECK(At(out, {"exporters", "example", "timeout"}).scalar() == "5s");
  CHECK(At(out, {"exporters", "example", "retry_on_failure", "enabled"}).scalar() == "true");
  CHECK(At(out, {"exporters", "example", "retry_on_failure", "randomization_factor"}).scalar() == "0.5");
  CHECK(At(out, {"exporters", "example", "sending_queue", "queue_size"}).scalar() == "1000");
  // A string default stays a string: "1.2" is not the number 1.2.
  CHECK(At(out, {"exporters", "example", "sending_queue", "version"}).quoted());
  // An optional section's own `enabled` is not invented.
  CHECK(At(out, {"exporters", "example", "sending_queue"}).Find("enabled") == nullptr);
}

TEST_CASE("print-config fills in a component written with nothing after its name") {
  const Node out = Effective("exporters:\n  example:\n", true);
  CHECK(At(out, {"exporters", "example"}).IsMap());
  CHECK(At(out, {"exporters", "example", "endpoint"}).scalar() == "localhost:4317");
  // A key given as null keeps its default, as the decoder does.
  const Node null_key = Effective("exporters:\n  example:\n    timeout:\n", true);
  CHECK(At(null_key, {"exporters", "example", "timeout"}).scalar() == "5s");
}

TEST_CASE("print-config redacts secrets unless asked not to, and leaves empty ones out") {
  const std::string yaml =
      "exporters:\n  example:\n    token: s3cret\n    headers:\n      Authorization: Bearer x\n      "
      "X-Tenant: a\n";
  const Node redacted = Effective(yaml, true);
  CHECK(At(redacted, {"exporters", "example", "token"}).scalar() == "[REDACTED]");
  CHECK(At(redacted, {"exporters", "example", "headers", "Authorization"}).scalar() == "[REDACTED]");
  CHECK(At(redacted, {"exporters", "example", "headers", "X-Tenant"}).scalar() == "[REDACTED]");
  // A secret's default is a secret too.
  CHECK(At(redacted, {"exporters", "example", "password"}).scalar() == "[REDACTED]");
  const std::string text = EmitYaml(redacted);
  CHECK(text.find("s3cret") == std::string::npos);
  CHECK(text.find("Bearer") == std::string::npos);
  CHECK(text.find("changeme") == std::string::npos);

  const Node shown = Effective(yaml, false);
  CHECK(At(shown, {"exporters", "example", "token"}).scalar() == "s3cret");
  CHECK(At(shown, {"exporters", "example", "headers", "Authorization"}).scalar() == "Bearer x");
  CHECK(At(shown, {"exporters", "example", "password"}).scalar() == "changeme");

  // An empty secret (no token, no headers) is left out, as otelcol's omitempty.
  const Node none = Effective("exporters:\n  example:\n", true);
  CHECK(At(none, {"exporters", "example"}).Find("token") == nullptr);
  CHECK(At(none, {"exporters", "example"}).Find("headers") == nullptr);
}

TEST_CASE("print-config keeps what no decoder read and sorts keys") {
  const Node out = Effective(
      "service:\n  pipelines: {traces: {receivers: [b, a], exporters: [example]}}\n"
      "exporters:\n  example: {}\n",
      true);
  REQUIRE(out.entries().size() == 2);
  CHECK(out.entries()[0].key == "exporters");
  CHECK(out.entries()[1].key == "service");
  const Node& receivers = At(out, {"service", "pipelines", "traces", "receivers"});
  REQUIRE(receivers.items().size() == 2);
  CHECK(receivers.items()[0].scalar() == "b");  // lists keep their order
  const Node& example = At(out, {"exporters", "example"});
  for (std::size_t i = 1; i < example.entries().size(); ++i) {
    CHECK(example.entries()[i - 1].key < example.entries()[i].key);
  }
}

TEST_CASE("print-config records nothing outside a recording scope") {
  Node root = ParseYaml("exporters:\n  example:\n", "t.yaml");
  DecodeRecording recording;
  DecodeExample(*root.Find("exporters")->Find("example"));
  const Node out = EffectiveConfig(root, recording, true);
  CHECK(At(out, {"exporters", "example"}).IsNull());
}

TEST_CASE("print-config's YAML reads back as the same values and types") {
  Node root = ParseYaml(
      "a: {s: \"5\", t: \"true\", e: \"\", n: 5, f: 0.5, b: true, z: null, u: plain text, q: \"[REDACTED]\", "
      "l: [], m: {}}\n",
      "t.yaml");
  const std::string text = EmitYaml(root);
  const Node back = ParseYaml(text, "out.yaml");
  const Node& a = At(back, {"a"});
  CHECK(At(a, {"s"}).scalar() == "5");
  CHECK(At(a, {"s"}).quoted());
  CHECK(At(a, {"t"}).quoted());
  CHECK(At(a, {"e"}).IsScalar());
  CHECK(At(a, {"e"}).scalar().empty());
  CHECK_FALSE(At(a, {"n"}).quoted());
  CHECK(At(a, {"b"}).scalar() == "true");
  CHECK(At(a, {"z"}).IsNull());
  CHECK(At(a, {"u"}).scalar() == "plain text");
  CHECK(At(a, {"q"}).scalar() == "[REDACTED]");
  CHECK(At(a, {"l"}).IsSequence());
  CHECK(At(a, {"m"}).IsMap());
}

TEST_CASE("print-config's YAML is laid out as otelcol's (go-yaml v3, indent 4)") {
  Node root = ParseYaml(
      "exporters:\n  otlp:\n    colon: \"a: b\"\n    compression: \"\"\n    flag: \"on\"\n    hash: \"a "
      "#b\"\n"
      "    headers: [{name: a, value: \"[REDACTED]\"}]\n    interval: \"5m\"\n    multi: \"a\\nb\"\n"
      "    num: 5\n    quote: \"it's\"\n    tab: \"a\\tb\"\n    version: \"1.2\"\n"
      "service:\n  extensions: [health_check]\n  telemetry:\n    metrics:\n      readers:\n"
      "        - pull: {exporter: {prometheus: {host: localhost, port: 8888}}}\n",
      "t.yaml");
  CHECK(EmitYaml(root) ==
        "exporters:\n"
        "    otlp:\n"
        "        colon: 'a: b'\n"
        "        compression: \"\"\n"
        "        flag: \"on\"\n"
        "        hash: 'a #b'\n"
        "        headers:\n"
        "            - name: a\n"
        "              value: '[REDACTED]'\n"
        "        interval: 5m\n"
        "        multi: |-\n"
        "            a\n"
        "            b\n"
        "        num: 5\n"
        "        quote: it's\n"
        "        tab: \"a\\tb\"\n"
        "        version: \"1.2\"\n"
        "service:\n"
        "    extensions:\n"
        "        - health_check\n"
        "    telemetry:\n"
        "        metrics:\n"
        "            readers:\n"
        "                - pull:\n"
        "                    exporter:\n"
        "                        prometheus:\n"
        "                            host: localhost\n"
        "                            port: 8888\n");
}

TEST_CASE("print-config's JSON keeps numbers, booleans and null typed and strings quoted") {
  Node root = ParseYaml("a: {s: \"5\", n: 5, f: 0.5, b: true, z: null, d: 5s, h: 0x10, x: \"<&>\", l: [1]}\n",
                        "t.yaml");
  const std::string json = EmitJson(root);
  CHECK_THAT(json, Contains("\"s\": \"5\""));
  CHECK_THAT(json, Contains("\"n\": 5,"));
  CHECK_THAT(json, Contains("\"f\": 0.5,"));
  CHECK_THAT(json, Contains("\"b\": true,"));
  CHECK_THAT(json, Contains("\"z\": null,"));
  CHECK_THAT(json, Contains("\"d\": \"5s\""));
  CHECK_THAT(json, Contains("\"h\": \"0x10\""));                   // not a JSON number
  CHECK_THAT(json, Contains("\"x\": \"\\u003c\\u0026\\u003e\""));  // as encoding/json escapes
  CHECK_THAT(json, Contains("\"l\": [\n      1\n    ]"));
}

TEST_CASE("RenderValue writes what DecodeValue reads back") {
  CHECK(RenderValue(std::chrono::nanoseconds(90s)).scalar() == "1m30s");
  CHECK(RenderValue(std::chrono::nanoseconds(200ms)).scalar() == "200ms");
  CHECK(RenderValue(std::chrono::nanoseconds(0)).scalar() == "0s");
  CHECK(RenderValue(std::int64_t{-3}).scalar() == "-3");
  CHECK(RenderValue(1.5).scalar() == "1.5");
  CHECK(RenderValue(std::string("x")).quoted());
  const Node list = RenderValue(std::vector<std::string>{"a", "b"});
  REQUIRE(list.items().size() == 2);
  std::chrono::nanoseconds d{};
  DecodeValue(RenderValue(std::chrono::nanoseconds(1h + 1ms)), "d", d);
  CHECK(d == 1h + 1ms);
}

}  // namespace
}  // namespace otlpd::config
