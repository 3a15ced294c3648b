#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "component/buffer_pool.h"
#include "component/component.h"
#include "component/payload.h"
#include "exporters/exporterhelper/config.h"
#include "internal/status.h"
#include "otlp/wire/request_batch.h"

namespace otlpd::exporters::exporterhelper {

// The batching half of `sending_queue.batch`: what the sending queue's
// consumers take out of the queue is merged here into batches (one per
// signal and partition), by concatenating the serialized requests
// (wire::RequestBatch, shared with the batch processor), and comes out as
// Outputs to deliver: when a batch reaches min_size (pieces of at most
// max_size) or flush_timeout after its first request.
//
// Every queue entry is tracked until all of it has been delivered: an entry's
// bytes may end up in several outputs when a batch is cut at max_size, and
// part of it may still wait in the batch. Complete() reports an entry as
// finished only when every output holding part of it is done and nothing of
// it is left in a batch, so a persistent queue removes a record only then:
// a crash before that sends it again (at least once), never loses it.
//
// Which output holds which entry follows from item order: a batch's pieces
// hold its items in order, so an entry appended as items [a, b) of its batch
// is in every piece whose item range overlaps [a, b). An entry without items
// rides with the last piece of the cut that consumed it.
//
// Not thread-safe: the sender calls it under its lock. `Entry` is the
// sender's queue item (its storage record, room and result waiter).
template <class Entry>
class QueueBatcher {
 public:
  struct Tracked {
    Entry entry;
    Signal signal = Signal::kTraces;
    std::uint64_t items = 0;
    int pending = 1;    // outputs holding part of it, +1 while part of it is in a batch
    bool kept = false;  // an output holding part of it was left for the next start
    Status status;      // the first failure among those outputs
  };
  using TrackedPtr = std::shared_ptr<Tracked>;

  struct Output {
    PayloadPtr payload;
    std::vector<TrackedPtr> entries;
  };

  explicit QueueBatcher(const BatchConfig& config)
      : config_(config),
        limits_{config.sizer == Sizer::kBytes ? wire::BatchSizer::kBytes : wire::BatchSizer::kItems,
                static_cast<std::uint64_t>(config.min_size), static_cast<std::uint64_t>(config.max_size)} {}

  // Adds one queued request; cuts its batch when it reached min_size.
  void Add(const Payload& payload, Entry entry, Clock::time_point now) {
    if (payload.signal == Signal::kProfiles) {
      // A profiles request's entries index its own dictionary: concatenating
      // two would merge their dictionaries and break the indices, so each
      // goes out alone, as it came.
      auto tracked = std::make_shared<Tracked>();
      tracked->entry = std::move(entry);
      tracked->signal = payload.signal;
      tracked->items = payload.items;
      ready_.push_back(Output{std::make_shared<const Payload>(payload), {std::move(tracked)}});
      return;
    }
    std::shared_ptr<const Metadata> metadata;
    std::string key(1, static_cast<char>(payload.signal));
    key += wire::MetadataPartition(config_.partition.metadata_keys, payload, &metadata);
    auto it = partitions_.find(key);
    if (it == partitions_.end()) {
      if (partitions_.size() >= static_cast<std::size_t>(config_.partition.cache_size)) FlushOldest();
      it = partitions_.emplace(key, Partition(payload.signal)).first;
      it->second.metadata = std::move(metadata);
      it->second.seq = ++seq_;
    }
    Partition& p = it->second;
    if (p.batch.empty()) {
      p.deadline = now + config_.flush_timeout;
      p.batch.UseBuffer(buffers_->Take());
    }
    auto tracked = std::make_shared<Tracked>();
    tracked->entry = std::move(entry);
    tracked->signal = payload.signal;
    tracked->items = payload.items;
    const std::uint64_t a = p.appended;
    p.appended += payload.items;
    p.spans.push_back(Span{std::move(tracked), a, p.appended});
    p.batch.Append(payload.bytes, payload.items, limits_, payload.gzip);
    if (p.batch.Ready(limits_)) CutPartition(it, false, now);
  }

  // Sends every batch whose flush_timeout has passed.
  void FlushDue(Clock::time_point now) {
    for (auto it = partitions_.begin(); it != partitions_.end();) {
      auto next = std::next(it);
      if (it->second.deadline <= now) CutPartition(it, true, now);
      it = next;
    }
  }

  // Sends everything batched (shutdown).
  void FlushAll(Clock::time_point now) {
    for (auto it = partitions_.begin(); it != partitions_.end();) {
      auto next = std::next(it);
      CutPartition(it, true, now);
      it = next;
    }
  }

  Clock::time_point NextDeadline() const {
    Clock::time_point t = Clock::time_point::max();
    for (const auto& [k, p] : partitions_) t = std::min(t, p.deadline);
    return t;
  }

  bool HasReady() const { return !ready_.empty(); }
  Output PopReady() {
    Output o = std::move(ready_.front());
    ready_.pop_front();
    return o;
  }
  bool empty() const { return partitions_.empty() && ready_.empty(); }
  // Batches being filled (for tests and telemetry).
  std::size_t partitions() const { return partitions_.size(); }

  // An output's delivery is over: `status` its outcome, `kept` when it was
  // left for the next start. Appends the entries that are now finished.
  static void Complete(const Output& out, const Status& status, bool kept,
                       std::vector<TrackedPtr>& finished) {
    for (const TrackedPtr& t : out.entries) {
      if (!status.ok() && t->status.ok()) t->status = status;
      t->kept = t->kept || kept;
      if (--t->pending == 0) finished.push_back(t);
    }
  }

  // What is left at shutdown, after the consumers stopped: the outputs not
  // delivered and the batches not sent, and every entry they hold (each
  // once). The batcher is empty afterwards.
  struct Leftover {
    std::vector<TrackedPtr> entries;
    std::uint64_t items[kSignalCount] = {};  // per Signal: items not delivered
    std::uint64_t outputs = 0;
  };
  Leftover TakeLeftover() {
    Leftover left;
    std::vector<const Tracked*> seen;
    auto add = [&](const TrackedPtr& t) {
      if (std::find(seen.begin(), seen.end(), t.get()) != seen.end()) return;
      seen.push_back(t.get());
      left.entries.push_back(t);
    };
    for (const Output& o : ready_) {
      left.items[static_cast<int>(o.payload->signal)] += o.payload->items;
      ++left.outputs;
      for (const TrackedPtr& t : o.entries) add(t);
    }
    for (const auto& [k, p] : partitions_) {
      left.items[static_cast<int>(p.signal)] += p.batch.items();
      for (const Span& s : p.spans) add(s.tracked);
    }
    ready_.clear();
    partitions_.clear();
    return left;
  }

 private:
  struct Span {
    TrackedPtr tracked;
    std::uint64_t a = 0, b = 0;  // its items in the partition's sequence of appended items
  };
  struct Partition {
    explicit Partition(Signal s) : signal(s), batch(s) {}
    Signal signal;
    wire::RequestBatch batch;
    std::shared_ptr<const Metadata> metadata;
    Clock::time_point deadline = Clock::time_point::max();
    std::uint64_t appended = 0;  // items appended since the partition was made
    std::deque<Span> spans;      // entries with a part still in `batch`, in order
    std::uint64_t seq = 0;       // creation order, for cache_size
  };
  using PartitionMap = std::map<std::string, Partition>;

  void FlushOldest() {
    auto oldest = partitions_.begin();
    for (auto it = partitions_.begin(); it != partitions_.end(); ++it) {
      if (it->second.seq < oldest->second.seq) oldest = it;
    }
    if (oldest != partitions_.end()) CutPartition(oldest, true, Clock::now());
  }

  void CutPartition(typename PartitionMap::iterator it, bool all, Clock::time_point now) {
    Partition& p = it->second;
    const std::uint64_t c0 = p.batch.cut_items();
    std::vector<wire::Piece> pieces;
    // A split error is a bug (every payload was validated when received): the
    // batch then goes whole, as the batch processor does.
    (void)p.batch.Cut(limits_, all, pieces);
    if (pieces.empty()) {
      if (!all) return;
      if (p.spans.empty()) {
        partitions_.erase(it);
        return;
      }
      // Only empty requests (no bytes) were added: they are sent as one empty
      // request, as they would have been without batching.
      pieces.push_back(wire::Piece{});
    }
    const std::size_t first = ready_.size();
    std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges;
    std::uint64_t at = c0;
    for (wire::Piece& piece : pieces) {
      ranges.emplace_back(at, at + piece.items);
      at += piece.items;
      ready_.push_back(Output{MakeRecycledPayload(buffers_, p.signal, std::move(piece.bytes), piece.items,
                                                  p.metadata, std::move(piece.gzip)),
                              {}});
    }
    const std::uint64_t c1 = at;
    const bool all_taken = p.batch.empty();
    while (!p.spans.empty()) {
      Span& s = p.spans.front();
      if (!all_taken && s.a >= c1) break;  // untouched by this cut
      bool attached = false;
      for (std::size_t j = 0; j < ranges.size(); ++j) {
        if (ranges[j].first < s.b && s.a < ranges[j].second) {
          ready_[first + j].entries.push_back(s.tracked);
          ++s.tracked->pending;
          attached = true;
        }
      }
      const bool consumed = all_taken || s.b <= c1;
      if (!attached && consumed) {
        ready_.back().entries.push_back(s.tracked);
        ++s.tracked->pending;
      }
      if (!consumed) break;  // its tail is still in the batch
      --s.tracked->pending;  // nothing of it is left in the batch
      p.spans.pop_front();
    }
    if (all_taken && p.spans.empty()) {
      partitions_.erase(it);
    } else {
      p.deadline = now + config_.flush_timeout;
    }
  }

  const BatchConfig config_;
  const wire::BatchLimits limits_;
  PartitionMap partitions_;
  // Full batches' buffers, reused so a new batch does not fault its pages in again.
  const std::shared_ptr<BufferPool> buffers_ = std::make_shared<BufferPool>();
  std::deque<Output> ready_;
  std::uint64_t seq_ = 0;
};

}  // namespace otlpd::exporters::exporterhelper
