// Differential test of the tail_sampling processor against otelcol-contrib's
// (v0.161.0, the Go code run by otelcol_diff/main.go): the same random trace
// stream (several requests, traces split across them and across resources)
// through both, with the same deterministic policies, must keep exactly the
// same trace ids with the same span counts. Both sides decide every trace at
// shutdown (drop_pending_traces_on_shutdown false). Rate-based policies are
// configured so they never bind: contrib decides a batch in Go map order, so
// which trace a binding limit cuts is not reproducible even by contrib.
//
// Usage: otelcol_diff_test HARNESS WORKDIR [SEEDS]
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "config/error.h"
#include "config/loader.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "processors/tail_sampling/config.h"
#include "processors/tail_sampling/tail_sampling_processor.h"
#include "test/support/sink.h"

namespace fs = std::filesystem;
using namespace otlpd;
using namespace otlpd::processors::tail_sampling;
using opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;
namespace tracepb = opentelemetry::proto::trace::v1;

namespace {

// The configs every seed runs (JSON, which both sides read). decision_wait is
// long: every decision happens at shutdown, on both sides.
const std::vector<std::string> kConfigs = {
    R"({"policies": [{"name": "errors", "type": "status_code", "status_code": {"status_codes": ["ERROR"]}}]})",
    R"({"policies": [{"name": "slow", "type": "latency", "latency": {"threshold_ms": 400}},
                     {"name": "mid", "type": "latency", "latency": {"threshold_ms": 100, "upper_threshold_ms": 200}}]})",
    R"({"policies": [{"name": "p", "type": "probabilistic", "probabilistic": {"sampling_percentage": 30}},
                     {"name": "q", "type": "probabilistic", "probabilistic": {"hash_salt": "salty", "sampling_percentage": 12.5}}]})",
    R"({"policies": [{"name": "re", "type": "string_attribute",
                      "string_attribute": {"key": "http.route", "values": ["^/api/v[12]"], "enabled_regex_matching": true}},
                     {"name": "svc", "type": "string_attribute", "string_attribute": {"key": "service.name", "values": ["svc-2"]}}]})",
    R"({"policies": [{"name": "inv", "type": "string_attribute",
                      "string_attribute": {"key": "http.route", "values": ["/health", "/ready"], "invert_match": true}}]})",
    R"({"policies": [{"name": "num", "type": "numeric_attribute", "numeric_attribute": {"key": "http.status_code", "min_value": 500, "max_value": 599}},
                     {"name": "ninv", "type": "numeric_attribute", "numeric_attribute": {"key": "retries", "min_value": 1, "invert_match": true}}]})",
    R"({"policies": [{"name": "b", "type": "boolean_attribute", "boolean_attribute": {"key": "debug", "value": true}},
                     {"name": "binv", "type": "boolean_attribute", "boolean_attribute": {"key": "cached", "value": true, "invert_match": true}}]})",
    R"({"policies": [{"name": "and", "type": "and", "and": {"and_sub_policy": [
                        {"name": "e", "type": "status_code", "status_code": {"status_codes": ["ERROR", "OK"]}},
                        {"name": "n", "type": "not", "not": {"not_sub_policy":
                            {"name": "h", "type": "string_attribute", "string_attribute": {"key": "http.route", "values": ["/health"]}}}}]}}]})",
    R"({"policies": [{"name": "all", "type": "always_sample"},
                     {"name": "drop-health", "type": "drop", "drop": {"drop_sub_policy": [
                        {"name": "h", "type": "string_attribute", "string_attribute": {"key": "http.route", "values": ["/health"]}},
                        {"name": "c", "type": "span_count", "span_count": {"min_spans": 2}}]}}]})",
    R"({"policies": [{"name": "count", "type": "span_count", "span_count": {"min_spans": 3, "max_spans": 6}},
                     {"name": "ts", "type": "trace_state", "trace_state": {"key": "vendor", "values": ["keep", "also"]}},
                     {"name": "flags", "type": "trace_flags"}]})",
    R"({"policies": [{"name": "ottl", "type": "ottl_condition", "ottl_condition": {
                        "span": ["attributes[\"tenant\"] == \"gold\"", "kind == SPAN_KIND_SERVER and end_time_unix_nano - start_time_unix_nano > 300000000"],
                        "spanevent": ["name == \"exception\""]}}]})",
    R"({"policies": [{"name": "comp", "type": "composite", "composite": {"max_total_spans_per_second": 1000000,
                        "policy_order": ["e", "p"],
                        "composite_sub_policy": [
                          {"name": "e", "type": "status_code", "status_code": {"status_codes": ["ERROR"]}},
                          {"name": "p", "type": "and", "and": {"and_sub_policy": [
                             {"name": "p1", "type": "probabilistic", "probabilistic": {"sampling_percentage": 40}},
                             {"name": "p2", "type": "latency", "latency": {"threshold_ms": 50}}]}}],
                        "rate_allocation": [{"policy": "e", "percent": 60}]}},
                     {"name": "rl", "type": "rate_limiting", "rate_limiting": {"spans_per_second": 1000000}},
                     {"name": "bl", "type": "bytes_limiting", "bytes_limiting": {"bytes_per_second": 100000000}}]})",
    R"({"sample_on_first_match": true, "maximum_trace_size_bytes": 900,
        "policies": [{"name": "all", "type": "always_sample"},
                     {"name": "errors", "type": "status_code", "status_code": {"status_codes": ["ERROR"]}}]})",
    R"({"num_shards": 3, "policies": [{"name": "drop-debug", "type": "drop", "drop": {"drop_sub_policy": [
                        {"name": "d", "type": "boolean_attribute", "boolean_attribute": {"key": "debug", "value": true}}]}},
                     {"name": "p", "type": "probabilistic", "probabilistic": {"sampling_percentage": 50}}]})",
    R"({"sampling_strategy": "span-ingest", "policies": [
        {"name": "errors", "type": "status_code", "status_code": {"status_codes": ["ERROR"]}},
        {"name": "vip", "type": "string_attribute", "string_attribute": {"key": "tenant", "values": ["gold"]}}]})",
    R"({"sampling_strategy": "span-ingest", "policies": [
        {"name": "n", "type": "numeric_attribute", "numeric_attribute": {"key": "http.status_code", "min_value": 500}},
        {"name": "d", "type": "drop", "drop": {"drop_sub_policy": [
           {"name": "h", "type": "string_attribute", "string_attribute": {"key": "http.route", "values": ["/ready"]}}]}}]})",
    // Refused by both: no such span path, a status code otelcol does not know, no condition.
    R"({"policies": [{"name": "bad", "type": "ottl_condition", "ottl_condition": {"span": ["duration > 3"]}}]})",
    R"({"policies": [{"name": "bad", "type": "status_code", "status_code": {"status_codes": ["FAILED"]}}]})",
    R"({"policies": [{"name": "bad", "type": "and", "and": {"and_sub_policy": [{"name": "x", "type": "ottl_condition"}]}}]})",
    R"({"sampling_strategy": "span-ingest", "policies": [{"name": "c", "type": "composite", "composite": {
        "max_total_spans_per_second": 10, "composite_sub_policy": [{"name": "r", "type": "rate_limiting",
        "rate_limiting": {"spans_per_second": 1}}]}}]})",
};

void PutStr(google::protobuf::RepeatedPtrField<opentelemetry::proto::common::v1::KeyValue>* kvs,
            std::string k, std::string v) {
  auto* kv = kvs->Add();
  kv->set_key(std::move(k));
  kv->mutable_value()->set_string_value(std::move(v));
}

// A stream of requests: traces of 1..8 spans spread over 1..3 resources and
// over the requests, with attributes the policies look at.
std::vector<std::string> RandomRequests(std::mt19937_64& rng, int count) {
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  std::vector<ExportTraceServiceRequest> reqs(static_cast<std::size_t>(count));
  const char* routes[] = {"/health", "/ready", "/api/v1/pay", "/api/v2/cart", "/api/v3/x", "/"};
  const int traces = 20 + pick(40);
  for (int t = 0; t < traces; ++t) {
    std::string trace_id(16, '\0');
    for (char& c : trace_id) c = static_cast<char>(rng());
    if (pick(20) == 0) trace_id.assign(16, '\0');  // a span without a trace id
    const int spans = 1 + pick(8);
    const std::uint64_t base = 1700000000000000000ull + static_cast<std::uint64_t>(pick(1000)) * 1000000ull;
    for (int s = 0; s < spans; ++s) {
      ExportTraceServiceRequest& req = reqs[static_cast<std::size_t>(pick(count))];
      const int resource = pick(3);
      while (req.resource_spans_size() <= resource) {
        auto* rs = req.add_resource_spans();
        PutStr(rs->mutable_resource()->mutable_attributes(), "service.name",
               "svc-" + std::to_string(req.resource_spans_size() - 1));
        if (pick(4) == 0) rs->set_schema_url("https://opentelemetry.io/schemas/1.21.0");
        auto* ss = rs->add_scope_spans();
        ss->mutable_scope()->set_name("lib-" + std::to_string(pick(2)));
        if (pick(3) == 0) rs->add_scope_spans()->mutable_scope()->set_name("lib-other");
      }
      auto* rs = req.mutable_resource_spans(resource);
      auto* span = rs->mutable_scope_spans(pick(rs->scope_spans_size()))->add_spans();
      span->set_trace_id(trace_id);
      std::string span_id(8, '\0');
      for (char& c : span_id) c = static_cast<char>(rng());
      span->set_span_id(span_id);
      if (s > 0 || pick(4) == 0) span->set_parent_span_id(std::string(8, static_cast<char>(1 + pick(200))));
      span->set_name("op-" + std::to_string(pick(5)));
      span->set_kind(static_cast<tracepb::Span_SpanKind>(pick(6)));
      const std::uint64_t start = base + static_cast<std::uint64_t>(pick(300)) * 1000000ull;
      span->set_start_time_unix_nano(start);
      span->set_end_time_unix_nano(start + static_cast<std::uint64_t>(pick(500)) * 1000000ull +
                                   pick(1000000));
      span->mutable_status()->set_code(static_cast<tracepb::Status_StatusCode>(pick(12) == 0 ? 2 : pick(2)));
      auto* attrs = span->mutable_attributes();
      if (pick(2)) PutStr(attrs, "http.route", routes[pick(6)]);
      if (pick(3) == 0) {
        auto* kv = attrs->Add();
        kv->set_key("http.status_code");
        kv->mutable_value()->set_int_value(pick(2) ? 200 : 500 + pick(120));
      }
      if (pick(4) == 0) {
        auto* kv = attrs->Add();
        kv->set_key("retries");
        kv->mutable_value()->set_int_value(pick(3));
      }
      if (pick(6) == 0) {
        auto* kv = attrs->Add();
        kv->set_key("debug");
        kv->mutable_value()->set_bool_value(pick(2) == 0);
      }
      if (pick(5) == 0) {
        auto* kv = attrs->Add();
        kv->set_key("cached");
        kv->mutable_value()->set_bool_value(pick(2) == 0);
      }
      if (pick(8) == 0) PutStr(attrs, "tenant", pick(2) ? "gold" : "silver");
      if (pick(6) == 0) span->set_trace_state(pick(2) ? "vendor=keep,other=1" : "vendor=drop");
      if (pick(9) == 0) span->set_flags(static_cast<std::uint32_t>(pick(2) ? 0x101 : 0x100));
      if (pick(7) == 0) span->add_events()->set_name(pick(2) ? "exception" : "log");
    }
  }
  std::vector<std::string> out;
  for (const auto& r : reqs) out.push_back(r.SerializeAsString());
  return out;
}

// pcommon.TraceID.String(): lower-case hex, "" for the all-zero id.
// decision_wait 1s: the ticker decides the first requests' traces before the
// later ones come.
const std::vector<std::string> kTimedConfigs = {
    R"({"decision_wait": "1s", "policies": [{"name": "errors", "type": "status_code", "status_code": {"status_codes": ["ERROR"]}},
        {"name": "p", "type": "probabilistic", "probabilistic": {"sampling_percentage": 25}}]})",
    R"({"decision_wait": "1s", "decision_cache": {"sampled_cache_size": 1000, "non_sampled_cache_size": 1000},
        "policies": [{"name": "errors", "type": "status_code", "status_code": {"status_codes": ["ERROR"]}},
                     {"name": "drop", "type": "drop", "drop": {"drop_sub_policy": [
                        {"name": "h", "type": "string_attribute", "string_attribute": {"key": "http.route", "values": ["/health"]}}]}}]})",
    R"({"decision_wait": "1s", "decision_cache": {"sampled_cache_size": 1000},
        "policies": [{"name": "count", "type": "span_count", "span_count": {"min_spans": 4}}]})",
    R"({"decision_wait": "1s", "sampling_strategy": "span-ingest",
        "policies": [{"name": "errors", "type": "status_code", "status_code": {"status_codes": ["ERROR"]}}]})",
};

// Requests that come after the ticker decided: one more span (with
// attributes that would change a decision) for half of the traces seen so
// far, plus new traces.
std::vector<std::string> LateRequests(std::mt19937_64& rng, const std::vector<std::string>& earlier) {
  std::vector<std::string> ids;
  for (const std::string& bytes : earlier) {
    ExportTraceServiceRequest req;
    req.ParseFromString(bytes);
    for (const auto& rs : req.resource_spans())
      for (const auto& ss : rs.scope_spans())
        for (const auto& s : ss.spans()) ids.push_back(s.trace_id());
  }
  std::vector<std::string> out = RandomRequests(rng, 1);
  ExportTraceServiceRequest req;
  req.ParseFromString(out[0]);
  auto* rs = req.add_resource_spans();
  PutStr(rs->mutable_resource()->mutable_attributes(), "service.name", "late");
  auto* ss = rs->add_scope_spans();
  for (std::size_t i = 0; i < ids.size(); i += 2) {
    auto* span = ss->add_spans();
    span->set_trace_id(ids[i]);
    span->set_span_id(std::string(8, static_cast<char>(i + 1)));
    span->set_parent_span_id(std::string(8, '\1'));
    span->mutable_status()->set_code(tracepb::Status::STATUS_CODE_ERROR);
    PutStr(span->mutable_attributes(), "http.route", rng() % 2 ? "/health" : "/api");
  }
  out[0] = req.SerializeAsString();
  return out;
}

std::string Hex(const std::string& id) {
  static const char* d = "0123456789abcdef";
  std::string out;
  if (std::all_of(id.begin(), id.end(), [](char c) { return c == 0; })) return out;
  for (unsigned char c : id) {
    out += d[c >> 4];
    out += d[c & 15];
  }
  return out;
}

std::uint64_t Items(const std::string& bytes) {
  ExportTraceServiceRequest req;
  req.ParseFromString(bytes);
  std::uint64_t n = 0;
  for (const auto& rs : req.resource_spans())
    for (const auto& ss : rs.scope_spans()) n += static_cast<std::uint64_t>(ss.spans_size());
  return n;
}

// otlpd's decisions on the same stream, in the harness's output format.
std::string Run(const std::string& config_json, const std::vector<std::string>& requests, int wait_before) {
  config::Node node = config::ParseYaml(config_json, "case.json");
  config::MapDecoder d(node, "processors.tail_sampling");
  auto cfg = std::make_shared<const Config>(Config::Decode(d));
  test::Sink sink;
  ProcessorOptions options;
  options.ticker = false;
  TailSamplingProcessor p(cfg, &sink, nullptr, options);
  if (!p.Start().ok()) return "start failed";
  for (std::size_t i = 0; i < requests.size(); ++i) {
    if (static_cast<int>(i) == wait_before) {
      // decision_wait 1s: the second tick decides everything received so far.
      p.Tick();
      p.Tick();
    }
    const std::string& r = requests[i];
    Status s = p.Consume(MakePayload(Signal::kTraces, r, Items(r)));
    if (!s.ok()) return "consume failed: " + s.message();
  }
  p.Shutdown(std::chrono::steady_clock::now());
  std::map<std::string, int> spans;
  for (const auto& payload : sink.payloads()) {
    ExportTraceServiceRequest req;
    if (!req.ParseFromString(payload->bytes)) return "unparsable output";
    for (const auto& rs : req.resource_spans())
      for (const auto& ss : rs.scope_spans())
        for (const auto& s : ss.spans()) ++spans[Hex(s.trace_id())];
  }
  std::string out;
  for (const auto& [id, n] : spans) out += id + " " + std::to_string(n) + "\n";
  if (out.empty()) out = "\n";
  return out;
}

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: otelcol_diff_test HARNESS WORKDIR [SEEDS]\n";
    return 2;
  }
  const std::string harness = argv[1];
  const fs::path dir = argv[2];
  const int seeds = argc > 3 ? std::atoi(argv[3]) : 6;
  fs::remove_all(dir);
  fs::create_directories(dir);

  struct Case {
    std::string name;
    std::string config;
    std::vector<std::string> requests;
    int wait_before = -1;
  };
  std::vector<Case> cases;
  for (int seed = 1; seed <= seeds; ++seed) {
    std::mt19937_64 rng(static_cast<std::uint64_t>(seed));
    const std::vector<std::string> requests = RandomRequests(rng, 1 + seed % 3);
    for (std::size_t c = 0; c < kConfigs.size(); ++c) {
      cases.push_back(Case{"s" + std::to_string(seed) + "c" + std::to_string(c), kConfigs[c], requests});
    }
  }
  // Decisions made by the ticker while data still comes: late spans of
  // decided traces, in memory or through the decision caches.
  for (int seed = 1; seed <= 2; ++seed) {
    std::mt19937_64 rng(static_cast<std::uint64_t>(100 + seed));
    std::vector<std::string> requests = RandomRequests(rng, 2);
    const std::vector<std::string> later = LateRequests(rng, requests);
    requests.insert(requests.end(), later.begin(), later.end());
    for (std::size_t c = 0; c < kTimedConfigs.size(); ++c) {
      cases.push_back(
          Case{"t" + std::to_string(seed) + "c" + std::to_string(c), kTimedConfigs[c], requests, 2});
    }
  }
  for (const Case& k : cases) {
    std::ofstream(dir / (k.name + ".json"))
        << R"({"config": )" << k.config << R"(, "requests": )" << k.requests.size() << R"(, "wait_before": )"
        << k.wait_before << "}";
    for (std::size_t i = 0; i < k.requests.size(); ++i) {
      std::ofstream(dir / (k.name + ".in" + std::to_string(i) + ".pb"), std::ios::binary) << k.requests[i];
    }
  }
  const std::string cmd = "'" + harness + "' '" + dir.string() + "'";
  if (std::system(cmd.c_str()) != 0) {
    std::cerr << "harness failed: " << cmd << "\n";
    return 1;
  }
  int failures = 0;
  int kept = 0;
  int total = 0;
  for (const Case& k : cases) {
    if (fs::exists(dir / (k.name + ".err"))) {
      // Refused there: it must be refused here too.
      ++total;
      try {
        (void)Run(k.config, k.requests, k.wait_before);
        std::cerr << k.name
                  << ": contrib refused the config, otlpd accepted it: " << ReadFile(dir / (k.name + ".err"))
                  << "\n";
        ++failures;
      } catch (const config::Error&) {
      }
      continue;
    }
    std::string want = ReadFile(dir / (k.name + ".out.txt"));
    std::string got;
    try {
      got = Run(k.config, k.requests, k.wait_before);
    } catch (const config::Error& e) {
      got = std::string("config error: ") + e.what();
    }
    ++total;
    kept += static_cast<int>(std::count(want.begin(), want.end(), '\n'));
    if (want != got) {
      ++failures;
      std::cerr << k.name << " differs\n--- contrib\n"
                << want << "--- otlpd\n"
                << got << "config: " << k.config << "\n";
    }
  }
  std::cout << total << " cases, " << kept << " kept trace lines compared, " << failures << " failures\n";
  return failures == 0 && total > 0 ? 0 : 1;
}
