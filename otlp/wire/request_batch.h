#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "component/payload.h"
#include "internal/signal.h"
#include "internal/status.h"
#include "otlp/wire/wire_walker.h"

namespace otlpd::wire {

// What a batch's sizes are measured in: items (spans, data points, log
// records) or serialized bytes.
enum class BatchSizer : std::uint8_t { kItems, kBytes };

// When a batch is ready and how large a piece of it may be. min_size: the
// size at which it is sent (0: at once); max_size: the largest piece (0: no
// limit, the batch goes whole).
struct BatchLimits {
  BatchSizer sizer = BatchSizer::kItems;
  std::uint64_t min_size = 0;
  std::uint64_t max_size = 0;
};

// One batch of serialized Export*ServiceRequests of one signal, shared by the
// batch processor and the exporters' sending_queue.batch. Batching is
// concatenation (AppendRequest); cutting splits on wire boundaries (Split /
// SplitBytes), never decoding a payload. Not thread-safe.
class RequestBatch {
 public:
  explicit RequestBatch(Signal signal) : signal_(signal) {}

  // Appends one request. The first append sizes the buffer for a whole batch
  // (estimated from this request, capped), which costs less than growing a
  // multi-megabyte string by doubling. `gzip`: the request as its sender
  // gzipped it (Payload::gzip); the batch keeps these while every request
  // appended since it was last empty had one, and a piece taken whole carries
  // them on.
  void Append(std::string_view request, std::uint64_t items, const BatchLimits& limits,
              std::string_view gzip = {});

  // An empty batch takes `buffer`'s capacity for its bytes (a buffer kept
  // from an earlier batch, component/buffer_pool.h); otherwise `buffer` is
  // dropped.
  void UseBuffer(std::string buffer) {
    if (bytes_.empty() && buffer.capacity() > bytes_.capacity()) {
      buffer.clear();
      bytes_ = std::move(buffer);
    }
  }

  bool empty() const { return bytes_.empty(); }
  std::uint64_t items() const { return items_; }
  std::uint64_t size(BatchSizer sizer) const { return sizer == BatchSizer::kItems ? items_ : bytes_.size(); }
  bool Ready(const BatchLimits& limits) const { return size(limits.sizer) >= limits.min_size; }
  // Items cut out of this batch since it was created: the pieces Cut returns
  // hold items [cut_items() before, cut_items() after) of everything appended,
  // in order.
  std::uint64_t cut_items() const { return cut_items_; }

  // Moves what is ready into `out`: everything when `all`; otherwise, once
  // the batch holds min_size, pieces of at most max_size, keeping back a last
  // piece smaller than min_size. A batch that cannot be split (a bug: every
  // payload was validated by its receiver) is taken whole and the split's
  // error returned.
  Status Cut(const BatchLimits& limits, bool all, std::vector<Piece>& out);

 private:
  void TakeAll(std::vector<Piece>& out);

  Signal signal_;
  std::string bytes_;
  std::string gzip_;
  bool all_gzip_ = true;  // every request in bytes_ came with its gzip
  std::uint64_t items_ = 0;
  std::uint64_t cut_items_ = 0;
};

// The partition a payload belongs to when batches are kept per value of the
// client-metadata keys `keys` (empty: one partition, ""), and in *kept the
// metadata the partition's batches carry on: just those keys' values (left
// null when `keys` is empty).
std::string MetadataPartition(const std::vector<std::string>& keys, const Payload& payload,
                              std::shared_ptr<const Metadata>* kept);

}  // namespace otlpd::wire
