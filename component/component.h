#pragma once

#include <chrono>

#include "component/consumer.h"
#include "internal/signal.h"
#include "internal/status.h"

namespace otlpd {

using Clock = std::chrono::steady_clock;

// The lifecycle every receiver, processor, exporter and extension shares.
// Construction decodes and validates config only (so `otlpd validate` can build
// the whole graph); Start binds sockets and starts threads.
class Component {
 public:
  virtual ~Component() = default;
  virtual Status Start() = 0;
  // Stops taking new data and sends, flushes or persists what it holds before
  // `deadline`. Called once, after Start succeeded or failed.
  virtual void Shutdown(Clock::time_point deadline) = 0;
};

// A receiver is one instance however many pipelines name it; for each signal
// it receives, the graph hands it one consumer that fans out to every pipeline.
class Receiver : public Component {
 public:
  virtual void SetConsumer(Signal signal, Consumer* next) = 0;
};

// A processor instance belongs to one pipeline and pushes into `next`, given
// at creation.
class Processor : public Component, public Consumer {};

// An exporter is one instance shared by every pipeline that names it.
class Exporter : public Component, public Consumer {
 public:
  // True when Consume() returning Ok means the payload is stored durably (a
  // persistent sending queue): a pipeline whose exporters are all durable
  // runs synchronously, so that its acknowledgements survive a crash.
  virtual bool durable() const { return false; }
  // True when Consume() returns at once (it only enqueues, or refuses): a
  // pipeline whose exporters all do may run in a receiver's thread
  // (PipelineOptions::run_inline). False unless an exporter says so, since
  // one that sends, waits or writes in Consume() would hold that thread.
  virtual bool ConsumeReturnsAtOnce() const { return false; }
  // Shutdown has begun and must be over by `deadline`: called before the
  // pipelines drain into the exporter, so that no send or retry wait it runs
  // from then on (those of a disabled sending queue included, which run on
  // the pipeline's thread and would hold the drain) lasts past it.
  // Shutdown(deadline) follows.
  virtual void BeginShutdown(Clock::time_point /*deadline*/) {}
};

// A connector joins pipelines: it is an exporter of some (those of its input
// signal) and a receiver of others (those of its output signal, possibly
// another one). The graph makes one instance per (input, output) signal pair
// a config uses; upstream pipelines push into it like into an exporter, and it
// pushes into the ConnectorOutput it was created with. A retryable refusal
// from downstream goes back to the upstream pipeline, whose fan-out retries:
// back-pressure crosses connectors, nothing acknowledged is dropped.
class Connector : public Component, public Consumer {};

// Extensions (health_check, file_storage, ...) start before everything else.
class Extension : public Component {
 public:
  // The Service calls Ready() once every pipeline and receiver runs, and
  // NotReady() as soon as shutdown (or a reload) begins, so health_check can
  // answer 503 while the collector starts or drains.
  virtual void Ready() {}
  virtual void NotReady() {}
};

}  // namespace otlpd
