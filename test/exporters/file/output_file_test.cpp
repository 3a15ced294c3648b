#include "exporters/file/output_file.h"

#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include "test/exporters/file/test_files.h"

namespace otlpd::exporters::file {
namespace {

using testing::FileNames;
using testing::ReadAll;
using testing::TempDir;
using testing::WriteAll;
using SysClock = std::chrono::system_clock;

// 2022-09-14T05:02:14.173Z, the time in otelcol's README example.
const SysClock::time_point kReadmeTime = SysClock::time_point(std::chrono::milliseconds(1663131734173));

// A wall clock that moves only when the test moves it.
struct FakeClock {
  SysClock::time_point now = kReadmeTime;
  WallClock Get() {
    return [this] { return now; };
  }
};

// Records "<n>:<filler>;" of varying sizes, so that any split or lost byte shows.
std::vector<std::string> MakeRecords(int count, std::size_t min_size, std::size_t spread) {
  std::vector<std::string> out;
  for (int i = 0; i < count; ++i) {
    std::string r = std::to_string(i) + ":";
    r.append(min_size + (static_cast<std::size_t>(i) * 37) % spread, static_cast<char>('a' + i % 26));
    r.push_back(';');
    out.push_back(std::move(r));
  }
  return out;
}

struct Joined {
  std::string bytes;
  std::vector<std::size_t> ends;
};

Joined Join(const std::vector<std::string>& records, std::size_t from = 0, std::size_t to = SIZE_MAX) {
  Joined j;
  for (std::size_t i = from; i < std::min(to, records.size()); ++i) {
    j.bytes += records[i];
    j.ends.push_back(j.bytes.size());
  }
  return j;
}

// Splits a file back into records; false if it holds anything that is not a whole record.
bool SplitRecords(const std::string& data, const std::vector<std::string>& all, std::vector<int>& indexes) {
  std::size_t pos = 0;
  while (pos < data.size()) {
    const std::size_t colon = data.find(':', pos);
    const std::size_t end = data.find(';', pos);
    if (colon == std::string::npos || end == std::string::npos || colon > end) return false;
    const int index = std::stoi(data.substr(pos, colon - pos));
    if (index < 0 || static_cast<std::size_t>(index) >= all.size()) return false;
    if (data.compare(pos, end + 1 - pos, all[static_cast<std::size_t>(index)]) != 0) return false;
    indexes.push_back(index);
    pos = end + 1;
  }
  return true;
}

TEST_CASE("backup names put timberjack's timestamp and reason before the extension", "[file][rotation]") {
  CHECK(OutputFile::BackupName("data.json", kReadmeTime, false) == "data-2022-09-14T05-02-14.173-size.json");
  CHECK(OutputFile::BackupName("/var/log/otel/data.json", kReadmeTime, false) ==
        "/var/log/otel/data-2022-09-14T05-02-14.173-size.json");
  CHECK(OutputFile::BackupName("out/traces", kReadmeTime, false) ==
        "out/traces-2022-09-14T05-02-14.173-size");
  CHECK(OutputFile::BackupName("a.b/c.tar.zst", kReadmeTime, false) ==
        "a.b/c.tar-2022-09-14T05-02-14.173-size.zst");
  CHECK(OutputFile::BackupName("x.json", kReadmeTime + std::chrono::microseconds(999), false) ==
        "x-2022-09-14T05-02-14.173-size.json");

  // localtime: the host's zone. TZ is set for the check and put back after.
  const char* old_tz = std::getenv("TZ");
  const std::string saved = old_tz != nullptr ? old_tz : "";
  ::setenv("TZ", "UTC-02", 1);  // POSIX sign: two hours east of UTC
  ::tzset();
  CHECK(OutputFile::BackupName("data.json", kReadmeTime, true) == "data-2022-09-14T07-02-14.173-size.json");
  CHECK(OutputFile::BackupName("data.json", kReadmeTime, false) == "data-2022-09-14T05-02-14.173-size.json");
  if (old_tz != nullptr) {
    ::setenv("TZ", saved.c_str(), 1);
  } else {
    ::unsetenv("TZ");
  }
  ::tzset();
}

TEST_CASE("rotation by size keeps whole records and at most max_backups backups", "[file][rotation]") {
  TempDir dir;
  FakeClock clock;
  const std::string path = dir / "data.json";
  const std::uint64_t max_bytes = 1000;
  const std::vector<std::string> records = MakeRecords(400, 20, 180);  // ~45 KB: dozens of rotations
  const int max_backups = GENERATE(0, 3);

  OutputFile file(
      OutputFileOptions{path, true, RotationPolicy{max_bytes, 0, max_backups, false}, clock.Get()});
  REQUIRE(file.Open().ok());
  // Written in batches of 7, the clock moving 1.5 s per batch; several
  // rotations share a millisecond, which must not cost a backup.
  for (std::size_t i = 0; i < records.size(); i += 7) {
    Joined batch = Join(records, i, i + 7);
    WriteOutcome w = file.Write(batch.bytes, batch.ends);
    REQUIRE(w.error.empty());
    REQUIRE(w.records == batch.ends.size());
    clock.now += std::chrono::milliseconds(1500);
  }
  file.Close(true);

  const std::regex backup_name(R"(data-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3}-size\.json)");
  std::vector<std::string> names = FileNames(dir.path());
  REQUIRE(std::find(names.begin(), names.end(), "data.json") != names.end());
  std::vector<std::string> backups;
  for (const std::string& n : names) {
    if (n == "data.json") continue;
    CHECK(std::regex_match(n, backup_name));
    backups.push_back(n);
  }
  if (max_backups > 0) {
    CHECK(backups.size() == static_cast<std::size_t>(max_backups));
  } else {
    CHECK(backups.size() > 30);
  }
  // Name order is time order; the current file comes last.
  std::vector<int> indexes;
  for (const std::string& n : backups) {
    const std::string data = ReadAll(dir.path() / n);
    CHECK(data.size() <= max_bytes);
    CHECK(SplitRecords(data, records, indexes));
  }
  const std::string current = ReadAll(path);
  CHECK(current.size() <= max_bytes);
  CHECK(SplitRecords(current, records, indexes));
  // What survives is the newest records, each once, in order: deleted
  // backups only ever take the oldest.
  REQUIRE_FALSE(indexes.empty());
  CHECK(indexes.back() == static_cast<int>(records.size()) - 1);
  for (std::size_t i = 1; i < indexes.size(); ++i) REQUIRE(indexes[i] == indexes[i - 1] + 1);
  if (max_backups == 0) CHECK(indexes.front() == 0);
  CHECK(file.Backups().size() == backups.size());
}

TEST_CASE("a record larger than max_bytes gets a file of its own, whole", "[file][rotation]") {
  TempDir dir;
  FakeClock clock;
  const std::string path = dir / "big.bin";
  OutputFile file(OutputFileOptions{path, true, RotationPolicy{100, 0, 0, false}, clock.Get()});
  const std::vector<std::string> records = {std::string(40, 'a'), std::string(250, 'b'),
                                            std::string(30, 'c')};
  Joined j = Join(records);
  WriteOutcome w = file.Write(j.bytes, j.ends);
  REQUIRE(w.error.empty());
  CHECK(w.records == 3);
  file.Close(false);
  std::vector<std::string> contents;
  for (const std::string& n : FileNames(dir.path())) contents.push_back(ReadAll(dir.path() / n));
  std::sort(contents.begin(), contents.end());
  CHECK(contents == std::vector<std::string>{records[0], records[1], records[2]});
  // Both rotations happened at the same clock time: the second backup is
  // named a millisecond on rather than overwriting the first.
  CHECK(FileNames(dir.path()) == std::vector<std::string>{"big-2022-09-14T05-02-14.173-size.bin",
                                                          "big-2022-09-14T05-02-14.174-size.bin", "big.bin"});
  CHECK(ReadAll(dir / "big-2022-09-14T05-02-14.173-size.bin") == records[0]);
  CHECK(ReadAll(dir / "big-2022-09-14T05-02-14.174-size.bin") == records[1]);
}

TEST_CASE("max_days deletes backups whose name time is older, and nothing else", "[file][rotation]") {
  TempDir dir;
  FakeClock clock;
  const std::string path = dir / "data.json";
  auto days = [](int n) { return std::chrono::hours(24) * n; };
  const std::string old1 = OutputFile::BackupName(path, kReadmeTime - days(10), false);
  const std::string old2 =
      OutputFile::BackupName(path, kReadmeTime - days(3) - std::chrono::minutes(1), false);
  const std::string recent = OutputFile::BackupName(path, kReadmeTime - days(2), false);
  const std::string other_file = dir / "other-2020-01-01T00-00-00.000.json";
  const std::string not_a_time = dir / "data-yesterday.json";
  const std::string other_ext = dir / "data-2020-01-01T00-00-00.000.txt";
  for (const std::string& p : {old1, old2, recent, other_file, not_a_time, other_ext}) WriteAll(p, "x");

  OutputFile file(OutputFileOptions{path, true, RotationPolicy{1000, 3, 0, false}, clock.Get()});
  REQUIRE(file.Open().ok());
  CHECK_FALSE(std::filesystem::exists(old1));
  CHECK_FALSE(std::filesystem::exists(old2));
  CHECK(std::filesystem::exists(recent));
  for (const std::string& p : {other_file, not_a_time, other_ext}) CHECK(std::filesystem::exists(p));

  // Later rotations apply it again as the clock moves on.
  const std::string record(600, 'r');
  const std::vector<std::size_t> ends = {record.size()};
  REQUIRE(file.Write(record, ends).records == 1);
  clock.now += days(2);
  REQUIRE(file.Write(record, ends).records == 1);  // rotates: backup at now
  CHECK_FALSE(std::filesystem::exists(recent));    // now 4 days old
  CHECK(std::filesystem::exists(OutputFile::BackupName(path, clock.now, false)));
}

TEST_CASE("lumberjack-named backups are renamed the timberjack way at open, then counted",
          "[file][rotation]") {
  TempDir dir;
  FakeClock clock;
  const std::string path = dir / "data.json";
  // Written by lumberjack (otelcol before v0.165, otlpd before): no reason.
  const std::string legacy_old = dir / "data-2022-09-01T00-00-00.000.json";
  const std::string legacy_new = dir / "data-2022-09-13T00-00-00.000.json";
  // Already migrated, with a stale lumberjack twin: the twin is dropped.
  const std::string migrated = dir / "data-2022-09-12T00-00-00.000-size.json";
  const std::string twin = dir / "data-2022-09-12T00-00-00.000.json";
  // timberjack's other forms count as backups too: another reason, a taken
  // name's "_1", a compressed backup.
  const std::string time_reason = dir / "data-2022-09-11T00-00-00.000-time.json";
  const std::string taken = dir / "data-2022-09-10T00-00-00.000-size_1.json";
  const std::string gz = dir / "data-2022-09-09T00-00-00.000-size.json.gz";
  const std::string unrelated = dir / "data-notes.json";
  for (const std::string& p : {legacy_old, legacy_new, migrated, twin, time_reason, taken, gz, unrelated}) {
    WriteAll(p, "x");
  }

  OutputFile file(OutputFileOptions{path, true, RotationPolicy{1000, 0, 5, false}, clock.Get()});
  REQUIRE(file.Open().ok());
  // Six backups after migration; max_backups 5 drops the oldest (legacy_old).
  CHECK(file.Backups() == std::vector<std::string>{dir / "data-2022-09-13T00-00-00.000-size.json", migrated,
                                                   time_reason, taken, gz});
  CHECK_FALSE(std::filesystem::exists(legacy_old));
  CHECK_FALSE(std::filesystem::exists(legacy_new));
  CHECK_FALSE(std::filesystem::exists(twin));
  CHECK(std::filesystem::exists(unrelated));
}

TEST_CASE("with rotation an existing file is continued, or rotated first when full", "[file][rotation]") {
  TempDir dir;
  FakeClock clock;
  const std::string path = dir / "data.log";
  const std::vector<std::size_t> ends = {4};
  {
    WriteAll(path, "old;");
    OutputFile file(OutputFileOptions{path, true, RotationPolicy{100, 0, 0, false}, clock.Get()});
    REQUIRE(file.Write("new;", ends).records == 1);
  }
  CHECK(ReadAll(path) == "old;new;");
  CHECK(FileNames(dir.path()).size() == 1);
  {
    WriteAll(path, std::string(100, 'f'));
    OutputFile file(OutputFileOptions{path, true, RotationPolicy{100, 0, 0, false}, clock.Get()});
    REQUIRE(file.Open().ok());
    REQUIRE(file.Write("new;", ends).records == 1);
  }
  CHECK(ReadAll(path) == "new;");
  CHECK(ReadAll(OutputFile::BackupName(path, kReadmeTime, false)) == std::string(100, 'f'));
}

TEST_CASE("without rotation the file is truncated or appended to", "[file]") {
  TempDir dir;
  const std::string path = dir / "plain.json";
  const std::vector<std::size_t> ends = {2};
  WriteAll(path, "before;");
  {
    OutputFile file(OutputFileOptions{path, false, std::nullopt, {}});
    REQUIRE(file.Write("a;", ends).records == 1);
  }
  CHECK(ReadAll(path) == "before;a;");
  {
    OutputFile file(OutputFileOptions{path, true, std::nullopt, {}});
    REQUIRE(file.Write("b;", ends).records == 1);
    // A reopen after Close continues the file instead of truncating it again.
    file.Close(false);
    REQUIRE(file.Write("c;", ends).records == 1);
  }
  CHECK(ReadAll(path) == "b;c;");
}

// RLIMIT_FSIZE makes the kernel refuse writes past a size (EFBIG, or a short
// write first): a real failing write without a special filesystem.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    old_handler_ = ::signal(SIGXFSZ, SIG_IGN);
    ::getrlimit(RLIMIT_FSIZE, &old_);
    rlimit limit = old_;
    limit.rlim_cur = bytes;
    ::setrlimit(RLIMIT_FSIZE, &limit);
  }
  ~FileSizeLimit() {
    ::setrlimit(RLIMIT_FSIZE, &old_);
    ::signal(SIGXFSZ, old_handler_);
  }

 private:
  rlimit old_{};
  sighandler_t old_handler_;
};

TEST_CASE("a failed or short write is cut back to the last whole record", "[file]") {
  TempDir dir;
  FakeClock clock;
  const std::vector<std::string> records = MakeRecords(30, 40, 60);  // ~2 KB
  Joined all = Join(records);
  const bool rotate = GENERATE(false, true);
  const std::string path = dir / "limited.bin";
  OutputFileOptions options{path, true, std::nullopt, clock.Get()};
  if (rotate) options.rotation = RotationPolicy{1u << 20, 0, 0, false};
  OutputFile file(std::move(options));
  Joined head = Join(records, 0, 5);
  REQUIRE(file.Write(head.bytes, head.ends).records == 5);

  WriteOutcome w;
  {
    FileSizeLimit limit(head.bytes.size() + 500);
    Joined rest = Join(records, 5);
    w = file.Write(rest.bytes, rest.ends);
  }
  CHECK(w.records == 0);
  CHECK(w.error_number == EFBIG);
  CHECK_THAT(w.error, Catch::Contains("limited.bin"));
  CHECK(ReadAll(path) == head.bytes);  // no torn record left behind

  // Once the file takes writes again the same records go in whole.
  Joined rest = Join(records, 5);
  REQUIRE(file.Write(rest.bytes, rest.ends).records == rest.ends.size());
  CHECK(ReadAll(path) == all.bytes);
}

}  // namespace
}  // namespace otlpd::exporters::file

namespace otlpd::exporters::file {
namespace {

TEST_CASE("rotation refuses to rename something that is not a regular file", "[file][rotation]") {
  TempDir dir;
  const std::string path = dir / "adir";
  std::filesystem::create_directory(path);
  OutputFile file(OutputFileOptions{path, true, RotationPolicy{10, 0, 0, false}, {}});
  Status s = file.Open();
  CHECK_FALSE(s.ok());
  CHECK(s.message() == "cannot rotate " + path + ": it is not a regular file");
  CHECK(std::filesystem::is_directory(path));
  CHECK(FileNames(dir.path()).empty());
}

}  // namespace
}  // namespace otlpd::exporters::file
