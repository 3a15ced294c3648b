#include "processors/transform/config.h"

#include "config/error.h"
#include "ottl/config.h"

namespace otlpd::processors::transform {
namespace {

using ottl::ContextKind;

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
  if (node == nullptr) return;
  for (const ottl::Group& g : ottl::DecodeGroups(*node, path, true)) {
    StatementGroup out;
    out.context = ottl::GroupContext(g, signal);
    if (!ContextOfSignal(out.context, signal)) {
      throw config::Error(g.mark, g.path,
                          "context \"" + std::string(ottl::ContextName(out.context)) + "\" is not a " +
                              std::string(SignalName(signal)) + " context");
    }
    out.error_mode = g.error_mode.value_or(c.error_mode);
    for (const ottl::LocatedText& t : g.conditions)
      out.conditions.push_back(ottl::CompileConditionAt(t, out.context));
    for (const ottl::LocatedText& t : g.statements)
      out.statements.push_back(ottl::CompileStatementAt(t, out.context));
    if (!out.statements.empty()) c.groups[SignalIndex(signal)].push_back(std::move(out));
  }
}

}  // namespace

Config Config::Decode(config::MapDecoder& d) {
  Config c;
  if (auto mode = ottl::DecodeErrorMode(d, "error_mode")) c.error_mode = *mode;
  const config::Node* traces = d.Take("trace_statements");
  const config::Node* metrics = d.Take("metric_statements");
  const config::Node* logs = d.Take("log_statements");
  const config::Node* profiles = d.Take("profile_statements");
  bool flatten = false;
  d.Optional("flatten_data", flatten);
  d.Finish();
  if (flatten) {
    d.Fail("flatten_data", "'flatten_data' requires the 'transform.flatten.logs' feature gate to be enabled");
  }
  if (profiles != nullptr && !profiles->IsNull() && !(profiles->IsSequence() && profiles->items().empty())) {
    throw config::Error(profiles->mark(), d.KeyPath("profile_statements"),
                        "otlpd does not carry the profiles signal");
  }
  AddGroups(c, Signal::kTraces, traces, d.KeyPath("trace_statements"));
  AddGroups(c, Signal::kMetrics, metrics, d.KeyPath("metric_statements"));
  AddGroups(c, Signal::kLogs, logs, d.KeyPath("log_statements"));
  return c;
}

}  // namespace otlpd::processors::transform
