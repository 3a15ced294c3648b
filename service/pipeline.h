#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "component/admission.h"
#include "component/component.h"
#include "component/consumer.h"
#include "component/telemetry.h"
#include "service/bounded_queue.h"

namespace otlpd {

// Hands every payload to all exporters of a pipeline; they share it, nothing is
// copied. An exporter that refuses with a retryable status (its sending queue
// is full) is retried alone, with backoff, so the ones that took the payload
// never see it twice. Retrying blocks the pipeline worker, which fills the
// pipeline queue, which makes receivers refuse: back-pressure reaches the
// clients instead of data being dropped. Only when shutdown's deadline passes
// is a payload given up, counted as dropped and logged.
//
// In a receiver's thread (a synchronous pipeline run by PipelinesEntry) there
// is no retrying: every exporter is called once and a retryable refusal goes
// back to the client, which sends the whole request again; exporters that
// took it see it twice, which at-least-once delivery allows (otelcol's
// fan-out does the same). Other threads of a synchronous pipeline (a batch
// processor's timer, shutdown flushes) have no client to answer and retry.
//
// When its pipeline runs in a receiver's thread for a queued pipeline (see
// Pipeline::TryRunInline), a retryable refusal is not waited out there: the
// retry goes to the pipeline's worker, which backs off and blocks as above.
class Pipeline;
class FanOut : public Consumer {
 public:
  explicit FanOut(std::vector<Consumer*> exporters) : exporters_(std::move(exporters)) {}
  Status Consume(const PayloadPtr& payload) override;
  bool UsesGzip() const override;
  // After this, retries stop at `deadline`.
  void SetDeadline(Clock::time_point deadline);
  // The pipeline this fan-out ends (for handing retries to its worker).
  void SetPipeline(Pipeline* pipeline) { pipeline_ = pipeline; }

 private:
  Status Retry(const PayloadPtr& payload, std::vector<Consumer*> pending, Status last);

  std::vector<Consumer*> exporters_;
  Pipeline* pipeline_ = nullptr;
  std::atomic<Clock::rep> deadline_{Clock::time_point::max().time_since_epoch().count()};
};

struct PipelineOptions {
  std::uint64_t queue_max_items = 100000;
  std::uint64_t queue_max_bytes = 64ull << 20;
  int workers = 1;
  // No queue and no workers: the receiver's thread runs the processors and the
  // exporters, and the client is answered only once every exporter took the
  // payload. Service::Build sets it for a pipeline whose exporters are all
  // durable (a persistent sending queue), so that an acknowledgement means
  // the data is on disk, not in a queue a crash would empty.
  bool synchronous = false;
  // Run a queued pipeline in the receiver's thread when its queue is empty
  // (TryRunInline). kAuto: when otlpd may use one CPU only, where handing a
  // payload to a worker thread buys no parallelism and costs a wake-up and
  // two context switches per request. Service::Build turns it off for a
  // pipeline whose exporters may block in Consume.
  enum class Inline { kAuto, kNever, kAlways };
  Inline run_inline = Inline::kAuto;
};

// One `service.pipelines` entry at run time: its bounded queue and the workers
// that pop it and push into the first processor (or the fan-out). Idle
// workers sleep on the queue's semaphore (an enqueue makes a system call only
// when a worker sleeps); shutdown wakes them with one empty payload each.
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

  bool synchronous() const { return options_.synchronous; }

  void SetHead(Consumer* head) { head_ = head; }
  // Whether the pipeline's first processor (or its fan-out) may read Payload::gzip.
  bool UsesGzip() const { return head_ != nullptr && head_->UsesGzip(); }
  void Start();
  // Stops taking data, waits for callers inside (PipelinesEntry), lets the
  // workers empty the queue until `deadline`, joins them.
  void Drain(Clock::time_point deadline);
  bool accepting() const { return accepting_.load(std::memory_order_acquire); }

  // Brackets everything PipelinesEntry does with this pipeline (reserve and
  // push, or run it synchronously), so Drain() knows when nobody will push
  // again. Enter() is false once the pipeline stopped accepting.
  bool Enter();
  void Leave();
  // Synchronous pipelines: the processors and exporters, in this thread,
  // whose caller answers a client with the result.
  Status RunNow(const PayloadPtr& payload);

  // Queued pipelines with run_inline: when nothing is queued or waiting to be
  // retried, runs the processors and exporters on `payload` in this thread
  // and returns true; the caller has reserved its room in the queue and
  // cancels the reservation after. A failure is counted as dropped, as the
  // worker counts it. False: push it as usual.
  bool TryRunInline(const PayloadPtr& payload);
  bool runs_inline() const { return inline_; }
  // From the fan-out, inside TryRunInline: `retry` (which may block) runs in
  // the worker instead. While one waits, nothing runs inline, so new data
  // queues behind it and back-pressure works as it does without inlining.
  void Defer(std::function<Status()> retry, std::uint64_t items);
  // Whether this thread is inside TryRunInline for this pipeline.
  bool InlineHere() const;

 private:
  void Work();
  void RunDeferred();

  const std::string id_;
  const Signal signal_;
  const PipelineOptions options_;
  ComponentTelemetry* telemetry_;
  BoundedQueue queue_;
  AdmissionGates admission_;
  Consumer* head_ = nullptr;
  std::atomic<bool> accepting_{true};
  std::atomic<bool> abandon_{false};  // past the deadline: count what is left as dropped
  // Callers between Enter() and Leave(). Written twice per request by every
  // receiver thread: on a cache line of its own, away from what workers read.
  struct alignas(64) Counter {
    std::atomic<int> n{0};
  };
  Counter inside_;
  const PayloadPtr wake_;             // pushed once per worker at shutdown: "stop"
  const PayloadPtr deferred_marker_;  // pushed once per Defer(): "run one deferred retry"
  bool inline_ = false;
  struct Deferred {
    std::function<Status()> retry;
    std::uint64_t items = 0;
  };
  std::mutex deferred_mu_;
  std::deque<Deferred> deferred_;       // guarded by deferred_mu_
  std::atomic<int> deferred_count_{0};  // queued or running
  std::vector<std::thread> workers_;
};

// What a receiver pushes one signal into: every pipeline that names the
// receiver for that signal. Room is reserved in all queued ones first, so
// either all take the payload or none does. Synchronous pipelines then run in
// the caller's thread; a retryable refusal from one of them cancels the
// reservations and goes back to the client (the synchronous pipelines that
// already took the payload see it again when the client retries). A
// permanent refusal goes back too, but the queued pipelines keep the payload:
// the client will not send it again.
class PipelinesEntry : public Consumer {
 public:
  explicit PipelinesEntry(std::vector<Pipeline*> pipelines);
  Status Consume(const PayloadPtr& payload) override;
  bool MayBlock() const override { return !synchronous_.empty(); }
  bool UsesGzip() const override;

  // The retry hint sent with back-pressure refusals.
  static constexpr std::chrono::milliseconds kRetryAfter{1000};

 private:
  std::vector<Pipeline*> pipelines_;
  std::vector<Pipeline*> queued_;
  std::vector<Pipeline*> synchronous_;
};

}  // namespace otlpd
