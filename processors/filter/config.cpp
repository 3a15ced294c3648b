#include "processors/filter/config.h"

#include "config/error.h"
#include "ottl/config.h"

namespace otlpd::processors::filter {
namespace {

using ottl::ContextKind;

bool NonEmpty(const config::Node* n) { return n != nullptr && !n->IsNull(); }

void AddFlat(Config& c, Signal signal, ContextKind context, const config::Node* node,
             const std::string& path) {
  if (!NonEmpty(node)) return;
  ConditionGroup g;
  g.context = context;
  g.error_mode = c.error_mode;
  for (const ottl::LocatedText& t : ottl::DecodeTextList(*node, path)) {
    g.conditions.push_back(ottl::CompileConditionAt(t, context));
  }
  if (!g.conditions.empty()) c.groups[SignalIndex(signal)].push_back(std::move(g));
}

bool ContextOfSignal(ContextKind k, Signal s) {
  if (k == ContextKind::kResource || k == ContextKind::kScope) return true;
  switch (s) {
    case Signal::kTraces: return k == ContextKind::kSpan || k == ContextKind::kSpanEvent;
    case Signal::kMetrics: return k == ContextKind::kMetric || k == ContextKind::kDataPoint;
    case Signal::kLogs: return k == ContextKind::kLog;
    case Signal::kProfiles: break;  // not a signal of this processor
  }
  return false;
}

void AddGroups(Config& c, Signal signal, const config::Node* node, const std::string& path) {
  if (!NonEmpty(node)) return;
  for (const ottl::Group& g : ottl::DecodeGroups(*node, path, false)) {
    // otelcol v0.161.0 parses context-inferred conditions with the standard
    // converters only: IsRootSpan() (a filter extra) makes inference fail.
    if (!g.context) {
      for (const ottl::LocatedText& t : g.conditions) {
        if (t.text.find("IsRootSpan(") != std::string::npos) {
          throw config::Error(t.mark, t.path,
                              "unable to infer context from conditions: IsRootSpan() is not available to "
                              "context-inferred conditions (use traces.span, or a group with context: span)");
        }
      }
    }
    ConditionGroup out;
    out.context = ottl::GroupContext(g, signal);
    if (!ContextOfSignal(out.context, signal)) {
      throw config::Error(g.mark, g.path,
                          "context \"" + std::string(ottl::ContextName(out.context)) + "\" is not a " +
                              std::string(SignalName(signal)) + " context");
    }
    out.error_mode = g.error_mode.value_or(c.error_mode);
    for (const ottl::LocatedText& t : g.conditions)
      out.conditions.push_back(ottl::CompileConditionAt(t, out.context));
    if (!out.conditions.empty()) c.groups[SignalIndex(signal)].push_back(std::move(out));
  }
}

}  // namespace

Config Config::Decode(config::MapDecoder& d) {
  Config c;
  if (auto mode = ottl::DecodeErrorMode(d, "error_mode")) c.error_mode = *mode;

  config::MapDecoder traces = d.Child("traces");
  const config::Node* t_resource = traces.Take("resource");
  const config::Node* t_span = traces.Take("span");
  const config::Node* t_event = traces.Take("spanevent");
  traces.Finish();
  config::MapDecoder spans = d.Child("spans");
  const config::Node* s_include = spans.Take("include");
  const config::Node* s_exclude = spans.Take("exclude");
  spans.Finish();

  config::MapDecoder metrics = d.Child("metrics");
  const config::Node* m_resource = metrics.Take("resource");
  const config::Node* m_metric = metrics.Take("metric");
  const config::Node* m_point = metrics.Take("datapoint");
  const config::Node* m_include = metrics.Take("include");
  const config::Node* m_exclude = metrics.Take("exclude");
  const config::Node* m_regexp = metrics.Take("regexp");
  metrics.Finish();

  config::MapDecoder logs = d.Child("logs");
  const config::Node* l_resource = logs.Take("resource");
  const config::Node* l_record = logs.Take("log_record");
  const config::Node* l_include = logs.Take("include");
  const config::Node* l_exclude = logs.Take("exclude");
  logs.Finish();

  const config::Node* trace_conditions = d.Take("trace_conditions");
  const config::Node* metric_conditions = d.Take("metric_conditions");
  const config::Node* log_conditions = d.Take("log_conditions");
  const config::Node* profile_conditions = d.Take("profile_conditions");
  const config::Node* profiles = d.Take("profiles");
  d.Finish();

  // otelcol's Validate(), its messages verbatim.
  const bool t_ottl = NonEmpty(t_resource) || NonEmpty(t_span) || NonEmpty(t_event);
  const bool m_ottl = NonEmpty(m_resource) || NonEmpty(m_metric) || NonEmpty(m_point);
  const bool l_ottl = NonEmpty(l_resource) || NonEmpty(l_record);
  if (t_ottl && (NonEmpty(s_include) || NonEmpty(s_exclude))) {
    d.Fail("traces",
           "cannot use \"traces.resource\", \"traces.span\", \"traces.spanevent\" and the span settings "
           "\"spans.include\", \"spans.exclude\" at the same time");
  }
  if (m_ottl && (NonEmpty(m_include) || NonEmpty(m_exclude))) {
    d.Fail("metrics",
           "cannot use \"metrics.resource\", \"metrics.metric\", \"metrics.datapoint\" and the settings "
           "\"metrics.include\", \"metrics.exclude\" at the same time");
  }
  if (l_ottl && (NonEmpty(l_include) || NonEmpty(l_exclude))) {
    d.Fail("logs",
           "cannot use \"logs.resource\", \"logs.log\" and the settings \"logs.include\", \"logs.exclude\" "
           "at the same time");
  }
  if (NonEmpty(trace_conditions) && t_ottl) {
    d.Fail("trace_conditions",
           "cannot use context inferred trace conditions \"trace_conditions\" and the settings "
           "\"traces.resource\", \"traces.span\", \"traces.spanevent\" at the same time");
  }
  if (NonEmpty(metric_conditions) && (m_ottl || NonEmpty(m_include) || NonEmpty(m_exclude))) {
    d.Fail("metric_conditions",
           "cannot use context inferred metric conditions \"metric_conditions\" and the settings "
           "\"metrics.resource\", \"metrics.metric\", \"metrics.datapoint\", \"metrics.include\", "
           "\"metrics.exclude\" "
           "at the same time");
  }
  if (NonEmpty(log_conditions) && (l_ottl || NonEmpty(l_include) || NonEmpty(l_exclude))) {
    d.Fail("log_conditions",
           "cannot use context inferred log conditions \"log_conditions\" and the settings "
           "\"logs.resource\", \"logs.log_record\", \"logs.include\", \"logs.exclude\" at the same "
           "time");
  }
  // What otlpd does not implement is refused, never ignored.
  auto refuse = [&](const config::Node* n, std::string_view key, std::string_view what) {
    if (NonEmpty(n)) throw config::Error(n->mark(), d.KeyPath(key), std::string(what));
  };
  const std::string legacy =
      "the legacy include/exclude match properties are not supported by otlpd; "
      "write the condition in OTTL instead";
  refuse(s_include, "spans.include", legacy);
  refuse(s_exclude, "spans.exclude", legacy);
  refuse(m_include, "metrics.include", legacy);
  refuse(m_exclude, "metrics.exclude", legacy);
  refuse(l_include, "logs.include", legacy);
  refuse(l_exclude, "logs.exclude", legacy);
  (void)m_regexp;  // accepted but not read by otelcol either
  refuse(profile_conditions, "profile_conditions", "otlpd does not carry the profiles signal");
  refuse(profiles, "profiles", "otlpd does not carry the profiles signal");

  // Resource first, then the items, then their children (§2.3).
  AddFlat(c, Signal::kTraces, ContextKind::kResource, t_resource, d.KeyPath("traces.resource"));
  AddFlat(c, Signal::kTraces, ContextKind::kSpan, t_span, d.KeyPath("traces.span"));
  AddFlat(c, Signal::kTraces, ContextKind::kSpanEvent, t_event, d.KeyPath("traces.spanevent"));
  AddFlat(c, Signal::kMetrics, ContextKind::kResource, m_resource, d.KeyPath("metrics.resource"));
  AddFlat(c, Signal::kMetrics, ContextKind::kMetric, m_metric, d.KeyPath("metrics.metric"));
  AddFlat(c, Signal::kMetrics, ContextKind::kDataPoint, m_point, d.KeyPath("metrics.datapoint"));
  AddFlat(c, Signal::kLogs, ContextKind::kResource, l_resource, d.KeyPath("logs.resource"));
  AddFlat(c, Signal::kLogs, ContextKind::kLog, l_record, d.KeyPath("logs.log_record"));
  AddGroups(c, Signal::kTraces, trace_conditions, d.KeyPath("trace_conditions"));
  AddGroups(c, Signal::kMetrics, metric_conditions, d.KeyPath("metric_conditions"));
  AddGroups(c, Signal::kLogs, log_conditions, d.KeyPath("log_conditions"));
  return c;
}

}  // namespace otlpd::processors::filter
