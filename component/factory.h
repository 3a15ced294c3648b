#pragma once

#include <functional>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#include "component/admission.h"
#include "component/component.h"
#include "component/receive_budget.h"
#include "component/telemetry.h"
#include "config/component_id.h"
#include "config/feature_gates.h"
#include "config/node.h"
#include "internal/signal.h"

namespace otlpd {

// The registry of a component built outside a service (a test, a bench): a
// process-wide one nobody reads, so that a component's telemetry is never null.
inline Telemetry& DetachedTelemetry() {
  static Telemetry detached;
  return detached;
}

// What a factory gets besides its config node.
struct CreateContext {
  config::ComponentId id;
  std::string path;  // config key path of the component: "exporters.file/a"
  Telemetry* telemetry = nullptr;
  // Processors only: the admission gates of the pipeline the instance is
  // created for. A processor that refuses data under pressure
  // (memory_limiter) adds itself; the pipeline asks it before queueing.
  AdmissionGates* admission = nullptr;
  // The bytes waiting in all the service's pipeline queues, which share the
  // process's memory; call it at run time. Null outside a service.
  std::function<std::uint64_t()> queued_bytes = nullptr;
  // The service being built, as an identity: instances created for one
  // service share state (k8sattributes' pod store, resourcedetection's
  // detected resource). Null outside a service.
  const void* service = nullptr;
  // The extensions service.extensions enables, by id (otelcol's
  // host.GetExtensions): an exporter finds its `sending_queue.storage` here.
  // They are created before any other component; null when none is given.
  std::function<Extension*(const config::ComponentId&)> extension = nullptr;
  // Exporters only: the signals of the pipelines that use this one, so a
  // setting a used signal lacks (otlphttp without a URL for it) is a config
  // error at start, as in otelcol, instead of a failure when data comes.
  std::vector<Signal> signals{};
  // The bytes receivers may hold for requests not yet handed to a pipeline,
  // shared by every receiver of the service; a memory gate (memory_limiter)
  // adds itself here. Set by the service; a component built without one
  // keeps a budget of its own.
  ReceiveBudget* receive_budget = nullptr;
  // --feature-gates, for the components whose config or behaviour a gate changes.
  config::FeatureGates gates{};

  // The registry a component's telemetry goes into: the service's, or for a
  // component built outside one (a test) a process-wide one nobody reads.
  // Never null, so components need no "no telemetry" branch.
  Telemetry& registry() const { return telemetry != nullptr ? *telemetry : DetachedTelemetry(); }
  // The component's own counters, registered under `kind` ("exporter") and its id.
  ComponentTelemetry* Register(std::string kind, std::string transport = "") const {
    return registry().Register(std::move(kind), id.ToString(), std::move(transport));
  }
};

// Factories decode and validate their component's config in create() and
// throw config::Error (with location and key path) when it is bad.
struct ReceiverFactory {
  std::string_view type;
  std::vector<Signal> signals;
  std::function<std::unique_ptr<Receiver>(const CreateContext&, const config::Node&)> create;
};

struct ProcessorFactory {
  std::string_view type;
  std::vector<Signal> signals;
  // One instance per pipeline; `next` outlives the processor.
  std::function<std::unique_ptr<Processor>(const CreateContext&, const config::Node&, Signal, Consumer* next)>
      create;
};

struct ExporterFactory {
  std::string_view type;
  std::vector<Signal> signals;
  std::function<std::unique_ptr<Exporter>(const CreateContext&, const config::Node&)> create;
};

// What a connector emits into: the pipelines of its output signal that name it
// as a receiver. `consumer(ids)` gives the consumer that feeds exactly those
// of `pipelines` (null when none of `ids` is one) all or nothing, as a
// receiver's entry does; `all` feeds every one. Call `consumer` inside
// create() only; the consumers it returns live as long as the service.
struct ConnectorOutput {
  Signal signal = Signal::kTraces;
  std::vector<config::ComponentId> pipelines;  // in config order
  std::function<Consumer*(const std::vector<config::ComponentId>&)> consumer;
  Consumer* all = nullptr;
};

struct ConnectorFactory {
  std::string_view type;
  // The (input, output) signal pairs it supports.
  std::vector<std::pair<Signal, Signal>> pairs;
  // Decodes and validates the config only: a connector no pipeline uses is
  // still checked, as otelcol does.
  std::function<void(const CreateContext&, const config::Node&)> validate;
  // One instance per (input, output) pair in use.
  std::function<std::unique_ptr<Connector>(const CreateContext&, const config::Node&, Signal input,
                                           const ConnectorOutput& output)>
      create;
};

struct ExtensionFactory {
  std::string_view type;
  std::function<std::unique_ptr<Extension>(const CreateContext&, const config::Node&)> create;
};

// The explicit list of compiled-in components (cmd/otlpd/components.cpp
// fills it). Aliases (otlp_grpc for otlp, ...) are separate entries.
struct Components {
  std::vector<ReceiverFactory> receivers;
  std::vector<ProcessorFactory> processors;
  std::vector<ExporterFactory> exporters;
  std::vector<ExtensionFactory> extensions;
  std::vector<ConnectorFactory> connectors;
};

// The factory of `type` in one of Components' lists, or null.
template <class F>
const F* FindFactory(const std::vector<F>& factories, std::string_view type) {
  for (const F& f : factories) {
    if (f.type == type) return &f;
  }
  return nullptr;
}

}  // namespace otlpd
