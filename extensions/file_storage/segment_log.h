#pragma once

// A crash-safe on-disk record queue: the QueueStorage behind `file_storage`.
//
// Layout: one directory per queue holding
//   LOCK                  flock()ed while a SegmentLog has the queue open, so a second
//                         process (or a second open in this one) waits, then fails.
//   0000000007.seg        segment files, numbered by a 32-bit sequence that only grows.
//   0000000007.rm         the removal file of segment 7 (absent until something is removed).
//
// Segment file: a 16-byte file header ("otlpdseg", format version) followed by records:
//   u32 magic "OTQR" | u32 length | u64 id | u32 crc32c(data) | u32 crc32c(the 20 bytes before) | data
// (little-endian). The two CRCs together cover header and data; keeping a CRC of its own for
// the header means a record whose data is damaged can still be stepped over exactly (its
// length is trustworthy), and a damaged header is found again by scanning for the next
// magic whose header CRC matches. Each record is written with one pwritev() at the end of
// the segment under a mutex, so a crash leaves at most one torn record, at the tail.
//
// Ids are (segment sequence << 32) | index of the record in its segment. They grow across
// restarts without reading any data at open: a run appends to a new segment numbered
// above every file on disk, and the newest segment file is never deleted (at most emptied
// to its header), so the high-water mark survives even when the queue is drained. Ids are
// therefore not dense. The index part also tells a reader how many records a damaged
// stretch of a segment held: the gap between two valid records' indexes.
//
// Removal file: 8-byte entries, u32 index | u32 crc32c(sequence, index), appended on each
// Remove() without fsync: losing a removal in a crash only replays a record (at-least-once).
// Removals live beside their segment, so nothing has to be read at open, a segment's
// removals are read when the backlog reaches that segment, and deleting a segment whose
// records are all removed deletes its removal state with it (no log to compact).
//
// Open lists the directory and creates this run's first segment; it reads no records.
// NextBacklog() then walks the segments that existed at open, in order: it reads a
// segment's removal file, steps over removed records without reading their data, verifies
// the others' CRCs, skips and counts damaged ones (resynchronising on the next valid
// header), cuts a torn tail off with ftruncate, and deletes the segment once it has been
// read and everything returned from it was removed. Records appended in this run are never
// returned by NextBacklog (their caller holds them already).
//
// With fsync, Append returns only after fdatasync covered its record; appenders that wait
// at the same time share one fdatasync (group commit), and the directory is fsynced when a
// segment file is created or deleted. A failed write (ENOSPC, EFBIG, EIO) is cut off with
// ftruncate, Append returns Unavailable, and the next Append starts a new segment (a file
// that hit a size limit, or whose tail could not be cut, is not appended to again). A
// failed fdatasync fails every Append it covered; each of those records is removed again
// (the caller refused it, so it must not be replayed) and appends move to a new segment.
// Remove never fails for want of disk space: an unrecorded removal is like one lost in a
// crash, and a segment that empties is deleted without writing a removal at all.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <sys/types.h>

#include "component/storage.h"
#include "internal/status.h"

namespace otlpd::extensions::file_storage {

inline constexpr std::size_t kSegmentHeaderBytes = 16;
inline constexpr std::size_t kRecordHeaderBytes = 24;
inline constexpr std::size_t kRemovalEntryBytes = 8;
// Larger records are refused (ResourceExhausted): the length field is 32 bits, and one
// record is read into memory whole.
inline constexpr std::uint64_t kMaxRecordBytes = std::uint64_t{1} << 30;

struct SegmentLogOptions {
  // fdatasync each append (shared by concurrent appenders) and fsync the directory.
  bool fsync = false;
  // How long Open waits for another holder of the queue's LOCK file.
  std::chrono::nanoseconds lock_timeout = std::chrono::seconds(1);
  // A segment rolls over when the next record would make it larger; a record larger
  // than this gets a segment of its own.
  std::uint64_t segment_bytes = std::uint64_t{32} << 20;
  // Permissions of the queue directory when Open creates it.
  mode_t directory_mode = 0750;
  // At open, also walk the earlier segments and delete those whose records were all
  // removed (instead of when NextBacklog reaches them). Slower start, space back sooner.
  bool compact_on_start = false;
  // Bytes the queue's files may take (disk_bytes()); an Append past it returns
  // Unavailable (storage full), one that could never fit ResourceExhausted. Segments
  // then roll over at an eighth of it (at least 64 KiB), so that removed records free
  // their space soon. 0: no cap.
  std::uint64_t max_bytes = 0;
};

// "0000000007.seg" for sequence 7; tests use it to damage files.
std::string SegmentFileName(std::uint32_t seq);
std::string RemovalFileName(std::uint32_t seq);

class SegmentLog : public QueueStorage {
 public:
  // Opens (creating) the queue in `dir`; waits up to options.lock_timeout for its lock.
  static Result<std::unique_ptr<SegmentLog>> Open(const std::filesystem::path& dir,
                                                  const SegmentLogOptions& options);
  ~SegmentLog() override;

  SegmentLog(const SegmentLog&) = delete;
  SegmentLog& operator=(const SegmentLog&) = delete;

  Result<std::uint64_t> Append(std::string_view record) override;
  Status Remove(std::uint64_t id) override;
  bool NextBacklog(std::uint64_t& id, std::string& record) override;
  std::uint64_t corrupt_records() const override { return corrupt_.load(std::memory_order_relaxed); }
  std::uint64_t disk_bytes() const override { return disk_bytes_.load(std::memory_order_relaxed); }

  const std::filesystem::path& directory() const { return dir_; }
  // Segment files on disk now.
  std::size_t segment_count() const;

 private:
  struct Segment;
  struct Scan;
  class Fd;

  SegmentLog(std::filesystem::path dir, const SegmentLogOptions& options);
  Status OpenLocked();
  Status CreateSegment();          // append_mu_ held
  bool ActiveHoldsNoLiveRecord();  // append_mu_ held
  Status WaitDurable(std::uint64_t ticket);
  Status WriteRemoval(Segment& s, std::uint32_t index);  // state_mu_ held
  void SetRemovalBytes(Segment& s, std::uint64_t size);  // state_mu_ held
  bool DeleteSegment(std::uint32_t seq);                 // state_mu_ held; false: kept
  void SyncDirectory();
  std::unique_ptr<Scan> StartScan(std::uint32_t seq);
  bool HasLiveRecord(std::uint32_t seq);
  void FinishScan(Scan& scan, bool repair);
  std::string Path(const std::string& name) const { return (dir_ / name).string(); }

  const std::filesystem::path dir_;
  const SegmentLogOptions options_;
  const std::uint64_t segment_bytes_;  // options_.segment_bytes, smaller under max_bytes
  std::shared_ptr<Fd> dir_fd_;
  std::shared_ptr<Fd> lock_fd_;

  // The segment this run appends to. Guards active_* and written_.
  std::mutex append_mu_;
  std::shared_ptr<Fd> active_;  // null until a segment could be created
  std::uint32_t active_seq_ = 0;
  std::uint32_t next_seq_ = 1;
  std::uint64_t active_size_ = 0;
  std::uint32_t next_index_ = 0;
  bool roll_next_ = false;                     // after a write error: the next append starts a new segment
  std::uint64_t written_ = 0;                  // records written so far: the group commit's tickets
  std::vector<std::shared_ptr<Fd>> unsynced_;  // rolled-over segments not yet fdatasynced

  // Group commit. Lock order: append_mu_, then sync_mu_ or state_mu_; nothing is taken
  // while holding sync_mu_.
  std::mutex sync_mu_;
  std::condition_variable sync_cv_;
  bool syncing_ = false;
  std::uint64_t synced_ = 0;              // tickets up to here were synced (or failed)
  std::multiset<std::uint64_t> waiting_;  // tickets written but not yet told their outcome
  struct SyncFailure {
    std::uint64_t after;  // the failed round covered tickets (after, key]
    std::string message;
  };
  std::map<std::uint64_t, SyncFailure> sync_failures_;

  // Every segment file on disk, by sequence. Lock order: append_mu_ before state_mu_.
  mutable std::mutex state_mu_;
  std::map<std::uint32_t, std::unique_ptr<Segment>> segments_;
  std::size_t open_removal_files_ = 0;
  bool removal_failing_ = false;  // logged once until removals are written again

  // The backlog: segments that existed at open, read in order by NextBacklog.
  std::mutex backlog_mu_;
  std::vector<std::uint32_t> backlog_;
  std::size_t backlog_pos_ = 0;
  std::unique_ptr<Scan> scan_;

  std::atomic<std::uint64_t> corrupt_{0};
  std::atomic<std::uint64_t> disk_bytes_{0};
};

}  // namespace otlpd::extensions::file_storage
