#include "processors/batch/batch_processor.h"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "otlp/wire/wire_walker.h"

namespace otlpd::processors::batch {

BatchProcessor::BatchProcessor(std::string id, Signal signal, Config config, Consumer* next,
                               ComponentTelemetry* telemetry)
    : id_(std::move(id)), signal_(signal), config_(std::move(config)), next_(next), telemetry_(telemetry) {}

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

std::string BatchProcessor::PartitionKey(const Payload& payload,
                                         std::shared_ptr<const Metadata>* metadata) const {
  if (config_.metadata_keys.empty()) return {};
  auto kept = std::make_shared<Metadata>();
  std::string key;
  for (const std::string& k : config_.metadata_keys) {
    key += k;
    key += '\x1f';
    if (payload.metadata) {
      for (const auto& [mk, mv] : *payload.metadata) {
        if (mk != k) continue;
        kept->emplace_back(mk, mv);
        key += mv;
        key += '\x1e';
      }
    }
    key += '\x1d';
  }
  *metadata = std::move(kept);
  return key;
}

void BatchProcessor::Cut(Batch& b, bool all, std::vector<Out>& out) {
  auto take_all = [&] {
    out.push_back(Out{std::move(b.bytes), b.items, b.metadata});
    b.bytes.clear();
    b.items = 0;
  };
  if (config_.send_batch_max_size == 0 || b.items <= config_.send_batch_max_size) {
    if (all || b.items >= config_.send_batch_size) take_all();
    return;
  }
  auto pieces = wire::Split(signal_, b.bytes, config_.send_batch_max_size, wire::SplitPolicy::kFill);
  if (!pieces.ok()) {
    // Every payload was validated by its receiver, so this is a bug, not bad input.
    spdlog::error("processor {}: cannot split a batch of {} {}: {}", id_, b.items, ItemNoun(signal_),
                  pieces.status().message());
    take_all();
    return;
  }
  auto& list = *pieces;
  for (std::size_t i = 0; i + 1 < list.size(); ++i)
    out.push_back(Out{std::move(list[i].bytes), list[i].items, b.metadata});
  wire::Piece& last = list.back();
  if (all || last.items >= config_.send_batch_size) {
    out.push_back(Out{std::move(last.bytes), last.items, b.metadata});
    b.bytes.clear();
    b.items = 0;
  } else {
    b.bytes = std::move(last.bytes);
    b.items = last.items;
  }
}

Status BatchProcessor::Consume(const PayloadPtr& payload) {
  std::shared_ptr<const Metadata> metadata;
  std::string key = PartitionKey(*payload, &metadata);
  std::vector<Out> out;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = batches_.find(key);
    if (it == batches_.end()) {
      if (!config_.metadata_keys.empty() && batches_.size() >= config_.metadata_cardinality_limit) {
        SignalCounters::Add((*telemetry_)[signal_].refused, payload->items);
        return Status::ResourceExhausted("processor " + id_ +
                                         ": too many batcher metadata-value combinations (limit " +
                                         std::to_string(config_.metadata_cardinality_limit) + ")");
      }
      it = batches_.emplace(std::move(key), Batch{}).first;
      it->second.metadata = std::move(metadata);
    }
    Batch& b = it->second;
    bool was_empty = b.bytes.empty();
    if (was_empty) {
      b.deadline = Clock::now() + config_.timeout;
      // Size the buffer for the whole batch up front (from this payload's bytes
      // per item, capped): growing a multi-megabyte string by doubling costs
      // more than the copies it is made of.
      if (payload->items > 0) {
        std::uint64_t want = payload->bytes.size() / payload->items * (config_.send_batch_size + 1);
        b.bytes.reserve(
            std::min<std::uint64_t>(std::max<std::uint64_t>(want, payload->bytes.size()), 64u << 20));
      }
    }
    b.bytes += payload->bytes;
    b.items += payload->items;
    SignalCounters::Add((*telemetry_)[signal_].accepted, payload->items);
    if (config_.timeout.count() == 0) {
      Cut(b, true, out);
    } else if (b.items >= config_.send_batch_size) {
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
    Status s = next_->Consume(MakePayload(signal_, std::move(o.bytes), items, std::move(o.metadata)));
    if (s.ok()) {
      SignalCounters::Add((*telemetry_)[signal_].sent, items);
    } else {
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
      if (!b.bytes.empty()) earliest = std::min(earliest, b.deadline);
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
      if (!b.bytes.empty() && b.deadline <= now) Cut(b, true, out);
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
      if (!b.bytes.empty()) Cut(b, true, out);
    }
  }
  cv_.notify_all();
  if (timer_.joinable()) timer_.join();
  Status s = Send(out);
  if (!s.ok()) spdlog::error("processor {}: flushing at shutdown failed: {}", id_, s.message());
}

}  // namespace otlpd::processors::batch
