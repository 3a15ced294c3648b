#pragma once

#include <algorithm>
#include <iterator>

#include "component/payload.h"
#include "internal/status.h"

namespace otlpd {

// Anything data is pushed into: a pipeline's entry queue, a processor, an
// exporter, a fan-out. Consume either takes the payload (Ok) or refuses it; a
// retryable refusal is back-pressure and travels back to the client.
class Consumer {
 public:
  virtual ~Consumer() = default;
  virtual Status Consume(const PayloadPtr& payload) = 0;
  // True when Consume may wait on I/O (a synchronous pipeline appending to an
  // on-disk queue), so a receiver should keep threads enough to wait in parallel.
  virtual bool MayBlock() const { return false; }
  // True when Payload::gzip may be read downstream: an exporter that sends
  // gzip, reached through components that pass payloads on as they are (or
  // join their gzip, as batching does). Receivers keep their clients' gzip
  // bytes only then; false (the default) costs an exporter a compression,
  // never correctness.
  virtual bool UsesGzip() const { return false; }
};

// Threads a receiver keeps while a consumer it feeds may block: concurrent
// appends to an on-disk queue share one fsync only if their callers wait in
// parallel.
inline constexpr unsigned kThreadsForBlockingConsumers = 8;

// Whether any of a receiver's consumers (null: that signal is not wired) may block.
template <class Consumers>
bool AnyMayBlock(const Consumers& consumers) {
  return std::any_of(std::begin(consumers), std::end(consumers),
                     [](const Consumer* c) { return c != nullptr && c->MayBlock(); });
}

// Whether the consumer of a signal (null: not wired) may read Payload::gzip.
inline bool UsesGzip(const Consumer* consumer) { return consumer != nullptr && consumer->UsesGzip(); }

}  // namespace otlpd
