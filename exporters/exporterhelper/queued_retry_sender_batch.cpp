// sending_queue.batch: the batching consumers of QueuedRetrySender (see
// queue_batcher.h for how entries are tracked through batches).
#include <spdlog/spdlog.h>

#include "exporters/exporterhelper/queued_retry_sender.h"

namespace otlpd::exporters::exporterhelper {

void QueuedRetrySender::BatchingConsumerLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  auto add = [&](Item item) {
    PayloadPtr payload = std::move(item.payload);  // the batch keeps its own copy of the bytes
    const Clock::time_point before = batcher_->NextDeadline();
    batcher_->Add(*payload, std::move(item), Clock::now());
    if (batcher_->NextDeadline() < before) flush_cv_.notify_one();
  };
  while (true) {
    not_empty_.wait(lock, [this] { return stopping_ || batcher_->HasReady() || !queue_.empty(); });
    if (stopping_) {
      // Persistent: what is queued or batched stays on disk for the next start.
      if (persistent_ || time_->Now() >= Deadline()) return;
      // In memory: drain; everything queued is batched and sent now.
      while (!queue_.empty()) {
        Item item = std::move(queue_.front());
        queue_.pop_front();
        add(std::move(item));
      }
      batcher_->FlushAll(Clock::now());
      if (!batcher_->HasReady()) return;
    } else if (!batcher_->HasReady()) {
      Item item = std::move(queue_.front());
      queue_.pop_front();
      add(std::move(item));
      if (batcher_->HasReady()) not_empty_.notify_all();  // more than one output: let others help
      continue;
    }
    DeliverBatch(batcher_->PopReady(), lock);
  }
}

void QueuedRetrySender::DeliverBatch(Batcher::Output out, std::unique_lock<std::mutex>& lock) {
  lock.unlock();
  bool kept = false;
  Status s = Deliver(out.payload, persistent_ ? &kept : nullptr);
  out.payload.reset();
  std::vector<Batcher::TrackedPtr> finished;
  lock.lock();
  Batcher::Complete(out, s, kept, finished);
  if (finished.empty()) return;
  lock.unlock();
  for (const Batcher::TrackedPtr& t : finished) {
    // Only now is the record not needed: every part of it was delivered (or
    // given up for good); a crash before this sends it again.
    if (persistent_ && !t->kept) {
      if (Status r = storage_->Remove(t->entry.record); !r.ok()) {
        spdlog::warn(
            "exporter {}: cannot remove delivered record {} (it may be sent again after a restart): {}", id_,
            t->entry.record, r.message());
      }
    }
    if (t->entry.outcome) SetOutcome(*t->entry.outcome, t->status);
  }
  lock.lock();
  for (const Batcher::TrackedPtr& t : finished) {
    used_ -= t->entry.size;
    if (t->kept) {
      ++kept_requests_;
      kept_items_ += t->items;
    }
  }
  not_full_.notify_all();
}

void QueuedRetrySender::FlushLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    const Clock::time_point next = batcher_->NextDeadline();
    const Clock::time_point now = Clock::now();
    if (next <= now) {
      batcher_->FlushDue(now);
      if (batcher_->HasReady()) not_empty_.notify_all();
      continue;
    }
    if (next == Clock::time_point::max()) {
      flush_cv_.wait(lock);
    } else {
      flush_cv_.wait_until(lock, next);
    }
  }
}

void QueuedRetrySender::ShutdownBatcher(std::uint64_t& left_requests, std::uint64_t& left_items) {
  Batcher::Leftover left = batcher_->TakeLeftover();
  left_requests += left.entries.size();
  for (const Batcher::TrackedPtr& t : left.entries) {
    left_items += t->items;
    used_ -= t->entry.size;
    // Persistent: the records stay on disk. In memory: they are lost, and
    // counted as such (the items not yet delivered).
    if (!persistent_ && t->entry.outcome) {
      SetOutcome(*t->entry.outcome,
                 Status::Internal("exporter " + id_ + ": dropped at the shutdown deadline"));
    }
  }
  if (persistent_) return;
  for (Signal signal : {Signal::kTraces, Signal::kMetrics, Signal::kLogs}) {
    SignalCounters::Add(Counters(signal).send_failed, left.items[static_cast<int>(signal)]);
  }
}

}  // namespace otlpd::exporters::exporterhelper
