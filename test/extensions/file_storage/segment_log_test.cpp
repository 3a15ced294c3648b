#include "extensions/file_storage/segment_log.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "test/support/process.h"

using namespace otlpd;
using namespace otlpd::extensions::file_storage;
using Catch::Matchers::Contains;

namespace {

namespace fs = std::filesystem;

SegmentLogOptions Options(std::uint64_t segment_bytes = 4096, bool fsync = false) {
  SegmentLogOptions o;
  o.segment_bytes = segment_bytes;
  o.fsync = fsync;
  o.lock_timeout = std::chrono::milliseconds(0);
  return o;
}

std::unique_ptr<SegmentLog> Open(const fs::path& dir, const SegmentLogOptions& options = Options()) {
  auto r = SegmentLog::Open(dir, options);
  INFO(r.status().message());
  REQUIRE(r.ok());
  return std::move(r).value();
}

// A record whose bytes all follow from `n`, so a damaged or misplaced one is noticed.
std::string Record(std::uint64_t n, std::size_t size = 100) {
  std::string s = "record-" + std::to_string(n) + ":";
  std::uint64_t x = n * 0x9E3779B97F4A7C15ull + 1;
  while (s.size() < size) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    s += static_cast<char>('a' + x % 26);
  }
  s.resize(size);
  return s;
}

// The n a Record() was made from, or -1 when the bytes are not exactly Record(n, size).
std::int64_t RecordNumber(const std::string& s) {
  if (s.rfind("record-", 0) != 0) return -1;
  const std::size_t colon = s.find(':');
  if (colon == std::string::npos) return -1;
  const std::uint64_t n = std::stoull(s.substr(7, colon - 7));
  return Record(n, s.size()) == s ? static_cast<std::int64_t>(n) : -1;
}

std::vector<std::pair<std::uint64_t, std::string>> Drain(SegmentLog& log) {
  std::vector<std::pair<std::uint64_t, std::string>> out;
  std::uint64_t id = 0;
  std::string rec;
  while (log.NextBacklog(id, rec)) out.emplace_back(id, rec);
  return out;
}

std::uint64_t Append(SegmentLog& log, std::string_view rec) {
  auto r = log.Append(rec);
  INFO(r.status().message());
  REQUIRE(r.ok());
  return *r;
}

// What the queue's files take, as disk_bytes() should report it.
std::uint64_t DirBytes(const fs::path& dir) {
  std::uint64_t n = 0;
  for (const auto& e : fs::directory_iterator(dir)) n += e.file_size();
  return n;
}

std::size_t CountFiles(const fs::path& dir, std::string_view suffix) {
  std::size_t n = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.size() > suffix.size() && name.substr(name.size() - suffix.size()) == suffix) ++n;
  }
  return n;
}

fs::path SegmentOf(const fs::path& dir, std::uint64_t id) {
  return dir / SegmentFileName(static_cast<std::uint32_t>(id >> 32));
}

// Offset of record `k` (0-based) in a segment of equal-sized records.
std::uint64_t RecordOffset(std::size_t k, std::size_t record_size) {
  return kSegmentHeaderBytes + k * (kRecordHeaderBytes + record_size);
}

void FlipByte(const fs::path& file, std::uint64_t offset) {
  const int fd = ::open(file.c_str(), O_RDWR);
  REQUIRE(fd >= 0);
  char c = 0;
  REQUIRE(::pread(fd, &c, 1, static_cast<off_t>(offset)) == 1);
  c = static_cast<char>(c ^ 0x5A);
  REQUIRE(::pwrite(fd, &c, 1, static_cast<off_t>(offset)) == 1);
  ::close(fd);
}

}  // namespace

TEST_CASE("segment log: records come back in order across reopen, removed ones do not") {
  test::TempDir tmp;
  const fs::path dir = tmp / "q";
  std::vector<std::uint64_t> ids;
  std::set<std::uint64_t> removed;
  {
    auto log = Open(dir);
    for (int i = 0; i < 100; ++i) {
      ids.push_back(Append(*log, Record(static_cast<std::uint64_t>(i))));
      if (i > 0) CHECK(ids[static_cast<std::size_t>(i)] > ids[static_cast<std::size_t>(i) - 1]);
    }
    // Records of this run are the caller's already: never handed out as backlog.
    std::uint64_t id = 0;
    std::string rec;
    CHECK_FALSE(log->NextBacklog(id, rec));
    for (std::size_t i = 0; i < ids.size(); i += 3) {
      CHECK(log->Remove(ids[i]).ok());
      removed.insert(ids[i]);
    }
    CHECK(log->Remove(ids[0]).ok());  // twice: a no-op
    CHECK(log->Remove(12345).ok());   // never existed
    CHECK(log->segment_count() > 3);  // 4 KiB segments of 124-byte records rolled over
    CHECK(log->disk_bytes() == DirBytes(dir));
    CHECK(log->corrupt_records() == 0);
  }

  std::uint64_t new_id = 0;
  {
    auto log = Open(dir);
    // Appended before the backlog is read, and still not part of it.
    new_id = Append(*log, Record(1000));
    CHECK(new_id > ids.back());
    auto back = Drain(*log);
    std::vector<std::pair<std::uint64_t, std::string>> want;
    for (std::size_t i = 0; i < ids.size(); ++i) {
      if (!removed.contains(ids[i])) want.emplace_back(ids[i], Record(i));
    }
    CHECK(back == want);
    CHECK(log->corrupt_records() == 0);
    CHECK(log->disk_bytes() == DirBytes(dir));
    // Removing what the backlog returned, as a consumer does, deletes its segments.
    const std::size_t before = log->segment_count();
    const std::uint64_t bytes_before = log->disk_bytes();
    for (std::size_t i = 0; i < back.size(); i += 2) CHECK(log->Remove(back[i].first).ok());
    for (std::size_t i = 1; i < back.size(); i += 2) CHECK(log->Remove(back[i].first).ok());
    CHECK(log->segment_count() < before);
    CHECK(log->segment_count() == 1);  // only the segment this run appends to
    CHECK(log->disk_bytes() < bytes_before);
    CHECK(log->disk_bytes() == DirBytes(dir));
    CHECK(CountFiles(dir, ".seg") == 1);
    CHECK(CountFiles(dir, ".rm") == 0);
  }

  {
    auto log = Open(dir);
    auto back = Drain(*log);
    REQUIRE(back.size() == 1);
    CHECK(back[0] == std::make_pair(new_id, Record(1000)));
    CHECK(Append(*log, Record(1001)) > new_id);
  }
}

TEST_CASE("segment log: ids keep growing across restarts even when the queue was drained") {
  test::TempDir tmp;
  const fs::path dir = tmp / "q";
  std::uint64_t last = 0;
  for (int run = 0; run < 4; ++run) {
    auto log = Open(dir);
    CHECK(Drain(*log).empty());
    if (run == 2) continue;  // a run that appends nothing
    for (int i = 0; i < 5; ++i) {
      const std::uint64_t id = Append(*log, Record(static_cast<std::uint64_t>(i)));
      CHECK(id > last);
      last = id;
      CHECK(log->Remove(id).ok());
    }
  }
  // Drained runs leave no records behind: the newest segment is emptied to its header.
  auto log = Open(dir);
  CHECK(CountFiles(dir, ".seg") <= 2);
  CHECK(log->disk_bytes() == DirBytes(dir));
  CHECK(log->disk_bytes() <= 2 * kSegmentHeaderBytes);
}

TEST_CASE("segment log: segments roll over and fully removed ones are deleted while running") {
  test::TempDir tmp;
  const fs::path dir = tmp / "q";
  auto log = Open(dir);
  std::vector<std::uint64_t> ids;
  for (int i = 0; i < 200; ++i) ids.push_back(Append(*log, Record(static_cast<std::uint64_t>(i))));
  std::set<std::uint64_t> segments;
  for (auto id : ids) segments.insert(id >> 32);
  CHECK(segments.size() == log->segment_count());
  CHECK(segments.size() >= 6);
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".seg") CHECK(e.file_size() <= 4096);
  }
  const std::uint64_t full = log->disk_bytes();
  CHECK(full == DirBytes(dir));

  std::mt19937 rng(7);
  std::shuffle(ids.begin(), ids.end(), rng);
  std::size_t min_segments = log->segment_count();
  for (auto id : ids) {
    CHECK(log->Remove(id).ok());
    CHECK(log->segment_count() <= min_segments);
    min_segments = log->segment_count();
  }
  CHECK(log->segment_count() == 1);
  CHECK(log->disk_bytes() < full / 4);
  CHECK(log->disk_bytes() == DirBytes(dir));
}

TEST_CASE("segment log: max_bytes refuses appends past the cap and takes them again once space is freed") {
  test::TempDir tmp;
  const fs::path dir = tmp / "q";
  SegmentLogOptions o = Options(1 << 20);
  o.max_bytes = 128 * 1024;  // segments roll over at 64 KiB (an eighth, at least 64 KiB)
  auto log = Open(dir, o);
  std::vector<std::uint64_t> ids;
  Status refused;
  for (int i = 0; i < 10000; ++i) {
    auto r = log->Append(Record(static_cast<std::uint64_t>(i), 1000));
    if (!r.ok()) {
      refused = r.status();
      break;
    }
    ids.push_back(*r);
  }
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.code() == StatusCode::kUnavailable);  // storage full: back-pressure, retried later
  CHECK_THAT(refused.message(), Contains("is full"));
  CHECK(log->disk_bytes() <= o.max_bytes);
  CHECK(DirBytes(dir) <= o.max_bytes);
  CHECK(ids.size() > 100);

  // Consuming the oldest records frees their segments; appends go on.
  for (std::size_t i = 0; i < ids.size() / 2; ++i) CHECK(log->Remove(ids[i]).ok());
  CHECK(log->Append(Record(99999, 1000)).ok());
  // Everything removed: even the active segment's space comes back by rolling over.
  for (std::size_t i = ids.size() / 2; i < ids.size(); ++i) CHECK(log->Remove(ids[i]).ok());
  int more = 0;
  while (more < 200 && log->Append(Record(100000 + static_cast<std::uint64_t>(more), 1000)).ok()) ++more;
  CHECK(more > 100);
  CHECK(DirBytes(dir) <= o.max_bytes);

  // A record that could never fit is refused for good.
  auto huge = log->Append(std::string(200 * 1024, 'x'));
  REQUIRE_FALSE(huge.ok());
  CHECK(huge.status().code() == StatusCode::kResourceExhausted);
}

TEST_CASE("segment log: a record larger than a segment gets a segment of its own") {
  test::TempDir tmp;
  const fs::path dir = tmp / "q";
  std::uint64_t a = 0, big = 0, b = 0;
  {
    auto log = Open(dir);
    a = Append(*log, Record(1));
    big = Append(*log, Record(2, 3 << 20));  // larger than the read chunk too
    b = Append(*log, Record(3));
    CHECK((a >> 32) != (big >> 32));
    CHECK((big >> 32) != (b >> 32));
    std::string huge_view_backing;
    auto too_big = log->Append(std::string_view(huge_view_backing.data(), kMaxRecordBytes + 1));
    CHECK(too_big.status().code() == StatusCode::kResourceExhausted);
  }
  auto log = Open(dir);
  auto back = Drain(*log);
  REQUIRE(back.size() == 3);
  CHECK(back[1].first == big);
  CHECK(back[1].second == Record(2, 3 << 20));
  CHECK(back[2].second == Record(3));
}

TEST_CASE("segment log: a torn tail is skipped, counted, cut off, and appends after it survive") {
  test::TempDir tmp;
  const fs::path dir = tmp / "q";
  std::vector<std::uint64_t> ids;
  {
    auto log = Open(dir, Options(1 << 20));
    for (int i = 0; i < 10; ++i) ids.push_back(Append(*log, Record(static_cast<std::uint64_t>(i))));
  }
  const fs::path seg = SegmentOf(dir, ids.back());
  const std::uint64_t last_start = RecordOffset(9, 100);
  REQUIRE(fs::file_size(seg) == last_start + kRecordHeaderBytes + 100);
  SECTION("cut in the record's data") { fs::resize_file(seg, last_start + kRecordHeaderBytes + 50); }
  SECTION("cut in the record's header") { fs::resize_file(seg, last_start + 10); }

  std::vector<std::uint64_t> later;
  {
    auto log = Open(dir, Options(1 << 20));
    auto back = Drain(*log);
    REQUIRE(back.size() == 9);
    for (std::size_t i = 0; i < 9; ++i) CHECK(back[i] == std::make_pair(ids[i], Record(i)));
    CHECK(log->corrupt_records() == 1);
    CHECK(fs::file_size(seg) == last_start);  // the torn bytes are gone
    CHECK(log->disk_bytes() == DirBytes(dir));
    for (int i = 0; i < 3; ++i) later.push_back(Append(*log, Record(100 + static_cast<std::uint64_t>(i))));
  }
  auto log = Open(dir, Options(1 << 20));
  auto back = Drain(*log);
  REQUIRE(back.size() == 12);
  for (std::size_t i = 0; i < 3; ++i) CHECK(back[9 + i] == std::make_pair(later[i], Record(100 + i)));
  CHECK(log->corrupt_records() == 0);
}

TEST_CASE("segment log: a torn last record that had been removed is not counted as lost") {
  test::TempDir tmp;
  const fs::path dir = tmp / "q";
  std::vector<std::uint64_t> ids;
  {
    auto log = Open(dir, Options(1 << 20));
    for (int i = 0; i < 10; ++i) ids.push_back(Append(*log, Record(static_cast<std::uint64_t>(i))));
    CHECK(log->Remove(ids[9]).ok());
  }
  const fs::path seg = SegmentOf(dir, ids[0]);
  fs::resize_file(seg, RecordOffset(9, 100) + kRecordHeaderBytes + 50);
  auto log = Open(dir, Options(1 << 20));
  CHECK(Drain(*log).size() == 9);
  CHECK(log->corrupt_records() == 0);
  CHECK(fs::file_size(seg) == RecordOffset(9, 100));
}

TEST_CASE("segment log: a damaged record in the middle of a segment is skipped and the rest come back") {
  test::TempDir tmp;
  const fs::path dir = tmp / "q";
  std::vector<std::uint64_t> ids;
  std::set<std::size_t> removed;
  {
    auto log = Open(dir, Options(1 << 20));
    for (int i = 0; i < 10; ++i) ids.push_back(Append(*log, Record(static_cast<std::uint64_t>(i))));
    CHECK(log->Remove(ids[7]).ok());
    removed.insert(7);
  }
  const fs::path seg = SegmentOf(dir, ids[0]);
  std::set<std::size_t> damaged;
  std::uint64_t want_corrupt = 0;
  SECTION("a data byte") {
    FlipByte(seg, RecordOffset(4, 100) + kRecordHeaderBytes + 60);
    damaged = {4};
    want_corrupt = 1;
  }
  SECTION("the length in a header: found again by the next valid header") {
    FlipByte(seg, RecordOffset(4, 100) + 5);
    damaged = {4};
    want_corrupt = 1;
  }
  SECTION("two headers in a row: the gap in indexes counts both") {
    FlipByte(seg, RecordOffset(4, 100) + 1);
    FlipByte(seg, RecordOffset(5, 100) + 12);
    damaged = {4, 5};
    want_corrupt = 2;
  }
  SECTION("a record that was removed anyway is not counted as lost") {
    FlipByte(seg, RecordOffset(7, 100) + kRecordHeaderBytes + 3);
    damaged = {7};
    want_corrupt = 0;
  }
  SECTION("the segment's file header: records are still found") {
    FlipByte(seg, 2);
    want_corrupt = 0;
  }

  auto log = Open(dir, Options(1 << 20));
  CHECK(log->corrupt_records() == 0);  // open reads no record: damage is found by NextBacklog
  auto back = Drain(*log);
  std::vector<std::pair<std::uint64_t, std::string>> want;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (!damaged.contains(i) && !removed.contains(i)) want.emplace_back(ids[i], Record(i));
  }
  CHECK(back == want);
  CHECK(log->corrupt_records() == want_corrupt);
}

TEST_CASE("segment log: a segment of a newer format version is skipped and left alone") {
  test::TempDir tmp;
  const fs::path dir = tmp / "q";
  std::uint64_t old_id = 0, new_id = 0;
  {
    auto log = Open(dir);
    old_id = Append(*log, Record(1));
  }
  {
    auto log = Open(dir);
    new_id = Append(*log, Record(2));
  }
  const fs::path future = SegmentOf(dir, old_id);
  FlipByte(future, 8);  // the version field
  const auto size = fs::file_size(future);
  auto log = Open(dir);
  auto back = Drain(*log);
  REQUIRE(back.size() == 1);
  CHECK(back[0].first == new_id);
  CHECK(log->corrupt_records() == 0);
  REQUIRE(fs::exists(future));
  CHECK(fs::file_size(future) == size);
}

TEST_CASE("segment log: damage reaching the end of a segment loses only that segment's tail") {
  test::TempDir tmp;
  const fs::path dir = tmp / "q";
  std::vector<std::uint64_t> ids;
  {
    auto log = Open(dir);  // 4 KiB segments: several of them
    for (int i = 0; i < 100; ++i) ids.push_back(Append(*log, Record(static_cast<std::uint64_t>(i))));
  }
  // Zero the second half of the first segment, as a lost write-back would.
  const fs::path seg = SegmentOf(dir, ids[0]);
  const auto size = fs::file_size(seg);
  {
    const int fd = ::open(seg.c_str(), O_RDWR);
    REQUIRE(fd >= 0);
    std::string zeros(size - size / 2, '\0');
    REQUIRE(::pwrite(fd, zeros.data(), zeros.size(), static_cast<off_t>(size / 2)) ==
            static_cast<ssize_t>(zeros.size()));
    ::close(fd);
  }
  auto log = Open(dir);
  auto back = Drain(*log);
  std::size_t first_seg_records = 0;
  for (auto id : ids) first_seg_records += (id >> 32) == (ids[0] >> 32) ? 1 : 0;
  std::size_t intact = 0;
  while (RecordOffset(intact + 1, 100) <= size / 2) ++intact;
  REQUIRE(back.size() == ids.size() - first_seg_records + intact);
  for (std::size_t i = 0; i < intact; ++i) CHECK(back[i].second == Record(i));
  for (std::size_t i = intact; i < back.size(); ++i) {
    CHECK(back[i] ==
          std::make_pair(ids[i + first_seg_records - intact], Record(i + first_seg_records - intact)));
  }
  // The record the zeroes start in may have its header intact: it is counted alone.
  CHECK(log->corrupt_records() >= 1);
  CHECK(log->corrupt_records() <= first_seg_records - intact);
  CHECK(fs::file_size(seg) >= RecordOffset(intact, 100));
  CHECK(fs::file_size(seg) <= RecordOffset(intact + 1, 100));
}

TEST_CASE("segment log: compaction on start deletes segments whose records were all removed") {
  test::TempDir tmp;
  const fs::path dir = tmp / "q";
  // A run that removed everything but died before its segments were deleted or
  // emptied: the child exits without running any destructor.
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    auto r = SegmentLog::Open(dir, Options(1 << 20));
    if (!r.ok()) ::_exit(2);
    for (int i = 0; i < 20; ++i) {
      auto id = (*r)->Append(Record(static_cast<std::uint64_t>(i)));
      if (!id.ok() || !(*r)->Remove(*id).ok()) ::_exit(3);
    }
    ::_exit(0);
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  REQUIRE(CountFiles(dir, ".seg") == 1);
  REQUIRE(CountFiles(dir, ".rm") == 1);

  SECTION("without on_start the backlog reader deletes it") {
    auto log = Open(dir, Options(1 << 20));
    CHECK(log->segment_count() == 2);
    CHECK(Drain(*log).empty());
    CHECK(log->segment_count() == 1);
    CHECK(CountFiles(dir, ".rm") == 0);
    CHECK(log->disk_bytes() == DirBytes(dir));
  }
  SECTION("with on_start it is gone at open") {
    SegmentLogOptions o = Options(1 << 20);
    o.compact_on_start = true;
    auto log = Open(dir, o);
    CHECK(log->segment_count() == 1);
    CHECK(CountFiles(dir, ".seg") == 1);
    CHECK(CountFiles(dir, ".rm") == 0);
    CHECK(log->disk_bytes() == DirBytes(dir));
    CHECK(Drain(*log).empty());
    CHECK(log->corrupt_records() == 0);
  }
}

TEST_CASE(
    "segment log: a second open of the same queue waits for the lock, then fails; it opens once released") {
  test::TempDir tmp;
  const fs::path dir = tmp / "q";
  auto first = Open(dir);
  SegmentLogOptions o = Options();
  o.lock_timeout = std::chrono::milliseconds(50);
  const auto start = std::chrono::steady_clock::now();
  auto second = SegmentLog::Open(dir, o);
  CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(50));
  REQUIRE_FALSE(second.ok());
  CHECK(second.status().code() == StatusCode::kUnavailable);
  CHECK_THAT(second.status().message(), Contains(dir.string()) && Contains("LOCK"));
  first.reset();
  CHECK(SegmentLog::Open(dir, o).ok());
}

namespace {

// Reads (id, number) pairs a child reports until `deadline`, then SIGKILLs it.
std::vector<std::pair<std::uint64_t, std::uint64_t>> KillAfter(pid_t pid, int fd,
                                                               std::chrono::milliseconds delay) {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> acked;
  std::string pending;
  auto read_some = [&](int timeout_ms) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return false;
    char buf[4096];
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) return false;
    pending.append(buf, static_cast<std::size_t>(n));
    while (pending.size() >= 16) {
      std::uint64_t id, number;
      std::memcpy(&id, pending.data(), 8);
      std::memcpy(&number, pending.data() + 8, 8);
      acked.emplace_back(id, number);
      pending.erase(0, 16);
    }
    return true;
  };
  const auto deadline = std::chrono::steady_clock::now() + delay;
  while (std::chrono::steady_clock::now() < deadline) {
    read_some(static_cast<int>(std::max<std::int64_t>(
        1, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now())
               .count())));
  }
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  // Every id the child wrote before it died, acknowledged or not yet read.
  while (read_some(0)) {
  }
  return acked;
}

}  // namespace

TEST_CASE("segment log: SIGKILL at a random moment loses no acknowledged record (fsync: true)") {
  test::TempDir tmp;
  const fs::path dir = tmp / "q";
  std::random_device rd;
  const unsigned seed = rd();
  INFO("seed " << seed);
  std::mt19937 rng(seed);
  const SegmentLogOptions options = Options(64 << 10, /*fsync=*/true);

  std::map<std::uint64_t, std::uint64_t> must_have;  // id -> record number, acked and not removed
  std::uint64_t next_number = 0;
  for (int round = 0; round < 5; ++round) {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    const std::uint64_t first_number = next_number;
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      ::close(fds[0]);
      auto r = SegmentLog::Open(dir, options);
      if (!r.ok()) ::_exit(2);
      SegmentLog& log = **r;
      // Several appenders: the kill may land while they share an fdatasync.
      std::vector<std::thread> threads;
      for (std::uint64_t t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
          for (std::uint64_t i = t;; i += 4) {
            const std::uint64_t number = first_number + i;
            auto id = log.Append(Record(number, 50 + number % 700));
            if (!id.ok()) ::_exit(3);
            char msg[16];
            std::memcpy(msg, &*id, 8);
            std::memcpy(msg + 8, &number, 8);
            if (::write(fds[1], msg, sizeof msg) != sizeof msg) ::_exit(4);
          }
        });
      }
      for (auto& t : threads) t.join();
      ::_exit(0);
    }
    ::close(fds[1]);
    const auto delay = std::chrono::milliseconds(std::uniform_int_distribution<int>(20, 300)(rng));
    auto acked = KillAfter(pid, fds[0], delay);
    ::close(fds[0]);
    INFO("round " << round << " killed after " << delay.count() << " ms, " << acked.size()
                  << " acknowledged");
    for (auto [id, number] : acked) {
      must_have[id] = number;
      next_number = std::max(next_number, number + 1);
    }
    next_number += 4;  // numbers the child may have written without reporting them

    auto log = Open(dir, options);
    std::map<std::uint64_t, std::string> back;
    for (auto& [id, rec] : Drain(*log)) {
      CHECK(RecordNumber(rec) >= 0);  // never a damaged record
      back.emplace(id, rec);
    }
    // At most the one record being written when the child died is torn.
    CHECK(log->corrupt_records() <= 1);
    std::size_t missing = 0;
    for (auto [id, number] : must_have) {
      auto it = back.find(id);
      if (it == back.end() || RecordNumber(it->second) != static_cast<std::int64_t>(number)) ++missing;
    }
    CHECK(missing == 0);
    // Consume about half of what came back; the rest must survive the next rounds.
    for (auto& [id, rec] : back) {
      if (rng() % 2 == 0) {
        CHECK(log->Remove(id).ok());
        must_have.erase(id);
      }
    }
    CHECK(log->disk_bytes() == DirBytes(dir));
  }
  CHECK(must_have.size() > 0);
}

TEST_CASE("segment log: a file size limit (EFBIG) fails an append cleanly, and appends work again") {
  test::TempDir tmp;
  const fs::path dir = tmp / "q";
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    // Only in the child: the limit and the ignored signal do not leak into the tests.
    ::close(fds[0]);
    ::signal(SIGXFSZ, SIG_IGN);
    rlimit limit{};
    ::getrlimit(RLIMIT_FSIZE, &limit);
    const rlim_t hard = limit.rlim_max;
    limit.rlim_cur = 20000;
    if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) ::_exit(2);
    auto r = SegmentLog::Open(dir, Options(1 << 20));
    if (!r.ok()) ::_exit(3);
    SegmentLog& log = **r;
    auto report = [&](std::uint64_t number, std::uint64_t id) {
      char msg[16];
      std::memcpy(msg, &id, 8);
      std::memcpy(msg + 8, &number, 8);
      if (::write(fds[1], msg, 16) != 16) ::_exit(4);
    };
    std::uint64_t number = 0;
    for (;; ++number) {
      if (number > 100) ::_exit(5);  // never failed
      auto id = log.Append(Record(number, 1000));
      if (id.ok()) {
        report(number, *id);
        continue;
      }
      if (id.status().code() != StatusCode::kUnavailable) ::_exit(6);
      if (id.status().message().find("File too large") == std::string::npos) ::_exit(7);
      break;
    }
    // The failed record left nothing behind: the file ends on a whole record.
    if (log.disk_bytes() != DirBytes(dir)) ::_exit(8);
    // The next append starts a new segment, which has room under the limit.
    auto again = log.Append(Record(++number, 1000));
    if (!again.ok()) ::_exit(9);
    report(number, *again);
    // And with the limit raised, appends go on in that segment.
    limit.rlim_cur = hard;
    if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) ::_exit(10);
    for (int i = 0; i < 30; ++i) {
      auto id = log.Append(Record(++number, 1000));
      if (!id.ok()) ::_exit(11);
      report(number, *id);
    }
    ::_exit(0);
  }
  ::close(fds[1]);
  std::vector<std::pair<std::uint64_t, std::uint64_t>> ok;  // (number, id)
  char msg[16];
  while (::read(fds[0], msg, 16) == 16) {
    std::uint64_t id, number;
    std::memcpy(&id, msg, 8);
    std::memcpy(&number, msg + 8, 8);
    ok.emplace_back(number, id);
  }
  ::close(fds[0]);
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));  // no crash, no SIGXFSZ
  REQUIRE(WEXITSTATUS(status) == 0);

  REQUIRE(ok.size() > 10);
  auto log = Open(dir, Options(1 << 20));
  auto back = Drain(*log);
  REQUIRE(back.size() == ok.size());
  for (std::size_t i = 0; i < ok.size(); ++i) {
    CHECK(back[i].first == ok[i].second);
    CHECK(back[i].second == Record(ok[i].first, 1000));
  }
  // The failed record (the gap in the numbers) is not there, and nothing was damaged.
  CHECK(ok[ok.size() - 31].first == ok[ok.size() - 32].first + 2);
  CHECK(log->corrupt_records() == 0);
}

namespace {

// The ENOSPC scenario, run in a child whose mount namespace has a 256 KiB tmpfs at
// `mount_at`; returns the child's exit code (0: all good).
int FullDiskScenario(const fs::path& mount_at) {
  if (::unshare(CLONE_NEWNS) != 0 || ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
      ::mount("tmpfs", mount_at.c_str(), "tmpfs", 0, "size=256k") != 0) {
    return 77;
  }
  const fs::path dir = mount_at / "q";
  std::vector<std::uint64_t> kept;
  {
    auto r = SegmentLog::Open(dir, Options(32 << 10));
    if (!r.ok()) return 3;
    SegmentLog& log = **r;
    std::vector<std::uint64_t> ids;
    std::uint64_t number = 0;
    int failures_in_a_row = 0;
    bool saw_enospc = false;
    // Cutting a failed record off can free a page, so one more append may fit; after
    // a few failures in a row the disk is full for good.
    while (failures_in_a_row < 3) {
      if (++number > 1000) return 4;
      auto id = log.Append(Record(number, 1000));
      if (id.ok()) {
        ids.push_back(*id);
        failures_in_a_row = 0;
        continue;
      }
      ++failures_in_a_row;
      if (id.status().code() != StatusCode::kUnavailable) return 5;
      if (id.status().message().find("No space left") != std::string::npos) saw_enospc = true;
      if (log.disk_bytes() != DirBytes(dir)) return 6;  // nothing half-written left behind
    }
    if (!saw_enospc) return 7;
    if (ids.size() < 40) return 8;
    // Consume the oldest segment's records: it is deleted, and there is room again.
    const std::uint64_t oldest = ids.front() >> 32;
    for (auto id : ids) {
      if ((id >> 32) == oldest) {
        if (!log.Remove(id).ok()) return 9;
      } else {
        kept.push_back(id);
      }
    }
    for (int i = 0; i < 5; ++i) {
      auto again = log.Append(Record(++number, 1000));
      if (!again.ok()) return 10;
      kept.push_back(*again);
    }
    if (log.disk_bytes() != DirBytes(dir)) return 11;
  }
  // Closed; everything acknowledged and not removed comes back, and nothing else.
  auto reopened = SegmentLog::Open(dir, Options(32 << 10));
  if (!reopened.ok()) return 12;
  std::vector<std::uint64_t> back;
  std::uint64_t id = 0;
  std::string rec;
  while ((*reopened)->NextBacklog(id, rec)) {
    if (RecordNumber(rec) < 0) return 13;
    back.push_back(id);
  }
  if (back != kept) return 14;
  if ((*reopened)->corrupt_records() != 0) return 15;
  return 0;
}

}  // namespace

TEST_CASE("segment log: a full disk (ENOSPC) fails appends cleanly until Remove frees a segment") {
  test::TempDir tmp;
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) ::_exit(FullDiskScenario(tmp.path()));
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));  // no crash
  if (WEXITSTATUS(status) == 77) {
    WARN("cannot mount a tmpfs in a private mount namespace here (needs CAP_SYS_ADMIN): ENOSPC not tested");
    return;
  }
  CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("segment log: concurrent appends, removals and backlog reads") {
  test::TempDir tmp;
  const fs::path dir = tmp / "q";
  const bool fsync = GENERATE(false, true);
  const int per_thread = fsync ? 150 : 1500;
  const SegmentLogOptions options = Options(16 << 10, fsync);
  {
    auto log = Open(dir, options);
    for (int i = 0; i < 300; ++i) Append(*log, Record(static_cast<std::uint64_t>(i), 200));
  }
  auto log = Open(dir, options);

  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::uint64_t> to_remove;
  int producers = 5;
  std::vector<std::vector<std::uint64_t>> appended(4);
  std::atomic<int> bad{0};
  std::vector<std::thread> threads;
  auto hand_over = [&](std::uint64_t id) {
    std::lock_guard l(mu);
    to_remove.push_back(id);
    cv.notify_one();
  };
  auto producer_done = [&] {
    std::lock_guard l(mu);
    --producers;
    cv.notify_all();
  };
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        auto id = log->Append(Record(static_cast<std::uint64_t>(1000 + t * per_thread + i), 200 + i % 300));
        if (!id.ok()) {
          ++bad;
          continue;
        }
        appended[static_cast<std::size_t>(t)].push_back(*id);
        hand_over(*id);
      }
      producer_done();
    });
  }
  threads.emplace_back([&] {
    std::uint64_t id = 0;
    std::string rec;
    while (log->NextBacklog(id, rec)) {
      if (RecordNumber(rec) < 0) ++bad;
      hand_over(id);
    }
    producer_done();
  });
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&] {
      while (true) {
        std::unique_lock l(mu);
        cv.wait(l, [&] { return !to_remove.empty() || producers == 0; });
        if (to_remove.empty()) return;
        const std::uint64_t id = to_remove.front();
        to_remove.pop_front();
        l.unlock();
        if (!log->Remove(id).ok()) ++bad;
        (void)log->disk_bytes();
        (void)log->corrupt_records();
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(bad == 0);
  std::set<std::uint64_t> all;
  for (const auto& ids : appended) {
    CHECK(ids.size() == static_cast<std::size_t>(per_thread));
    CHECK(std::is_sorted(ids.begin(), ids.end()));
    all.insert(ids.begin(), ids.end());
  }
  CHECK(all.size() == static_cast<std::size_t>(4 * per_thread));
  CHECK(log->segment_count() == 1);
  CHECK(log->disk_bytes() == DirBytes(dir));
  CHECK(log->corrupt_records() == 0);
  log.reset();
  auto reopened = Open(dir, options);
  CHECK(Drain(*reopened).empty());
}

namespace {

std::string ReadAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

TEST_CASE("segment log: a symlinked segment is refused and its target left intact") {
  test::TempDir tmp;
  const fs::path dir = tmp / "q";
  fs::create_directory(dir);
  fs::permissions(dir, fs::perms::owner_all);
  // Not a segment: read as one, it is all torn tail, which would be cut to nothing.
  const fs::path target = tmp / "precious";
  const std::string precious(5000, 'p');
  test::WriteFile(target, precious);
  fs::create_symlink(target, dir / SegmentFileName(1));
  {
    auto log = Open(dir);
    CHECK(Drain(*log).empty());
    const std::uint64_t id = Append(*log, Record(1));
    CHECK((id >> 32) > 1);  // a new segment, numbered past the symlink's name
    REQUIRE(log->Remove(id).ok());
  }
  CHECK(ReadAll(target) == precious);
  CHECK(fs::is_symlink(dir / SegmentFileName(1)));
}

TEST_CASE("segment log: a removal file that is a hard link or a symlink is refused, not cut") {
  test::TempDir tmp;
  const fs::path dir = tmp / "q";
  const fs::path target = tmp / "precious";
  const std::string precious = "13 bytes long";  // not a whole removal entry: would be cut to 8
  test::WriteFile(target, precious);
  auto log = Open(dir);
  const std::uint64_t a = Append(*log, Record(1));
  const std::uint64_t b = Append(*log, Record(2));
  const std::uint64_t c = Append(*log, Record(3));
  const auto seq = static_cast<std::uint32_t>(a >> 32);
  fs::create_hard_link(target, dir / RemovalFileName(seq));
  CHECK(log->Remove(a).ok());  // unrecorded, as after a crash
  CHECK(ReadAll(target) == precious);
  fs::remove(dir / RemovalFileName(seq));
  fs::create_symlink(target, dir / RemovalFileName(seq));
  CHECK(log->Remove(b).ok());
  CHECK(ReadAll(target) == precious);
  fs::remove(dir / RemovalFileName(seq));
  CHECK(log->Remove(c).ok());  // a file of its own again: recorded
  CHECK(fs::file_size(dir / RemovalFileName(seq)) == kRemovalEntryBytes);
}

TEST_CASE(
    "segment log: a symlinked LOCK file or queue directory, or a directory others may write, is refused") {
  test::TempDir tmp;
  const fs::path target = tmp / "precious";
  test::WriteFile(target, "x");
  const fs::path dir = tmp / "q";
  fs::create_directory(dir);
  fs::permissions(dir, fs::perms::owner_all);
  fs::create_symlink(target, dir / "LOCK");
  auto r = SegmentLog::Open(dir, Options());
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.status().message(), Contains("LOCK"));
  CHECK(ReadAll(target) == "x");

  const fs::path real = tmp / "real";
  fs::create_directory(real);
  fs::create_directory_symlink(real, tmp / "link");
  r = SegmentLog::Open(tmp / "link", Options());
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.status().message(), Contains("symlink"));
  CHECK(fs::is_empty(real));

  const fs::path open_dir = tmp / "open";
  fs::create_directory(open_dir);
  fs::permissions(open_dir, fs::perms::all);
  r = SegmentLog::Open(open_dir, Options());
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.status().message(), Contains("writable by it alone"));
}
