#include "service/pipeline.h"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "internal/cpus.h"

namespace otlpd {
namespace {

// BoundedQueue::Pop waits forever when given a negative timeout (the
// semaphore's own convention): an idle worker sleeps until a push or the
// shutdown wake-up, instead of polling.
constexpr std::chrono::microseconds kForever{-1};

// Set while a synchronous pipeline runs in a receiver's thread: a refusal
// there is answered to the client instead of retried.
thread_local bool t_client_waits = false;
// The pipeline this thread runs inline (TryRunInline), if any.
thread_local const Pipeline* t_inline = nullptr;

void CountRefused(const std::vector<Pipeline*>& pipelines, const Payload& payload) {
  for (Pipeline* p : pipelines) {
    if (p->telemetry() != nullptr)
      SignalCounters::Add((*p->telemetry())[payload.signal].refused, payload.items);
  }
}

}  // namespace

bool FanOut::UsesGzip() const {
  return std::any_of(exporters_.begin(), exporters_.end(), [](const Consumer* c) { return c->UsesGzip(); });
}

Status FanOut::Consume(const PayloadPtr& payload) {
  std::vector<Consumer*> pending;
  Status last;
  for (Consumer* e : exporters_) {
    Status s = e->Consume(payload);
    if (s.ok()) continue;
    if (s.retryable()) {
      // The client retries the request; the first such refusal is enough.
      if (t_client_waits) return s;
      pending.push_back(e);
    } else {
      // Permanent: the exporter has counted and logged it; the others still got it.
      last = s;
    }
  }
  if (pending.empty()) return last;
  if (pipeline_ != nullptr && pipeline_->InlineHere()) {
    // A receiver's thread serves other clients: it must not sleep here.
    const std::uint64_t items = payload->items;
    pipeline_->Defer(
        [this, payload, pending = std::move(pending)]() mutable {
          return Retry(payload, std::move(pending), Status());
        },
        items);
    return last;
  }
  return Retry(payload, std::move(pending), std::move(last));
}

Status FanOut::Retry(const PayloadPtr& payload, std::vector<Consumer*> pending, Status last) {
  auto backoff = std::chrono::milliseconds(1);
  while (!pending.empty()) {
    auto deadline = Clock::time_point(Clock::duration(deadline_.load(std::memory_order_acquire)));
    if (Clock::now() >= deadline) {
      spdlog::error("dropping {} {} at shutdown deadline: {} exporter(s) still refusing", payload->items,
                    ItemNoun(payload->signal), pending.size());
      return Status::Unavailable("shutdown deadline passed with exporters still refusing");
    }
    std::this_thread::sleep_for(std::min<Clock::duration>(backoff, deadline - Clock::now()));
    backoff = std::min(backoff * 2, std::chrono::milliseconds(100));
    std::erase_if(pending, [&](Consumer* e) {
      Status s = e->Consume(payload);
      if (!s.ok() && !s.retryable()) last = s;
      return s.ok() || !s.retryable();
    });
  }
  return last;
}

void FanOut::SetDeadline(Clock::time_point deadline) {
  deadline_.store(deadline.time_since_epoch().count(), std::memory_order_release);
}

Pipeline::Pipeline(std::string id, Signal signal, PipelineOptions options, ComponentTelemetry* telemetry)
    : id_(std::move(id)),
      signal_(signal),
      options_(options),
      telemetry_(telemetry),
      queue_(options.queue_max_items, options.queue_max_bytes),
      wake_(MakePayload(signal, {}, 0)),
      deferred_marker_(MakePayload(signal, {}, 0)) {
  using Inline = PipelineOptions::Inline;
  inline_ = !options_.synchronous && (options_.run_inline == Inline::kAlways ||
                                      (options_.run_inline == Inline::kAuto && AvailableCpus() == 1));
  if (telemetry_ != nullptr) {
    telemetry_->queue_size = [this] { return queue_.items(); };
    telemetry_->queue_capacity = [this] { return queue_.max_items(); };
  }
}

Pipeline::~Pipeline() {
  // Not drained by the service (a failed start): stop the workers now.
  if (!workers_.empty()) Drain(Clock::now());
}

void Pipeline::Start() {
  if (options_.synchronous) {
    spdlog::info(
        "pipeline {}: every exporter has a persistent queue: running synchronously, "
        "clients are answered once their data is stored",
        id_);
    return;
  }
  if (inline_) {
    spdlog::info("pipeline {}: runs in the receivers' threads while its queue is empty (one CPU to use)",
                 id_);
  }
  for (int i = 0; i < std::max(1, options_.workers); ++i) workers_.emplace_back([this] { Work(); });
}

bool Pipeline::Enter() {
  // Both sides use sequentially consistent operations: either Drain() sees
  // this caller inside, or the caller sees that accepting ended.
  inside_.n.fetch_add(1, std::memory_order_seq_cst);
  if (accepting_.load(std::memory_order_seq_cst)) return true;
  Leave();
  return false;
}

void Pipeline::Leave() { inside_.n.fetch_sub(1, std::memory_order_seq_cst); }

Status Pipeline::RunNow(const PayloadPtr& payload) {
  const bool outer = t_client_waits;
  t_client_waits = true;
  Status s = head_->Consume(payload);
  t_client_waits = outer;
  return s;
}

bool Pipeline::TryRunInline(const PayloadPtr& payload) {
  if (!inline_ || queue_.depth() > 0 || deferred_count_.load(std::memory_order_acquire) > 0) return false;
  // Queued: nobody waits for this result (a connector's upstream client neither).
  const Pipeline* outer = t_inline;
  const bool outer_client_waits = t_client_waits;
  t_inline = this;
  t_client_waits = false;
  Status s = head_->Consume(payload);
  t_inline = outer;
  t_client_waits = outer_client_waits;
  if (!s.ok() && telemetry_ != nullptr) SignalCounters::Add((*telemetry_)[signal_].dropped, payload->items);
  return true;
}

bool Pipeline::InlineHere() const { return t_inline == this; }

void Pipeline::Defer(std::function<Status()> retry, std::uint64_t items) {
  {
    std::lock_guard<std::mutex> lock(deferred_mu_);
    deferred_.push_back({std::move(retry), items});
  }
  deferred_count_.fetch_add(1, std::memory_order_acq_rel);
  // Zero items and bytes always fit; the marker wakes a worker.
  if (queue_.Reserve(0, 0)) queue_.PushReserved(deferred_marker_);
}

void Pipeline::RunDeferred() {
  Deferred d;
  {
    std::lock_guard<std::mutex> lock(deferred_mu_);
    if (deferred_.empty()) return;
    d = std::move(deferred_.front());
    deferred_.pop_front();
  }
  Status s = abandon_.load(std::memory_order_acquire) ? Status::Unavailable("abandoned at shutdown deadline")
                                                      : d.retry();
  if (!s.ok() && telemetry_ != nullptr) SignalCounters::Add((*telemetry_)[signal_].dropped, d.items);
  deferred_count_.fetch_sub(1, std::memory_order_acq_rel);
}

void Pipeline::Work() {
  PayloadPtr payload;
  while (true) {
    if (!queue_.Pop(payload, kForever)) continue;
    if (payload == wake_) return;
    if (payload == deferred_marker_) {
      RunDeferred();
      continue;
    }
    Status s = abandon_.load(std::memory_order_acquire)
                   ? Status::Unavailable("abandoned at shutdown deadline")
                   : head_->Consume(payload);
    if (!s.ok() && telemetry_ != nullptr) SignalCounters::Add((*telemetry_)[signal_].dropped, payload->items);
    payload.reset();
  }
}

void Pipeline::Drain(Clock::time_point deadline) {
  accepting_.store(false, std::memory_order_seq_cst);
  // After this nobody pushes again, so the queue only shrinks. Callers
  // inside hold the pipeline briefly (a reservation and a push), or, when
  // synchronous, for one run of the processors and exporters.
  while (inside_.n.load(std::memory_order_seq_cst) > 0 && Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  if (const int inside = inside_.n.load(std::memory_order_seq_cst); inside > 0) {
    spdlog::warn("pipeline {}: {} caller(s) still inside at the shutdown deadline", id_, inside);
  }
  if (workers_.empty()) return;
  while (queue_.depth() > 0 && Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  if (queue_.depth() > 0) {
    spdlog::error("pipeline {}: dropping {} payload(s) still queued at the shutdown deadline", id_,
                  queue_.depth());
    abandon_.store(true, std::memory_order_release);
    // Workers now count what is left without running it; the queue must be
    // empty before the wake-ups go in, so that each worker takes exactly one.
    // A worker is only still busy if a consumer overran the deadline it was
    // given: wait for that one second more, no longer.
    const auto limit = deadline + std::chrono::seconds(1);
    while (queue_.depth() > 0 && Clock::now() < limit)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    if (queue_.depth() > 0) {
      spdlog::error("pipeline {}: a consumer overran the shutdown deadline with {} payload(s) still queued",
                    id_, queue_.depth());
    }
  }
  for (std::size_t i = 0; i < workers_.size(); ++i) {
    // Zero items and bytes always fit.
    if (queue_.Reserve(0, 0)) queue_.PushReserved(wake_);
  }
  for (auto& t : workers_) t.join();
  workers_.clear();
}

PipelinesEntry::PipelinesEntry(std::vector<Pipeline*> pipelines) : pipelines_(std::move(pipelines)) {
  for (Pipeline* p : pipelines_) (p->synchronous() ? synchronous_ : queued_).push_back(p);
}

bool PipelinesEntry::UsesGzip() const {
  return std::any_of(pipelines_.begin(), pipelines_.end(), [](const Pipeline* p) { return p->UsesGzip(); });
}

Status PipelinesEntry::Consume(const PayloadPtr& payload) {
  const std::uint64_t items = payload->items;
  const std::uint64_t bytes = payload->bytes.size();
  // Admission gates (memory_limiter) decide before any queue space is taken,
  // so their refusal reaches the client as retryable back-pressure instead of
  // a drop after the receiver has answered. All or nothing, like the queues.
  for (Pipeline* p : pipelines_) {
    Status admitted = p->admission().Admit(*payload);
    if (admitted.ok()) continue;
    CountRefused(pipelines_, *payload);
    return admitted;
  }
  std::size_t entered = 0;
  for (; entered < pipelines_.size(); ++entered) {
    if (!pipelines_[entered]->Enter()) break;
  }
  struct LeaveAll {
    const std::vector<Pipeline*>& pipelines;
    std::size_t n;
    ~LeaveAll() {
      for (std::size_t i = 0; i < n; ++i) pipelines[i]->Leave();
    }
  } leave{pipelines_, entered};
  if (entered < pipelines_.size()) {
    CountRefused(pipelines_, *payload);
    return Status::Unavailable("otlpd is shutting down", kRetryAfter);
  }

  std::size_t reserved = 0;
  for (; reserved < queued_.size(); ++reserved) {
    if (!queued_[reserved]->queue().Reserve(items, bytes)) break;
  }
  auto cancel = [&] {
    for (std::size_t i = 0; i < reserved; ++i) queued_[i]->queue().CancelReservation(items, bytes);
  };
  if (reserved < queued_.size()) {
    cancel();
    CountRefused(pipelines_, *payload);
    return Status::Unavailable("pipeline " + queued_[reserved]->id() + " queue is full", kRetryAfter);
  }

  Status permanent;
  for (Pipeline* p : synchronous_) {
    Status s = p->RunNow(payload);
    if (p->telemetry() != nullptr) {
      SignalCounters& c = (*p->telemetry())[payload->signal];
      SignalCounters::Add(s.ok() ? c.accepted : c.refused, items);
    }
    if (s.ok()) continue;
    if (!s.retryable()) {
      permanent = s;
      continue;
    }
    cancel();
    CountRefused(queued_, *payload);
    if (s.code() == StatusCode::kUnavailable && s.retry_after().count() == 0)
      return Status::Unavailable(s.message(), kRetryAfter);
    return s;
  }

  for (Pipeline* p : queued_) {
    if (p->TryRunInline(payload)) {
      p->queue().CancelReservation(items, bytes);
    } else {
      p->queue().PushReserved(payload);
    }
    if (p->telemetry() != nullptr) SignalCounters::Add((*p->telemetry())[payload->signal].accepted, items);
  }
  return permanent;
}

}  // namespace otlpd
