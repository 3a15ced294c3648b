#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>

#include "config/decoder.h"

namespace otlpd::extensions::file_storage {

// `compaction`: otelcol-contrib's keys, which tune compacting its bbolt file. Our log
// has no such file: a segment is deleted as soon as all its records are removed, and
// removals are kept per segment, so space comes back without rewriting anything.
//   on_start          at OpenQueue, delete the segments of earlier runs whose records
//                     were all removed, instead of when NextBacklog reaches them.
//   directory         where otelcol writes its temporary copy; checked at validate time
//                     when on_start or on_rebound is set (otelcol's Validate), and at
//                     Start when on_start or cleanup_on_start is (created with
//                     create_directory), but nothing is written there.
//   cleanup_on_start  otelcol deletes leftovers of an interrupted compaction; we never
//                     leave any, and OpenQueue always deletes our own leftovers (removal
//                     files of deleted segments, empty segments). No effect.
//   on_rebound, rebound_needed_threshold_mib, rebound_trigger_threshold_mib,
//   check_interval, max_transaction_size
//                     tune online compaction of a file that shrinks after growing;
//                     validated, no effect (there is nothing to compact online).
struct CompactionConfig {
  bool on_start = false;
  bool on_rebound = false;
  std::string directory;  // empty in the defaults: the extension's `directory`
  std::int64_t max_transaction_size = 65536;
  std::int64_t rebound_needed_threshold_mib = 100;
  std::int64_t rebound_trigger_threshold_mib = 10;
  std::chrono::nanoseconds check_interval = std::chrono::seconds(5);
  bool cleanup_on_start = false;
};

// The `file_storage` extension's options, named and defaulted as otelcol-contrib's.
struct Config {
  std::string directory = "/var/lib/otelcol/file_storage";
  // How long OpenQueue waits for a queue another process holds locked.
  std::chrono::nanoseconds timeout = std::chrono::seconds(1);
  // Appends return only once fdatasync made them durable (shared by concurrent appends).
  bool fsync = false;
  // Create `directory` at Start when missing (else it must exist).
  bool create_directory = false;
  // Octal, as otelcol's: for `directory` when created, and for each queue's directory.
  std::string directory_permissions = "0750";
  mode_t permissions = 0750;  // directory_permissions parsed
  CompactionConfig compaction;
  // Accepted with its meaning always in force: see Decode.
  bool recreate = false;
  // Bytes one queue's files may take on disk (otelcol: one bbolt file per
  // client); an append past it is refused as storage full (back-pressure),
  // space comes back as records are removed. 0: no cap.
  std::int64_t max_size = 0;

  // Checks the values (octal permissions within 0777, no negative sizes or timeout,
  // a positive check_interval with on_rebound) and, as otelcol's Validate does,
  // that `directory` (and compaction.directory when on_start or on_rebound is set)
  // is a directory, or is missing with create_directory.
  static Config Decode(config::MapDecoder& d);
};

}  // namespace otlpd::extensions::file_storage
