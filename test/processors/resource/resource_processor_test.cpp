#include "processors/resource/resource_processor.h"

#include <catch2/catch.hpp>
#include <map>

#include "config/error.h"
#include "config/loader.h"
#include "opentelemetry/proto/collector/logs/v1/logs_service.pb.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "otlp/wire/wire_format.h"
#include "otlp/wire/wire_walker.h"
#include "processors/internal/attraction/attraction.h"
#include "processors/resource/factory.h"
#include "test/support/config_error.h"
#include "test/support/sink.h"

using namespace otlpd;
using namespace otlpd::processors::resource;
using namespace otlpd::processors::attraction;
using opentelemetry::proto::collector::logs::v1::ExportLogsServiceRequest;
using opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest;
using opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;
using opentelemetry::proto::common::v1::KeyValue;

namespace {

constexpr char kPath[] = "processors.resource";

// A request with one resource per entry of `resources` (its string
// attributes), two spans each, and an unknown field in each entry and in the
// request, which must survive untouched.
std::string Traces(const std::vector<std::map<std::string, std::string>>& resources) {
  ExportTraceServiceRequest req;
  int n = 0;
  for (const auto& attrs : resources) {
    auto* rs = req.add_resource_spans();
    for (const auto& [k, v] : attrs) {
      auto* kv = rs->mutable_resource()->add_attributes();
      kv->set_key(k);
      kv->mutable_value()->set_string_value(v);
    }
    rs->set_schema_url("https://opentelemetry.io/schemas/1.21.0");
    auto* ss = rs->add_scope_spans();
    ss->mutable_scope()->set_name("lib");
    for (int i = 0; i < 2; ++i) {
      auto* s = ss->add_spans();
      s->set_trace_id(std::string(16, '\x07'));
      s->set_span_id(std::string(7, '\x01') + static_cast<char>(++n));
      s->set_name("op");
      auto* a = s->add_attributes();
      a->set_key("http.method");
      a->mutable_value()->set_string_value("GET");
    }
    rs->GetReflection()->MutableUnknownFields(rs)->AddVarint(99, 42);
  }
  req.GetReflection()->MutableUnknownFields(&req)->AddVarint(77, 7);
  return req.SerializeAsString();
}

Config Decode(const std::string& yaml) {
  config::Node node = config::ParseYaml(yaml, "resource.yaml");
  config::MapDecoder d(node, kPath);
  return Config::Decode(d);
}

std::string DecodeError(const std::string& yaml) {
  return test::ConfigError([&] { Decode(yaml); });
}

// Runs the processor over `bytes` and returns what reached the sink.
PayloadPtr Run(const std::string& yaml, const std::string& bytes, Signal signal = Signal::kTraces,
               std::shared_ptr<const Metadata> metadata = nullptr, PayloadPtr* input = nullptr) {
  test::Sink sink;
  ResourceProcessor p(signal, Decode(yaml), &sink);
  REQUIRE(p.Start().ok());
  auto count = wire::ValidateAndCount(signal, bytes);
  REQUIRE(count.ok());
  PayloadPtr in = MakePayload(signal, bytes, *count, std::move(metadata));
  if (input != nullptr) *input = in;
  REQUIRE(p.Consume(in).ok());
  p.Shutdown(Clock::now());
  REQUIRE(sink.payloads().size() == 1);
  PayloadPtr out = sink.payloads()[0];
  CHECK(out->items == in->items);
  auto recount = wire::ValidateAndCount(signal, out->bytes);
  REQUIRE(recount.ok());
  CHECK(*recount == in->items);
  return out;
}

// Resource attributes of every resource entry, as maps of key -> AnyValue.
std::vector<std::map<std::string, AnyValue>> Resources(const std::string& bytes) {
  ExportTraceServiceRequest req;
  REQUIRE(req.ParseFromString(bytes));
  std::vector<std::map<std::string, AnyValue>> out;
  for (const auto& rs : req.resource_spans()) {
    auto& m = out.emplace_back();
    for (const KeyValue& kv : rs.resource().attributes()) m[kv.key()] = kv.value();
  }
  return out;
}

std::string Str(const std::map<std::string, AnyValue>& attrs, const std::string& key) {
  auto it = attrs.find(key);
  REQUIRE(it != attrs.end());
  REQUIRE(it->second.has_string_value());
  return it->second.string_value();
}

// Every field of every resource entry except the Resource itself, raw: scope
// and item bytes, schema_url, unknown fields. Plus the request's own other fields.
std::vector<std::string> NonResourceBytes(Signal signal, const std::string& request) {
  std::vector<std::string> out;
  wire::Reader top(request);
  wire::Field f;
  while (!top.AtEnd()) {
    REQUIRE(top.ReadField(f));
    if (f.number != 1) out.emplace_back("request:" + std::string(f.raw));
  }
  for (const wire::Entry& e : wire::Resources(signal, request)) {
    wire::Reader r(e.message);
    while (!r.AtEnd()) {
      REQUIRE(r.ReadField(f));
      if (f.number != 1) out.emplace_back(f.raw);
    }
  }
  return out;
}

}  // namespace

TEST_CASE("insert adds a missing key and leaves an existing one") {
  const std::string in = Traces({{{"service.name", "a"}}, {{"service.name", "b"}, {"env", "prod"}}});
  auto out = Resources(Run("attributes: [{key: env, value: staging, action: insert}]", in)->bytes);
  REQUIRE(out.size() == 2);
  CHECK(Str(out[0], "env") == "staging");
  CHECK(Str(out[1], "env") == "prod");
  CHECK(Str(out[0], "service.name") == "a");
}

TEST_CASE("update changes only an existing key") {
  const std::string in = Traces({{{"service.name", "a"}}, {{"env", "prod"}}});
  auto out = Resources(Run("attributes: [{key: env, value: staging, action: update}]", in)->bytes);
  CHECK(out[0].count("env") == 0);
  CHECK(Str(out[1], "env") == "staging");
}

TEST_CASE("upsert inserts or overwrites; action names are case-insensitive") {
  const std::string in = Traces({{{"service.name", "a"}}, {{"env", "prod"}}});
  auto out = Resources(Run("attributes: [{key: env, value: staging, action: UPSERT}]", in)->bytes);
  CHECK(Str(out[0], "env") == "staging");
  CHECK(Str(out[1], "env") == "staging");
  CHECK(out[1].size() == 1);  // overwritten in place, not duplicated
}

TEST_CASE("delete removes by key and by pattern") {
  const std::string in =
      Traces({{{"service.name", "a"}, {"secret.token", "x"}, {"secret.key", "y"}, {"host.name", "h"}}});
  auto out = Resources(Run(R"(attributes:
  - {key: host.name, action: delete}
  - {pattern: ^secret\., action: Delete}
  - {key: absent, action: delete}
)",
                           in)
                           ->bytes);
  REQUIRE(out.size() == 1);
  CHECK(out[0].size() == 1);
  CHECK(out[0].count("service.name") == 1);
}

TEST_CASE("hash replaces values with lowercase hex SHA-256 of their bytes") {
  ExportTraceServiceRequest req;
  auto* res = req.add_resource_spans()->mutable_resource();
  auto add = [&](const std::string& key) {
    auto* kv = res->add_attributes();
    kv->set_key(key);
    return kv->mutable_value();
  };
  add("s")->set_string_value("abc");
  add("i")->set_int_value(1);
  add("b")->set_bool_value(true);
  add("d")->set_double_value(1.0);
  add("empty")->set_string_value("");
  add("bytes")->set_bytes_value("\x01\x02");
  add("keep")->set_string_value("abc");
  auto out =
      Resources(Run("attributes: [{key: s, action: hash}, {pattern: '^(i|b|d|empty|bytes)$', action: hash}]",
                    req.SerializeAsString())
                    ->bytes);
  REQUIRE(out.size() == 1);
  CHECK(Str(out[0], "s") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // 1 as 8 little-endian bytes, true as one byte 0x01, 1.0 as its IEEE-754 bits little-endian.
  CHECK(Str(out[0], "i") == Sha256Hex(std::string("\x01\0\0\0\0\0\0\0", 8)));
  CHECK(Str(out[0], "b") == Sha256Hex(std::string("\x01", 1)));
  CHECK(Str(out[0], "d") == Sha256Hex(std::string("\0\0\0\0\0\0\xf0\x3f", 8)));
  CHECK(Str(out[0], "b") == "4bf5122f344554c53bde2ebb8cd2b7e3d1600ad631c385a5d7cce23c7785459a");
  // "" is hashed like any string (coreinternal/attraction v0.161 and v0.165).
  CHECK(Str(out[0], "empty") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(Str(out[0], "bytes").empty());  // otelcol hashes only string, bool, int and double
  CHECK(Str(out[0], "keep") == "abc");
}

TEST_CASE("value takes its type from YAML") {
  auto out = Resources(Run(R"(attributes:
  - {key: int, value: 42, action: insert}
  - {key: hex, value: 0x1F, action: insert}
  - {key: double, value: 2.5, action: insert}
  - {key: bool, value: true, action: insert}
  - {key: quoted, value: "42", action: insert}
  - {key: plain, value: hello, action: insert}
  - {key: yes_is_text, value: yes, action: insert}
  - {key: list, value: [a, 1], action: insert}
  - {key: map, value: {k: v, n: 2}, action: insert}
)",
                           Traces({{}}))
                           ->bytes);
  REQUIRE(out.size() == 1);
  auto& a = out[0];
  CHECK(a.at("int").int_value() == 42);
  CHECK(a.at("hex").int_value() == 31);
  CHECK(a.at("double").double_value() == 2.5);
  CHECK(a.at("bool").has_bool_value());
  CHECK(a.at("bool").bool_value());
  CHECK(Str(a, "quoted") == "42");
  CHECK(Str(a, "plain") == "hello");
  CHECK(Str(a, "yes_is_text") == "yes");
  REQUIRE(a.at("list").array_value().values_size() == 2);
  CHECK(a.at("list").array_value().values(0).string_value() == "a");
  CHECK(a.at("list").array_value().values(1).int_value() == 1);
  REQUIRE(a.at("map").kvlist_value().values_size() == 2);
  CHECK(a.at("map").kvlist_value().values(1).value().int_value() == 2);
}

TEST_CASE("from_attribute copies another resource attribute; a missing source does nothing") {
  const std::string in = Traces({{{"host.name", "node-7"}}, {{"service.name", "b"}}});
  auto out = Resources(Run(R"(attributes:
  - {key: k8s.node.name, from_attribute: host.name, action: upsert}
)",
                           in)
                           ->bytes);
  CHECK(Str(out[0], "k8s.node.name") == "node-7");
  CHECK(Str(out[0], "host.name") == "node-7");
  CHECK(out[1].count("k8s.node.name") == 0);
}

TEST_CASE("default_value applies when the source is missing") {
  const std::string in = Traces({{{"host.name", "node-7"}}, {{"service.name", "b"}}});
  auto out = Resources(
      Run("attributes: [{key: node, from_attribute: host.name, default_value: unknown, action: insert}]", in)
          ->bytes);
  CHECK(Str(out[0], "node") == "node-7");
  CHECK(Str(out[1], "node") == "unknown");
}

TEST_CASE("from_context reads client metadata, joining repeated values with ';'") {
  auto md = std::make_shared<const Metadata>(Metadata{{"x-tenant", "a"}, {"x-tenant", "b"}, {"other", "c"}});
  auto out = Resources(Run(R"(attributes:
  - {key: tenant, from_context: metadata.X-Tenant, action: insert}
  - {key: other, from_context: other, action: insert}
  - {key: user, from_context: auth.subject, action: insert}
  - {key: missing, from_context: metadata.nope, action: insert}
)",
                           Traces({{}}), Signal::kTraces, md)
                           ->bytes);
  CHECK(Str(out[0], "tenant") == "a;b");
  CHECK(Str(out[0], "other") == "c");
  CHECK(out[0].count("user") == 0);  // no authenticator in otlpd, as otelcol without one
  CHECK(out[0].count("missing") == 0);
}

TEST_CASE("env-substituted values, as the DaemonSet config uses them") {
  config::LoadOptions options;
  options.config_uris = {R"(yaml:processors::resource::attributes: [
      {key: k8s.node.name, value: "${env:K8S_NODE_NAME}", action: upsert},
      {key: k8s.pod.ip, value: "${env:MY_POD_IP}", action: upsert},
      {key: node.index, value: "${env:NODE_INDEX}", action: upsert},
      {key: cluster, value: "${env:CLUSTER:-dev}", action: upsert}])"};
  options.env = [](std::string_view name) -> std::optional<std::string> {
    if (name == "K8S_NODE_NAME") return "ip-10-0-1-17.ec2.internal";
    if (name == "MY_POD_IP") return "10.0.1.17";
    if (name == "NODE_INDEX") return "3";
    return std::nullopt;
  };
  config::Node root = config::Load(options);
  const config::Node* node = root.Find("processors")->Find("resource");
  REQUIRE(node != nullptr);
  test::Sink sink;
  CreateContext ctx{.id = {}, .path = kPath};
  auto p = ResourceProcessorFactory().create(ctx, *node, Signal::kTraces, &sink);
  const std::string in = Traces({{{"service.name", "a"}}});
  REQUIRE(p->Consume(MakePayload(Signal::kTraces, in, 2)).ok());
  auto out = Resources(sink.payloads().at(0)->bytes);
  CHECK(Str(out[0], "k8s.node.name") == "ip-10-0-1-17.ec2.internal");
  CHECK(Str(out[0], "k8s.pod.ip") == "10.0.1.17");
  CHECK(out[0].at("node.index").int_value() == 3);  // a lone ${env:...} is typed as YAML, as in otelcol
  CHECK(Str(out[0], "cluster") == "dev");
}

TEST_CASE("scope and item bytes, schema_url and unknown fields are copied untouched") {
  const std::string in = Traces({{{"service.name", "a"}}, {{"service.name", "b"}}, {{"service.name", "c"}}});
  auto out = Run("attributes: [{key: k8s.node.name, value: n1, action: upsert}]", in);
  CHECK(out->bytes != in);
  CHECK(NonResourceBytes(Signal::kTraces, out->bytes) == NonResourceBytes(Signal::kTraces, in));
  CHECK(NonResourceBytes(Signal::kTraces, in).size() == 3 * 3 + 1);  // per entry: scope, schema_url, field 99
  auto res = Resources(out->bytes);
  REQUIRE(res.size() == 3);
  CHECK(Str(res[2], "service.name") == "c");
  CHECK(Str(res[2], "k8s.node.name") == "n1");
}

TEST_CASE("only the resources an action changes are rewritten") {
  const std::string in = Traces({{{"service.name", "a"}}, {{"env", "prod"}}, {{"service.name", "c"}}});
  auto out = Run("attributes: [{key: env, value: dev, action: update}]", in);
  std::vector<std::string> before, after;
  for (const auto& e : wire::Resources(Signal::kTraces, in)) before.emplace_back(e.field);
  for (const auto& e : wire::Resources(Signal::kTraces, out->bytes)) after.emplace_back(e.field);
  REQUIRE(after.size() == 3);
  CHECK(after[0] == before[0]);
  CHECK(after[1] != before[1]);
  CHECK(after[2] == before[2]);
}

TEST_CASE("a payload no action changes is passed on as the same object") {
  PayloadPtr in;
  auto out = Run("attributes: [{key: env, value: dev, action: update}]", Traces({{{"service.name", "a"}}}),
                 Signal::kTraces, nullptr, &in);
  CHECK(out == in);
}

TEST_CASE("a resource entry without a Resource gets one") {
  ExportTraceServiceRequest req;
  auto* ss = req.add_resource_spans()->add_scope_spans();
  auto* s = ss->add_spans();
  s->set_trace_id(std::string(16, '\x01'));
  s->set_span_id(std::string(8, '\x02'));
  auto out = Resources(
      Run("attributes: [{key: k8s.node.name, value: n1, action: insert}]", req.SerializeAsString())->bytes);
  CHECK(Str(out[0], "k8s.node.name") == "n1");
}

TEST_CASE("metadata and item counts travel on") {
  auto md = std::make_shared<const Metadata>(Metadata{{"x-tenant", "a"}});
  auto out = Run("attributes: [{key: k, value: v, action: insert}]", Traces({{}}), Signal::kTraces, md);
  CHECK(out->metadata == md);
  CHECK(out->items == 2);
}

TEST_CASE("metrics and logs resources are rewritten the same way") {
  {
    ExportMetricsServiceRequest req;
    auto* rm = req.add_resource_metrics();
    auto* m = rm->add_scope_metrics()->add_metrics();
    m->set_name("m");
    m->mutable_gauge()->add_data_points()->set_as_int(5);
    m->mutable_gauge()->add_data_points()->set_as_int(6);
    const std::string in = req.SerializeAsString();
    auto out = Run("attributes: [{key: k8s.node.name, value: n1, action: upsert}]", in, Signal::kMetrics);
    CHECK(out->items == 2);
    ExportMetricsServiceRequest got;
    REQUIRE(got.ParseFromString(out->bytes));
    REQUIRE(got.resource_metrics(0).resource().attributes_size() == 1);
    CHECK(got.resource_metrics(0).resource().attributes(0).value().string_value() == "n1");
    CHECK(got.resource_metrics(0).scope_metrics(0).SerializeAsString() ==
          rm->scope_metrics(0).SerializeAsString());
  }
  {
    ExportLogsServiceRequest req;
    auto* rl = req.add_resource_logs();
    rl->add_scope_logs()->add_log_records()->mutable_body()->set_string_value("hello");
    auto out = Run("attributes: [{key: k8s.node.name, value: n1, action: upsert}]", req.SerializeAsString(),
                   Signal::kLogs);
    ExportLogsServiceRequest got;
    REQUIRE(got.ParseFromString(out->bytes));
    CHECK(got.resource_logs(0).resource().attributes(0).key() == "k8s.node.name");
    CHECK(got.resource_logs(0).scope_logs(0).log_records(0).body().string_value() == "hello");
  }
}

TEST_CASE("extract sets one attribute per named group") {
  const std::string in = Traces({{{"k8s.pod.name", "checkout-7d9f-x2x"}}});
  auto out = Resources(
      Run(R"(attributes: [{key: k8s.pod.name, pattern: '^(?P<app>[a-z]+)-(?P<hash>[0-9a-f]+)-', action: extract}])",
          in)
          ->bytes);
  CHECK(Str(out[0], "app") == "checkout");
  CHECK(Str(out[0], "hash") == "7d9f");
  CHECK(Str(out[0], "k8s.pod.name") == "checkout-7d9f-x2x");
}

TEST_CASE("convert changes types when it can and leaves the value otherwise") {
  const std::string in = Traces({{{"port", "8080"}, {"ratio", "0.5"}, {"bad", "x1"}}});
  auto out = Resources(Run(R"(attributes:
  - {key: port, converted_type: int, action: convert}
  - {key: ratio, converted_type: double, action: convert}
  - {key: bad, converted_type: int, action: convert}
)",
                           in)
                           ->bytes);
  CHECK(out[0].at("port").int_value() == 8080);
  CHECK(out[0].at("ratio").double_value() == 0.5);
  CHECK(Str(out[0], "bad") == "x1");

  AnyValue v;
  v.set_double_value(1e21);
  ConvertValue(v, ConvertedType::kString);
  CHECK(v.string_value() == "1e+21");
  v.set_double_value(0.0000001);
  CHECK(ValueAsString(v) == "1e-7");
  v.set_double_value(3.25);
  ConvertValue(v, ConvertedType::kInt);
  CHECK(v.int_value() == 3);
  v.set_bool_value(true);
  CHECK(ValueAsString(v) == "true");
  v.set_bytes_value("hi!");
  CHECK(ValueAsString(v) == "aGkh");
  v.mutable_kvlist_value()->add_values()->set_key("z");
  auto* a = v.mutable_kvlist_value()->add_values();
  a->set_key("a");
  a->mutable_value()->set_string_value("<\"x\">");
  CHECK(ValueAsString(v) == R"({"a":"<\"x\">","z":null})");
}

TEST_CASE("map values render strings as Go's encoding/json does") {
  // Before the shared escaper this copy wrote \u0008, \u000c, a raw U+2028 and
  // the invalid byte as is; Go (pcommon's AsString) writes what follows.
  AnyValue v;
  auto* kv = v.mutable_kvlist_value()->add_values();
  kv->set_key("s");
  kv->mutable_value()->set_string_value("\b\f\u2028\u2029\xff<&>");
  CHECK(ValueAsString(v) == R"({"s":"\b\f\u2028\u2029\ufffd<&>"})");
}

TEST_CASE("malformed bytes are refused, not forwarded") {
  test::Sink sink;
  ResourceProcessor p(Signal::kTraces, Decode("attributes: [{key: k, value: v, action: insert}]"), &sink);
  std::string bad;
  wire::AppendTag(bad, 1, wire::WireType::kLen);
  wire::AppendVarint(bad, 50);  // longer than what follows
  bad += "xx";
  Status s = p.Consume(MakePayload(Signal::kTraces, bad, 0));
  CHECK(s.code() == StatusCode::kInvalidArgument);
  CHECK(sink.calls() == 0);
}

TEST_CASE("config errors name the key path") {
  CHECK_THAT(DecodeError("attributes: [{key: a, value: 1, action: insert}, {key: b, action: frobnicate}]"),
             Catch::Contains("processors.resource.attributes[1].action: error with key \"b\" (1-th action): "
                             "error creating AttrProc due to unsupported action \"frobnicate\""));
  CHECK_THAT(DecodeError("{}"), Catch::Contains("processors.resource.attributes: missing required field"));
  CHECK_THAT(DecodeError("attributes: []"), Catch::Contains("missing required field"));
  CHECK_THAT(DecodeError("attributes: [{key: a, action: insert}]"),
             Catch::Contains("processors.resource.attributes[0].value"));
  CHECK_THAT(DecodeError("attributes: [{key: a, value: 1, from_attribute: b, action: upsert}]"),
             Catch::Contains("error creating AttrProc due to multiple value sources being set"));
  CHECK_THAT(DecodeError("attributes: [{value: 1, action: upsert}]"),
             Catch::Contains("processors.resource.attributes[0].key"));
  CHECK_THAT(
      DecodeError("attributes: [{action: delete}]"),
      Catch::Contains("error creating AttrProc due to missing required field (at least one of \"key\" and "
                      "\"pattern\" have to be used) at the 0-th action"));
  CHECK_THAT(
      DecodeError("attributes: [{pattern: '(', action: delete}]"),
      Catch::Contains("processors.resource.attributes[0].pattern: error with key \"\" (0-th action): error "
                      "creating AttrProc. Field \"pattern\" has invalid pattern: \"(\""));
  CHECK_THAT(DecodeError("attributes: [{key: a, pattern: '(x)', action: extract}]"),
             Catch::Contains("unnamed matcher group"));
  CHECK_THAT(DecodeError("attributes: [{key: a, action: convert}]"),
             Catch::Contains("processors.resource.attributes[0].converted_type"));
  CHECK_THAT(DecodeError("attributes: [{key: a, converted_type: bool, action: convert}]"),
             Catch::Contains("invalid value \"bool\""));
  CHECK_THAT(DecodeError("attributes: [{key: a, value: 1, action: insert, colour: red}]"),
             Catch::Contains("processors.resource.attributes[0]"));
  CHECK_THAT(DecodeError("attributes: [{key: a, from_context: client.address, action: insert}]"),
             Catch::Contains("not supported by otlpd"));
  CHECK_THAT(
      DecodeError("attributes: [{key: a, value: 1, pattern: x, action: insert}]"),
      Catch::Contains("attributes[0].pattern: error with key \"a\" (0-th action): error creating AttrProc. "
                      "Action \"insert\" does not use the \"pattern\" field. This must not be specified"));
  CHECK(DecodeError("attributes: [{key: a, value: 1, action: Insert}]") == "");
}
