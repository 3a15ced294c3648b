#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "pipeline/admission.h"
#include "pipeline/bounded_queue.h"
#include "pipeline/component.h"
#include "pipeline/consumer.h"
#include "pipeline/telemetry.h"

namespace otlpd {

// Hands every payload to all exporters of a pipeline; they share it, nothing is
// copied. An exporter that refuses with a retryable status (its sending queue
// is full) is retried alone, with backoff, so the ones that took the payload
// never see it twice. Retrying blocks the pipeline worker, which fills the
// pipeline queue, which makes receivers refuse: back-pressure reaches the
// clients instead of data being dropped. Only when shutdown's deadline passes
// is a payload given up, counted as dropped and logged.
class FanOut : public Consumer {
 public:
  explicit FanOut(std::vector<Consumer*> exporters) : exporters_(std::move(exporters)) {}
  Status Consume(const PayloadPtr& payload) override;
  // After this, retries stop at `deadline`.
  void SetDeadline(Clock::time_point deadline);

 private:
  std::vector<Consumer*> exporters_;
  std::atomic<Clock::rep> deadline_{Clock::time_point::max().time_since_epoch().count()};
};

struct PipelineOptions {
  std::uint64_t queue_max_items = 100000;
  std::uint64_t queue_max_bytes = 64ull << 20;
  int workers = 1;
};

// One `service.pipelines` entry at run time: its bounded queue and the workers
// that pop it and push into the first processor (or the fan-out).
class Pipeline {
 public:
  Pipeline(std::string id, Signal signal, PipelineOptions options, ComponentTelemetry* telemetry);
  ~Pipeline();

  const std::string& id() const { return id_; }
  Signal signal() const { return signal_; }
  BoundedQueue& queue() { return queue_; }
  ComponentTelemetry* telemetry() const { return telemetry_; }
  // Consulted by PipelinesEntry before queueing (memory_limiter registers here).
  AdmissionGates& admission() { return admission_; }

  void SetHead(Consumer* head) { head_ = head; }
  void Start();
  // Stops taking data, lets the workers empty the queue until `deadline`, joins them.
  void Drain(Clock::time_point deadline);
  bool accepting() const { return accepting_.load(std::memory_order_acquire); }

 private:
  void Work();

  const std::string id_;
  const Signal signal_;
  const PipelineOptions options_;
  ComponentTelemetry* telemetry_;
  BoundedQueue queue_;
  AdmissionGates admission_;
  Consumer* head_ = nullptr;
  std::atomic<bool> accepting_{true};
  std::atomic<bool> stop_{false};
  std::atomic<bool> abandon_{false};  // past the deadline: count what is left as dropped
  std::vector<std::thread> workers_;
};

// What a receiver pushes one signal into: every pipeline that names the
// receiver for that signal. Room is reserved in all of them first, so either
// all take the payload or none does.
class PipelinesEntry : public Consumer {
 public:
  explicit PipelinesEntry(std::vector<Pipeline*> pipelines) : pipelines_(std::move(pipelines)) {}
  Status Consume(const PayloadPtr& payload) override;

  // The retry hint sent with back-pressure refusals.
  static constexpr std::chrono::milliseconds kRetryAfter{1000};

 private:
  std::vector<Pipeline*> pipelines_;
};

}  // namespace otlpd
