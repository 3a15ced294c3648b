#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "component/component.h"
#include "internal/status.h"

namespace otlpd {

// A durable FIFO of opaque records owned by one client: an exporter's
// persistent sending queue (`sending_queue.storage`). Records are appended
// once, delivered in any order by several consumers, and removed one by one
// when their export succeeded or failed for good. Thread-safe.
class QueueStorage {
 public:
  virtual ~QueueStorage() = default;

  // Appends a record and returns its id. Once this returns, the record
  // survives a crash of the process (with the extension's `fsync: true`, of
  // the machine too). Unavailable when the disk is full or failing: the
  // caller refuses the data (back-pressure) instead of losing it.
  virtual Result<std::uint64_t> Append(std::string_view record) = 0;

  // The record with `id` is never needed again (delivered, or refused for
  // good). Removing an id twice, or one that does not exist, is a no-op.
  virtual Status Remove(std::uint64_t id) = 0;

  // The records an earlier run appended and never removed, in append order,
  // one per call; false when there are no more. The log is read lazily here,
  // not when the queue opens, so a large backlog does not delay start-up;
  // a torn or corrupt record is skipped (and counted), never returned.
  virtual bool NextBacklog(std::uint64_t& id, std::string& record) = 0;

  // Records found torn or corrupt so far (skipped, so lost).
  virtual std::uint64_t corrupt_records() const = 0;
  // Bytes the queue's files take on disk now.
  virtual std::uint64_t disk_bytes() const = 0;
};

// An extension that stores data for other components (otelcol's
// storage.Extension); `file_storage` is the one otlpd has.
class StorageExtension : public Extension {
 public:
  // Opens, creating when needed, the queue called `name`: one per client,
  // named like otelcol's storage clients ("exporter_otlp_backend"). Only
  // between Start and Shutdown. A queue is held locked (against another
  // otlpd on the same directory) until the returned object is destroyed;
  // opening waits up to the extension's `timeout` for the lock.
  virtual Result<std::unique_ptr<QueueStorage>> OpenQueue(std::string_view name) = 0;
};

}  // namespace otlpd
