// The tail_sampling processor on real serialized requests, driven with an
// injected clock and explicit ticks: decision timing, every policy type, the
// decision precedence, late spans, the num_traces bound, shutdown, and
// otelcol's config defaults and validation messages.
#include "processors/tail_sampling/tail_sampling_processor.h"

#include <catch2/catch.hpp>

#include <map>
#include <set>
#include <thread>

#include "config/error.h"
#include "config/loader.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "processors/tail_sampling/config.h"
#include "processors/tail_sampling/policy.h"
#include "processors/tail_sampling/trace_split.h"
#include "service/telemetry/prometheus_text.h"
#include "test/support/config_error.h"
#include "test/support/sink.h"

using namespace otlpd;
using namespace otlpd::processors::tail_sampling;
using opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;
namespace tracepb = opentelemetry::proto::trace::v1;

namespace {

Config Decode(const std::string& yaml) {
  config::Node node = config::ParseYaml(yaml, "test.yaml");
  config::MapDecoder d(node, "processors.tail_sampling");
  return Config::Decode(d);
}

std::string DecodeError(const std::string& yaml) {
  return test::ConfigError([&] { Decode(yaml); });
}

std::string Tid(int n) {
  std::string id(16, '\0');
  id[15] = static_cast<char>(n);
  id[0] = static_cast<char>(n * 7 + 1);
  return id;
}

TraceId Id(int n) {
  TraceId id{};
  const std::string s = Tid(n);
  std::copy(s.begin(), s.end(), id.begin());
  return id;
}

struct SpanSpec {
  int trace = 1;
  int span = 1;
  int parent = 0;  // 0: root
  std::string name = "op";
  int status = 0;
  std::uint64_t start = 1000000000;
  std::uint64_t end = 1000000000;
  std::map<std::string, std::string> str_attrs{};
  std::map<std::string, std::int64_t> int_attrs{};
  std::map<std::string, bool> bool_attrs{};
  std::string trace_state{};
  std::uint32_t flags = 0;
};

void AddSpan(tracepb::ScopeSpans* ss, const SpanSpec& s) {
  auto* sp = ss->add_spans();
  sp->set_trace_id(Tid(s.trace));
  sp->set_span_id(std::string(7, '\0') + static_cast<char>(s.span));
  if (s.parent != 0) sp->set_parent_span_id(std::string(7, '\0') + static_cast<char>(s.parent));
  sp->set_name(s.name);
  sp->mutable_status()->set_code(static_cast<tracepb::Status_StatusCode>(s.status));
  sp->set_start_time_unix_nano(s.start);
  sp->set_end_time_unix_nano(s.end);
  sp->set_trace_state(s.trace_state);
  sp->set_flags(s.flags);
  for (const auto& [k, v] : s.str_attrs) {
    auto* kv = sp->add_attributes();
    kv->set_key(k);
    kv->mutable_value()->set_string_value(v);
  }
  for (const auto& [k, v] : s.int_attrs) {
    auto* kv = sp->add_attributes();
    kv->set_key(k);
    kv->mutable_value()->set_int_value(v);
  }
  for (const auto& [k, v] : s.bool_attrs) {
    auto* kv = sp->add_attributes();
    kv->set_key(k);
    kv->mutable_value()->set_bool_value(v);
  }
}

// One resource (service.name = svc), one scope, the given spans.
ExportTraceServiceRequest Request(const std::vector<SpanSpec>& spans, const std::string& svc = "svc") {
  ExportTraceServiceRequest req;
  auto* rs = req.add_resource_spans();
  auto* kv = rs->mutable_resource()->add_attributes();
  kv->set_key("service.name");
  kv->mutable_value()->set_string_value(svc);
  auto* ss = rs->add_scope_spans();
  ss->mutable_scope()->set_name("lib");
  for (const SpanSpec& s : spans) AddSpan(ss, s);
  return req;
}

PayloadPtr ToPayload(const ExportTraceServiceRequest& req) {
  std::uint64_t n = 0;
  for (const auto& rs : req.resource_spans())
    for (const auto& ss : rs.scope_spans()) n += static_cast<std::uint64_t>(ss.spans_size());
  return MakePayload(Signal::kTraces, req.SerializeAsString(), n);
}

// A processor with a hand-driven clock and no ticker thread.
struct Harness {
  explicit Harness(const std::string& yaml) : config(std::make_shared<const Config>(Decode(yaml))) {
    ProcessorOptions o;
    o.now = [this] { return now; };
    o.unix_nanos = [this] {
      return std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count();
    };
    o.ticker = false;
    processor = std::make_unique<TailSamplingProcessor>(config, &sink, &telemetry, o);
    REQUIRE(processor->Start().ok());
  }
  void Send(const std::vector<SpanSpec>& spans, const std::string& svc = "svc") {
    REQUIRE(processor->Consume(ToPayload(Request(spans, svc))).ok());
  }
  void Ticks(int n) {
    for (int i = 0; i < n; ++i) {
      now += std::chrono::seconds(1);
      processor->Tick();
    }
  }
  // Trace ids (their n) and span names that reached the sink.
  std::multiset<int> Traces() const {
    std::multiset<int> out;
    for (const auto& p : sink.payloads()) {
      ExportTraceServiceRequest req;
      REQUIRE(req.ParseFromString(p->bytes));
      std::set<int> ids;
      for (const auto& rs : req.resource_spans())
        for (const auto& ss : rs.scope_spans())
          for (const auto& s : ss.spans()) ids.insert(static_cast<unsigned char>(s.trace_id()[15]));
      out.insert(ids.begin(), ids.end());
    }
    return out;
  }
  std::uint64_t Spans() const { return sink.items(); }

  std::chrono::steady_clock::time_point now{std::chrono::hours(1000)};
  std::shared_ptr<const Config> config;
  test::Sink sink;
  ComponentTelemetry telemetry;
  std::unique_ptr<TailSamplingProcessor> processor;
};

std::string Policies(const std::string& body) { return "decision_wait: 1s\npolicies:\n" + body; }

}  // namespace

TEST_CASE("tail_sampling config defaults are otelcol's") {
  Config c = Decode("{}");
  CHECK(c.decision_wait == std::chrono::seconds(30));
  CHECK(c.decision_wait_after_root_received.count() == 0);
  CHECK(c.num_traces == 50000);
  CHECK_FALSE(c.block_on_overflow);
  CHECK(c.expected_new_traces_per_sec == 0);
  CHECK(c.policies.empty());
  CHECK(c.sampled_cache_size == 0);
  CHECK(c.non_sampled_cache_size == 0);
  CHECK_FALSE(c.sample_on_first_match);
  CHECK(c.sampling_strategy == "trace-complete");
  CHECK_FALSE(c.drop_pending_traces_on_shutdown);
  CHECK(c.maximum_trace_size_bytes == 0);
  CHECK(c.num_shards == 1);
}

TEST_CASE("tail_sampling config decodes every key and policy type") {
  Config c = Decode(R"(
decision_wait: 10s
decision_wait_after_root_received: 2s
num_traces: 100
block_on_overflow: true
expected_new_traces_per_sec: 10
decision_cache: {sampled_cache_size: 1000, non_sampled_cache_size: 500}
sample_on_first_match: true
drop_pending_traces_on_shutdown: true
maximum_trace_size_bytes: 4096
num_shards: 4
policies:
  - {name: a, type: always_sample}
  - {name: b, type: latency, latency: {threshold_ms: 5000, upper_threshold_ms: 10000}}
  - {name: c, type: numeric_attribute, numeric_attribute: {key: k, min_value: 1, max_value: 9, invert_match: true}}
  - {name: d, type: probabilistic, probabilistic: {hash_salt: s, sampling_percentage: 12.5}}
  - {name: e, type: status_code, status_code: {status_codes: [ERROR, UNSET]}}
  - {name: f, type: string_attribute, string_attribute: {key: k, values: ["a.*"], enabled_regex_matching: true, cache_max_size: 4, invert_match: true}}
  - {name: g, type: rate_limiting, rate_limiting: {spans_per_second: 35, burst_capacity: 40}}
  - {name: h, type: bytes_limiting, bytes_limiting: {bytes_per_second: 100, burst_capacity: 200}}
  - {name: i, type: span_count, span_count: {min_spans: 2, max_spans: 20}}
  - {name: j, type: trace_state, trace_state: {key: k, values: [v1, v2]}}
  - {name: k, type: boolean_attribute, boolean_attribute: {key: k, value: true, invert_match: false}}
  - {name: l, type: ottl_condition, ottl_condition: {error_mode: ignore, span: ['attributes["k"] == "v"'], spanevent: ['name == "e"']}}
  - name: m
    type: and
    and:
      and_sub_policy:
        - {name: m1, type: always_sample}
        - {name: m2, type: not, not: {not_sub_policy: {name: m3, type: status_code, status_code: {status_codes: [OK]}}}}
  - name: n
    type: composite
    composite:
      max_total_spans_per_second: 1000
      policy_order: [n1, n2]
      composite_sub_policy:
        - {name: n1, type: always_sample}
        - {name: n2, type: and, and: {and_sub_policy: [{name: n3, type: always_sample}]}}
      rate_allocation: [{policy: n1, percent: 50}]
  - name: o
    type: drop
    drop: {drop_sub_policy: [{name: o1, type: trace_flags}]}
)");
  CHECK(c.decision_wait == std::chrono::seconds(10));
  CHECK(c.decision_wait_after_root_received == std::chrono::seconds(2));
  CHECK(c.num_traces == 100);
  CHECK(c.block_on_overflow);
  CHECK(c.sampled_cache_size == 1000);
  CHECK(c.non_sampled_cache_size == 500);
  CHECK(c.num_shards == 4);
  REQUIRE(c.policies.size() == 15);
  CHECK(c.policies[1].latency.upper_threshold_ms == 10000);
  CHECK(c.policies[2].numeric_attribute.invert_match);
  CHECK(c.policies[3].probabilistic.sampling_percentage == 12.5);
  CHECK(c.policies[4].status_code.status_codes.size() == 2);
  CHECK(c.policies[6].rate_limiting.burst_capacity == 40);
  CHECK(c.policies[8].span_count.max_spans == 20);
  CHECK(c.policies[11].ottl_condition.span.size() == 1);
  CHECK(c.policies[11].ottl_condition.error_mode == ottl::ErrorMode::kIgnore);
  REQUIRE(c.policies[12].sub_policies.size() == 2);
  CHECK(c.policies[12].sub_policies[1].sub_policies.at(0).type == PolicyType::kStatusCode);
  CHECK(c.policies[13].composite.rate_allocation.at(0).percent == 50);
  CHECK(c.policies[13].sub_policies.at(1).type == PolicyType::kAnd);
  CHECK(c.policies[14].type == PolicyType::kDrop);
}

TEST_CASE("tail_sampling config errors carry otelcol's messages") {
  CHECK_THAT(DecodeError("sampling_strategy: bogus"),
             Catch::Contains("invalid sampling_strategy \"bogus\", expected one of \"trace-complete\" or "
                             "\"span-ingest\""));
  CHECK_THAT(DecodeError("num_shards: 300"), Catch::Contains("num_shards (300) must not exceed 256"));
  CHECK_THAT(DecodeError("policies: [{type: always_sample}]"),
             Catch::Contains("policy name cannot be empty"));
  CHECK_THAT(DecodeError("policies: [{name: a, type: always_sample}, {name: a, type: always_sample}]"),
             Catch::Contains("duplicate policy name \"a\""));
  CHECK_THAT(
      DecodeError("policies: [{name: a, type: nope}]"),
      Catch::Contains("failed to create policy evaluator for \"a\": unknown sampling policy type nope"));
  CHECK_THAT(DecodeError("policies: [{name: a, type: status_code}]"),
             Catch::Contains("failed to create policy evaluator for \"a\": expected at least one status code "
                             "to filter on"));
  CHECK_THAT(DecodeError("policies: [{name: a, type: status_code, status_code: {status_codes: [BAD]}}]"),
             Catch::Contains("unknown status code \"BAD\", supported: OK, ERROR, UNSET"));
  CHECK_THAT(DecodeError("policies: [{name: a, type: ottl_condition}]"),
             Catch::Contains("expected at least one OTTL condition to filter on"));
  CHECK_THAT(
      DecodeError("policies: [{name: a, type: string_attribute, string_attribute: {key: k, values: ['(']"
                  ", enabled_regex_matching: true}}]"),
      Catch::Contains("invalid regex `(`"));
  // Nested: and allows not but not composite; not allows only shared types.
  CHECK_THAT(
      DecodeError("policies: [{name: a, type: and, and: {and_sub_policy: [{name: b, type: composite}]}}]"),
      Catch::Contains("failed to create policy evaluator for \"a\": unknown sampling policy type composite"));
  CHECK_THAT(
      DecodeError("policies: [{name: a, type: and, and: {and_sub_policy: [{name: b, type: status_code}]}}]"),
      Catch::Contains("policies[0].and.and_sub_policy[0]: failed to create policy evaluator for \"a\": "
                      "expected at least one status code"));
  CHECK_THAT(DecodeError("policies: [{name: a, type: always_sample, latency: {treshold_ms: 1}}]"),
             Catch::Contains("treshold_ms"));
  CHECK_THAT(
      DecodeError("policies: [{name: a, type: ottl_condition, ottl_condition: {error_mode: loud, span: "
                  "['true']}}]"),
      Catch::Contains("unknown error mode loud"));
  CHECK_THAT(DecodeError("policies: [{name: a, type: numeric_attribute, numeric_attribute: {key: k}}]"),
             Catch::Contains("At least one of minValue or maxValue must be set"));
  CHECK_THAT(DecodeError("decision_wait: soon"), Catch::Contains("decision_wait"));
  CHECK_THAT(
      DecodeError("sampling_strategy: span-ingest\npolicies: [{name: r, type: rate_limiting, rate_limiting: "
                  "{spans_per_second: 5}}]"),
      Catch::Contains("sampling_strategy \"span-ingest\" requires all policies to be stateless, but policy "
                      "\"r\" is stateful"));
  CHECK(DecodeError("sampling_strategy: span-ingest\npolicies: [{name: c, type: span_count, span_count: "
                    "{min_spans: 2}}]")
            .empty());
  CHECK_THAT(DecodeError("tail_storage: memory"), Catch::Contains("feature gate"));
  CHECK_THAT(DecodeError("bogus: 1"), Catch::Contains("bogus"));
}

TEST_CASE("SplitByTrace groups spans per resource and trace without decoding them") {
  ExportTraceServiceRequest req = Request(
      {{.trace = 1, .span = 1}, {.trace = 2, .span = 2, .parent = 9}, {.trace = 1, .span = 3, .parent = 1}});
  auto* ss2 = req.mutable_resource_spans(0)->add_scope_spans();
  ss2->mutable_scope()->set_name("lib2");
  AddSpan(ss2, {.trace = 2, .span = 4, .parent = 2});
  req.mutable_resource_spans(0)->set_schema_url("https://schema");
  auto r = SplitByTrace(req.SerializeAsString());
  REQUIRE(r.ok());
  REQUIRE(r->size() == 2);
  const TraceFragment& t1 = (*r)[0];
  const TraceFragment& t2 = (*r)[1];
  CHECK(t1.spans == 2);
  CHECK(t1.has_root);
  CHECK(t2.spans == 2);
  CHECK_FALSE(t2.has_root);
  ExportTraceServiceRequest a;
  REQUIRE(a.ParseFromString(t1.bytes));
  REQUIRE(a.resource_spans_size() == 1);
  CHECK(a.resource_spans(0).resource().attributes(0).value().string_value() == "svc");
  CHECK(a.resource_spans(0).schema_url().empty());  // as otelcol's regrouping
  REQUIRE(a.resource_spans(0).scope_spans_size() == 1);
  CHECK(a.resource_spans(0).scope_spans(0).spans_size() == 2);
  CHECK(a.resource_spans(0).scope_spans(0).spans(1).span_id() ==
        req.resource_spans(0).scope_spans(0).spans(2).span_id());
  CHECK(t1.resource_spans_size == a.resource_spans(0).ByteSizeLong());
  ExportTraceServiceRequest b;
  REQUIRE(b.ParseFromString(t2.bytes));
  REQUIRE(b.resource_spans(0).scope_spans_size() == 2);
  CHECK(b.resource_spans(0).scope_spans(1).scope().name() == "lib2");
  // Spans are the received bytes.
  CHECK(b.resource_spans(0).scope_spans(1).spans(0).SerializeAsString() ==
        req.resource_spans(0).scope_spans(1).spans(0).SerializeAsString());
  CHECK_FALSE(SplitByTrace(std::string("\x0a\x05\x12\x03", 4)).ok());
}

TEST_CASE("probabilistic hash and threshold match contrib's arithmetic") {
  TraceId id{};
  for (int i = 0; i < 16; ++i) id[static_cast<std::size_t>(i)] = static_cast<unsigned char>(i + 1);
  CHECK(HashTraceId("default-hash-seed", id) == 15838989281584434349ull);
  CHECK(ProbabilisticThreshold(0.5) == 9223372036854775807ull);
  CHECK(ProbabilisticThreshold(1) == 18446744073709551615ull);
  CHECK(ProbabilisticThreshold(2) == 18446744073709551615ull);
  CHECK(ProbabilisticThreshold(0) == 0);
  CHECK(ProbabilisticThreshold(-1) == 0);
}

TEST_CASE("trace state lookup follows Go's W3C parser") {
  CHECK(TraceStateGet("a=1,b=2", "b") == "2");
  CHECK(TraceStateGet(" a=1 , b=2\t", "b") == "2");
  CHECK(TraceStateGet("a=1,,b=2", "a") == "1");
  CHECK(TraceStateGet("a=1,a=2", "a").empty());  // duplicate: invalid
  CHECK(TraceStateGet("A=1", "A").empty());      // upper case key: invalid
  CHECK(TraceStateGet("t@v=1", "t@v") == "1");
  CHECK(TraceStateGet("a=1,bad", "a").empty());
  CHECK(TraceStateGet("", "a").empty());
}

TEST_CASE("a trace is decided decision_wait after its first span, in 1s batches") {
  Harness h("decision_wait: 2s\npolicies: [{name: all, type: always_sample}]");
  h.Send({{.trace = 1, .span = 1}});
  h.Ticks(1);
  h.Send({{.trace = 1, .span = 2, .parent = 1}});
  h.Ticks(1);
  CHECK(h.sink.calls() == 0);
  CHECK(h.processor->traces_in_memory() == 1);
  h.Ticks(1);  // batches = 2: the third tick takes the batch it was added to
  CHECK(h.Traces() == std::multiset<int>{1});
  CHECK(h.Spans() == 2);
  // Both requests' bytes, one trace, one request downstream.
  CHECK(h.sink.calls() == 1);
  CHECK(h.processor->stats().global_traces[0] == 1);
  CHECK(h.processor->stats().new_trace_ids == 1);
}

TEST_CASE("status_code keeps only the traces with an error span") {
  Harness h(Policies("  - {name: errors, type: status_code, status_code: {status_codes: [ERROR]}}\n"));
  h.Send(
      {{.trace = 1, .span = 1}, {.trace = 2, .span = 2}, {.trace = 2, .span = 3, .parent = 2, .status = 2}});
  h.Ticks(2);
  CHECK(h.Traces() == std::multiset<int>{2});
  CHECK(h.Spans() == 2);
  CHECK(h.telemetry[Signal::kTraces].dropped == 1);
  CHECK(h.processor->stats().policies[0]->traces[0] == 1);
  CHECK(h.processor->stats().policies[0]->traces[1] == 1);
}

TEST_CASE("any drop policy drops, ahead of every sampling policy") {
  Harness h(Policies(R"(  - {name: all, type: always_sample}
  - name: no-health
    type: drop
    drop:
      drop_sub_policy:
        - {name: health, type: string_attribute, string_attribute: {key: http.route, values: [/health]}}
)"));
  h.Send({{.trace = 1, .span = 1, .str_attrs = {{"http.route", "/health"}}}, {.trace = 2, .span = 2}});
  h.Ticks(2);
  CHECK(h.Traces() == std::multiset<int>{2});
  CHECK(h.processor->stats().global_traces[2] == 1);
}

TEST_CASE("sample_on_first_match stops at the first Sampled") {
  const std::string body =
      "  - {name: a, type: always_sample}\n"
      "  - {name: b, type: status_code, status_code: {status_codes: [UNSET]}}\n";
  Harness all(Policies(body));
  all.Send({{.trace = 1}});
  all.Ticks(2);
  CHECK(all.processor->stats().policies[1]->executions == 1);
  Harness first("sample_on_first_match: true\n" + Policies(body));
  first.Send({{.trace = 1}});
  first.Ticks(2);
  CHECK(first.processor->stats().policies[1]->executions == 0);
  CHECK(first.Traces() == std::multiset<int>{1});
}

TEST_CASE("policies: latency, numeric, boolean, string (regex, invert), trace_state, span_count, flags") {
  SECTION("latency over the whole trace's window") {
    Harness h(Policies("  - {name: slow, type: latency, latency: {threshold_ms: 100}}\n"));
    h.Send({{.trace = 1, .span = 1, .start = 1000000000, .end = 1050000000},
            {.trace = 1, .span = 2, .parent = 1, .start = 1060000000, .end = 1101000000},
            {.trace = 2, .span = 3, .start = 1000000000, .end = 1100000000}});
    h.Ticks(2);
    CHECK(h.Traces() == std::multiset<int>{1});  // 101 ms > 100; trace 2 is exactly 100
  }
  SECTION("numeric_attribute with invert") {
    Harness h(
        Policies("  - {name: n, type: numeric_attribute, numeric_attribute: {key: code, min_value: 500, "
                 "max_value: 599}}\n"
                 "  - {name: i, type: numeric_attribute, numeric_attribute: {key: x, min_value: 1, "
                 "invert_match: true}}\n"));
    h.Send({{.trace = 1, .int_attrs = {{"code", 503}, {"x", 5}}},
            {.trace = 2, .int_attrs = {{"code", 200}, {"x", 5}}},
            {.trace = 3, .int_attrs = {{"code", 200}, {"x", 0}}}});
    h.Ticks(2);
    CHECK(h.Traces() == std::multiset<int>{1, 3});
  }
  SECTION("boolean_attribute") {
    Harness h(
        Policies("  - {name: b, type: boolean_attribute, boolean_attribute: {key: keep, value: true}}\n"));
    h.Send({{.trace = 1, .bool_attrs = {{"keep", true}}}, {.trace = 2, .bool_attrs = {{"keep", false}}}});
    h.Ticks(2);
    CHECK(h.Traces() == std::multiset<int>{1});
  }
  SECTION("string_attribute regex on resource and span, and invert") {
    Harness h(Policies(
        "  - {name: s, type: string_attribute, string_attribute: {key: service.name, values: ['^pay'], "
        "enabled_regex_matching: true}}\n"));
    h.Send({{.trace = 1}}, "payments");
    h.Send({{.trace = 2}}, "cart");
    h.Ticks(2);
    CHECK(h.Traces() == std::multiset<int>{1});
    Harness inv(
        Policies("  - {name: s, type: string_attribute, string_attribute: {key: env, values: [test], "
                 "invert_match: true}}\n"));
    inv.Send({{.trace = 1, .str_attrs = {{"env", "test"}}},
              {.trace = 2, .str_attrs = {{"env", "prod"}}},
              {.trace = 3, .span = 3},
              {.trace = 3, .span = 4, .parent = 3, .str_attrs = {{"env", "test"}}}});
    inv.Ticks(2);
    CHECK(inv.Traces() == std::multiset<int>{2});
  }
  SECTION("trace_state, span_count and trace_flags") {
    Harness h(
        Policies("  - {name: t, type: trace_state, trace_state: {key: vendor, values: [keep]}}\n"
                 "  - {name: c, type: span_count, span_count: {min_spans: 3}}\n"
                 "  - {name: f, type: trace_flags}\n"));
    h.Send({{.trace = 1, .trace_state = "vendor=keep"},
            {.trace = 2, .trace_state = "vendor=drop"},
            {.trace = 3, .span = 1},
            {.trace = 3, .span = 2, .parent = 1},
            {.trace = 3, .span = 3, .parent = 1},
            {.trace = 4, .flags = 1},
            {.trace = 5, .flags = 0x100}});
    h.Ticks(2);
    CHECK(h.Traces() == std::multiset<int>{1, 3, 4});
  }
}

TEST_CASE("policies: probabilistic, and/not, ottl_condition") {
  SECTION("probabilistic keeps what the hash puts under the threshold") {
    Harness h(Policies("  - {name: p, type: probabilistic, probabilistic: {sampling_percentage: 50}}\n"));
    std::vector<SpanSpec> spans;
    std::multiset<int> expected;
    const std::uint64_t threshold = ProbabilisticThreshold(0.5);
    for (int i = 1; i <= 40; ++i) {
      spans.push_back({.trace = i, .span = i});
      if (HashTraceId("default-hash-seed", Id(i)) <= threshold) expected.insert(i);
    }
    h.Send(spans);
    h.Ticks(2);
    CHECK(h.Traces() == expected);
    CHECK(!expected.empty());
    CHECK(expected.size() < 40);
  }
  SECTION("and with not") {
    Harness h(Policies(R"(  - name: errors-not-health
    type: and
    and:
      and_sub_policy:
        - {name: e, type: status_code, status_code: {status_codes: [ERROR]}}
        - name: n
          type: not
          not:
            not_sub_policy: {name: h, type: string_attribute, string_attribute: {key: route, values: [/health]}}
)"));
    h.Send({{.trace = 1, .status = 2},
            {.trace = 2, .status = 2, .str_attrs = {{"route", "/health"}}},
            {.trace = 3}});
    h.Ticks(2);
    CHECK(h.Traces() == std::multiset<int>{1});
  }
  SECTION("ottl_condition on spans and span events") {
    Harness h(Policies(R"(  - name: o
    type: ottl_condition
    ottl_condition:
      span: ['attributes["tenant"] == "gold"']
      spanevent: ['name == "exception"']
)"));
    ExportTraceServiceRequest req =
        Request({{.trace = 1, .str_attrs = {{"tenant", "gold"}}}, {.trace = 2}, {.trace = 3}});
    req.mutable_resource_spans(0)->mutable_scope_spans(0)->mutable_spans(2)->add_events()->set_name(
        "exception");
    REQUIRE(h.processor->Consume(ToPayload(req)).ok());
    h.Ticks(2);
    CHECK(h.Traces() == std::multiset<int>{1, 3});
  }
  SECTION("ottl_condition errors: propagate is an error decision, ignored") {
    Harness h(Policies(R"(  - name: o
    type: ottl_condition
    ottl_condition:
      error_mode: propagate
      span: ['Int(attributes["n"]) > 1']
)"));
    h.Send({{.trace = 1, .str_attrs = {{"n", "x"}}}, {.trace = 2, .int_attrs = {{"n", 5}}}});
    h.Ticks(2);
    CHECK(h.Traces() == std::multiset<int>{2});
    CHECK(h.processor->stats().evaluation_errors == 1);
  }
}

TEST_CASE("rate_limiting, bytes_limiting and composite follow the injected clock") {
  SECTION("rate_limiting: a burst of 2 x spans_per_second, refilled over time") {
    Harness h(Policies("  - {name: r, type: rate_limiting, rate_limiting: {spans_per_second: 2}}\n"));
    h.Send({{.trace = 1}, {.trace = 2}, {.trace = 3}, {.trace = 4}, {.trace = 5}});
    h.Ticks(2);
    CHECK(h.Traces().size() == 4);  // burst 4
    h.Send({{.trace = 6}, {.trace = 7}, {.trace = 8}, {.trace = 9}, {.trace = 10}});
    h.Ticks(2);  // decided two seconds later: 4 tokens again
    CHECK(h.Traces().size() == 8);
  }
  SECTION("bytes_limiting counts the trace's serialized size") {
    Harness h(Policies(
        "  - {name: b, type: bytes_limiting, bytes_limiting: {bytes_per_second: 10, burst_capacity: 10}}\n"));
    h.Send({{.trace = 1}});
    h.Ticks(2);
    CHECK(h.Traces().empty());  // a trace is far over 10 bytes
  }
  SECTION("composite: the first sub-policy that samples spends its share of the second") {
    Harness h(Policies(R"(  - name: c
    type: composite
    composite:
      max_total_spans_per_second: 4
      composite_sub_policy:
        - {name: errors, type: status_code, status_code: {status_codes: [ERROR]}}
        - {name: rest, type: always_sample}
      rate_allocation: [{policy: errors, percent: 50}]
)"));
    h.Send({{.trace = 1, .status = 2},
            {.trace = 2, .status = 2},
            {.trace = 3, .status = 2},
            {.trace = 4},
            {.trace = 5},
            {.trace = 6}});
    h.Ticks(2);
    // errors: 2 spans/s, rest: 4 / 2 subs = 2 spans/s.
    CHECK(h.Traces() == std::multiset<int>{1, 2, 4, 5});
  }
}

TEST_CASE("late spans follow the decision: in memory, and through the decision caches") {
  SECTION("no cache: the decided entry stays and decides late spans") {
    Harness h(Policies("  - {name: e, type: status_code, status_code: {status_codes: [ERROR]}}\n"));
    h.Send({{.trace = 1, .status = 2}, {.trace = 2}});
    h.Ticks(2);
    CHECK(h.Traces() == std::multiset<int>{1});
    h.Send({{.trace = 1, .span = 5, .parent = 1}, {.trace = 2, .span = 6, .parent = 1, .status = 2}});
    CHECK(h.Traces() == std::multiset<int>{1, 1});  // forwarded at once; trace 2 stays not sampled
    CHECK(h.processor->traces_in_memory() == 2);
  }
  SECTION("caches: the entries leave memory, the caches decide") {
    Harness h("decision_cache: {sampled_cache_size: 10, non_sampled_cache_size: 10}\n" +
              Policies("  - {name: e, type: status_code, status_code: {status_codes: [ERROR]}}\n"));
    h.Send({{.trace = 1, .status = 2}, {.trace = 2}});
    h.Ticks(2);
    CHECK(h.processor->traces_in_memory() == 0);
    h.Send({{.trace = 1, .span = 5, .parent = 1}, {.trace = 2, .span = 6, .parent = 1, .status = 2}});
    CHECK(h.Traces() == std::multiset<int>{1, 1});
    CHECK(h.processor->stats().early_release_sampled == 1);
    CHECK(h.processor->stats().early_release_not_sampled == 1);
    CHECK(h.processor->traces_in_memory() == 0);
  }
}

TEST_CASE("num_traces: the oldest trace is decided early to make room, never dropped unsaid") {
  Harness h("num_traces: 2\n" + Policies("  - {name: all, type: always_sample}\n"));
  h.Send({{.trace = 1}});
  h.Send({{.trace = 2}});
  h.Send({{.trace = 3}});
  CHECK(h.Traces() == std::multiset<int>{1});
  CHECK(h.processor->traces_in_memory() == 2);
  h.Send({{.trace = 4}});
  CHECK(h.Traces() == std::multiset<int>{1, 2});
  h.Ticks(2);
  CHECK(h.Traces() == std::multiset<int>{1, 2, 3, 4});
  CHECK(h.processor->stats().global_traces[0] == 4);
  CHECK(h.processor->stats().dropped_too_early == 0);
}

TEST_CASE("maximum_trace_size_bytes decides a trace not sampled once it grows past the cap") {
  Harness h("maximum_trace_size_bytes: 150\n" + Policies("  - {name: all, type: always_sample}\n"));
  h.Send({{.trace = 1, .span = 1}, {.trace = 2, .span = 2}});
  h.Send({{.trace = 1, .span = 3, .parent = 1, .name = std::string(200, 'x')}});
  h.Ticks(2);
  CHECK(h.Traces() == std::multiset<int>{2});
  CHECK(h.processor->stats().dropped_too_large == 1);
}

TEST_CASE("decision_wait_after_root_received decides a trace early once its root arrived") {
  Harness h(
      "decision_wait: 10s\ndecision_wait_after_root_received: 1s\npolicies: [{name: a, type: "
      "always_sample}]");
  h.Send({{.trace = 1, .span = 2, .parent = 1}, {.trace = 2, .span = 3, .parent = 1}});
  h.Ticks(1);
  h.Send({{.trace = 1, .span = 1}});
  h.Ticks(2);
  CHECK(h.Traces() == std::multiset<int>{1});
  h.Ticks(9);
  CHECK(h.Traces() == std::multiset<int>{1, 2});
}

TEST_CASE("shutdown decides every pending trace, unless drop_pending_traces_on_shutdown") {
  Harness h(Policies("  - {name: all, type: always_sample}\n"));
  h.Send({{.trace = 1}});
  h.Ticks(1);
  h.Send({{.trace = 2}});
  h.processor->Shutdown(std::chrono::steady_clock::now());
  CHECK(h.Traces() == std::multiset<int>{1, 2});

  Harness d("drop_pending_traces_on_shutdown: true\n" + Policies("  - {name: all, type: always_sample}\n"));
  d.Send({{.trace = 1}});
  d.processor->Shutdown(std::chrono::steady_clock::now());
  CHECK(d.Traces().empty());
  CHECK(d.telemetry[Signal::kTraces].dropped == 1);
}

TEST_CASE("num_shards splits traces over shards and rates over shards") {
  Harness h("num_shards: 4\n" + Policies("  - {name: all, type: always_sample}\n"));
  std::vector<SpanSpec> spans;
  for (int i = 1; i <= 20; ++i) spans.push_back({.trace = i, .span = i});
  h.Send(spans);
  h.Ticks(2);
  CHECK(h.Traces().size() == 20);
}

TEST_CASE("policy metrics are named after the processor") {
  ProcessorOptions o;
  o.ticker = false;
  o.name = "gw";
  test::Sink sink;
  auto cfg = std::make_shared<const Config>(Decode("policies: [{name: p1, type: always_sample}]"));
  TailSamplingProcessor p(cfg, &sink, nullptr, o);
  CHECK(p.stats().policies.at(0)->name == "gw.p1");
}

TEST_CASE("the ticker thread decides traces on its own") {
  auto cfg =
      std::make_shared<const Config>(Decode("decision_wait: 1s\npolicies: [{name: a, type: always_sample}]"));
  test::Sink sink;
  TailSamplingProcessor p(cfg, &sink, nullptr);
  REQUIRE(p.Start().ok());
  REQUIRE(p.Consume(ToPayload(Request({{.trace = 1}}))).ok());
  CHECK(test::WaitFor([&] { return sink.items() == 1; }));
  p.Shutdown(std::chrono::steady_clock::now());
}

TEST_CASE("otelcol's tail_sampling metrics reach the self-telemetry") {
  Telemetry registry;
  ComponentTelemetry* t = registry.Register("processor", "tail_sampling/gw");
  ProcessorOptions o;
  o.ticker = false;
  o.name = "gw";
  auto now = std::chrono::steady_clock::time_point(std::chrono::hours(1));
  o.now = [&] { return now; };
  test::Sink sink;
  auto cfg = std::make_shared<const Config>(
      Decode("decision_wait: 1s\ndecision_cache: {sampled_cache_size: 10}\n"
             "policies: [{name: e, type: status_code, status_code: {status_codes: [ERROR]}}]"));
  TailSamplingProcessor p(cfg, &sink, t, o);
  REQUIRE(p.Consume(ToPayload(Request({{.trace = 1, .status = 2}, {.trace = 2}}))).ok());
  p.Tick();
  p.Tick();
  REQUIRE(p.Consume(ToPayload(Request({{.trace = 1, .span = 2, .parent = 1}}))).ok());
  const std::string text =
      selftelemetry::RenderText(selftelemetry::CollectComponents(registry, selftelemetry::Wiring{},
                                                                 selftelemetry::MetricsLevel::kNormal),
                                {});
  INFO(text);
  const std::string labels = "otelcol_component_id=\"tail_sampling/gw\",otelcol_component_kind=\"processor\"";
  CHECK_THAT(text,
             Catch::Contains("otelcol_processor_tail_sampling_count_traces_sampled{decision=\"sampled\"," +
                             labels + ",policy=\"gw.e\",sampled=\"true\"} 1\n"));
  CHECK_THAT(
      text, Catch::Contains("otelcol_processor_tail_sampling_count_traces_sampled{decision=\"not_sampled\"," +
                            labels + ",policy=\"gw.e\",sampled=\"false\"} 1\n"));
  CHECK_THAT(text, Catch::Contains(
                       "otelcol_processor_tail_sampling_global_count_traces_sampled{decision=\"sampled\"," +
                       labels + ",sampled=\"true\"} 1\n"));
  CHECK_THAT(text, Catch::Contains("otelcol_processor_tail_sampling_early_releases_from_cache_decision{" +
                                   labels + ",sampled=\"true\"} 1\n"));
  CHECK_THAT(text,
             Catch::Contains("otelcol_processor_tail_sampling_new_trace_id_received{" + labels + "} 2\n"));
  CHECK_THAT(text, Catch::Contains("otelcol_processor_tail_sampling_sampling_policy_execution_count{" +
                                   labels + ",policy=\"gw.e\"} 2\n"));
  CHECK_THAT(text,
             Catch::Contains("# TYPE otelcol_processor_tail_sampling_sampling_traces_on_memory gauge\n"));
  CHECK_THAT(
      text, Catch::Contains("otelcol_processor_tail_sampling_sampling_traces_on_memory{" + labels + "} 1\n"));
  CHECK_THAT(text, Catch::Contains(
                       "otelcol_processor_tail_sampling_sampling_decision_timer_latency_bucket{le=\"1\"," +
                       labels + "} 2\n"));
  CHECK_THAT(text, Catch::Contains("otelcol_processor_tail_sampling_sampling_trace_removal_age_count{" +
                                   labels + "} 1\n"));
}

TEST_CASE("concurrent requests with the ticker running: every span of a sampled trace comes out once") {
  auto cfg = std::make_shared<const Config>(Decode(
      "decision_wait: 1s\nnum_traces: 100\nnum_shards: 2\npolicies: [{name: a, type: always_sample}]"));
  test::Sink sink;
  TailSamplingProcessor p(cfg, &sink, nullptr);
  REQUIRE(p.Start().ok());
  std::vector<std::thread> threads;
  std::atomic<std::uint64_t> sent{0};
  for (int w = 0; w < 4; ++w) {
    threads.emplace_back([&, w] {
      for (int r = 0; r < 200; ++r) {
        // Traces shared between threads: ids cycle over 250 values.
        std::vector<SpanSpec> spans;
        for (int i = 0; i < 5; ++i) spans.push_back({.trace = (w * 37 + r * 5 + i) % 250 + 1, .span = i + 1});
        if (!p.Consume(ToPayload(Request(spans))).ok()) return;
        sent += spans.size();
      }
    });
  }
  for (auto& t : threads) t.join();
  p.Shutdown(std::chrono::steady_clock::now());
  CHECK(sent == 4000);
  CHECK(sink.items() == sent);
  CHECK(p.stats().held_bytes == 0);
  CHECK(p.traces_in_memory() <= 100);
}

TEST_CASE("span-ingest decides on arrival; what nothing samples is not sampled at its tick") {
  Harness h("sampling_strategy: span-ingest\n" +
            Policies("  - {name: e, type: status_code, status_code: {status_codes: [ERROR]}}\n"));
  h.Send({{.trace = 1, .span = 1}, {.trace = 2, .span = 2}});
  CHECK(h.Traces().empty());
  // An error span samples trace 1 at once, with what it held.
  h.Send({{.trace = 1, .span = 3, .parent = 1, .status = 2}});
  CHECK(h.Traces() == std::multiset<int>{1});
  CHECK(h.Spans() == 2);
  // Later spans follow; trace 2 is not sampled at its tick and leaves memory.
  h.Send({{.trace = 1, .span = 4, .parent = 1}});
  CHECK(h.Spans() == 3);
  h.Ticks(2);
  CHECK(h.Traces() == std::multiset<int>{1, 1});
  CHECK(h.processor->traces_in_memory() == 1);
  // A span of trace 2 after that starts it anew, and an error samples it.
  h.Send({{.trace = 2, .span = 5, .status = 2}});
  CHECK(h.Traces() == std::multiset<int>{1, 1, 2});
}

TEST_CASE(
    "span-ingest: a drop policy that does not drop keeps the sampling policies from deciding the batch") {
  Harness h("sampling_strategy: span-ingest\n" + Policies(R"(  - {name: all, type: always_sample}
  - name: no-health
    type: drop
    drop:
      drop_sub_policy:
        - {name: health, type: string_attribute, string_attribute: {key: http.route, values: [/health]}}
)"));
  h.Send({{.trace = 1, .str_attrs = {{"http.route", "/health"}}}, {.trace = 2}});
  h.Ticks(2);
  CHECK(h.Traces().empty());  // 1 dropped on ingest, 2 pending, then not sampled
  CHECK(h.processor->stats().global_traces[2] == 1);
  CHECK(h.processor->stats().global_traces[1] == 1);
}

TEST_CASE("decision_wait under a second (or negative, as Go parses it) still waits one batch") {
  for (const char* wait : {"500ms", "-1s", "0s"}) {
    Harness h(std::string("decision_wait: ") + wait + "\npolicies: [{name: a, type: always_sample}]");
    h.Send({{.trace = 1}});
    h.Ticks(1);
    CHECK(h.Traces().empty());
    h.Ticks(1);
    CHECK(h.Traces() == std::multiset<int>{1});
  }
}
