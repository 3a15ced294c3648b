#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "config/component_id.h"
#include "config/service_config.h"
#include "internal/signal.h"

namespace otlpd {

// How service.pipelines join through connectors, decided before anything is
// created (otelcol's service/internal/graph, the connector part).
//
// A connector id listed as an exporter of pipelines of signal A and as a
// receiver of pipelines of signal B is one instance per (A, B) pair its
// factory supports; the instance takes what every A pipeline exporting to it
// sends and emits into every B pipeline receiving from it. As in otelcol, a
// connector used on one side only, or only in pairs it does not support, is an
// error; one no pipeline names is validated and not created. Data may not
// flow in a loop: a cycle through connectors is an error naming it.
struct ConnectorInstance {
  config::ComponentId id;
  Signal input = Signal::kTraces;
  Signal output = Signal::kTraces;
  std::vector<std::size_t> upstream;    // pipelines exporting into it (indices into ServiceConfig::pipelines)
  std::vector<std::size_t> downstream;  // pipelines receiving from it
};

// One step of the lifecycle: a pipeline (its processors and queue) or a
// connector instance.
struct GraphStage {
  enum class Kind { kPipeline, kConnector } kind = Kind::kPipeline;
  std::size_t index = 0;  // into ServiceConfig::pipelines or GraphPlan::connectors
};

struct GraphPlan {
  std::vector<ConnectorInstance> connectors;
  // Upstream first: every pipeline before the connectors it exports to, every
  // connector before the pipelines it feeds. Shutdown drains in this order
  // (receivers are stopped before, exporters after); Start runs it backwards
  // (exporters before, receivers after), as otelcol sorts its graph.
  std::vector<GraphStage> order;
};

// The signal pairs each configured connector's factory supports, by id.
using ConnectorPairs = std::map<config::ComponentId, std::vector<std::pair<Signal, Signal>>>;

// Checks connector use and orders the graph; throws config::Error located at
// the pipeline list entry concerned, with otelcol's wording.
GraphPlan PlanGraph(const config::ServiceConfig& sc, const ConnectorPairs& connectors);

}  // namespace otlpd
