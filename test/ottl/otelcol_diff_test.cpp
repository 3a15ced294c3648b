// Differential test: otlpd's filter and transform processors against
// otelcol-contrib's own (v0.161.0, built from the Go module proxy by
// test/support/run_go_diff.sh) on the same randomized configs and requests, for all
// three signals and the contexts and functions both implement. Verdicts
// (config refused / processing failed / nothing forwarded) must agree, and
// forwarded requests must be equal once decoded; maps are compared with
// their keys sorted, since ParseJSON builds them from a Go map whose order
// is random (for the same reason no generated JSON that reaches an
// order-sensitive editor such as limit has more than one top-level key).
//
// The same harness runs otelcol's attributes processor against otlpd's on
// CASES/5 more cases (random action lists and include/exclude sections).
//
// Usage: test_ottl_otelcol_diff HARNESS WORKDIR [CASES] [SEED]
#include <google/protobuf/util/message_differencer.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "config/error.h"
#include "config/loader.h"
#include "opentelemetry/proto/collector/logs/v1/logs_service.pb.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "processors/attributes/attributes_processor.h"
#include "processors/filter/filter_processor.h"
#include "processors/transform/transform_processor.h"

namespace fs = std::filesystem;
using namespace otlpd;
using opentelemetry::proto::collector::logs::v1::ExportLogsServiceRequest;
using opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest;
using opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;
using opentelemetry::proto::common::v1::AnyValue;
using opentelemetry::proto::common::v1::KeyValue;
using Attrs = google::protobuf::RepeatedPtrField<KeyValue>;

namespace {

std::mt19937_64 rng;

int Rand(int n) { return static_cast<int>(rng() % static_cast<std::uint64_t>(n)); }
template <class T>
const T& Pick(const std::vector<T>& v) {
  return v[static_cast<std::size_t>(Rand(static_cast<int>(v.size())))];
}

std::string JsonQuote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// OTTL string literal.
std::string Q(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

const std::vector<std::string> kKeys = {"http.route", "user", "num",    "strnum", "ratio",
                                        "flag",       "json", "nested", "ts",     "empty"};
const std::vector<std::string> kWords = {"GET /users/12",
                                         "POST /orders",
                                         "/health",
                                         "alice",
                                         "bob@example.org",
                                         "",
                                         "ok",
                                         "a.c",
                                         "x-secret-y",
                                         "password=hunter2 user=bob"};
const std::vector<std::string> kRegex = {
    "^GET",    "[0-9]+", "a.c",    "(?i)health",      "^$", "o+",
    "(\\w+)@", "x*",     "secret", "^(\\w+) (/\\w+)", "[",  "user=(?P<who>\\w+)"};
const std::vector<std::string> kRepl = {"X", "$1", "${1}-", "<$0>", "$$", "${who}", ""};
const std::vector<std::string> kGlobs = {"*", "/he*", "a?c", "{alice,bob}", "GET *", "[!x]*", "*@*"};

void SetRandomValue(AnyValue* v, const std::string& key, int depth) {
  if (key == "num") {
    v->set_int_value(Rand(200) - 50);
  } else if (key == "strnum") {
    v->set_string_value(Rand(4) == 0 ? "abc" : std::to_string(Rand(100)));
  } else if (key == "ratio") {
    v->set_double_value(Rand(1000) / 8.0);
  } else if (key == "flag") {
    v->set_bool_value(Rand(2) == 0);
  } else if (key == "json") {
    v->set_string_value(Pick(std::vector<std::string>{"{\"a\":1,\"b\":[true,\"x\"],\"c\":{\"d\":null}}",
                                                      "[1,2]", "3", "{bad", "{\"k\":\"v\"}"}));
  } else if (key == "nested" && depth < 2) {
    auto* m = v->mutable_kvlist_value();
    for (int i = 0; i < 1 + Rand(3); ++i) {
      auto* kv = m->add_values();
      kv->set_key(Pick(std::vector<std::string>{"a", "b", "c"}) + std::to_string(i));
      if (Rand(3) == 0) {
        SetRandomValue(kv->mutable_value(), "nested", depth + 1);
      } else if (Rand(2) == 0) {
        auto* arr = kv->mutable_value()->mutable_array_value();
        arr->add_values()->set_int_value(i);
        arr->add_values()->mutable_kvlist_value()->add_values()->set_key("z");
      } else {
        kv->mutable_value()->set_string_value(Pick(kWords));
      }
    }
  } else if (key == "ts") {
    v->set_string_value(Pick(std::vector<std::string>{"2023-05-26T12:34:56", "1999-12-31T23:59:59", "bad"}));
  } else if (key == "empty") {
    // an empty value
  } else {
    v->set_string_value(Pick(kWords));
  }
}

void RandomAttrs(Attrs* attrs) {
  std::vector<std::string> keys = kKeys;
  std::shuffle(keys.begin(), keys.end(), rng);
  const int n = Rand(static_cast<int>(keys.size()) + 1);
  for (int i = 0; i < n; ++i) {
    auto* kv = attrs->Add();
    kv->set_key(keys[static_cast<std::size_t>(i)]);
    SetRandomValue(kv->mutable_value(), keys[static_cast<std::size_t>(i)], 0);
  }
}

void RandomResource(opentelemetry::proto::resource::v1::Resource* r) {
  if (Rand(4) != 0) {
    auto* kv = r->add_attributes();
    kv->set_key("service.name");
    kv->mutable_value()->set_string_value(Pick(std::vector<std::string>{"checkout", "cart", "web"}));
  }
  if (Rand(2) == 0) RandomAttrs(r->mutable_attributes());
}

std::string RandomId(int n) {
  std::string id(static_cast<std::size_t>(n), '\0');
  for (auto& c : id) c = static_cast<char>(Rand(256));
  return id;
}

ExportTraceServiceRequest RandomTraces() {
  ExportTraceServiceRequest req;
  for (int r = 0; r < 1 + Rand(3); ++r) {
    auto* rs = req.add_resource_spans();
    RandomResource(rs->mutable_resource());
    for (int s = 0; s < 1 + Rand(2); ++s) {
      auto* ss = rs->add_scope_spans();
      ss->mutable_scope()->set_name(Pick(std::vector<std::string>{"lib", "http", ""}));
      for (int i = 0; i < Rand(5); ++i) {
        auto* span = ss->add_spans();
        span->set_name(Pick(kWords));
        span->set_trace_id(RandomId(16));
        span->set_span_id(RandomId(8));
        if (Rand(2) == 0) span->set_parent_span_id(RandomId(8));
        span->set_kind(static_cast<opentelemetry::proto::trace::v1::Span_SpanKind>(Rand(6)));
        span->set_start_time_unix_nano(1700000000000000000ULL + static_cast<std::uint64_t>(Rand(1000000)));
        span->set_end_time_unix_nano(span->start_time_unix_nano() +
                                     static_cast<std::uint64_t>(Rand(2000000)));
        span->mutable_status()->set_code(
            static_cast<opentelemetry::proto::trace::v1::Status_StatusCode>(Rand(3)));
        RandomAttrs(span->mutable_attributes());
        for (int e = 0; e < Rand(3); ++e) {
          auto* ev = span->add_events();
          ev->set_name(Pick(std::vector<std::string>{"exception", "log", "retry"}));
          ev->set_time_unix_nano(span->start_time_unix_nano() + 10);
          RandomAttrs(ev->mutable_attributes());
        }
      }
    }
  }
  return req;
}

ExportMetricsServiceRequest RandomMetrics() {
  ExportMetricsServiceRequest req;
  for (int r = 0; r < 1 + Rand(2); ++r) {
    auto* rm = req.add_resource_metrics();
    RandomResource(rm->mutable_resource());
    auto* sm = rm->add_scope_metrics();
    sm->mutable_scope()->set_name("meter");
    for (int i = 0; i < Rand(5); ++i) {
      auto* m = sm->add_metrics();
      m->set_name(Pick(std::vector<std::string>{"http.requests", "cpu", "mem.used", "queue"}));
      m->set_unit(Pick(std::vector<std::string>{"1", "ms", ""}));
      const int type = Rand(4);
      auto number = [&](opentelemetry::proto::metrics::v1::NumberDataPoint* dp) {
        if (Rand(2) == 0) {
          dp->set_as_int(Rand(100));
        } else {
          dp->set_as_double(Rand(400) / 4.0);
        }
        dp->set_time_unix_nano(1700000000000000000ULL);
        RandomAttrs(dp->mutable_attributes());
      };
      const int points = Rand(4);
      if (type == 0) {
        for (int p = 0; p < points; ++p) number(m->mutable_gauge()->add_data_points());
      } else if (type == 1) {
        m->mutable_sum()->set_is_monotonic(Rand(2) == 0);
        m->mutable_sum()->set_aggregation_temporality(
            static_cast<opentelemetry::proto::metrics::v1::AggregationTemporality>(1 + Rand(2)));
        for (int p = 0; p < points; ++p) number(m->mutable_sum()->add_data_points());
      } else if (type == 2) {
        auto* h = m->mutable_histogram();
        h->set_aggregation_temporality(opentelemetry::proto::metrics::v1::AGGREGATION_TEMPORALITY_DELTA);
        for (int p = 0; p < points; ++p) {
          auto* dp = h->add_data_points();
          dp->set_count(static_cast<std::uint64_t>(Rand(10)));
          dp->set_sum(Rand(100));
          dp->add_bucket_counts(dp->count());
          RandomAttrs(dp->mutable_attributes());
        }
      }  // type 3: a metric without data
    }
  }
  return req;
}

ExportLogsServiceRequest RandomLogs() {
  ExportLogsServiceRequest req;
  for (int r = 0; r < 1 + Rand(2); ++r) {
    auto* rl = req.add_resource_logs();
    RandomResource(rl->mutable_resource());
    auto* sl = rl->add_scope_logs();
    for (int i = 0; i < Rand(5); ++i) {
      auto* l = sl->add_log_records();
      l->set_severity_number(static_cast<opentelemetry::proto::logs::v1::SeverityNumber>(Rand(25)));
      l->set_severity_text(Pick(std::vector<std::string>{"INFO", "debug", ""}));
      if (Rand(3) == 0) {
        l->mutable_body()->set_string_value(
            Pick(std::vector<std::string>{"{\"user\":\"bob\"}", "{\"n\":[1,{\"a\":1,\"b\":2}]}"}));
      } else {
        l->mutable_body()->set_string_value(Pick(kWords));
      }
      if (Rand(3) == 0) l->set_trace_id(RandomId(16));
      RandomAttrs(l->mutable_attributes());
    }
  }
  return req;
}

std::string Key() { return Q(Pick(kKeys)); }
std::string Num() { return std::to_string(Rand(120) - 20); }

// Conditions for a context; `p` prefixes its own paths ("span." or "").
// Resource context: what resources carry (service.name and the random attributes).
std::string ResourceCondition() {
  switch (Rand(6)) {
    case 0:
      return "attributes[\"service.name\"] == " + Q(Pick(std::vector<std::string>{"checkout", "cart", "x"}));
    case 1: return "attributes[\"service.name\"] == nil";
    case 2: return "IsMatch(attributes[\"service.name\"], \"^c\")";
    case 3: return "attributes[" + Key() + "] != nil";
    case 4: return "attributes[" + Key() + "] == " + Q(Pick(kWords));
    default: return "Len(attributes) > 2";
  }
}

std::string SpanCondition(const std::string& p) {
  switch (Rand(17)) {
    case 0: return p + "attributes[" + Key() + "] == " + Q(Pick(kWords));
    case 1: return p + "attributes[" + Key() + "] != nil";
    case 2: return "IsMatch(" + p + "name, " + Q(Pick(kRegex)) + ")";
    case 3:
      return p + "kind == " +
             Pick(
                 std::vector<std::string>{"SPAN_KIND_SERVER", "SPAN_KIND_CLIENT", "SPAN_KIND_INTERNAL", "2"});
    case 4: return p + "status.code == STATUS_CODE_ERROR";
    case 5: return p + "attributes[\"num\"] > " + Num();
    case 6: return "Len(" + p + "name) < " + std::to_string(Rand(15));
    case 7:
      return "resource.attributes[\"service.name\"] == " + Q(Pick(std::vector<std::string>{"cart", "web"}));
    case 8:
      return p + "end_time_unix_nano - " + p + "start_time_unix_nano > " + std::to_string(Rand(2000000));
    case 9: return "Int(" + p + "attributes[\"strnum\"]) > " + Num();
    case 10: return "not (" + p + "attributes[\"flag\"] == true) and " + p + "name != \"\"";
    case 11: return p + "attributes[\"ratio\"] >= " + std::to_string(Rand(100)) + ".5";
    case 12: return "IsMatch(" + p + "attributes[" + Key() + "], " + Q(Pick(kRegex)) + ")";
    case 13: return "IsRootSpan()";
    case 14:
      return p + "trace_id == TraceID(0x0102030405060708090a0b0c0d0e0f10) or " + p + "span_id.string != \"\"";
    case 15: return p + "kind.string == \"Server\" and " + p + "status.message == \"\"";
    default: return p + "attributes[\"nested\"][\"a0\"] == " + Q(Pick(kWords));
  }
}

std::string LogCondition(const std::string& p) {
  switch (Rand(6)) {
    case 0:
      return p + "severity_number < SEVERITY_NUMBER_" +
             Pick(std::vector<std::string>{"INFO", "WARN", "DEBUG2"});
    case 1: return "IsMatch(" + p + "body, " + Q(Pick(kRegex)) + ")";
    case 2: return p + "attributes[" + Key() + "] == " + Q(Pick(kWords));
    case 3: return p + "severity_text == \"INFO\"";
    case 4: return p + "body == " + Q(Pick(kWords));
    default: return "Int(" + p + "attributes[\"strnum\"]) > " + Num();
  }
}

std::string MetricCondition(const std::string& p) {
  switch (Rand(3)) {
    case 0: return p + "name == " + Q(Pick(std::vector<std::string>{"cpu", "queue", "http.requests"}));
    case 1:
      return p + "type == METRIC_DATA_TYPE_" + Pick(std::vector<std::string>{"SUM", "GAUGE", "HISTOGRAM"});
    default: return "IsMatch(" + p + "unit, \"^m\")";
  }
}

std::string PointCondition(const std::string& p) {
  switch (Rand(6)) {
    case 4: return p + "count > " + std::to_string(Rand(8));
    case 5: return p + "attributes[" + Key() + "] == nil and metric.type == METRIC_DATA_TYPE_HISTOGRAM";
    case 0: return p + "value_int > " + Num();
    case 1: return p + "value_double < " + std::to_string(Rand(100)) + ".25";
    case 2: return p + "attributes[" + Key() + "] == " + Q(Pick(kWords));
    default: return "metric.name == \"cpu\"";
  }
}

// Statements that work on a map-and-name item (span, span event's
// attributes, log, data point): `p` prefixes paths, `name` is the item's
// string field.
std::string MapStatement(const std::string& p, const std::string& name) {
  const std::string attrs = p + "attributes";
  switch (Rand(30)) {
    case 0:
      return "set(" + attrs + "[\"new\"], Concat([" + p + name + ", " + attrs + "[" + Key() + "]], \"-\"))";
    case 1: return "set(" + p + name + ", ToUpperCase(" + p + name + "))";
    case 2: return "replace_pattern(" + p + name + ", " + Q(Pick(kRegex)) + ", " + Q(Pick(kRepl)) + ")";
    case 3:
      return "replace_all_patterns(" + attrs + ", " + Q(Pick(std::vector<std::string>{"key", "value"})) +
             ", " + Q(Pick(kRegex)) + ", " + Q(Pick(kRepl)) + ")";
    case 4: return "delete_key(" + attrs + ", " + Key() + ")";
    case 5: return "keep_keys(" + attrs + ", [" + Key() + ", " + Key() + "])";
    case 6: return "delete_matching_keys(" + attrs + ", " + Q(Pick(kRegex)) + ")";
    case 7: return "keep_matching_keys(" + attrs + ", " + Q(Pick(kRegex)) + ")";
    case 8: return "truncate_all(" + attrs + ", " + std::to_string(Rand(8)) + ")";
    case 9: return "limit(" + attrs + ", " + std::to_string(1 + Rand(4)) + ", [" + Key() + "])";
    case 10: return "set(" + attrs + "[\"h\"], SHA256(" + p + name + "))";
    case 11:
      return "set(" + attrs + "[\"sub\"], Substring(" + p + name + ", " + std::to_string(Rand(3)) + ", 2))";
    case 12: return "set(" + attrs + "[\"split\"], Split(" + attrs + "[\"user\"], \"@\"))";
    case 13: return "set(" + attrs + "[\"i\"], Int(" + attrs + "[" + Key() + "]))";
    case 14: return "set(" + attrs + "[\"d\"], Double(" + attrs + "[" + Key() + "]))";
    case 15: return "set(" + attrs + "[\"s\"], String(" + attrs + "[" + Key() + "]))";
    case 16: return "set(" + attrs + "[\"j\"], ParseJSON(" + attrs + "[\"json\"]))";
    case 17:
      return "flatten(" + attrs + "[\"nested\"]" + (Rand(2) ? ", \"f\"" : "") + (Rand(2) ? ", 1" : "") + ")";
    case 18:
      return "merge_maps(" + attrs + ", " + attrs + "[\"nested\"], " +
             Q(Pick(std::vector<std::string>{"insert", "update", "upsert"})) + ")";
    case 19: return "set(" + attrs + "[\"t\"], UnixNano(Time(" + attrs + "[\"ts\"], \"%Y-%m-%dT%H:%M:%S\")))";
    case 20: return "replace_match(" + attrs + "[" + Key() + "], " + Q(Pick(kGlobs)) + ", \"G\")";
    case 21: return "replace_all_matches(" + attrs + ", " + Q(Pick(kGlobs)) + ", \"G\")";
    case 22: return "set(" + attrs + "[\"len\"], Len(" + attrs + "[" + Key() + "]))";
    case 23: return "set(" + attrs + "[\"m\"][\"x\"][0], " + Q(Pick(kWords)) + ")";
    case 24:
      return "set(" + attrs + "[\"is\"], [IsString(" + attrs + "[" + Key() + "]), IsInt(" + attrs + "[" +
             Key() + "]), IsMap(" + attrs + "[" + Key() + "]), IsList(" + attrs + "[" + Key() +
             "]), IsDouble(" + attrs + "[\"ratio\"]), IsBool(" + attrs + "[\"flag\"])])";
    case 25: return "set(" + attrs + "[\"calc\"], " + attrs + "[\"num\"] * 3 - 7 / 2)";
    case 26:
      return "replace_pattern(" + attrs + "[" + Key() + "], " + Q(Pick(kRegex)) +
             ", \"$1\", SHA256, \"h(%s)\")";
    case 27: return "set(" + attrs + "[\"c\"], " + attrs + "[\"nested\"])";
    case 28: return "set(" + p + "cache[\"k\"], " + p + name + ")";
    default:
      return "set(" + attrs + "[\"lc\"], ToLowerCase(" + p + name + ")) where " + attrs + "[\"num\"] > 10";
  }
}

std::string SpanStatement(const std::string& p) {
  switch (Rand(10)) {
    case 0: return "set(" + p + "kind.string, \"Client\")";
    case 1:
      return "set(" + p + "status.code, STATUS_CODE_OK) where " + p + "status.code == STATUS_CODE_ERROR";
    case 2: return "set(" + p + "span_id, SpanID(0x0102030405060708))";
    case 3: return "set(" + p + "trace_id.string, \"0102030405060708090a0b0c0d0e0f10\")";
    case 4: return "set(resource.attributes[\"r\"], " + p + "name)";
    case 5: return "set(" + p + "trace_id, TraceID(" + p + "attributes[" + Key() + "]))";
    case 6:
      return "set(" + p + "end_time, " + p + "start_time) where " + p + "end_time - " + p + "start_time > " +
             p + "end_time - " + p + "end_time";
    default: return MapStatement(p, "name");
  }
}

std::string LogStatement(const std::string& p) {
  switch (Rand(6)) {
    case 0:
      return "merge_maps(" + p + "attributes, ParseJSON(" + p + "body), \"upsert\") where IsMatch(" + p +
             "body, \"^\\\\{\")";
    case 1:
      return "set(" + p + "severity_number, SEVERITY_NUMBER_WARN) where " + p + "severity_text == \"INFO\"";
    case 2: return "set(" + p + "body, {\"msg\": " + p + "body})";
    default: return MapStatement(p, "severity_text");
  }
}

std::string MetricStatement(const std::string& p) {
  switch (Rand(3)) {
    case 0: return "set(" + p + "name, Concat([" + p + "name, \"x\"], \".\"))";
    case 1: return "set(" + p + "unit, \"ms\")";
    default: return "set(" + p + "description, " + p + "unit)";
  }
}

std::string PointStatement(const std::string& p) {
  switch (Rand(4)) {
    case 0: return "set(" + p + "value_int, " + p + "value_int * 2)";
    case 1: return "set(" + p + "value_double, " + p + "value_double / 2)";
    case 2: return "set(" + p + "attributes[\"k\"], metric.name)";
    default: return MapStatement(p, "attributes[\"user\"]");
  }
}

std::string List(const std::vector<std::string>& items) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + JsonQuote(items[i]);
  return out + "]";
}

template <class F>
std::vector<std::string> Several(F f) {
  std::vector<std::string> out;
  for (int i = 0; i < 1 + Rand(3); ++i) out.push_back(f());
  return out;
}

struct Case {
  std::string processor;
  Signal signal = Signal::kTraces;
  std::string config;  // JSON (and so YAML)
  std::string input;
};

Case RandomCase() {
  Case c;
  c.signal = static_cast<Signal>(Rand(3));
  c.processor = Rand(2) == 0 ? "filter" : "transform";
  const std::string mode = Pick(std::vector<std::string>{"ignore", "silent", "propagate"});
  std::string body;
  if (c.processor == "filter") {
    const bool inferred = Rand(3) == 0;
    if (Rand(5) == 0) {
      // Resource conditions only: otlpd filters these without decoding the items.
      auto conds = Several([] { return ResourceCondition(); });
      body = "\"" + std::string(SignalName(c.signal)) + "\": {\"resource\": " + List(conds) + "}";
      c.input = c.signal == Signal::kTraces    ? RandomTraces().SerializeAsString()
                : c.signal == Signal::kMetrics ? RandomMetrics().SerializeAsString()
                                               : RandomLogs().SerializeAsString();
    } else if (c.signal == Signal::kTraces) {
      const bool events = Rand(4) == 0;
      auto conds = events ? Several([] {
        return std::string("name == ") + Q(Pick(std::vector<std::string>{"log", "retry"}));
      })
                          : Several([&] { return SpanCondition(inferred ? "span." : ""); });
      if (inferred && !events) {
        body = "\"trace_conditions\": " + List(conds);
      } else {
        body = std::string("\"traces\": {\"") + (events ? "spanevent" : "span") + "\": " + List(conds) + "}";
      }
      c.input = RandomTraces().SerializeAsString();
    } else if (c.signal == Signal::kMetrics) {
      const bool points = Rand(2) == 0;
      auto conds =
          points ? Several([] { return PointCondition(""); }) : Several([] { return MetricCondition(""); });
      body = std::string("\"metrics\": {\"") + (points ? "datapoint" : "metric") + "\": " + List(conds) + "}";
      c.input = RandomMetrics().SerializeAsString();
    } else {
      auto conds = Several([&] { return LogCondition(inferred ? "log." : ""); });
      body =
          inferred ? "\"log_conditions\": " + List(conds) : "\"logs\": {\"log_record\": " + List(conds) + "}";
      c.input = RandomLogs().SerializeAsString();
    }
  } else {
    const bool grouped = Rand(2) == 0;
    std::string key;
    std::string context;
    std::vector<std::string> statements;
    std::string prefix;
    if (grouped && Rand(6) == 0) {
      key = c.signal == Signal::kTraces    ? "trace_statements"
            : c.signal == Signal::kMetrics ? "metric_statements"
                                           : "log_statements";
      context = Rand(2) == 0 ? "resource" : "scope";
      statements = Several([&] {
        return context == "resource"
                   ? MapStatement("", "schema_url")
                   : Pick(std::vector<std::string>{"set(name, Concat([name, version], \"@\"))",
                                                   "set(version, \"2\") where name == \"lib\"",
                                                   MapStatement("", "name")});
      });
      c.input = c.signal == Signal::kTraces    ? RandomTraces().SerializeAsString()
                : c.signal == Signal::kMetrics ? RandomMetrics().SerializeAsString()
                                               : RandomLogs().SerializeAsString();
    } else if (c.signal == Signal::kTraces) {
      key = "trace_statements";
      const bool event = Rand(4) == 0;
      context = event ? "spanevent" : "span";
      prefix = grouped ? "" : context + ".";
      statements = event ? Several([&] { return MapStatement(prefix, "name"); })
                         : Several([&] { return SpanStatement(prefix); });
      c.input = RandomTraces().SerializeAsString();
    } else if (c.signal == Signal::kMetrics) {
      key = "metric_statements";
      const bool point = Rand(2) == 0;
      context = point ? "datapoint" : "metric";
      prefix = grouped ? "" : context + ".";
      statements = point ? Several([&] { return PointStatement(prefix); })
                         : Several([&] { return MetricStatement(prefix); });
      c.input = RandomMetrics().SerializeAsString();
    } else {
      key = "log_statements";
      context = "log";
      prefix = grouped ? "" : "log.";
      statements = Several([&] { return LogStatement(prefix); });
      c.input = RandomLogs().SerializeAsString();
    }
    if (grouped) {
      std::string group = "{\"context\": \"" + context + "\", \"statements\": " + List(statements);
      if (Rand(3) == 0 && context != "resource" && context != "scope") {
        group += ", \"conditions\": " +
                 List({c.signal == Signal::kLogs ? LogCondition("")
                       : c.signal == Signal::kMetrics
                           ? (context == "metric" ? MetricCondition("") : PointCondition(""))
                           : (context == "span" ? SpanCondition("") : "name == \"log\"")});
      }
      body = "\"" + key + "\": [" + group + "}]";
    } else {
      body = "\"" + key + "\": " + List(statements);
    }
  }
  c.config = "{\"error_mode\": \"" + mode + "\", " + body + "}";
  return c;
}

// The `attributes` processor (no OTTL, but the same harness): random action
// lists and include/exclude sections. Values in configs are strings and bools
// only: the harness hands otelcol JSON numbers as json.Number, which
// attributesprocessor would not type as YAML does.
std::string AttrValue() {
  switch (Rand(3)) {
    case 0: return Rand(2) == 0 ? "true" : "false";
    default: return JsonQuote(Pick(std::vector<std::string>{"x", "alice", "42", "1.5", "GET /users/12"}));
  }
}

std::string RandomAction() {
  const std::string key = JsonQuote(Rand(5) == 0 ? std::string("fresh") : Pick(kKeys));
  switch (Rand(9)) {
    case 0:
    case 1:
    case 2: {
      const std::string action = Pick(std::vector<std::string>{"insert", "update", "upsert", "UPSERT"});
      std::string source;
      switch (Rand(7)) {
        case 0: source = "\"from_attribute\": " + JsonQuote(Pick(kKeys)); break;
        case 1: source = "\"from_attribute\": \"missing\", \"default_value\": \"dflt\""; break;
        case 2: source = ""; break;  // refused: no value source
        default: source = "\"value\": " + AttrValue();
      }
      return "{\"key\": " + key + ", \"action\": \"" + action + "\"" + (source.empty() ? "" : ", " + source) +
             "}";
    }
    case 3:
      // otelcol ignores default_value where it has no use.
      if (Rand(4) == 0) return "{\"key\": " + key + ", \"action\": \"delete\", \"default_value\": \"d\"}";
      return Rand(2) == 0
                 ? "{\"key\": " + key + ", \"action\": \"delete\"}"
                 : "{\"pattern\": " + JsonQuote(Pick(std::vector<std::string>{"^n", "e$", "s", "["})) +
                       ", \"action\": \"delete\"}";
    case 4:
      return Rand(2) == 0 ? "{\"key\": " + key + ", \"action\": \"hash\"}"
                          : "{\"pattern\": \"^(user|num|ratio|flag|nested)$\", \"action\": \"hash\"}";
    case 5:
    case 6:
      return "{\"key\": " + JsonQuote(Pick(std::vector<std::string>{"http.route", "user", "fresh"})) +
             ", \"pattern\": " +
             JsonQuote(Pick(std::vector<std::string>{"^(?P<verb>\\w+) (?P<path>/\\w+)",
                                                     "(?P<who>\\w+)@(?P<domain>[a-z.]+)",
                                                     "(?P<a>a)?(?P<b>b)?", "(\\w+)"})) +
             ", \"action\": \"extract\"}";
    default:
      return "{\"key\": " + key + ", \"converted_type\": \"" +
             Pick(std::vector<std::string>{"int", "double", "string", "bool"}) +
             "\", \"action\": \"convert\"}";
  }
}

std::string AttrMatchList(const std::string& field, bool regexp) {
  std::string out = "\"" + field + "\": [";
  for (int i = 0; i < 1 + Rand(2); ++i) {
    if (i) out += ", ";
    const std::string key =
        field == "resources" ? Pick(std::vector<std::string>{"service.name", "user"}) : Pick(kKeys);
    out += "{\"key\": " + JsonQuote(key);
    if (Rand(3) != 0) {
      out += ", \"value\": " +
             (regexp ? JsonQuote(Pick(std::vector<std::string>{"^c", "a", "^1", "true", "e$"}))
              : Rand(4) == 0
                  ? std::string(Rand(2) ? "true" : "false")
                  : JsonQuote(Pick(std::vector<std::string>{"checkout", "cart", "alice", "/health", "ok"})));
    }
    out += "}";
  }
  return out + "]";
}

std::string RandomMatch(Signal signal) {
  const bool regexp = Rand(2) == 0;
  std::vector<std::string> props;
  auto strings = [&](const std::string& field, const std::vector<std::string>& strict,
                     const std::vector<std::string>& re) {
    std::vector<std::string> items;
    for (int i = 0; i < 1 + Rand(2); ++i) items.push_back(regexp ? Pick(re) : Pick(strict));
    props.push_back("\"" + field + "\": " + List(items));
  };
  const int n = 1 + Rand(2);
  for (int i = 0; i < n; ++i) {
    switch (signal) {
      case Signal::kTraces:
        switch (Rand(6)) {
          case 0: strings("services", {"checkout", "cart", "<nil-service-name>"}, {"^c", "t$", "nil"}); break;
          case 1: strings("span_names", {"/health", "alice", "ok"}, {"^GET", "health", "[0-9]+"}); break;
          case 2:
            strings("span_kinds", {"SPAN_KIND_SERVER", "SPAN_KIND_CLIENT", "SPAN_KIND_INTERNAL"},
                    {"SERVER", "^SPAN_KIND_C", "UNSPEC"});
            break;
          case 3: props.push_back(AttrMatchList("attributes", regexp)); break;
          case 4: props.push_back(AttrMatchList("resources", regexp)); break;
          default:
            props.push_back(std::string("\"libraries\": [{\"name\": ") + (regexp ? "\"^l\"" : "\"lib\"") +
                            "}]");
        }
        break;
      case Signal::kLogs:
        switch (Rand(5)) {
          case 0: strings("log_bodies", {"/health", "alice", "ok"}, {"^GET", "user", "[0-9]+"}); break;
          case 1: strings("log_severity_texts", {"INFO", "debug"}, {"^I", "g$"}); break;
          case 2: props.push_back(AttrMatchList("attributes", regexp)); break;
          default: props.push_back(AttrMatchList("resources", regexp));
        }
        break;
      case Signal::kMetrics:
        if (Rand(2) == 0) {
          strings("metric_names", {"cpu", "http.requests"}, {"^http", "u"});
        } else {
          props.push_back(AttrMatchList("resources", regexp));
        }
        break;
      case Signal::kProfiles: break;  // no profiles cases
    }
  }
  std::string out = std::string("{\"match_type\": \"") + (regexp ? "regexp" : "strict") + "\"";
  for (const std::string& p : props) {
    // A property drawn twice: the last one wins in both decoders' eyes only
    // if they agree on duplicates, so keep the first.
    const std::string name = p.substr(0, p.find(':'));
    if (out.find(name) == std::string::npos) out += ", " + p;
  }
  return out + "}";
}

Case RandomAttributesCase() {
  Case c;
  c.processor = "attributes";
  c.signal = static_cast<Signal>(Rand(3));
  c.input = c.signal == Signal::kTraces    ? RandomTraces().SerializeAsString()
            : c.signal == Signal::kMetrics ? RandomMetrics().SerializeAsString()
                                           : RandomLogs().SerializeAsString();
  std::vector<std::string> actions;
  for (int i = 0; i < 1 + Rand(3); ++i) actions.push_back(RandomAction());
  c.config = "{\"actions\": [";
  for (std::size_t i = 0; i < actions.size(); ++i) c.config += (i ? ", " : "") + actions[i];
  c.config += "]";
  if (Rand(2) == 0) c.config += ", \"include\": " + RandomMatch(c.signal);
  if (Rand(3) == 0) c.config += ", \"exclude\": " + RandomMatch(c.signal);
  c.config += "}";
  return c;
}

// Sorts every key/value list by key (stable), recursively.
void SortAny(AnyValue* v);
void SortAttrs(Attrs* attrs) {
  for (KeyValue& kv : *attrs) SortAny(kv.mutable_value());
  std::stable_sort(attrs->pointer_begin(), attrs->pointer_end(),
                   [](const KeyValue* a, const KeyValue* b) { return a->key() < b->key(); });
}
void SortAny(AnyValue* v) {
  if (v->has_kvlist_value()) SortAttrs(v->mutable_kvlist_value()->mutable_values());
  if (v->has_array_value()) {
    for (AnyValue& item : *v->mutable_array_value()->mutable_values()) SortAny(&item);
  }
}

void Canonical(google::protobuf::Message* m) {
  const auto* d = m->GetDescriptor();
  const auto* r = m->GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    const auto* f = d->field(i);
    if (f->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) continue;
    if (f->is_repeated()) {
      if (f->message_type() == KeyValue::descriptor()) {
        const int size = r->FieldSize(*m, f);
        for (int k = 0; k < size; ++k) {
          SortAny(static_cast<KeyValue*>(r->MutableRepeatedMessage(m, f, k))->mutable_value());
        }
        // Stable insertion sort by key through reflection.
        auto key = [&](int k) { return static_cast<const KeyValue&>(r->GetRepeatedMessage(*m, f, k)).key(); };
        for (int k = 1; k < size; ++k) {
          for (int j = k; j > 0 && key(j) < key(j - 1); --j) r->SwapElements(m, f, j, j - 1);
        }
        continue;
      }
      for (int k = 0; k < r->FieldSize(*m, f); ++k) Canonical(r->MutableRepeatedMessage(m, f, k));
    } else if (r->HasField(*m, f)) {
      // pdata writes empty sub-messages (an absent scope as `scope {}`);
      // presence of an empty message means nothing in OTLP.
      if (r->GetMessage(*m, f).ByteSizeLong() == 0 && f->message_type() != AnyValue::descriptor()) {
        r->ClearField(m, f);
        continue;
      }
      if (f->message_type() == AnyValue::descriptor()) {
        SortAny(static_cast<AnyValue*>(r->MutableMessage(m, f)));
      } else {
        Canonical(r->MutableMessage(m, f));
      }
    }
  }
}

template <class Request>
bool SameRequest(const std::string& a, const std::string& b, std::string* diff) {
  Request x, y;
  if (!x.ParseFromString(a) || !y.ParseFromString(b)) {
    *diff = "unparseable output";
    return false;
  }
  Canonical(&x);
  Canonical(&y);
  google::protobuf::util::MessageDifferencer differ;
  differ.ReportDifferencesToString(diff);
  return differ.Compare(x, y);
}

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The one payload a processor passed on.
struct Catcher : Consumer {
  Status Consume(const PayloadPtr& p) override {
    got = p;
    return Status::Ok();
  }
  PayloadPtr got;
};

// otlpd's verdict, in the harness's vocabulary.
struct Outcome {
  std::string kind;  // "err", "perr", "none", "out"
  std::string detail;
};

Outcome RunOtlpd(const Case& c) {
  config::Node node = config::ParseYaml(c.config, "case.json");
  try {
    if (c.processor == "attributes") {
      config::MapDecoder d(node, "processors.attributes");
      processors::attributes::Config cfg = processors::attributes::Config::Decode(d, c.signal);
      auto r = processors::attributes::ProcessRequest(c.signal, c.input, cfg, nullptr);
      if (!r.ok()) return {"perr", r.status().message()};
      return {"out", r->has_value() ? **r : c.input};
    }
    // filter and transform run as the processors they are (their Consume: the
    // resource-only wire pass or the decoded one, whichever the config takes).
    Catcher sink;
    std::unique_ptr<Consumer> processor;
    if (c.processor == "filter") {
      config::MapDecoder d(node, "processors.filter");
      auto cfg = std::make_shared<const processors::filter::Config>(processors::filter::Config::Decode(d));
      processor = std::make_unique<processors::filter::FilterProcessor>(c.signal, cfg, &sink, nullptr);
    } else {
      config::MapDecoder d(node, "processors.transform");
      auto cfg =
          std::make_shared<const processors::transform::Config>(processors::transform::Config::Decode(d));
      processor = std::make_unique<processors::transform::TransformProcessor>(c.signal, cfg, &sink);
    }
    Status st = processor->Consume(MakePayload(c.signal, c.input, 0));
    if (!st.ok()) return {"perr", st.message()};
    if (!sink.got) return {"none", ""};
    return {"out", sink.got->bytes};
  } catch (const config::Error& e) {
    return {"err", e.what()};
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: " << argv[0] << " HARNESS WORKDIR [CASES] [SEED]\n";
    return 2;
  }
  const fs::path harness = argv[1];
  const fs::path dir = argv[2];
  const int ottl_cases = argc > 3 ? std::atoi(argv[3]) : 5000;
  // The attributes processor's cases come after the OTTL ones, a fifth as many.
  const int cases = ottl_cases + ottl_cases / 5;
  rng.seed(argc > 4 ? std::strtoull(argv[4], nullptr, 10) : 20261204);
  spdlog::set_level(spdlog::level::off);  // ignore-mode warnings would flood the output
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::vector<Case> all;
  for (int i = 0; i < cases; ++i) {
    Case c = i < ottl_cases ? RandomCase() : RandomAttributesCase();
    char name[32];
    std::snprintf(name, sizeof(name), "c%05d", i);
    std::ofstream(dir / (std::string(name) + ".json"))
        << "{\"processor\": \"" << c.processor << "\", \"signal\": \"" << SignalName(c.signal)
        << "\", \"config\": " << c.config << "}";
    std::ofstream(dir / (std::string(name) + ".in.pb"), std::ios::binary) << c.input;
    all.push_back(std::move(c));
  }
  const std::string cmd =
      harness.string() + " " + dir.string() + " > " + (dir / "harness.log").string() + " 2>&1";
  if (std::system(cmd.c_str()) != 0) {
    std::cerr << "harness failed:\n" << ReadFile(dir / "harness.log");
    return 1;
  }
  int mismatches = 0;
  std::map<std::string, int> verdicts;
  for (int i = 0; i < cases; ++i) {
    char name[32];
    std::snprintf(name, sizeof(name), "c%05d", i);
    const fs::path base = dir / name;
    Outcome want;
    if (fs::exists(base.string() + ".err")) {
      want = {"err", ReadFile(base.string() + ".err")};
    } else if (fs::exists(base.string() + ".perr")) {
      want = {"perr", ReadFile(base.string() + ".perr")};
    } else if (fs::exists(base.string() + ".none")) {
      want = {"none", ""};
    } else {
      want = {"out", ReadFile(base.string() + ".out.pb")};
    }
    const Case& c = all[static_cast<std::size_t>(i)];
    Outcome got = RunOtlpd(c);
    ++verdicts[c.processor + "/" + std::string(SignalName(c.signal)) + "/" + want.kind];
    std::string diff;
    bool same = got.kind == want.kind;
    if (same && got.kind == "out") {
      switch (c.signal) {
        case Signal::kTraces:
          same = SameRequest<ExportTraceServiceRequest>(got.detail, want.detail, &diff);
          break;
        case Signal::kMetrics:
          same = SameRequest<ExportMetricsServiceRequest>(got.detail, want.detail, &diff);
          break;
        case Signal::kLogs:
          same = SameRequest<ExportLogsServiceRequest>(got.detail, want.detail, &diff);
          break;
        case Signal::kProfiles: break;  // no profiles cases
      }
    }
    if (!same) {
      if (++mismatches <= 15) {
        std::cerr << "MISMATCH " << name << " " << c.processor << " " << SignalName(c.signal)
                  << "\n  config: " << c.config << "\n  otelcol: " << want.kind
                  << (want.kind == "out" ? "" : " " + want.detail) << "\n  otlpd:   " << got.kind
                  << (got.kind == "out" ? "" : " " + got.detail) << "\n"
                  << (diff.empty() ? "" : "  diff:\n" + diff) << "\n";
      }
    }
  }
  for (const auto& [k, n] : verdicts) std::cout << k << ": " << n << "\n";
  std::cout << cases << " cases, " << mismatches << " mismatches\n";
  return mismatches == 0 ? 0 : 1;
}
