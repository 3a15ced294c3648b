#include "service/graph.h"

#include <algorithm>
#include <functional>
#include <set>

#include "config/error.h"

namespace otlpd {
namespace {

using config::ComponentId;
using config::Error;
using config::PipelineConfig;

std::string Quote(const std::string& s) { return "\"" + s + "\""; }

// Where a connector appears in one pipeline's list.
struct Use {
  std::size_t pipeline;
  std::size_t position;
};

std::string ListPath(const PipelineConfig& p, std::string_view list, std::size_t i) {
  return "service.pipelines." + p.id.ToString() + "." + std::string(list) + "[" + std::to_string(i) + "]";
}

// Go's %v of a []string: "[traces/a traces/b]".
std::string GoList(const std::vector<std::string>& items) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) out += (i ? " " : "") + items[i];
  return out + "]";
}

bool Supports(const std::vector<std::pair<Signal, Signal>>& pairs, Signal in, Signal out) {
  return std::find(pairs.begin(), pairs.end(), std::make_pair(in, out)) != pairs.end();
}

// The signals of the pipelines in `uses`, in first-use order.
std::vector<Signal> SignalsOf(const std::vector<Use>& uses, const config::ServiceConfig& sc) {
  std::vector<Signal> out;
  for (const Use& u : uses) {
    const Signal s = sc.pipelines[u.pipeline].signal;
    if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(s);
  }
  return out;
}

// Throws when `id` is used on one side (or in unsupported pairs only), with
// otelcol's message, located at its first such use.
void CheckBothSides(const ComponentId& id, const std::vector<std::pair<Signal, Signal>>& pairs,
                    const std::vector<Use>& as_exporter, const std::vector<Use>& as_receiver,
                    const config::ServiceConfig& sc) {
  const std::vector<Signal> exp_signals = SignalsOf(as_exporter, sc);
  const std::vector<Signal> rec_signals = SignalsOf(as_receiver, sc);
  auto fail = [&](const std::vector<Use>& uses, Signal s, std::string_view list, std::string_view side,
                  std::string_view other) {
    std::vector<std::string> names;
    const Use* first = nullptr;
    for (const Use& u : uses) {
      if (sc.pipelines[u.pipeline].signal != s) continue;
      names.push_back(sc.pipelines[u.pipeline].id.ToString());
      if (first == nullptr) first = &u;
    }
    const PipelineConfig& p = sc.pipelines[first->pipeline];
    const config::Mark& mark =
        list == "exporters" ? p.exporter_marks[first->position] : p.receiver_marks[first->position];
    throw Error(mark, ListPath(p, list, first->position),
                "connector " + Quote(id.ToString()) + " used as " + std::string(side) + " in " +
                    GoList(names) + " pipeline but not used in any supported " + std::string(other) +
                    " pipeline");
  };
  for (Signal e : exp_signals) {
    bool ok = false;
    for (Signal r : rec_signals) ok = ok || Supports(pairs, e, r);
    if (!ok) fail(as_exporter, e, "exporters", "exporter", "receiver");
  }
  for (Signal r : rec_signals) {
    bool ok = false;
    for (Signal e : exp_signals) ok = ok || Supports(pairs, e, r);
    if (!ok) fail(as_receiver, r, "receivers", "receiver", "exporter");
  }
}

// Nodes 0..P-1 are pipelines, P.. are connector instances.
struct Nodes {
  std::size_t pipelines;
  std::vector<std::vector<std::size_t>> next;
};

Nodes BuildEdges(const config::ServiceConfig& sc, const std::vector<ConnectorInstance>& connectors) {
  Nodes g{sc.pipelines.size(),
          std::vector<std::vector<std::size_t>>(sc.pipelines.size() + connectors.size())};
  for (std::size_t c = 0; c < connectors.size(); ++c) {
    const std::size_t node = g.pipelines + c;
    for (std::size_t p : connectors[c].upstream) g.next[p].push_back(node);
    for (std::size_t p : connectors[c].downstream) g.next[node].push_back(p);
  }
  return g;
}

// A cycle among `remaining` nodes (each has an incoming edge from another
// remaining node), as the node sequence without the repeated first node.
std::vector<std::size_t> FindCycle(const Nodes& g, const std::vector<bool>& remaining) {
  std::vector<int> state(g.next.size(), 0);  // 0 new, 1 on stack, 2 done
  std::vector<std::size_t> stack;
  std::vector<std::size_t> cycle;
  std::function<bool(std::size_t)> visit = [&](std::size_t n) {
    state[n] = 1;
    stack.push_back(n);
    for (std::size_t m : g.next[n]) {
      if (!remaining[m]) continue;
      if (state[m] == 1) {
        cycle.assign(std::find(stack.begin(), stack.end(), m), stack.end());
        return true;
      }
      if (state[m] == 0 && visit(m)) return true;
    }
    stack.pop_back();
    state[n] = 2;
    return false;
  };
  for (std::size_t n = 0; n < g.next.size(); ++n) {
    if (remaining[n] && state[n] == 0 && visit(n)) break;
  }
  return cycle;
}

[[noreturn]] void FailCycle(const config::ServiceConfig& sc, const std::vector<ConnectorInstance>& connectors,
                            const Nodes& g, std::vector<std::size_t> cycle) {
  // Start at a connector, as otelcol reports it.
  auto first = std::find_if(cycle.begin(), cycle.end(), [&](std::size_t n) { return n >= g.pipelines; });
  std::rotate(cycle.begin(), first, cycle.end());
  cycle.push_back(cycle.front());
  std::string text;
  auto add = [&](const std::string& part) { text += (text.empty() ? "" : " -> ") + part; };
  for (std::size_t n : cycle) {
    if (n >= g.pipelines) {
      const ConnectorInstance& c = connectors[n - g.pipelines];
      add("connector " + Quote(c.id.ToString()) + " (" + std::string(SignalName(c.input)) + " to " +
          std::string(SignalName(c.output)) + ")");
    } else {
      const PipelineConfig& p = sc.pipelines[n];
      for (const ComponentId& proc : p.processors)
        add("processor " + Quote(proc.ToString()) + " in pipeline " + Quote(p.id.ToString()));
    }
  }
  // Located where the loop closes: the last pipeline's entry naming the first connector.
  const std::size_t last_pipeline = cycle[cycle.size() - 2];
  const PipelineConfig& p = sc.pipelines[last_pipeline];
  const ComponentId& closing = connectors[cycle.front() - g.pipelines].id;
  std::size_t position = 0;
  while (position + 1 < p.exporters.size() && p.exporters[position] != closing) ++position;
  throw Error(p.exporter_marks[position], ListPath(p, "exporters", position), "cycle detected: " + text);
}

std::vector<GraphStage> Order(const config::ServiceConfig& sc,
                              const std::vector<ConnectorInstance>& connectors) {
  const Nodes g = BuildEdges(sc, connectors);
  std::vector<std::size_t> incoming(g.next.size(), 0);
  for (const auto& out : g.next)
    for (std::size_t m : out) ++incoming[m];
  std::vector<bool> remaining(g.next.size(), true);
  std::vector<GraphStage> order;
  // Kahn's algorithm, always taking the lowest ready node: config order where
  // the graph leaves a choice, so lifecycles are reproducible.
  while (order.size() < g.next.size()) {
    std::size_t ready = g.next.size();
    for (std::size_t n = 0; n < g.next.size(); ++n) {
      if (remaining[n] && incoming[n] == 0) {
        ready = n;
        break;
      }
    }
    if (ready == g.next.size()) FailCycle(sc, connectors, g, FindCycle(g, remaining));
    remaining[ready] = false;
    for (std::size_t m : g.next[ready]) --incoming[m];
    if (ready < g.pipelines) {
      order.push_back({GraphStage::Kind::kPipeline, ready});
    } else {
      order.push_back({GraphStage::Kind::kConnector, ready - g.pipelines});
    }
  }
  return order;
}

}  // namespace

GraphPlan PlanGraph(const config::ServiceConfig& sc, const ConnectorPairs& connectors) {
  std::map<ComponentId, std::vector<Use>> as_exporter;
  std::map<ComponentId, std::vector<Use>> as_receiver;
  for (std::size_t i = 0; i < sc.pipelines.size(); ++i) {
    const PipelineConfig& p = sc.pipelines[i];
    for (std::size_t j = 0; j < p.exporters.size(); ++j) {
      if (connectors.count(p.exporters[j])) as_exporter[p.exporters[j]].push_back({i, j});
    }
    for (std::size_t j = 0; j < p.receivers.size(); ++j) {
      if (connectors.count(p.receivers[j])) as_receiver[p.receivers[j]].push_back({i, j});
    }
  }

  GraphPlan plan;
  for (const auto& [id, pairs] : connectors) {
    const std::vector<Use>& exp = as_exporter[id];
    const std::vector<Use>& rec = as_receiver[id];
    if (exp.empty() && rec.empty()) continue;  // unused: validated elsewhere, not created
    CheckBothSides(id, pairs, exp, rec, sc);
    for (Signal in : SignalsOf(exp, sc)) {
      for (Signal out : SignalsOf(rec, sc)) {
        if (!Supports(pairs, in, out)) continue;
        ConnectorInstance c{id, in, out, {}, {}};
        for (const Use& u : exp) {
          if (sc.pipelines[u.pipeline].signal == in &&
              (c.upstream.empty() || c.upstream.back() != u.pipeline))
            c.upstream.push_back(u.pipeline);
        }
        for (const Use& u : rec) {
          if (sc.pipelines[u.pipeline].signal == out &&
              (c.downstream.empty() || c.downstream.back() != u.pipeline))
            c.downstream.push_back(u.pipeline);
        }
        plan.connectors.push_back(std::move(c));
      }
    }
  }
  plan.order = Order(sc, plan.connectors);
  return plan;
}

}  // namespace otlpd
