#include "processors/batch/batch_processor.h"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "otlp/wire/wire_walker.h"

namespace otlpd::processors::batch {

BatchProcessor::BatchProcessor(std::string id, Signal signal, Config config, Consumer* next,
                               ComponentTelemetry* telemetry)
    : id_(std::move(id)),
      signal_(signal),
      config_(std::move(config)),
      limits_{wire::BatchSizer::kItems, config_.send_batch_size, config_.send_batch_max_size},
      next_(next),
      telemetry_(telemetry) {}

BatchProcessor::~BatchProcessor() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (timer_.joinable()) timer_.join();
}

Status BatchProcessor::Start() {
  timer_ = std::thread([this] { TimerLoop(); });
  return Status::Ok();
}

void BatchProcessor::Cut(Batch& b, bool all, std::vector<Out>& out) {
  std::vector<wire::Piece> pieces;
  if (Status s = b.requests.Cut(limits_, all, pieces); !s.ok()) {
    // Every payload was validated by its receiver, so this is a bug, not bad input.
    spdlog::error("processor {}: cannot split a batch of {}: {}", id_, ItemNoun(signal_), s.message());
  }
  for (wire::Piece& p : pieces)
    out.push_back(Out{std::move(p.bytes), p.items, b.metadata, std::move(p.gzip)});
}

Status BatchProcessor::Consume(const PayloadPtr& payload) {
  std::shared_ptr<const Metadata> metadata;
  std::string key = wire::MetadataPartition(config_.metadata_keys, *payload, &metadata);
  std::vector<Out> out;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = batches_.find(key);
    if (it == batches_.end()) {
      if (!config_.metadata_keys.empty() && batches_.size() >= config_.metadata_cardinality_limit) {
        return Status::ResourceExhausted("processor " + id_ +
                                         ": too many batcher metadata-value combinations (limit " +
                                         std::to_string(config_.metadata_cardinality_limit) + ")");
      }
      it = batches_.emplace(std::move(key), Batch(signal_)).first;
      it->second.metadata = std::move(metadata);
    }
    Batch& b = it->second;
    bool was_empty = b.requests.empty();
    if (was_empty) {
      b.deadline = Clock::now() + config_.timeout;
      b.requests.UseBuffer(buffers_->Take());
    }
    b.requests.Append(payload->bytes, payload->items, limits_, payload->gzip);
    if (config_.timeout.count() == 0) {
      Cut(b, true, out);
    } else if (b.requests.Ready(limits_)) {
      Cut(b, false, out);
    } else if (was_empty) {
      cv_.notify_one();  // the timer may have to wake earlier now
    }
  }
  return Send(out);
}

Status BatchProcessor::Send(std::vector<Out>& out) {
  Status result;
  for (Out& o : out) {
    std::uint64_t items = o.items;
    telemetry_->batch_send_size.Record(items);  // otelcol_processor_batch_batch_send_size
    Status s = next_->Consume(MakeRecycledPayload(buffers_, signal_, std::move(o.bytes), items,
                                                  std::move(o.metadata), std::move(o.gzip)));
    if (!s.ok()) {
      SignalCounters::Add((*telemetry_)[signal_].dropped, items);
      result = s;
    }
  }
  return result;
}

void BatchProcessor::TimerLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    Clock::time_point earliest = Clock::time_point::max();
    for (const auto& [k, b] : batches_) {
      if (!b.requests.empty()) earliest = std::min(earliest, b.deadline);
    }
    if (earliest == Clock::time_point::max()) {
      cv_.wait(lock);
      continue;
    }
    if (Clock::now() < earliest) {
      cv_.wait_until(lock, earliest);
      continue;  // recompute: data may have come or gone meanwhile
    }
    std::vector<Out> out;
    Clock::time_point now = Clock::now();
    for (auto& [k, b] : batches_) {
      if (!b.requests.empty() && b.deadline <= now) Cut(b, true, out);
    }
    lock.unlock();
    Status s = Send(out);
    if (!s.ok()) spdlog::error("processor {}: sending a timed-out batch failed: {}", id_, s.message());
    lock.lock();
  }
}

void BatchProcessor::Shutdown(Clock::time_point /*deadline*/) {
  std::vector<Out> out;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    for (auto& [k, b] : batches_) {
      if (!b.requests.empty()) Cut(b, true, out);
    }
  }
  cv_.notify_all();
  if (timer_.joinable()) timer_.join();
  Status s = Send(out);
  if (!s.ok()) spdlog::error("processor {}: flushing at shutdown failed: {}", id_, s.message());
}

}  // namespace otlpd::processors::batch
