// Differential test of the spanmetrics connector against otelcol-contrib's
// (v0.161.0, the Go code run by otelcol_diff/main.go): the same random spans
// through both, with the same configs, must give the same metric points,
// flush after flush: metric names, units, types, temporality, data point
// attributes, sum values, histogram counts, sums, bounds and bucket counts,
// exponential scales, offsets and buckets, exemplar counts. Timestamps are not
// compared, nor the value of collector.instance.id (a random id on each side;
// its presence is). Points are compared as sorted sets: contrib emits them in
// Go map order.
//
// Usage: otelcol_diff_test HARNESS WORKDIR [CASES] [SEED]
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "component/telemetry.h"
#include "config/error.h"
#include "config/loader.h"
#include "connectors/spanmetrics/config.h"
#include "connectors/spanmetrics/spanmetrics_connector.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "ottl/value.h"

namespace fs = std::filesystem;
using namespace otlpd;
using opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest;
using opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;

namespace {

// The configs every seed runs (JSON, which both sides read).
const std::vector<std::string> kConfigs = {
    R"({})",
    R"({"dimensions": [{"name": "http.method", "default": "GET"}, {"name": "region"}],
        "exclude_dimensions": ["span.kind"], "histogram": {"unit": "s", "explicit": {"buckets": ["1ms", "10ms", "100ms", "1s", "5s"]}}})",
    R"({"histogram": {"exponential": {"max_size": 10}}, "aggregation_temporality": "AGGREGATION_TEMPORALITY_DELTA"})",
    R"({"histogram": {"exponential": {}}, "exemplars": {"enabled": true, "max_per_data_point": 2}})",
    R"({"events": {"enabled": true, "dimensions": [{"name": "exception.type"}, {"name": "region", "default": "none"}]},
        "calls_dimensions": [{"name": "http.status_code"}], "histogram": {"dimensions": [{"name": "http.method"}]},
        "namespace": "", "exemplars": {"enabled": true}})",
    R"({"aggregation_cardinality_limit": 3, "resource_metrics_key_attributes": ["service.name"],
        "include_instrumentation_scope": ["lib-a"]})",
    R"({"resource_metrics_cache_size": 1, "histogram": {"disable": true}})",
    R"({"dimensions": [{"name": "http.method"}], "exclude_dimensions": ["status.code", "service.name"],
        "aggregation_temporality": "AGGREGATION_TEMPORALITY_DELTA", "events": {"enabled": true, "dimensions": [{"name": "http.method"}]}})",
};

void PutStr(google::protobuf::RepeatedPtrField<opentelemetry::proto::common::v1::KeyValue>* kvs,
            std::string k, std::string v) {
  auto* kv = kvs->Add();
  kv->set_key(std::move(k));
  kv->mutable_value()->set_string_value(std::move(v));
}

std::string RandomRequest(std::mt19937_64& rng) {
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  ExportTraceServiceRequest req;
  const int resources = 1 + pick(4);
  for (int r = 0; r < resources; ++r) {
    auto* rs = req.add_resource_spans();
    auto* attrs = rs->mutable_resource()->mutable_attributes();
    if (pick(6) != 0) PutStr(attrs, "service.name", "svc-" + std::to_string(pick(3)));
    if (pick(2)) PutStr(attrs, "region", pick(2) ? "eu" : "us");
    if (pick(3) == 0) {
      auto* kv = attrs->Add();
      kv->set_key("host.count");
      kv->mutable_value()->set_int_value(pick(3));
    }
    const int scopes = 1 + pick(2);
    for (int s = 0; s < scopes; ++s) {
      auto* ss = rs->add_scope_spans();
      ss->mutable_scope()->set_name(pick(2) ? "lib-a" : "lib-b");
      if (pick(2)) ss->mutable_scope()->set_version("1.0");
      const int spans = 1 + pick(8);
      for (int k = 0; k < spans; ++k) {
        auto* span = ss->add_spans();
        span->set_name("op-" + std::to_string(pick(4)));
        span->set_kind(static_cast<opentelemetry::proto::trace::v1::Span_SpanKind>(pick(6)));
        span->mutable_status()->set_code(
            static_cast<opentelemetry::proto::trace::v1::Status_StatusCode>(pick(3)));
        const std::uint64_t start = 1700000000000000000ull + rng() % 1000000000ull;
        // Durations from 0 to ~20 s, spread over the log scale; some end before they start.
        const double ms = pick(10) == 0 ? 0 : std::exp(std::uniform_real_distribution<double>(-3, 10)(rng));
        span->set_start_time_unix_nano(start);
        span->set_end_time_unix_nano(pick(20) == 0 ? start - 5
                                                   : start + static_cast<std::uint64_t>(ms * 1e6));
        if (pick(4) != 0) {
          std::string id(16, '\0');
          for (auto& c : id) c = static_cast<char>(rng());
          span->set_trace_id(id);
          span->set_span_id(id.substr(0, 8));
        }
        if (pick(2)) PutStr(span->mutable_attributes(), "http.method", pick(2) ? "POST" : "PUT");
        if (pick(3) == 0) PutStr(span->mutable_attributes(), "region", "ap");
        if (pick(2)) {
          auto* kv = span->mutable_attributes()->Add();
          kv->set_key("http.status_code");
          kv->mutable_value()->set_int_value(200 + 100 * pick(4));
        }
        const int events = pick(3);
        for (int e = 0; e < events; ++e) {
          auto* ev = span->add_events();
          ev->set_name("exception");
          if (pick(2)) PutStr(ev->mutable_attributes(), "exception.type", pick(2) ? "IOError" : "Timeout");
          if (pick(3) == 0) PutStr(ev->mutable_attributes(), "region", "event-region");
        }
      }
    }
  }
  return req.SerializeAsString();
}

std::string Num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

std::string Attrs(const google::protobuf::RepeatedPtrField<opentelemetry::proto::common::v1::KeyValue>& kvs) {
  std::vector<std::string> items;
  for (const auto& kv : kvs) {
    items.push_back(kv.key() + "=" +
                    (kv.key() == "collector.instance.id" ? "*" : ottl::AnyAsString(kv.value())));
  }
  std::sort(items.begin(), items.end());
  std::string out;
  for (const auto& i : items) out += i + ",";
  return out;
}

// Every point as one line, sorted.
std::vector<std::string> Normalize(const std::string& bytes) {
  ExportMetricsServiceRequest req;
  std::vector<std::string> lines;
  if (!req.ParseFromString(bytes)) return {"<unparseable>"};
  for (const auto& rm : req.resource_metrics()) {
    const std::string res = "resource{" + Attrs(rm.resource().attributes()) + "}";
    for (const auto& sm : rm.scope_metrics()) {
      for (const auto& m : sm.metrics()) {
        const std::string head = res + " scope=" + sm.scope().name() + " " + m.name() + " unit=" + m.unit();
        if (m.has_sum()) {
          for (const auto& dp : m.sum().data_points()) {
            lines.push_back(head + " sum t=" + std::to_string(m.sum().aggregation_temporality()) +
                            " mono=" + std::to_string(m.sum().is_monotonic()) + " {" +
                            Attrs(dp.attributes()) + "} v=" + std::to_string(dp.as_int()) +
                            " ex=" + std::to_string(dp.exemplars_size()));
          }
        } else if (m.has_histogram()) {
          for (const auto& dp : m.histogram().data_points()) {
            std::string l = head + " hist t=" + std::to_string(m.histogram().aggregation_temporality()) +
                            " {" + Attrs(dp.attributes()) + "} n=" + std::to_string(dp.count()) +
                            " sum=" + Num(dp.sum()) + " bounds=";
            for (double b : dp.explicit_bounds()) l += Num(b) + ",";
            l += " buckets=";
            for (auto c : dp.bucket_counts()) l += std::to_string(c) + ",";
            lines.push_back(l + " ex=" + std::to_string(dp.exemplars_size()));
          }
        } else if (m.has_exponential_histogram()) {
          for (const auto& dp : m.exponential_histogram().data_points()) {
            std::string l =
                head + " expo t=" + std::to_string(m.exponential_histogram().aggregation_temporality()) +
                " {" + Attrs(dp.attributes()) + "} n=" + std::to_string(dp.count()) +
                " sum=" + Num(dp.sum()) + " min=" + Num(dp.min()) + " max=" + Num(dp.max()) +
                " zero=" + std::to_string(dp.zero_count()) + " scale=" + std::to_string(dp.scale()) +
                " off=" + std::to_string(dp.positive().offset()) + " buckets=";
            for (auto c : dp.positive().bucket_counts()) l += std::to_string(c) + ",";
            lines.push_back(l + " ex=" + std::to_string(dp.exemplars_size()));
          }
        } else {
          lines.push_back(head + " <other type>");
        }
      }
    }
  }
  std::sort(lines.begin(), lines.end());
  return lines;
}

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const fs::path& p, const std::string& s) { std::ofstream(p, std::ios::binary) << s; }

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: " << argv[0] << " HARNESS WORKDIR [CASES] [SEED]\n";
    return 2;
  }
  const fs::path harness = argv[1];
  const fs::path dir = argv[2];
  const int rounds = argc > 3 ? std::atoi(argv[3]) : 6;
  const std::uint64_t seed = argc > 4 ? std::strtoull(argv[4], nullptr, 10) : std::random_device{}();
  std::cout << "seed " << seed << "\n";
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::mt19937_64 rng(seed);
  constexpr int kFlushes = 2;

  struct Case {
    std::string name, config, input;
  };
  std::vector<Case> cases;
  for (int r = 0; r < rounds; ++r) {
    for (std::size_t c = 0; c < kConfigs.size(); ++c) {
      Case k{"c" + std::to_string(r) + "_" + std::to_string(c), kConfigs[c], RandomRequest(rng)};
      WriteFile(dir / (k.name + ".json"),
                R"({"flushes": )" + std::to_string(kFlushes) + R"(, "config": )" + k.config + "}");
      WriteFile(dir / (k.name + ".in.pb"), k.input);
      cases.push_back(std::move(k));
    }
  }
  const std::string cmd = "'" + harness.string() + "' '" + dir.string() + "'";
  if (std::system(cmd.c_str()) != 0) {
    std::cerr << "the Go harness failed\n";
    return 1;
  }

  int failures = 0;
  for (const Case& k : cases) {
    if (fs::exists(dir / (k.name + ".err"))) {
      std::cerr << k.name << ": contrib refused the config: " << ReadFile(dir / (k.name + ".err")) << "\n";
      ++failures;
      continue;
    }
    config::Node node = config::ParseYaml(k.config, k.name + ".json");
    config::MapDecoder d(node, "connectors.spanmetrics");
    connectors::spanmetrics::Config cfg;
    try {
      cfg = connectors::spanmetrics::Config::Decode(d);
    } catch (const config::Error& e) {
      std::cerr << k.name << ": otlpd refused the config: " << e.what() << "\n";
      ++failures;
      continue;
    }
    Telemetry telemetry;
    connectors::spanmetrics::SpanMetricsConnector conn(
        cfg, nullptr, telemetry.Register("connector", "spanmetrics"), "instance");
    if (Status s = conn.Consume(MakePayload(Signal::kTraces, k.input, 0)); !s.ok()) {
      std::cerr << k.name << ": consume: " << s.message() << "\n";
      ++failures;
      continue;
    }
    for (int f = 0; f < kFlushes; ++f) {
      PayloadPtr ours = conn.Flush();
      const std::vector<std::string> got = Normalize(ours ? ours->bytes : std::string());
      const std::vector<std::string> want =
          Normalize(ReadFile(dir / (k.name + ".out" + std::to_string(f) + ".pb")));
      if (got == want) continue;
      ++failures;
      std::cerr << k.name << " flush " << f << " differs; config " << k.config << "\n";
      for (const auto& l : want)
        if (!std::binary_search(got.begin(), got.end(), l)) std::cerr << "  contrib only: " << l << "\n";
      for (const auto& l : got)
        if (!std::binary_search(want.begin(), want.end(), l)) std::cerr << "  otlpd only:   " << l << "\n";
      break;
    }
  }
  std::cout << cases.size() << " cases, " << failures << " differ\n";
  return failures == 0 ? 0 : 1;
}
