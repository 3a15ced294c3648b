// Differential test: otlpd's probabilistic_sampler against otelcol-contrib's
// (the Go processor itself, run by otelcol_diff/, see test/support/run_go_diff.sh).
// Generates randomized configs and requests (every mode, odd percentages,
// zero and repeated trace ids, valid and broken tracestates, priorities of
// every type, log attributes of every type), has both sample them, and
// requires the same outcome: the same config errors, the same items kept,
// the same tracestates and sampling attributes.
//
// Usage: test_probabilistic_sampler_otelcol_diff HARNESS WORKDIR [CASES] [SEED]
#include <google/protobuf/util/message_differencer.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "config/error.h"
#include "config/loader.h"
#include "opentelemetry/proto/collector/logs/v1/logs_service.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "processors/probabilistic_sampler/config.h"
#include "processors/probabilistic_sampler/probabilistic_sampler_processor.h"
#include "test/support/process.h"

using namespace otlpd;
using namespace otlpd::processors::probabilistic_sampler;
using opentelemetry::proto::collector::logs::v1::ExportLogsServiceRequest;
using opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;
using opentelemetry::proto::common::v1::AnyValue;
using opentelemetry::proto::common::v1::KeyValue;
namespace fs = std::filesystem;

namespace {

class Gen {
 public:
  explicit Gen(std::uint64_t seed) : rng_(seed) {}

  std::uint64_t U(std::uint64_t n) { return n == 0 ? 0 : rng_() % n; }
  double Uniform(double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(rng_); }
  bool P(double p) { return Uniform(0, 1) < p; }
  template <class T>
  const T& Pick(const std::vector<T>& v) {
    return v[U(v.size())];
  }

  std::string Hex(int digits, bool upper_sometimes = true) {
    static constexpr char kLower[] = "0123456789abcdef";
    static constexpr char kUpper[] = "0123456789ABCDEF";
    bool upper = upper_sometimes && P(0.1);
    std::string s;
    for (int i = 0; i < digits; ++i) s += (upper ? kUpper : kLower)[U(16)];
    return s;
  }

  std::string Bytes(std::size_t n) {
    std::string s;
    for (std::size_t i = 0; i < n; ++i) s += static_cast<char>(U(256));
    return s;
  }

  std::string TraceId() {
    if (P(0.08)) return std::string(16, '\0');
    if (P(0.05)) return "";
    if (!ids_.empty() && P(0.25)) return Pick(ids_);
    std::string id = Bytes(16);
    if (P(0.1)) {  // low 56 bits near the extremes
      for (int i = 9; i < 16; ++i) id[static_cast<std::size_t>(i)] = P(0.5) ? '\xff' : '\0';
    }
    ids_.push_back(id);
    return id;
  }

  std::string OTelMember() {
    switch (U(9)) {
      case 0:
      case 1: return "rv:" + Hex(14);
      case 2: return "rv:" + Hex(static_cast<int>(U(16)));
      case 3:
      case 4: return "th:" + Hex(static_cast<int>(1 + U(14)));
      case 5:
        return "th:" + Pick<std::string>({"", "0", "8", "c", "fffc", "-1", "g", Hex(15), "80000000000000"});
      case 6: return Pick<std::string>({"x", "ab1", "zz"}) + ":" + Pick<std::string>({"", "v", "A.b_c-1"});
      case 7: return Pick<std::string>({"", "X:y", "1a:b", "a:b c", "a", ":b"});
      default: return "p:" + Hex(3);
    }
  }

  std::string TraceState() {
    if (P(0.35)) return "";
    std::vector<std::string> members;
    int n = static_cast<int>(1 + U(4));
    if (P(0.03)) n = 31 + static_cast<int>(U(3));
    bool ot = P(0.8);
    int ot_at = static_cast<int>(U(static_cast<std::uint64_t>(n)));
    for (int i = 0; i < n; ++i) {
      if (ot && i == ot_at) {
        std::string v;
        int k = static_cast<int>(1 + U(3));
        for (int j = 0; j < k; ++j) v += (j ? ";" : "") + OTelMember();
        members.push_back("ot=" + v);
        continue;
      }
      switch (U(8)) {
        case 0: members.push_back(""); break;
        case 1: members.push_back("ten@sys=v" + std::to_string(i)); break;
        case 2: members.push_back("k" + std::to_string(i) + "=a b"); break;
        case 3: members.push_back("Bad=1"); break;
        case 4: members.push_back(std::string(P(0.5) ? 300 : 20, 'k') + "=v"); break;
        default: members.push_back("v" + std::to_string(i) + "=x" + std::to_string(U(100)));
      }
    }
    std::string out;
    for (std::size_t i = 0; i < members.size(); ++i) {
      if (i) out += P(0.2) ? " ,\t" : ",";
      out += members[i];
    }
    if (P(0.05)) out += ",";
    return out;
  }

  AnyValue Value(int depth = 0) {
    AnyValue v;
    switch (U(depth > 1 ? 6 : 8)) {
      case 0:
        v.set_string_value(Pick<std::string>({"", "abc", "0", "1", "0.5", "-1", "1_000", "0x1p-2", "NaN",
                                              "+inf", "1e-400", "1e400", "true", "héllo", "a<b>&\"\n"}));
        break;
      case 1: v.set_int_value(Pick<std::int64_t>({0, 1, -1, 2, 37, 50, 100, 150, -5, 4312})); break;
      case 2:
        v.set_double_value(Pick<double>({0.0, -0.0, 0.5, 1.5, 10.125, 37, 100, 150, -2, 1e-7, 1e21, 0.1}));
        break;
      case 3: v.set_bool_value(P(0.5)); break;
      case 4: v.set_bytes_value(Bytes(U(6))); break;
      case 5: break;  // empty
      case 6: {
        auto* kv = v.mutable_kvlist_value();
        for (std::uint64_t i = 0, n = U(4); i < n; ++i) {
          KeyValue* e = kv->add_values();
          e->set_key(Pick<std::string>({"a", "b", "z", "a"}));
          *e->mutable_value() = Value(depth + 1);
        }
        break;
      }
      default: {
        auto* arr = v.mutable_array_value();
        for (std::uint64_t i = 0, n = U(4); i < n; ++i) *arr->add_values() = Value(depth + 1);
      }
    }
    return v;
  }

 private:
  std::mt19937_64 rng_;
  std::vector<std::string> ids_;
};

std::string Json(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// A random config, as the JSON text both sides read (JSON is YAML too).
std::string RandomConfig(Gen& g, bool logs) {
  std::vector<std::string> kv;
  if (!g.P(0.1)) {
    char pct[64];
    double v = g.Pick<double>({0, 0.001, 1, 10, 12.5, 25, 100.0 / 3, 50, 62, 75, 99.99, 100, 150,
                               100 * 0x1p-14, 0x3p-16 * 100, 1e-14, (1 - 8e-7) * 100, 0x1p-4});
    if (g.P(0.2)) v = g.Uniform(0, 100);
    if (g.P(0.01)) v = -1;
    std::snprintf(pct, sizeof pct, "%.9g", v);
    kv.push_back("\"sampling_percentage\": " + std::string(pct));
  }
  if (g.P(0.7))
    kv.push_back("\"mode\": " + Json(g.Pick<std::string>({"", "hash_seed", "equalizing", "proportional"})));
  if (g.P(0.01)) kv.push_back("\"mode\": \"fast\"");
  if (g.P(0.5))
    kv.push_back("\"hash_seed\": " + std::to_string(g.Pick<std::uint64_t>({0, 22, 4312, g.U(1ull << 32)})));
  if (g.P(0.5)) kv.push_back(std::string("\"fail_closed\": ") + (g.P(0.5) ? "true" : "false"));
  if (g.P(0.5))
    kv.push_back("\"sampling_precision\": " +
                 std::to_string(g.Pick<int>({1, 2, 3, 4, 5, 6, 10, 14, 0, 15, -1})));
  if (logs) {
    if (g.P(0.6))
      kv.push_back("\"attribute_source\": " + Json(g.Pick<std::string>({"traceID", "record", "record", ""})));
    if (g.P(0.02)) kv.push_back("\"attribute_source\": \"span\"");
    if (g.P(0.6)) kv.push_back("\"from_attribute\": \"src\"");
    if (g.P(0.4)) kv.push_back("\"sampling_priority\": \"prio\"");
  }
  std::string out = "{";
  for (std::size_t i = 0; i < kv.size(); ++i) out += (i ? ", " : "") + kv[i];
  return out + "}";
}

void Put(google::protobuf::RepeatedPtrField<KeyValue>* attrs, const std::string& key, const AnyValue& v) {
  KeyValue* kv = attrs->Add();
  kv->set_key(key);
  *kv->mutable_value() = v;
}

ExportTraceServiceRequest RandomTraces(Gen& g) {
  ExportTraceServiceRequest req;
  for (std::uint64_t r = 0, nr = 1 + g.U(3); r < nr; ++r) {
    auto* rs = req.add_resource_spans();
    AnyValue svc;
    svc.set_string_value("svc" + std::to_string(r));
    Put(rs->mutable_resource()->mutable_attributes(), "service.name", svc);
    if (g.P(0.3)) rs->set_schema_url("https://opentelemetry.io/schemas/1.26.0");
    for (std::uint64_t s = 0, ns = g.U(4); s < ns; ++s) {
      auto* ss = rs->add_scope_spans();
      ss->mutable_scope()->set_name("lib" + std::to_string(s));
      for (std::uint64_t k = 0, nk = g.U(6); k < nk; ++k) {
        auto* span = ss->add_spans();
        std::string tid = g.TraceId();
        if (!tid.empty()) span->set_trace_id(tid);
        span->set_span_id(g.Bytes(8));
        span->set_name("op");
        span->set_trace_state(g.TraceState());
        span->set_start_time_unix_nano(g.U(1000));
        if (g.P(0.2)) span->set_flags(0x101);
        if (g.P(0.3)) Put(span->mutable_attributes(), "http.method", g.Value());
        if (g.P(0.3)) Put(span->mutable_attributes(), "sampling.priority", g.Value());
        if (g.P(0.05)) Put(span->mutable_attributes(), "sampling.priority", g.Value());
      }
    }
  }
  return req;
}

ExportLogsServiceRequest RandomLogs(Gen& g) {
  ExportLogsServiceRequest req;
  for (std::uint64_t r = 0, nr = 1 + g.U(3); r < nr; ++r) {
    auto* rl = req.add_resource_logs();
    for (std::uint64_t s = 0, ns = g.U(4); s < ns; ++s) {
      auto* sl = rl->add_scope_logs();
      sl->mutable_scope()->set_name("lib");
      for (std::uint64_t k = 0, nk = g.U(6); k < nk; ++k) {
        auto* rec = sl->add_log_records();
        std::string tid = g.TraceId();
        if (!tid.empty()) rec->set_trace_id(tid);
        rec->set_time_unix_nano(1 + g.U(1000));
        rec->mutable_body()->set_string_value("hello");
        auto* attrs = rec->mutable_attributes();
        if (g.P(0.3)) Put(attrs, "a", g.Value());
        if (g.P(0.3)) {
          AnyValue v;
          if (g.P(0.8)) {
            v.set_string_value(
                g.Pick<std::string>({"", "0", "8", "c", "e", "fffc", "-1", g.Hex(15), g.Hex(3)}));
          } else {
            v.set_int_value(8);
          }
          Put(attrs, "sampling.threshold", v);
        }
        if (g.P(0.3)) {
          AnyValue v;
          if (g.P(0.8)) {
            v.set_string_value(g.P(0.7) ? g.Hex(14) : g.Hex(static_cast<int>(g.U(16))));
          } else {
            v.set_double_value(1);
          }
          Put(attrs, "sampling.randomness", v);
        }
        if (g.P(0.6)) Put(attrs, "src", g.Value());
        if (g.P(0.4)) Put(attrs, "prio", g.Value());
        if (g.P(0.2)) Put(attrs, "z", g.Value());
      }
    }
  }
  return req;
}

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const fs::path& p, const std::string& data) {
  std::ofstream out(p, std::ios::binary);
  out << data;
}

bool AllZero(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c == 0; });
}

// Reduces both outputs to what pdata distinguishes: otelcol's encoder writes
// empty resource/scope/status messages and omits all-zero ids, and
// pdata's Map.Remove swaps the last attribute into the removed slot, so
// attribute order may differ; the maps are what matters.
void Normalize(ExportTraceServiceRequest& req) {
  for (auto& rs : *req.mutable_resource_spans()) {
    if (rs.resource().ByteSizeLong() == 0) rs.clear_resource();
    for (auto& ss : *rs.mutable_scope_spans()) {
      if (ss.scope().ByteSizeLong() == 0) ss.clear_scope();
      for (auto& span : *ss.mutable_spans()) {
        if (span.status().ByteSizeLong() == 0) span.clear_status();
        if (AllZero(span.trace_id())) span.clear_trace_id();
        if (AllZero(span.span_id())) span.clear_span_id();
      }
    }
  }
}

void Normalize(ExportLogsServiceRequest& req) {
  for (auto& rl : *req.mutable_resource_logs()) {
    if (rl.resource().ByteSizeLong() == 0) rl.clear_resource();
    for (auto& sl : *rl.mutable_scope_logs()) {
      if (sl.scope().ByteSizeLong() == 0) sl.clear_scope();
      for (auto& rec : *sl.mutable_log_records()) {
        if (AllZero(rec.trace_id())) rec.clear_trace_id();
        if (AllZero(rec.span_id())) rec.clear_span_id();
        auto* a = rec.mutable_attributes();
        std::stable_sort(a->begin(), a->end(),
                         [](const KeyValue& x, const KeyValue& y) { return x.key() < y.key(); });
      }
    }
  }
}

struct Totals {
  int cases = 0;
  int config_errors = 0;
  int empty = 0;
  int failures = 0;
  std::uint64_t items = 0;
  std::uint64_t kept = 0;
};

template <class Req>
void Compare(const std::string& name, const std::string& config_json, Signal signal, const std::string& input,
             const fs::path& base, Totals& totals) {
  ++totals.cases;
  auto fail = [&](const std::string& why) {
    ++totals.failures;
    if (totals.failures <= 20)
      std::cerr << "MISMATCH " << name << ": " << why << "\n  config " << config_json << "\n";
  };
  bool go_error = fs::exists(base.string() + ".err");
  std::optional<Config> cfg;
  std::string our_error;
  try {
    auto node = config::ParseYaml(config_json, name);
    config::MapDecoder d(node, "processors.probabilistic_sampler");
    cfg = Config::Decode(d);
  } catch (const config::Error& e) {
    our_error = e.what();
  }
  if (go_error != !cfg) {
    fail("config: otelcol " +
         (go_error ? "rejects (" + ReadFile(base.string() + ".err") + ")" : std::string("accepts")) +
         ", otlpd " + (cfg ? "accepts" : "rejects (" + our_error + ")"));
    return;
  }
  if (go_error) {
    ++totals.config_errors;
    return;
  }
  Sampler sampler(*cfg, signal);
  SampledRequest ours;
  if (!SampleRequest(sampler, signal, input, ours).ok()) return fail("otlpd failed on the input");
  totals.items += ours.items;
  totals.kept += ours.kept;
  std::string theirs = ReadFile(base.string() + ".out.pb");
  std::string our_bytes = ours.outcome == SampledRequest::Outcome::kUnchanged ? input : ours.bytes;
  if (ours.outcome == SampledRequest::Outcome::kEmpty) our_bytes.clear();
  if (theirs.empty() != our_bytes.empty()) {
    return fail(std::string("otelcol forwards ") + (theirs.empty() ? "nothing" : "data") + ", otlpd " +
                (our_bytes.empty() ? "nothing" : "data"));
  }
  if (theirs.empty()) {
    ++totals.empty;
    return;
  }
  Req a, b;
  if (!a.ParseFromString(theirs) || !b.ParseFromString(our_bytes)) return fail("unparsable output");
  Normalize(a);
  Normalize(b);
  std::string diff;
  google::protobuf::util::MessageDifferencer differ;
  differ.ReportDifferencesToString(&diff);
  if (!differ.Compare(a, b)) fail("outputs differ:\n" + diff.substr(0, 2000));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: " << argv[0] << " HARNESS WORKDIR [CASES] [SEED]\n";
    return 2;
  }
  fs::path harness = argv[1];
  fs::path dir = argv[2];
  int cases = argc > 3 ? std::atoi(argv[3]) : 3000;
  std::uint64_t seed = argc > 4 ? std::strtoull(argv[4], nullptr, 10) : 20241124;
  fs::remove_all(dir);
  fs::create_directories(dir);

  Gen g(seed);
  struct Case {
    std::string name;
    std::string config;
    Signal signal;
    std::string input;
  };
  std::vector<Case> all;
  for (int i = 0; i < cases; ++i) {
    bool logs = i % 3 == 2;
    char name[32];
    std::snprintf(name, sizeof name, "c%05d", i);
    Case c{name, RandomConfig(g, logs), logs ? Signal::kLogs : Signal::kTraces, ""};
    c.input = logs ? RandomLogs(g).SerializeAsString() : RandomTraces(g).SerializeAsString();
    WriteFile(dir / (c.name + ".json"), c.config);
    WriteFile(dir / (c.name + (logs ? ".logs.pb" : ".traces.pb")), c.input);
    all.push_back(std::move(c));
  }

  test::Process go({harness.string(), dir.string()}, dir / "harness.log");
  auto code = go.Wait(std::chrono::minutes(10));
  if (!code || *code != 0) {
    std::cerr << "harness failed: " << go.Output() << "\n";
    return 1;
  }
  std::cout << go.Output();

  Totals t;
  for (const Case& c : all) {
    fs::path base = dir / c.name;
    if (c.signal == Signal::kLogs) {
      Compare<ExportLogsServiceRequest>(c.name, c.config, c.signal, c.input, base, t);
    } else {
      Compare<ExportTraceServiceRequest>(c.name, c.config, c.signal, c.input, base, t);
    }
  }
  std::cout << t.cases << " cases: " << t.config_errors << " rejected configs (both), " << t.empty
            << " with nothing forwarded; items kept " << t.kept << " of " << t.items << "; " << t.failures
            << " mismatches\n";
  return t.failures == 0 ? 0 : 1;
}
