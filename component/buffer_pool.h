// Big byte buffers kept for reuse across payloads.
//
// A full batch is megabytes (8,192 of the bench's spans are 5 MB). glibc maps
// a buffer that size afresh for each allocation and unmaps it on free, so
// every batch paid a page fault per 4 KiB as it filled: 500-800 a second in
// test/bench/run's scenario 1, about 7% of otlpd's CPU there. A payload made
// by MakeRecycledPayload gives its bytes back to the pool when its last holder
// lets go, and the next batch takes them with their pages still mapped.
//
// The pool keeps one buffer, the largest given (a batch filling while the one
// before it is being sent is the steady state), and only buffers of at least
// kMinBytes: smaller ones come from malloc's free lists without faults.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "component/payload.h"

namespace otlpd {

class BufferPool {
 public:
  static constexpr std::size_t kMinBytes = std::size_t{1} << 20;
  static constexpr std::size_t kMaxBytes = std::size_t{64} << 20;

  // An empty string with the kept buffer's capacity, or a plain empty one.
  std::string Take() {
    std::lock_guard<std::mutex> lock(mu_);
    return std::exchange(kept_, std::string());
  }

  // Keeps `s`'s buffer if it is worth keeping and larger than the one kept;
  // otherwise `s` is left as it was, for its owner to free.
  void Give(std::string&& s) {
    if (s.capacity() < kMinBytes || s.capacity() > kMaxBytes) return;
    std::lock_guard<std::mutex> lock(mu_);
    if (s.capacity() > kept_.capacity()) {
      s.clear();
      kept_ = std::move(s);
    }
  }

  std::size_t kept_capacity() const {
    std::lock_guard<std::mutex> lock(mu_);
    return kept_.capacity();
  }

 private:
  mutable std::mutex mu_;
  std::string kept_;
};

// MakePayload whose bytes go back to `pool` when the last holder lets go.
inline PayloadPtr MakeRecycledPayload(std::shared_ptr<BufferPool> pool, Signal signal, std::string bytes,
                                      std::uint64_t items, std::shared_ptr<const Metadata> metadata = nullptr,
                                      std::string gzip = {}) {
  // Created non-const, so giving its bytes away in the deleter is allowed.
  auto* payload = new Payload{signal, std::move(bytes), items, std::move(metadata), {}, std::move(gzip)};
  return PayloadPtr(payload, [pool = std::move(pool)](const Payload* p) {
    auto* owned = const_cast<Payload*>(p);
    pool->Give(std::move(owned->bytes));
    delete owned;
  });
}

}  // namespace otlpd
