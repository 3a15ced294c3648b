#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "component/component.h"
#include "component/factory.h"
#include "component/telemetry.h"
#include "config/component_id.h"
#include "config/feature_gates.h"
#include "config/node.h"
#include "service/graph.h"
#include "service/pipeline.h"
#include "service/processor_counter.h"

namespace otlpd {

// The running collector built from one loaded config: every component named by
// service.pipelines, the pipelines and the wiring between them.
//
// Build() decodes and validates everything and throws config::Error (located,
// with key path) on the first problem; it binds nothing, so `otlpd validate`
// is Build() alone. Start() starts extensions, exporters, then pipelines
// (processors and queue) and connectors downstream first, then receivers;
// Shutdown() stops them in reverse and drains: receivers stop accepting, each
// pipeline empties its queue and flushes its processors before the connectors
// it feeds stop, exporters send what they hold.
class Service {
 public:
  // `gates`: the --feature-gates in force (profiles pipelines need one).
  // `receive_memory_bytes`: the receivers' shared budget (--receive-memory-mib);
  // 0 sizes it from the receivers' request limits (ReceiveBudget).
  static std::unique_ptr<Service> Build(const config::Node& root, const Components& components,
                                        PipelineOptions pipeline_options = {},
                                        const config::FeatureGates& gates = {},
                                        std::uint64_t receive_memory_bytes = 0);
  ~Service();

  Status Start();
  void Shutdown(Clock::time_point deadline);

  Telemetry& telemetry() { return telemetry_; }
  std::size_t pipeline_count() const { return pipelines_.size(); }
  const ReceiveBudget& receive_budget() const { return *receive_budget_; }
  // Every component Start() started, in start order: for checks from outside
  // (the lifecycle test shuts each down a second time, which must be harmless).
  void ForEachStarted(const std::function<void(Component&)>& fn) const {
    for (Component* c : started_) fn(*c);
  }

 private:
  struct ProcessorChain {
    // Around each processor; declared first so they outlive the processors
    // (a batch processor's timer may still hand data on while it stops).
    std::vector<std::unique_ptr<ProcessorCounter>> counters;
    std::vector<std::unique_ptr<Processor>> processors;  // in pipeline order
    std::unique_ptr<FanOut> fan_out;
    std::unique_ptr<Pipeline> pipeline;
  };

  Service() = default;

  Telemetry telemetry_;
  // Before every component: receivers and memory gates point at it.
  std::unique_ptr<ReceiveBudget> receive_budget_;
  std::vector<std::pair<config::ComponentId, std::unique_ptr<Extension>>> extensions_;
  std::map<config::ComponentId, std::unique_ptr<Exporter>> exporters_;
  std::map<config::ComponentId, std::unique_ptr<Receiver>> receivers_;
  std::vector<ProcessorChain> chains_;  // in service.pipelines order
  std::vector<std::pair<config::ComponentId, std::unique_ptr<Connector>>>
      connectors_;                  // as GraphPlan::connectors
  std::vector<GraphStage> stages_;  // pipelines and connectors, upstream first
  std::vector<Pipeline*> pipelines_;
  std::vector<std::unique_ptr<PipelinesEntry>> entries_;
  std::vector<Component*> started_;  // in start order, for unwinding
  bool shut_down_ = false;
};

}  // namespace otlpd
