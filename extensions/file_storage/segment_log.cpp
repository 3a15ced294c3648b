#include "extensions/file_storage/segment_log.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <system_error>
#include <thread>

#include <spdlog/spdlog.h>

#include "internal/crc32c.h"

namespace otlpd::extensions::file_storage {

static_assert(std::endian::native == std::endian::little, "the on-disk format is written as little-endian");

namespace {

constexpr char kSegmentMagic[8] = {'o', 't', 'l', 'p', 'd', 's', 'e', 'g'};
constexpr std::uint32_t kFormatVersion = 1;
constexpr char kRecordMagic[4] = {'O', 'T', 'Q', 'R'};
constexpr std::size_t kReadChunk = std::size_t{1} << 20;
// Removal files of many segments may take removals at once; beyond this many, the
// least recently opened one is closed (and reopened when needed).
constexpr std::size_t kMaxOpenRemovalFiles = 32;
constexpr mode_t kFileMode = 0600;

std::string ErrnoText(int e) { return std::system_category().message(e); }

// Every file is opened with these: a symlink planted in the queue directory is
// refused (ELOOP) rather than followed, and no descriptor leaks into a child.
constexpr int kOpenFlags = O_NOFOLLOW | O_CLOEXEC;

// Empty when `fd` is a file this log may read, write and cut: a regular file
// of ours with one name. Else why not (a hard link elsewhere would be cut too).
std::string NotOurs(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return "cannot stat: " + ErrnoText(errno);
  if (!S_ISREG(st.st_mode)) return "not a regular file";
  if (st.st_uid != ::geteuid()) return "owned by uid " + std::to_string(st.st_uid) + ", not ours";
  if (st.st_nlink != 1) return "has " + std::to_string(st.st_nlink) + " hard links";
  return {};
}

void PutU32(char* p, std::uint32_t v) { std::memcpy(p, &v, 4); }
void PutU64(char* p, std::uint64_t v) { std::memcpy(p, &v, 8); }
std::uint32_t GetU32(const char* p) {
  std::uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
std::uint64_t GetU64(const char* p) {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

std::uint32_t SeqOf(std::uint64_t id) { return static_cast<std::uint32_t>(id >> 32); }
std::uint32_t IndexOf(std::uint64_t id) { return static_cast<std::uint32_t>(id & 0xFFFFFFFFu); }

std::uint32_t RemovalCheck(std::uint32_t seq, std::uint32_t index) {
  char b[8];
  PutU32(b, seq);
  PutU32(b + 4, index);
  return Crc32c(b, sizeof b);
}

// Parses "0000000007.seg" (exactly ten digits, then `suffix`).
std::optional<std::uint32_t> ParseSeq(std::string_view name, std::string_view suffix) {
  if (name.size() != 10 + suffix.size() || name.substr(10) != suffix) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : name.substr(0, 10)) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (v == 0 || v > 0xFFFFFFFFu) return std::nullopt;
  return static_cast<std::uint32_t>(v);
}

// Writes all of [data, data+size) at `offset`; retries short writes and EINTR.
// Returns 0 or the errno of the failure.
int PwriteAll(int fd, const iovec* iov_in, int count, std::uint64_t offset) {
  iovec iov[2];
  std::copy(iov_in, iov_in + count, iov);
  int i = 0;
  while (i < count) {
    const ssize_t n = ::pwritev(fd, iov + i, count - i, static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (n == 0) return EIO;
    offset += static_cast<std::uint64_t>(n);
    auto left = static_cast<std::size_t>(n);
    while (i < count && left >= iov[i].iov_len) left -= iov[i++].iov_len;
    if (i < count) {
      iov[i].iov_base = static_cast<char*>(iov[i].iov_base) + left;
      iov[i].iov_len -= left;
    }
  }
  return 0;
}

// Reads exactly `size` bytes at `offset` unless the file ends first; returns the
// bytes read, or -errno.
std::int64_t PreadFull(int fd, char* out, std::size_t size, std::uint64_t offset) {
  std::size_t done = 0;
  while (done < size) {
    const ssize_t n = ::pread(fd, out + done, size - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
  }
  return static_cast<std::int64_t>(done);
}

struct RecordHeader {
  std::uint32_t length = 0;
  std::uint64_t id = 0;
  std::uint32_t data_crc = 0;
};

bool DecodeRecordHeader(const char* h, RecordHeader* out) {
  if (std::memcmp(h, kRecordMagic, 4) != 0) return false;
  if (GetU32(h + 20) != Crc32c(h, 20)) return false;
  out->length = GetU32(h + 4);
  out->id = GetU64(h + 8);
  out->data_crc = GetU32(h + 16);
  return out->length <= kMaxRecordBytes;
}

// Which indexes of a segment are set: records live in this run, or removed earlier.
class Bitmap {
 public:
  bool Test(std::uint32_t i) const { return i / 64 < words_.size() && (words_[i / 64] >> (i % 64) & 1) != 0; }
  void Set(std::uint32_t i) {
    if (i / 64 >= words_.size()) words_.resize(i / 64 + 1, 0);
    words_[i / 64] |= std::uint64_t{1} << (i % 64);
  }
  void Clear(std::uint32_t i) {
    if (i / 64 < words_.size()) words_[i / 64] &= ~(std::uint64_t{1} << (i % 64));
  }

 private:
  std::vector<std::uint64_t> words_;
};

}  // namespace

std::string SegmentFileName(std::uint32_t seq) {
  char b[32];
  std::snprintf(b, sizeof b, "%010u.seg", seq);
  return b;
}

std::string RemovalFileName(std::uint32_t seq) {
  char b[32];
  std::snprintf(b, sizeof b, "%010u.rm", seq);
  return b;
}

class SegmentLog::Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

struct SegmentLog::Segment {
  std::uint32_t seq = 0;
  // No record will become live any more: rolled over, or read to its end by
  // NextBacklog. Then it is deleted as soon as nothing in it is live.
  bool sealed = false;
  Bitmap live;  // appended in this run, or returned by NextBacklog, and not removed
  std::uint64_t live_count = 0;
  std::unique_ptr<Fd> removal_fd;
  std::uint64_t removal_bytes = 0;  // the removal file's size, as counted in disk_bytes_
};

// Reading one backlog segment from start to end.
struct SegmentLog::Scan {
  std::uint32_t seq = 0;
  std::string path;
  std::shared_ptr<Fd> fd;
  std::uint64_t size = 0;
  Bitmap removed;
  std::uint64_t off = 0;
  std::int64_t last_index = -1;
  std::string buf;  // file bytes [buf_off, buf_off + buf.size())
  std::uint64_t buf_off = 0;
  std::uint64_t lost = 0;                // damaged records not yet added to corrupt_
  std::optional<std::uint64_t> torn_at;  // where the file should be cut
  bool done = false;
  bool failed = false;  // a read error ended the scan early

  // [at, at+n) from the buffer, refilled from `at` when needed; null past the end of
  // the file or on a read error (which ends the scan).
  const char* Peek(std::uint64_t at, std::size_t n) {
    if (at + n > size) return nullptr;
    if (at >= buf_off && at + n <= buf_off + buf.size()) return buf.data() + (at - buf_off);
    const std::size_t want =
        static_cast<std::size_t>(std::min<std::uint64_t>(std::max(n, kReadChunk), size - at));
    buf.resize(want);
    const std::int64_t got = PreadFull(fd->get(), buf.data(), want, at);
    buf_off = at;
    if (got < static_cast<std::int64_t>(n)) {
      ReadError(got < 0 ? ErrnoText(static_cast<int>(-got)) : "file shrank while read");
      buf.clear();
      return nullptr;
    }
    buf.resize(static_cast<std::size_t>(got));
    return buf.data();
  }

  void ReadError(const std::string& why) {
    spdlog::warn("file_storage: cannot read {} at offset {}: {}; the rest of the segment is skipped", path,
                 off, why);
    if (!removed.Test(static_cast<std::uint32_t>(last_index + 1))) ++lost;
    done = true;
    failed = true;
  }

  bool ValidHeader(const char* h, std::uint64_t at, RecordHeader* rh) const {
    if (!DecodeRecordHeader(h, rh) || SeqOf(rh->id) != seq) return false;
    // Indexes only grow within a segment, and every record before takes a header.
    const std::uint32_t index = IndexOf(rh->id);
    return static_cast<std::int64_t>(index) > last_index && index <= at / kRecordHeaderBytes;
  }

  // The next offset at or after `from` holding a valid header.
  std::optional<std::uint64_t> Resync(std::uint64_t from) {
    std::uint64_t pos = from;
    while (pos + kRecordHeaderBytes <= size) {
      const char* p = Peek(pos, kRecordHeaderBytes);
      if (p == nullptr) return std::nullopt;
      const std::size_t candidates =
          static_cast<std::size_t>(buf_off + buf.size() - pos) - kRecordHeaderBytes + 1;
      for (std::size_t i = 0; i < candidates;) {
        const void* m = ::memmem(p + i, candidates - i + 3, kRecordMagic, 4);
        if (m == nullptr) break;
        const auto at = static_cast<std::size_t>(static_cast<const char*>(m) - p);
        if (at >= candidates) break;
        RecordHeader rh;
        if (ValidHeader(p + at, pos + at, &rh)) return pos + at;
        i = at + 1;
      }
      pos += candidates;
    }
    return std::nullopt;
  }

  // Records between the last valid one and `index` were damaged beyond recognition.
  void CountGap(std::uint32_t index) {
    for (std::int64_t i = last_index + 1; i < static_cast<std::int64_t>(index); ++i) {
      if (!removed.Test(static_cast<std::uint32_t>(i))) ++lost;
    }
  }

  // Nothing whole from `off` to the end: the write a crash interrupted (or damage
  // reaching the end, which is handled alike). `index` is the record that was there.
  void TornTail(std::int64_t index) {
    if (!removed.Test(static_cast<std::uint32_t>(index))) ++lost;
    torn_at = off;
    done = true;
  }

  // The next live record, or false at the end of the segment.
  bool Next(std::uint64_t& id, std::string& record) {
    while (!done) {
      if (off >= size) {
        done = true;
        break;
      }
      if (size - off < kRecordHeaderBytes) {
        TornTail(last_index + 1);
        break;
      }
      const char* h = Peek(off, kRecordHeaderBytes);
      if (h == nullptr) break;
      RecordHeader rh;
      if (!ValidHeader(h, off, &rh)) {
        std::optional<std::uint64_t> next = Resync(off + 1);
        if (done) break;
        if (!next) {
          TornTail(last_index + 1);
          break;
        }
        off = *next;
        continue;
      }
      const std::uint32_t index = IndexOf(rh.id);
      CountGap(index);
      if (rh.length > size - off - kRecordHeaderBytes) {
        TornTail(index);
        break;
      }
      last_index = index;
      const std::uint64_t data_at = off + kRecordHeaderBytes;
      if (removed.Test(index)) {
        off = data_at + rh.length;  // its header is sound, so its length can be trusted
        continue;
      }
      if (rh.length <= kReadChunk) {
        const char* d = Peek(data_at, rh.length);
        if (d == nullptr && rh.length > 0) break;
        record.assign(d == nullptr ? "" : d, rh.length);
      } else {
        record.resize(rh.length);
        const std::int64_t got = PreadFull(fd->get(), record.data(), rh.length, data_at);
        if (got != static_cast<std::int64_t>(rh.length)) {
          ReadError(got < 0 ? ErrnoText(static_cast<int>(-got)) : "file shrank while read");
          break;
        }
      }
      off = data_at + rh.length;
      if (Crc32c(record) != rh.data_crc) {
        ++lost;
        continue;
      }
      id = rh.id;
      return true;
    }
    return false;
  }
};

namespace {
std::uint64_t SegmentBytes(const SegmentLogOptions& o) {
  if (o.max_bytes == 0) return o.segment_bytes;
  return std::min(o.segment_bytes, std::max<std::uint64_t>(o.max_bytes / 8, 64 * 1024));
}
}  // namespace

SegmentLog::SegmentLog(std::filesystem::path dir, const SegmentLogOptions& options)
    : dir_(std::move(dir)), options_(options), segment_bytes_(SegmentBytes(options)) {}

bool SegmentLog::ActiveHoldsNoLiveRecord() {
  if (active_ == nullptr || active_size_ <= kSegmentHeaderBytes) return false;
  std::lock_guard l(state_mu_);
  auto it = segments_.find(active_seq_);
  return it != segments_.end() && it->second->live_count == 0;
}

Result<std::unique_ptr<SegmentLog>> SegmentLog::Open(const std::filesystem::path& dir,
                                                     const SegmentLogOptions& options) {
  std::unique_ptr<SegmentLog> log(new SegmentLog(dir, options));
  if (Status s = log->OpenLocked(); !s.ok()) return s;
  return log;
}

Status SegmentLog::OpenLocked() {
  const std::string dir = dir_.string();
  if (::mkdir(dir.c_str(), options_.directory_mode) == 0) {
    if (options_.fsync) {
      // The new directory's entry in its parent is durable too.
      const std::string parent = dir_.parent_path().empty() ? "." : dir_.parent_path().string();
      if (const int pfd = ::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); pfd >= 0) {
        ::fsync(pfd);
        ::close(pfd);
      }
    }
  } else if (errno != EEXIST) {
    return Status::Unavailable("file_storage: cannot create queue directory \"" + dir +
                               "\": " + ErrnoText(errno));
  }
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | kOpenFlags);
  if (dfd < 0) {
    const int e = errno;
    struct stat st {};
    const bool link = ::lstat(dir.c_str(), &st) == 0 && S_ISLNK(st.st_mode);
    return Status::Unavailable("file_storage: cannot open queue directory \"" + dir +
                               "\": " + (link ? "it is a symlink, which is refused" : ErrnoText(e)));
  }
  dir_fd_ = std::make_shared<Fd>(dfd);
  {
    struct stat st {};
    if (::fstat(dfd, &st) != 0 || st.st_uid != ::geteuid() || (st.st_mode & 022) != 0) {
      return Status::Unavailable("file_storage: queue directory \"" + dir +
                                 "\" must be owned by otlpd's user and writable by it alone");
    }
  }

  const std::string lock_path = Path("LOCK");
  const int lfd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | kOpenFlags, kFileMode);
  if (lfd < 0) return Status::Unavailable("file_storage: cannot open " + lock_path + ": " + ErrnoText(errno));
  lock_fd_ = std::make_shared<Fd>(lfd);
  if (const std::string why = NotOurs(lfd); !why.empty()) {
    return Status::Unavailable("file_storage: refusing " + lock_path + ": " + why);
  }
  const auto deadline = std::chrono::steady_clock::now() + options_.lock_timeout;
  while (::flock(lfd, LOCK_EX | LOCK_NB) != 0) {
    const int e = errno;
    if (e == EINTR) continue;
    if (e != EWOULDBLOCK)
      return Status::Unavailable("file_storage: cannot lock " + lock_path + ": " + ErrnoText(e));
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(options_.lock_timeout).count();
      return Status::Unavailable("file_storage: queue directory \"" + dir +
                                 "\" is in use by another process or queue (its LOCK file is held); waited " +
                                 std::to_string(ms) + " ms (`timeout`)");
    }
    std::this_thread::sleep_for(
        std::min<std::chrono::steady_clock::duration>(std::chrono::milliseconds(10), deadline - now));
  }

  // Only names are listed and sizes taken: no record is read here.
  std::map<std::uint32_t, std::uint64_t> seg_sizes, removal_sizes;
  std::uint32_t newest = 0;  // of every segment name, even one that could not be stat()ed
  DIR* d = ::fdopendir(::dup(dfd));
  if (d == nullptr)
    return Status::Unavailable("file_storage: cannot list \"" + dir + "\": " + ErrnoText(errno));
  while (const dirent* e = ::readdir(d)) {
    const std::string_view name = e->d_name;
    struct stat st {};
    const bool regular = ::fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode);
    if (auto seq = ParseSeq(name, ".seg")) {
      newest = std::max(newest, *seq);
      if (regular) {
        seg_sizes[*seq] = static_cast<std::uint64_t>(st.st_size);
      } else {
        // Never read, cut or deleted: a symlink's target is not ours to touch.
        spdlog::error("file_storage: {} is not a regular file (a symlink?); refused and left alone",
                      Path(e->d_name));
      }
    } else if (auto rseq = ParseSeq(name, ".rm")) {
      if (regular) removal_sizes[*rseq] = static_cast<std::uint64_t>(st.st_size);
    }
  }
  ::closedir(d);

  std::uint64_t bytes = 0;
  for (auto [seq, size] : seg_sizes) {
    auto s = std::make_unique<Segment>();
    s->seq = seq;
    bytes += size;
    segments_[seq] = std::move(s);
  }
  for (auto [seq, size] : removal_sizes) {
    // Removals of a segment that is gone (deleted before its removal file was).
    if (!seg_sizes.contains(seq)) {
      ::unlinkat(dfd, RemovalFileName(seq).c_str(), 0);
      continue;
    }
    segments_.at(seq)->removal_bytes = size;
    bytes += size;
  }
  disk_bytes_ = bytes;
  if (newest == 0xFFFFFFFFu) {
    return Status::Internal("file_storage: segment numbers of \"" + dir + "\" are exhausted");
  }
  next_seq_ = newest + 1;

  {
    std::lock_guard a(append_mu_);
    if (Status s = CreateSegment(); !s.ok()) {
      // Not fatal: the backlog can still be read, and Append retries (a disk that is
      // full now may have room later).
      spdlog::warn("{}", s.message());
    }
  }

  std::lock_guard l(state_mu_);
  for (auto [seq, size] : seg_sizes) {
    // Segments holding no record (a run that appended nothing) only kept the sequence
    // number; the segment created above keeps it now.
    if (size <= kSegmentHeaderBytes) {
      DeleteSegment(seq);
      if (!segments_.contains(seq)) continue;
    }
    if (options_.compact_on_start && !HasLiveRecord(seq)) {
      segments_.at(seq)->sealed = true;
      DeleteSegment(seq);
      if (!segments_.contains(seq)) continue;
    }
    backlog_.push_back(seq);
  }
  return Status::Ok();
}

bool SegmentLog::HasLiveRecord(std::uint32_t seq) {
  std::unique_ptr<Scan> scan = StartScan(seq);
  if (scan == nullptr) return true;
  std::uint64_t id = 0;
  std::string record;
  // Stops at the first record not removed; removed ones are stepped over unread.
  // Damage in a segment that stays is left for NextBacklog to count and repair.
  const bool found = scan->Next(id, record);
  if (found || scan->failed) return true;
  // The segment goes now, so NextBacklog will not count what was lost in it.
  corrupt_ += scan->lost;
  return false;
}

SegmentLog::~SegmentLog() {
  std::lock_guard a(append_mu_);
  std::lock_guard l(state_mu_);
  if (active_ != nullptr) {
    auto it = segments_.find(active_seq_);
    // Everything appended in this run was removed: keep the file (it carries the
    // sequence number) but not the records or their removals.
    if (it != segments_.end() && it->second->live_count == 0 && active_size_ > kSegmentHeaderBytes &&
        ::ftruncate(active_->get(), kSegmentHeaderBytes) == 0) {
      disk_bytes_ -= active_size_ - kSegmentHeaderBytes;
      Segment& s = *it->second;
      s.removal_fd.reset();
      if (::unlink(Path(RemovalFileName(s.seq)).c_str()) == 0) SetRemovalBytes(s, 0);
    }
  }
  // The LOCK file's flock goes with lock_fd_, after every other file is closed.
  scan_.reset();
  segments_.clear();
  unsynced_.clear();
  active_.reset();
}

std::size_t SegmentLog::segment_count() const {
  std::lock_guard l(state_mu_);
  return segments_.size();
}

void SegmentLog::SyncDirectory() {
  if (options_.fsync && ::fsync(dir_fd_->get()) != 0) {
    spdlog::warn("file_storage: cannot fsync directory {}: {}", dir_.string(), ErrnoText(errno));
  }
}

Status SegmentLog::CreateSegment() {
  const std::uint32_t seq = next_seq_;
  if (seq == 0xFFFFFFFFu) {
    return Status::Unavailable("file_storage: segment numbers of \"" + dir_.string() + "\" are exhausted");
  }
  const std::string path = Path(SegmentFileName(seq));
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | kOpenFlags, kFileMode);
  if (fd < 0) return Status::Unavailable("file_storage: cannot create " + path + ": " + ErrnoText(errno));
  auto file = std::make_shared<Fd>(fd);
  char header[kSegmentHeaderBytes] = {};
  std::memcpy(header, kSegmentMagic, sizeof kSegmentMagic);
  PutU32(header + 8, kFormatVersion);
  const iovec iov{header, sizeof header};
  if (const int e = PwriteAll(fd, &iov, 1, 0); e != 0) {
    ::unlink(path.c_str());
    return Status::Unavailable("file_storage: cannot write " + path + ": " + ErrnoText(e));
  }
  SyncDirectory();
  next_seq_ = seq + 1;

  std::shared_ptr<Fd> previous = std::move(active_);
  const std::uint32_t previous_seq = active_seq_;
  active_ = std::move(file);
  active_seq_ = seq;
  active_size_ = kSegmentHeaderBytes;
  next_index_ = 0;
  roll_next_ = false;
  if (previous != nullptr && options_.fsync) unsynced_.push_back(previous);

  std::lock_guard l(state_mu_);
  auto s = std::make_unique<Segment>();
  s->seq = seq;
  segments_[seq] = std::move(s);
  disk_bytes_ += kSegmentHeaderBytes;
  if (previous != nullptr) {
    auto it = segments_.find(previous_seq);
    if (it != segments_.end()) {
      it->second->sealed = true;
      if (it->second->live_count == 0) DeleteSegment(previous_seq);
    }
  }
  return Status::Ok();
}

Result<std::uint64_t> SegmentLog::Append(std::string_view record) {
  if (record.size() > kMaxRecordBytes) {
    return Status::ResourceExhausted("file_storage: record of " + std::to_string(record.size()) +
                                     " bytes is larger than the limit of " + std::to_string(kMaxRecordBytes));
  }
  char header[kRecordHeaderBytes];
  std::uint64_t id = 0;
  std::uint64_t ticket = 0;
  {
    std::lock_guard a(append_mu_);
    const std::uint64_t need = kRecordHeaderBytes + record.size();
    bool roll = active_ == nullptr || roll_next_ || next_index_ == 0xFFFFFFFFu ||
                (active_size_ > kSegmentHeaderBytes && active_size_ + need > segment_bytes_);
    if (options_.max_bytes > 0) {
      if (need + kSegmentHeaderBytes > options_.max_bytes) {
        return Status::ResourceExhausted("file_storage: record of " + std::to_string(record.size()) +
                                         " bytes cannot fit in max_size " +
                                         std::to_string(options_.max_bytes));
      }
      if (!roll && disk_bytes_ + need > options_.max_bytes && ActiveHoldsNoLiveRecord()) {
        roll = true;  // the active segment holds only removed records: rolling over deletes it
      }
    }
    if (roll) {
      if (Status s = CreateSegment(); !s.ok()) return s;
    }
    if (options_.max_bytes > 0 && disk_bytes_ + need > options_.max_bytes) {
      return Status::Unavailable("file_storage: \"" + dir_.string() +
                                 "\" is full: " + std::to_string(disk_bytes_.load()) +
                                 " bytes on disk, max_size " + std::to_string(options_.max_bytes));
    }
    id = std::uint64_t{active_seq_} << 32 | next_index_;
    std::memcpy(header, kRecordMagic, 4);
    PutU32(header + 4, static_cast<std::uint32_t>(record.size()));
    PutU64(header + 8, id);
    PutU32(header + 16, Crc32c(record));
    PutU32(header + 20, Crc32c(header, 20));
    const iovec iov[2] = {{header, sizeof header}, {const_cast<char*>(record.data()), record.size()}};
    if (const int e = PwriteAll(active_->get(), iov, 2, active_size_); e != 0) {
      const std::string path = Path(SegmentFileName(active_seq_));
      // Cut the partial record off so the file ends on a whole record; a file that hit
      // a size limit, or could not be cut, gets no more appends.
      if (::ftruncate(active_->get(), static_cast<off_t>(active_size_)) != 0) {
        struct stat st {};
        if (::fstat(active_->get(), &st) == 0 && static_cast<std::uint64_t>(st.st_size) > active_size_) {
          disk_bytes_ += static_cast<std::uint64_t>(st.st_size) - active_size_;
          active_size_ = static_cast<std::uint64_t>(st.st_size);
        }
        roll_next_ = true;
      }
      if (active_size_ > kSegmentHeaderBytes) roll_next_ = true;
      return Status::Unavailable("file_storage: cannot append to " + path + ": " + ErrnoText(e));
    }
    active_size_ += need;
    ++next_index_;
    ticket = ++written_;
    disk_bytes_ += need;
    if (options_.fsync) {
      // Registered before append_mu_ is released, so a failed sync round covering this
      // ticket is kept until this appender has looked at it.
      std::lock_guard s(sync_mu_);
      waiting_.insert(ticket);
    }
    std::lock_guard l(state_mu_);
    Segment& s = *segments_.at(active_seq_);
    s.live.Set(IndexOf(id));
    ++s.live_count;
  }
  if (options_.fsync) {
    if (Status s = WaitDurable(ticket); !s.ok()) {
      // The caller refuses the data, so it must not come back after a restart.
      (void)Remove(id);
      return s;
    }
  }
  return id;
}

Status SegmentLog::WaitDurable(std::uint64_t ticket) {
  std::unique_lock l(sync_mu_);
  while (synced_ < ticket) {
    if (syncing_) {
      sync_cv_.wait(l);
      continue;
    }
    // Lead a round: everything written so far (others' records too) gets one fdatasync.
    syncing_ = true;
    l.unlock();
    std::uint64_t target = 0;
    std::vector<std::shared_ptr<Fd>> files;
    {
      std::lock_guard a(append_mu_);
      target = written_;
      files.swap(unsynced_);
      if (active_ != nullptr) files.push_back(active_);
    }
    int error = 0;
    for (const auto& f : files) {
      if (::fdatasync(f->get()) != 0 && error == 0) error = errno;
    }
    if (error != 0) {
      std::lock_guard a(append_mu_);
      roll_next_ = true;  // what the failed file holds is uncertain now; start afresh
    }
    l.lock();
    syncing_ = false;
    if (error != 0) {
      sync_failures_[target] = {
          synced_, "file_storage: fdatasync in \"" + dir_.string() + "\" failed: " + ErrnoText(error)};
    }
    synced_ = std::max(synced_, target);
    sync_cv_.notify_all();
  }
  Status result = Status::Ok();
  if (auto f = sync_failures_.lower_bound(ticket); f != sync_failures_.end() && f->second.after < ticket) {
    result = Status::Unavailable(f->second.message);
  }
  waiting_.erase(waiting_.find(ticket));
  // Failures no waiting appender can still ask about.
  const std::uint64_t oldest = waiting_.empty() ? UINT64_MAX : *waiting_.begin();
  while (!sync_failures_.empty() && sync_failures_.begin()->first < oldest) {
    sync_failures_.erase(sync_failures_.begin());
  }
  return result;
}

Status SegmentLog::WriteRemoval(Segment& s, std::uint32_t index) {
  const std::string path = Path(RemovalFileName(s.seq));
  if (s.removal_fd == nullptr) {
    if (open_removal_files_ >= kMaxOpenRemovalFiles) {
      for (auto& [seq, other] : segments_) {
        if (other->removal_fd != nullptr) {
          other->removal_fd.reset();
          --open_removal_files_;
          break;
        }
      }
    }
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | kOpenFlags, kFileMode);
    if (fd < 0) return Status::Unavailable("file_storage: cannot open " + path + ": " + ErrnoText(errno));
    if (const std::string why = NotOurs(fd); !why.empty()) {
      ::close(fd);
      return Status::Unavailable("file_storage: refusing " + path + ": " + why);
    }
    s.removal_fd = std::make_unique<Fd>(fd);
    ++open_removal_files_;
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
      const int e = errno;
      s.removal_fd.reset();
      --open_removal_files_;
      return Status::Unavailable("file_storage: cannot stat " + path + ": " + ErrnoText(e));
    }
    auto size = static_cast<std::uint64_t>(st.st_size);
    // A torn last entry would shift every entry written after it.
    if (size % kRemovalEntryBytes != 0 &&
        ::ftruncate(fd, static_cast<off_t>(size - size % kRemovalEntryBytes)) == 0) {
      size -= size % kRemovalEntryBytes;
    }
    SetRemovalBytes(s, size);
    if (size % kRemovalEntryBytes != 0) {
      s.removal_fd.reset();
      --open_removal_files_;
      return Status::Unavailable("file_storage: cannot cut the torn end off " + path);
    }
  }
  char entry[kRemovalEntryBytes];
  PutU32(entry, index);
  PutU32(entry + 4, RemovalCheck(s.seq, index));
  const iovec iov{entry, sizeof entry};
  if (const int e = PwriteAll(s.removal_fd->get(), &iov, 1, s.removal_bytes); e != 0) {
    if (::ftruncate(s.removal_fd->get(), static_cast<off_t>(s.removal_bytes)) != 0) {
      struct stat st {};
      if (::fstat(s.removal_fd->get(), &st) == 0) SetRemovalBytes(s, static_cast<std::uint64_t>(st.st_size));
      s.removal_fd.reset();  // reopening realigns the file
      --open_removal_files_;
    }
    return Status::Unavailable("file_storage: cannot record the removal in " + path + ": " + ErrnoText(e));
  }
  SetRemovalBytes(s, s.removal_bytes + kRemovalEntryBytes);
  return Status::Ok();
}

void SegmentLog::SetRemovalBytes(Segment& s, std::uint64_t size) {
  disk_bytes_ += size - s.removal_bytes;  // modulo 2^64: a shrinking file subtracts
  s.removal_bytes = size;
}

bool SegmentLog::DeleteSegment(std::uint32_t seq) {
  auto it = segments_.find(seq);
  // The newest segment file carries the sequence number across restarts.
  if (it == segments_.end() || seq == segments_.rbegin()->first) return false;
  const std::string path = Path(SegmentFileName(seq));
  struct stat st {};
  const std::uint64_t size = ::lstat(path.c_str(), &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    spdlog::warn("file_storage: cannot delete {}: {}", path, ErrnoText(errno));
    return false;
  }
  disk_bytes_ -= size;
  Segment& s = *it->second;
  if (s.removal_fd != nullptr) {
    s.removal_fd.reset();
    --open_removal_files_;
  }
  if (::unlink(Path(RemovalFileName(seq)).c_str()) == 0) SetRemovalBytes(s, 0);
  segments_.erase(it);
  SyncDirectory();
  return true;
}

Status SegmentLog::Remove(std::uint64_t id) {
  const std::uint32_t seq = SeqOf(id), index = IndexOf(id);
  std::lock_guard l(state_mu_);
  auto it = segments_.find(seq);
  if (it == segments_.end()) return Status::Ok();
  Segment& s = *it->second;
  if (!s.live.Test(index)) return Status::Ok();
  s.live.Clear(index);
  --s.live_count;
  // A segment that goes needs no removal entry: freeing a full disk takes no space.
  if (s.sealed && s.live_count == 0 && DeleteSegment(seq)) return Status::Ok();
  // Unwritten, the removal is lost as in a crash: the record may come back once
  // after a restart (at-least-once), which is no reason to fail the caller.
  if (Status w = WriteRemoval(s, index); !w.ok()) {
    if (!removal_failing_)
      spdlog::warn("{}; removed records may be delivered again after a restart", w.message());
    removal_failing_ = true;
  } else if (removal_failing_) {
    spdlog::info("file_storage: removals in \"{}\" are recorded again", dir_.string());
    removal_failing_ = false;
  }
  return Status::Ok();
}

std::unique_ptr<SegmentLog::Scan> SegmentLog::StartScan(std::uint32_t seq) {
  auto scan = std::make_unique<Scan>();
  scan->seq = seq;
  scan->path = Path(SegmentFileName(seq));
  const int fd = ::open(scan->path.c_str(), O_RDWR | kOpenFlags);
  if (fd < 0) {
    spdlog::warn("file_storage: cannot open {}: {}; its records are skipped", scan->path, ErrnoText(errno));
    return nullptr;
  }
  scan->fd = std::make_shared<Fd>(fd);
  // A torn tail is cut off later: only from a file that is surely ours.
  if (const std::string why = NotOurs(fd); !why.empty()) {
    spdlog::error("file_storage: refusing {}: {}; its records are skipped", scan->path, why);
    return nullptr;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) return nullptr;
  scan->size = static_cast<std::uint64_t>(st.st_size);

  // Removals are read now that the backlog reaches this segment, not at open.
  const std::string rm = Path(RemovalFileName(seq));
  if (const int rfd = ::open(rm.c_str(), O_RDONLY | kOpenFlags); rfd >= 0) {
    Fd guard(rfd);
    const std::uint32_t max_index = static_cast<std::uint32_t>(scan->size / kRecordHeaderBytes);
    std::string chunk(kReadChunk - kReadChunk % kRemovalEntryBytes, '\0');
    std::uint64_t at = 0;
    while (true) {
      const std::int64_t got = PreadFull(rfd, chunk.data(), chunk.size(), at);
      if (got <= 0) break;
      for (std::int64_t i = 0; i + static_cast<std::int64_t>(kRemovalEntryBytes) <= got;
           i += static_cast<std::int64_t>(kRemovalEntryBytes)) {
        const std::uint32_t index = GetU32(chunk.data() + i);
        if (index <= max_index && GetU32(chunk.data() + i + 4) == RemovalCheck(seq, index))
          scan->removed.Set(index);
      }
      if (got < static_cast<std::int64_t>(chunk.size())) break;
      at += static_cast<std::uint64_t>(got);
    }
  }

  // A file whose header is damaged is searched for records from its first byte.
  const char* h = scan->Peek(0, kSegmentHeaderBytes);
  if (h != nullptr && std::memcmp(h, kSegmentMagic, sizeof kSegmentMagic) == 0 &&
      GetU32(h + 8) == kFormatVersion) {
    scan->off = kSegmentHeaderBytes;
  } else if (scan->size <= kSegmentHeaderBytes) {
    scan->done = true;  // created, never written (a crash right after creating it)
  } else if (h != nullptr && std::memcmp(h, kSegmentMagic, sizeof kSegmentMagic) == 0) {
    // Written by a newer otlpd: left alone (not deleted), for that version to read.
    spdlog::warn("file_storage: {} has format version {}, this otlpd reads {}; its records are skipped",
                 scan->path, GetU32(h + 8), kFormatVersion);
    return nullptr;
  }
  return scan;
}

void SegmentLog::FinishScan(Scan& scan, bool repair) {
  if (repair && scan.torn_at) {
    if (::ftruncate(scan.fd->get(), static_cast<off_t>(*scan.torn_at)) == 0) {
      disk_bytes_ -= scan.size - *scan.torn_at;
    } else {
      spdlog::warn("file_storage: cannot truncate the torn tail of {}: {}", scan.path, ErrnoText(errno));
    }
  }
  std::lock_guard l(state_mu_);
  auto it = segments_.find(scan.seq);
  if (it == segments_.end()) return;
  it->second->sealed = true;
  if (it->second->live_count == 0) DeleteSegment(scan.seq);
}

bool SegmentLog::NextBacklog(std::uint64_t& id, std::string& record) {
  std::lock_guard b(backlog_mu_);
  while (true) {
    if (scan_ == nullptr) {
      if (backlog_pos_ >= backlog_.size()) return false;
      scan_ = StartScan(backlog_[backlog_pos_++]);
      if (scan_ == nullptr) continue;
    }
    const bool found = scan_->Next(id, record);
    corrupt_ += scan_->lost;
    scan_->lost = 0;
    if (found) {
      std::lock_guard l(state_mu_);
      auto it = segments_.find(scan_->seq);
      if (it != segments_.end()) {
        it->second->live.Set(IndexOf(id));
        ++it->second->live_count;
      }
      return true;
    }
    FinishScan(*scan_, /*repair=*/true);
    scan_.reset();
  }
}

}  // namespace otlpd::extensions::file_storage
