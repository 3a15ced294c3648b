#include "service/telemetry/prometheus_text.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <tuple>

namespace otlpd::selftelemetry {
namespace {

// Summed counters of every registration of one component id (and transport).
struct Totals {
  std::array<std::array<std::uint64_t, 6>, kSignalCount>
      counters{};  // [signal][accepted, refused, sent, ...]
  bool has_queue = false;
  std::uint64_t queue_size = 0;
  std::uint64_t queue_capacity = 0;
  std::vector<std::uint64_t> bounds;
  std::vector<std::uint64_t> buckets;
  std::uint64_t hist_sum = 0;
};

enum Counter { kAccepted, kRefused, kSent, kSendFailed, kEnqueueFailed, kDropped };

void AddCounters(Totals& t, const ComponentTelemetry& c) {
  for (Signal s : kSignalsWithProfiles) {
    const SignalCounters& sc = c.signals[SignalIndex(s)];
    auto& out = t.counters[SignalIndex(s)];
    out[kAccepted] += sc.accepted.load(std::memory_order_relaxed);
    out[kRefused] += sc.refused.load(std::memory_order_relaxed);
    out[kSent] += sc.sent.load(std::memory_order_relaxed);
    out[kSendFailed] += sc.send_failed.load(std::memory_order_relaxed);
    out[kEnqueueFailed] += sc.enqueue_failed.load(std::memory_order_relaxed);
    out[kDropped] += sc.dropped.load(std::memory_order_relaxed);
  }
  if (c.queue_size) {
    t.has_queue = true;
    t.queue_size += c.queue_size();
    if (c.queue_capacity) t.queue_capacity += c.queue_capacity();
  }
  const std::vector<std::uint64_t> counts = c.batch_send_size.BucketCounts();
  if (t.buckets.empty()) {
    t.bounds = c.batch_send_size.bounds();
    t.buckets.assign(counts.size(), 0);
  }
  for (std::size_t i = 0; i < counts.size() && i < t.buckets.size(); ++i) t.buckets[i] += counts[i];
  t.hist_sum += c.batch_send_size.sum();
}

// The signals to show: the wired ones, and any other that counted something.
std::set<Signal> SignalsOf(const Totals& t, const std::map<std::string, std::set<Signal>>& wiring,
                           const std::string& id) {
  std::set<Signal> out;
  if (auto it = wiring.find(id); it != wiring.end()) out = it->second;
  for (Signal s : kSignalsWithProfiles) {
    for (std::uint64_t v : t.counters[SignalIndex(s)]) {
      if (v != 0) out.insert(s);
    }
  }
  return out;
}

// Families by name, created on first use with otelcol's help text and unit.
class Families {
 public:
  Family& Get(const std::string& name, std::string_view help, MetricType type, std::string_view unit) {
    auto [it, inserted] = by_name_.try_emplace(name);
    if (inserted) {
      it->second.name = name;
      it->second.help = std::string(help);
      it->second.type = type;
      it->second.unit = std::string(unit);
    }
    return it->second;
  }
  // A counter's or gauge's one sample with `labels`, in the family `name`.
  void Add(const std::string& name, std::string_view help, MetricType type, std::string_view unit,
           const Labels& labels, double value) {
    Get(name, help, type, unit).samples.push_back({"", labels, value});
  }
  std::vector<Family> Take() {
    std::vector<Family> out;
    for (auto& [name, f] : by_name_) out.push_back(std::move(f));
    return out;
  }

 private:
  std::map<std::string, Family> by_name_;
};

// What otelcol's item counters count, in their names: profiles count
// samples, named "profile_samples" (otelcol_receiver_accepted_profile_samples,
// unit {sample}); the other signals' nouns are their item nouns.
std::string MetricNoun(Signal s) {
  return s == Signal::kProfiles ? "profile_samples" : std::string(ItemNoun(s));
}

std::string Unit(Signal s) {
  return s == Signal::kProfiles ? "{sample}" : "{" + std::string(ItemNoun(s)) + "}";
}

std::string Type(const std::string& id) { return id.substr(0, id.find('/')); }

// otelcol's per-signal item counters of a receiver or an exporter:
// "otelcol_<kind>_<what>_<noun>", its help text around the noun, and which
// of a component's counters it reads.
struct ItemCounter {
  std::string_view what;
  std::string_view help_after_noun;
  int counter;
};
constexpr ItemCounter kReceiverCounters[] = {
    {"accepted", " successfully pushed into the pipeline. [alpha]", kAccepted},
    {"refused", " that could not be pushed into the pipeline. [alpha]", kRefused},
};
constexpr ItemCounter kExporterCounters[] = {
    {"sent", " successfully sent to destination. [alpha]", kSent},
    {"send_failed", " in failed attempts to send to destination. [alpha]", kSendFailed},
    {"enqueue_failed", " failed to be added to the sending queue. [alpha]", kEnqueueFailed},
};

template <std::size_t N>
void AddItemCounters(Families& f, std::string_view kind, const ItemCounter (&counters)[N], const Totals& t,
                     Signal s, const Labels& labels) {
  const std::string noun = MetricNoun(s);
  std::string help_noun = noun;
  std::replace(help_noun.begin(), help_noun.end(), '_', ' ');  // "profile samples", "metric points"
  const auto& c = t.counters[SignalIndex(s)];
  for (const ItemCounter& counter : counters) {
    f.Add("otelcol_" + std::string(kind) + "_" + std::string(counter.what) + "_" + noun,
          "Number of " + help_noun + std::string(counter.help_after_noun), MetricType::kCounter, Unit(s),
          labels, static_cast<double>(c[counter.counter]));
  }
}

void AddReceiver(Families& f, const std::string& id, const std::string& transport, const Totals& t,
                 const std::set<Signal>& signals) {
  Labels labels = {{"receiver", id}};
  if (!transport.empty()) labels.emplace_back("transport", transport);
  for (Signal s : signals) AddItemCounters(f, "receiver", kReceiverCounters, t, s, labels);
}

void AddExporter(Families& f, const std::string& id, const Totals& t, const std::set<Signal>& signals,
                 const std::set<Signal>& wired) {
  const Labels labels = {{"exporter", id}};
  for (Signal s : signals) AddItemCounters(f, "exporter", kExporterCounters, t, s, labels);
  if (!t.has_queue) return;
  Labels queue_labels = labels;
  if (wired.size() == 1) queue_labels.emplace_back("data_type", std::string(SignalName(*wired.begin())));
  f.Add("otelcol_exporter_queue_size", "Current size of the retry queue (in batches). [alpha]",
        MetricType::kGauge, "{batches}", queue_labels, static_cast<double>(t.queue_size));
  f.Add("otelcol_exporter_queue_capacity", "Fixed capacity of the retry queue (in batches). [alpha]",
        MetricType::kGauge, "{batches}", queue_labels, static_cast<double>(t.queue_capacity));
}

// otelcol's connector metrics (core v0.165 service/internal/metadata:
// otelcol.connector.consumed.items / produced.items): what the connector took
// from its input pipelines and what its output pipelines took from it.
void AddConnector(Families& f, const std::string& id, const Totals& t, const std::set<Signal>& inputs,
                  const std::set<Signal>& outputs) {
  for (Signal s : inputs) {
    const Labels labels = {{"connector", id}, {"otel.signal", std::string(SignalName(s))}};
    f.Add("otelcol_connector_consumed_items", "Number of items passed to the connector. [Development]",
          MetricType::kCounter, "{items}", labels,
          static_cast<double>(t.counters[SignalIndex(s)][kAccepted]));
  }
  for (Signal s : outputs) {
    const Labels labels = {{"connector", id}, {"otel.signal", std::string(SignalName(s))}};
    f.Add("otelcol_connector_produced_items", "Number of items emitted from the connector. [Development]",
          MetricType::kCounter, "{items}", labels, static_cast<double>(t.counters[SignalIndex(s)][kSent]));
  }
}

void AddProcessor(Families& f, const std::string& id, const Totals& t, const std::set<Signal>& signals,
                  MetricsLevel level) {
  for (Signal s : signals) {
    const Labels labels = {{"otel.signal", std::string(SignalName(s))}, {"processor", id}};
    const auto& c = t.counters[SignalIndex(s)];
    // otelcol counts what was handed to the processor, refused or not.
    f.Add("otelcol_processor_incoming_items", "Number of items passed to the processor. [alpha]",
          MetricType::kCounter, "{items}", labels, static_cast<double>(c[kAccepted] + c[kRefused]));
    f.Add("otelcol_processor_outgoing_items", "Number of items emitted from the processor. [alpha]",
          MetricType::kCounter, "{items}", labels, static_cast<double>(c[kSent]));
  }
  std::uint64_t recorded = 0;
  for (std::uint64_t b : t.buckets) recorded += b;
  if (level < MetricsLevel::kNormal || (Type(id) != "batch" && recorded == 0)) return;
  Family& h = f.Get("otelcol_processor_batch_batch_send_size", "Number of units in the batch",
                    MetricType::kHistogram, "{units}");
  const Labels labels = {{"processor", id}};
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < t.buckets.size(); ++i) {
    cumulative += t.buckets[i];
    Labels bucket = labels;
    bucket.emplace_back("le", i < t.bounds.size() ? std::to_string(t.bounds[i]) : "+Inf");
    h.samples.push_back({"_bucket", bucket, static_cast<double>(cumulative)});
  }
  h.samples.push_back({"_sum", labels, static_cast<double>(t.hist_sum)});
  h.samples.push_back({"_count", labels, static_cast<double>(cumulative)});
}

std::string FormatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[40];
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    std::snprintf(buf, sizeof buf, "%.0f", v);
    return buf;
  }
  // The shortest text that reads back as the same double, as Go prints floats.
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc() ? std::string(buf, end) : std::to_string(v);
}

// The text format's escapes: backslash and newline everywhere, and the
// double quote in label values (HELP text leaves it alone).
std::string EscapeText(std::string_view v, bool quote) {
  std::string out;
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else if (c == '"' && quote)
      out += "\\\"";
    else
      out += c;
  }
  return out;
}

std::string EscapeLabelValue(std::string_view v) { return EscapeText(v, true); }
std::string EscapeHelp(std::string_view v) { return EscapeText(v, false); }

// The OTel Prometheus exporter's unit words; annotations ("{spans}") add none.
std::string UnitWord(std::string_view unit) {
  if (unit == "s") return "seconds";
  if (unit == "ms") return "milliseconds";
  if (unit == "By") return "bytes";
  if (unit == "1") return "ratio";
  return "";
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string ExposedName(const Family& f, const TextOptions& o) {
  std::string name = f.name;
  if (!o.without_units) {
    const std::string word = UnitWord(f.unit);
    if (!word.empty() && !EndsWith(name, "_" + word)) name += "_" + word;
  }
  if (!o.without_type_suffix && f.type == MetricType::kCounter) name += "_total";
  return name;
}

std::string_view TypeName(MetricType t) {
  switch (t) {
    case MetricType::kCounter: return "counter";
    case MetricType::kGauge: return "gauge";
    case MetricType::kHistogram: return "histogram";
  }
  return "untyped";
}

// Component-specific instruments, labelled with the component as otelcol
// labels them (otelcol.component.kind / otelcol.component.id) plus the
// point's own attributes; equal series of several registrations are summed.
void AddComponentMetrics(Families& f, const Telemetry& telemetry) {
  std::map<std::pair<std::string, Labels>, std::size_t> index;  // (family, labels) -> sample
  for (const ComponentTelemetry* c : telemetry.All()) {
    if (!c->metrics) continue;
    for (const ComponentMetric& m : c->metrics()) {
      const MetricType type = m.type == ComponentMetric::Type::kCounter ? MetricType::kCounter
                              : m.type == ComponentMetric::Type::kGauge ? MetricType::kGauge
                                                                        : MetricType::kHistogram;
      Family& fam = f.Get(m.name, m.help, type, m.unit);
      for (const ComponentMetric::Point& p : m.points) {
        Labels labels = {{"otelcol.component.id", c->id}, {"otelcol.component.kind", c->kind}};
        labels.insert(labels.end(), p.attributes.begin(), p.attributes.end());
        if (type != MetricType::kHistogram) {
          auto [it, inserted] = index.try_emplace({m.name, labels}, fam.samples.size());
          if (inserted)
            fam.samples.push_back({"", labels, p.value});
          else
            fam.samples[it->second].value += p.value;
          continue;
        }
        // Histograms: _bucket{le} (cumulative), _sum, _count, summed per series.
        std::uint64_t cumulative = 0;
        for (std::size_t i = 0; i < p.buckets.size(); ++i) {
          cumulative += p.buckets[i];
          Labels bucket = labels;
          bucket.emplace_back("le", i < p.bounds.size() ? std::to_string(p.bounds[i]) : "+Inf");
          auto [it, inserted] = index.try_emplace({m.name + "_bucket", bucket}, fam.samples.size());
          if (inserted)
            fam.samples.push_back({"_bucket", bucket, static_cast<double>(cumulative)});
          else
            fam.samples[it->second].value += static_cast<double>(cumulative);
        }
        for (const auto& [suffix, v] :
             {std::pair<std::string, double>{"_sum", p.sum},
              std::pair<std::string, double>{"_count", static_cast<double>(cumulative)}}) {
          auto [it, inserted] = index.try_emplace({m.name + suffix, labels}, fam.samples.size());
          if (inserted)
            fam.samples.push_back({suffix, labels, v});
          else
            fam.samples[it->second].value += v;
        }
      }
    }
  }
}

}  // namespace

Wiring Wiring::FromConfig(const config::ServiceConfig& service) {
  Wiring w;
  for (const config::PipelineConfig& p : service.pipelines) {
    for (const auto& id : p.receivers) w.receivers[id.ToString()].insert(p.signal);
    for (const auto& id : p.processors) w.processors[id.ToString()].insert(p.signal);
    for (const auto& id : p.exporters) w.exporters[id.ToString()].insert(p.signal);
  }
  return w;
}

std::vector<Family> CollectComponents(const Telemetry& telemetry, const Wiring& wiring, MetricsLevel level) {
  if (level == MetricsLevel::kNone) return {};
  // (kind, id, transport) -> totals
  std::map<std::tuple<std::string, std::string, std::string>, Totals> totals;
  for (const ComponentTelemetry* c : telemetry.All()) {
    if (c->kind != "receiver" && c->kind != "processor" && c->kind != "exporter" && c->kind != "connector")
      continue;
    AddCounters(totals[{c->kind, c->id, c->transport}], *c);
  }
  Families f;
  AddComponentMetrics(f, telemetry);
  for (const auto& [key, t] : totals) {
    const auto& [kind, id, transport] = key;
    if (kind == "receiver") {
      AddReceiver(f, id, transport, t, SignalsOf(t, wiring.receivers, id));
    } else if (kind == "exporter") {
      const auto it = wiring.exporters.find(id);
      AddExporter(f, id, t, SignalsOf(t, wiring.exporters, id),
                  it != wiring.exporters.end() ? it->second : std::set<Signal>{});
    } else if (kind == "connector") {
      // A connector is an exporter of its input pipelines and a receiver of its output ones.
      auto wired = [&](const std::map<std::string, std::set<Signal>>& m) {
        auto it = m.find(id);
        return it != m.end() ? it->second : std::set<Signal>{};
      };
      AddConnector(f, id, t, wired(wiring.exporters), wired(wiring.receivers));
    } else {
      AddProcessor(f, id, t, SignalsOf(t, wiring.processors, id), level);
    }
  }
  return f.Take();
}

std::vector<Family> CollectProcess(const ProcessStats& stats) {
  return {
      Family{"otelcol_process_uptime",
             "Uptime of the process [alpha]",
             MetricType::kCounter,
             "s",
             {{"", {}, stats.uptime_seconds}}},
      Family{"otelcol_process_cpu_seconds",
             "Total CPU user and system time in seconds [alpha]",
             MetricType::kCounter,
             "s",
             {{"", {}, stats.cpu_seconds}}},
      Family{"otelcol_process_memory_rss",
             "Total physical memory (resident set size) [alpha]",
             MetricType::kGauge,
             "By",
             {{"", {}, static_cast<double>(stats.rss_bytes)}}},
  };
}

std::string SanitizeLabelName(std::string_view name) {
  std::string out;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    out += ok ? c : '_';
  }
  if (out.empty() || (out[0] >= '0' && out[0] <= '9')) out.insert(0, "_");
  return out;
}

std::string RenderText(std::vector<Family> families, const TextOptions& options) {
  std::sort(families.begin(), families.end(),
            [](const Family& a, const Family& b) { return a.name < b.name; });
  std::string out;
  for (Family& f : families) {
    if (f.samples.empty()) continue;
    const std::string name = ExposedName(f, options);
    out += "# HELP " + name + " " + EscapeHelp(f.help) + "\n";
    out += "# TYPE " + name + " " + std::string(TypeName(f.type)) + "\n";
    struct Line {
      Labels labels;
      std::string text;
    };
    std::vector<Line> lines;
    for (const Sample& s : f.samples) {
      Labels labels;
      for (const auto& [k, v] : s.labels) labels.emplace_back(SanitizeLabelName(k), v);
      for (const auto& [k, v] : options.resource) labels.emplace_back(k, v);
      std::stable_sort(labels.begin(), labels.end(),
                       [](const auto& a, const auto& b) { return a.first < b.first; });
      std::string text = name + s.suffix;
      if (!labels.empty()) {
        text += "{";
        for (std::size_t i = 0; i < labels.size(); ++i) {
          text += (i ? "," : "") + labels[i].first + "=\"" + EscapeLabelValue(labels[i].second) + "\"";
        }
        text += "}";
      }
      text += " " + FormatValue(s.value) + "\n";
      lines.push_back({std::move(labels), std::move(text)});
    }
    // Series of a histogram stay together and in bucket order; others sort by labels.
    if (f.type != MetricType::kHistogram) {
      std::stable_sort(lines.begin(), lines.end(),
                       [](const Line& a, const Line& b) { return a.labels < b.labels; });
    }
    for (const Line& l : lines) out += l.text;
  }
  return out;
}

std::string CounterCarry::Key(const Family& family, const Sample& sample) {
  std::string key = family.name + sample.suffix;
  for (const auto& [k, v] : sample.labels) key += '\x1f' + k + '\x1e' + v;
  return key;
}

void CounterCarry::Retire(const std::vector<Family>& families) {
  for (const Family& f : families) {
    if (f.type == MetricType::kGauge) continue;
    for (const Sample& s : f.samples) carried_[Key(f, s)] += s.value;
  }
}

void CounterCarry::Apply(std::vector<Family>& families) const {
  if (carried_.empty()) return;
  for (Family& f : families) {
    if (f.type == MetricType::kGauge) continue;
    for (Sample& s : f.samples) {
      if (auto it = carried_.find(Key(f, s)); it != carried_.end()) s.value += it->second;
    }
  }
}

}  // namespace otlpd::selftelemetry
