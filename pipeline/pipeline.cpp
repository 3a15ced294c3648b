#include "pipeline/pipeline.h"

#include <algorithm>

#include <spdlog/spdlog.h>

namespace otlpd {

Status FanOut::Consume(const PayloadPtr& payload) {
  std::vector<Consumer*> pending;
  Status last;
  for (Consumer* e : exporters_) {
    Status s = e->Consume(payload);
    if (s.ok()) continue;
    if (s.retryable()) {
      pending.push_back(e);
    } else {
      // Permanent: the exporter has counted and logged it; the others still got it.
      last = s;
    }
  }
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
      queue_(options.queue_max_items, options.queue_max_bytes) {
  if (telemetry_ != nullptr) {
    telemetry_->queue_size = [this] { return queue_.items(); };
    telemetry_->queue_capacity = [this] { return queue_.max_items(); };
  }
}

Pipeline::~Pipeline() {
  stop_.store(true);
  for (auto& t : workers_) {
    if (t.joinable()) t.join();
  }
}

void Pipeline::Start() {
  for (int i = 0; i < std::max(1, options_.workers); ++i) workers_.emplace_back([this] { Work(); });
}

void Pipeline::Work() {
  PayloadPtr payload;
  while (true) {
    if (queue_.Pop(payload, std::chrono::milliseconds(50))) {
      Status s = abandon_.load(std::memory_order_acquire)
                     ? Status::Unavailable("abandoned at shutdown deadline")
                     : head_->Consume(payload);
      if (!s.ok() && telemetry_ != nullptr)
        SignalCounters::Add((*telemetry_)[signal_].dropped, payload->items);
      payload.reset();
      continue;
    }
    if (stop_.load(std::memory_order_acquire) && queue_.depth() == 0) return;
  }
}

void Pipeline::Drain(Clock::time_point deadline) {
  accepting_.store(false, std::memory_order_release);
  while (queue_.depth() > 0 && Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  if (queue_.depth() > 0) {
    spdlog::error("pipeline {}: dropping {} payload(s) still queued at the shutdown deadline", id_,
                  queue_.depth());
    abandon_.store(true, std::memory_order_release);
  }
  stop_.store(true, std::memory_order_release);
  for (auto& t : workers_) t.join();
  workers_.clear();
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
    for (Pipeline* q : pipelines_) {
      if (q->telemetry() != nullptr) SignalCounters::Add((*q->telemetry())[payload->signal].refused, items);
    }
    return admitted;
  }
  std::size_t reserved = 0;
  Status refusal;
  for (; reserved < pipelines_.size(); ++reserved) {
    Pipeline* p = pipelines_[reserved];
    if (!p->accepting()) {
      refusal = Status::Unavailable("otlpd is shutting down", kRetryAfter);
      break;
    }
    if (!p->queue().Reserve(items, bytes)) {
      refusal = Status::Unavailable("pipeline " + p->id() + " queue is full", kRetryAfter);
      break;
    }
  }
  if (reserved < pipelines_.size()) {
    for (std::size_t i = 0; i < reserved; ++i) pipelines_[i]->queue().CancelReservation(items, bytes);
    for (Pipeline* p : pipelines_) {
      if (p->telemetry() != nullptr) SignalCounters::Add((*p->telemetry())[payload->signal].refused, items);
    }
    return refusal;
  }
  for (Pipeline* p : pipelines_) {
    p->queue().PushReserved(payload);
    if (p->telemetry() != nullptr) SignalCounters::Add((*p->telemetry())[payload->signal].accepted, items);
  }
  return Status::Ok();
}

}  // namespace otlpd
