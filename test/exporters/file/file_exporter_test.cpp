#include "exporters/file/file_exporter.h"

#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "test/exporters/file/test_files.h"
#include "test/exporters/file/test_requests.h"
#include "test/support/proto_file.h"

namespace otlpd::exporters::file {
namespace {

using testing::Contents;
using testing::FileNames;
using testing::MakeRequest;
using testing::ReadAll;
using testing::ReadContents;
using testing::ReadRequests;
using testing::TempDir;
using SysClock = std::chrono::system_clock;

const SysClock::time_point kReadmeTime = SysClock::time_point(std::chrono::milliseconds(1663131734173));

Config BaseConfig(const std::string& path) {
  Config c;
  c.path = path;
  c.flush_interval = std::chrono::nanoseconds(0);  // write on every Consume
  return c;
}

// An exporter with its own counters.
struct Harness {
  explicit Harness(
      Config config, WallClock now = [] { return kReadmeTime; }) {
    exporter = std::make_unique<FileExporter>("file/test", std::move(config), &telemetry, std::move(now));
  }
  std::uint64_t Counter(std::atomic<std::uint64_t> SignalCounters::*c) const {
    std::uint64_t n = 0;
    for (const SignalCounters& s : telemetry.signals) n += (s.*c).load();
    return n;
  }
  ComponentTelemetry telemetry;
  std::unique_ptr<FileExporter> exporter;
};

// Every item name in a file, in order, with the file's integrity.
struct FileContents {
  Contents contents;
  bool intact = true;
  std::size_t requests = 0;
};

FileContents ReadFileContents(const std::filesystem::path& path, Signal signal, Format format,
                              Compression compression = Compression::kNone) {
  FileContents out;
  testing::FileRequests f = ReadRequests(path, signal, format, compression);
  out.intact = f.intact;
  out.requests = f.requests.size();
  for (const std::string& r : f.requests) {
    if (!ReadContents(signal, r, out.contents)) out.intact = false;
  }
  return out;
}

std::vector<std::string> Names(const std::string& tag, int resources, int items) {
  std::vector<std::string> out;
  for (int i = 0; i < resources; ++i) {
    for (int j = 0; j < items; ++j) out.push_back(tag + "/" + std::to_string(i) + "/" + std::to_string(j));
  }
  return out;
}

TEST_CASE("json lines and proto records decode back for every signal", "[file]") {
  const Signal signal = GENERATE(Signal::kTraces, Signal::kMetrics, Signal::kLogs);
  const Format format = GENERATE(Format::kJson, Format::kProto);
  // 0: written on each Consume; 1h: only the final flush at shutdown writes.
  const auto flush = GENERATE(std::chrono::nanoseconds(0), std::chrono::nanoseconds(std::chrono::hours(1)));
  TempDir dir;
  Config c = BaseConfig(dir / "out.data");
  c.format = format;
  c.flush_interval = flush;
  Harness h(c);
  REQUIRE(h.exporter->Start().ok());
  std::vector<std::string> expected;
  for (int n = 0; n < 5; ++n) {
    const std::string tag = "req" + std::to_string(n);
    REQUIRE(h.exporter->Consume(MakeRequest(signal, {{"a", 2}, {std::nullopt, 1}}, tag)).ok());
    for (const char* name : {"/0/0", "/0/1", "/1/0"}) expected.push_back(tag + name);
  }
  h.exporter->Shutdown(Clock::now());

  FileContents f = ReadFileContents(dir / "out.data", signal, format);
  CHECK(f.intact);
  CHECK(f.requests == 5);
  CHECK(f.contents.names == expected);
  CHECK(h.telemetry[signal].sent.load() == 15);
  CHECK(h.Counter(&SignalCounters::send_failed) == 0);
  CHECK(h.exporter->Consume(MakeRequest(signal, {{"a", 1}}, "late")).code() == StatusCode::kUnavailable);
}

TEST_CASE("append keeps earlier content; the default truncates at start", "[file]") {
  TempDir dir;
  const std::string path = dir / "out.json";
  auto run = [&](bool append, const std::string& tag) {
    Config c = BaseConfig(path);
    c.append = append;
    Harness h(c);
    REQUIRE(h.exporter->Start().ok());
    REQUIRE(h.exporter->Consume(MakeRequest(Signal::kLogs, {{"v", 1}}, tag)).ok());
    h.exporter->Shutdown(Clock::now());
  };
  run(false, "one");
  run(true, "two");
  run(true, "three");
  FileContents f = ReadFileContents(path, Signal::kLogs, Format::kJson);
  CHECK(f.intact);
  CHECK(f.contents.names == std::vector<std::string>{"one/0/0", "two/0/0", "three/0/0"});
  run(false, "four");
  CHECK(ReadFileContents(path, Signal::kLogs, Format::kJson).contents.names ==
        std::vector<std::string>{"four/0/0"});
}

TEST_CASE("create_directory makes the parents with directory_permissions; without it they must exist",
          "[file]") {
  TempDir dir;
  {
    Harness h(BaseConfig(dir / "missing/out.json"));
    Status s = h.exporter->Start();
    CHECK_FALSE(s.ok());
    CHECK_THAT(s.message(),
               Catch::Contains("missing/out.json") && Catch::Contains("No such file or directory"));
    h.exporter->Shutdown(Clock::now());
  }
  Config c = BaseConfig(dir / "a/b/c/out.json");
  c.create_directory = true;
  c.directory_permissions = 0710;
  Harness h(c);
  REQUIRE(h.exporter->Start().ok());
  REQUIRE(h.exporter->Consume(MakeRequest(Signal::kTraces, {{"v", 1}}, "t")).ok());
  h.exporter->Shutdown(Clock::now());
  const mode_t mask = ::umask(0);
  ::umask(mask);
  for (const char* sub : {"a", "a/b", "a/b/c"}) {
    struct stat st {};
    REQUIRE(::stat((dir / sub).c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == (0710 & ~mask));
  }
  CHECK(ReadFileContents(dir / "a/b/c/out.json", Signal::kTraces, Format::kJson).contents.names.size() == 1);
}

TEST_CASE("rotation by size: whole records, timestamped backups, at most max_backups", "[file][rotation]") {
  const Format format = GENERATE(Format::kJson, Format::kProto);
  const int max_backups = GENERATE(100, 2);
  TempDir dir;
  Config c = BaseConfig(dir / "data.json");
  c.format = format;
  c.rotation = Rotation{1, 0, max_backups, false};  // 1 MiB files
  // The clock stands still: every rotation happens "at once", so names
  // also show that no backup overwrites another.
  Harness h(c);
  REQUIRE(h.exporter->Start().ok());
  const int requests = 110;  // ~7.7 MB: about 8 rotations
  for (int n = 0; n < requests; ++n) {
    REQUIRE(
        h.exporter->Consume(MakeRequest(Signal::kTraces, {{"v", 2}}, "r" + std::to_string(n), 35000)).ok());
  }
  h.exporter->Shutdown(Clock::now());
  CHECK(h.telemetry[Signal::kTraces].sent.load() == 2 * requests);

  const std::regex backup_name(R"(data-2022-09-14T05-02-14\.\d{3}-size\.json)");
  std::vector<std::string> names = FileNames(dir.path());
  REQUIRE(names.back() == "data.json");  // sorts after every "data-..."
  names.pop_back();
  for (const std::string& n : names) CHECK(std::regex_match(n, backup_name));
  if (max_backups == 2) {
    CHECK(names.size() == 2);
  } else {
    CHECK(names.size() >= 6);
  }
  // Each file is whole records of at most 1 MiB; together, in name order,
  // they hold the newest requests once each, none split.
  std::vector<std::string> seen;
  for (std::string& n : names) n = (dir.path() / n).string();
  names.push_back(dir / "data.json");
  for (const std::string& path : names) {
    INFO(path);
    CHECK(std::filesystem::file_size(path) <= (1u << 20));
    FileContents f = ReadFileContents(path, Signal::kTraces, format);
    CHECK(f.intact);
    CHECK(f.requests > 0);
    for (const std::string& name : f.contents.names) seen.push_back(name);
  }
  REQUIRE(seen.size() % 2 == 0);
  const int first = std::stoi(seen.front().substr(1, seen.front().find('/') - 1));
  if (max_backups == 100) CHECK(first == 0);
  std::vector<std::string> expected;
  for (int n = first; n < requests; ++n) {
    for (const char* item : {"/0/0", "/0/1"}) expected.push_back("r" + std::to_string(n) + item);
  }
  CHECK(seen == expected);
}

TEST_CASE("a record larger than a whole rotated file is refused, not written", "[file][rotation]") {
  TempDir dir;
  Config c = BaseConfig(dir / "data.bin");
  c.format = Format::kProto;
  c.rotation = Rotation{1, 0, 10, false};
  Harness h(c);
  REQUIRE(h.exporter->Start().ok());
  Status s = h.exporter->Consume(MakeRequest(Signal::kLogs, {{"v", 3}}, "huge", 400000));
  CHECK(s.code() == StatusCode::kInvalidArgument);
  CHECK_THAT(s.message(), Catch::Contains("larger than rotation.max_megabytes"));
  CHECK(h.telemetry[Signal::kLogs].send_failed.load() == 3);
  REQUIRE(h.exporter->Consume(MakeRequest(Signal::kLogs, {{"v", 1}}, "small")).ok());
  h.exporter->Shutdown(Clock::now());
  FileContents f = ReadFileContents(dir / "data.bin", Signal::kLogs, Format::kProto);
  CHECK(f.contents.names == std::vector<std::string>{"small/0/0"});
  CHECK(FileNames(dir.path()).size() == 1);
}

// Runs a shell command; its exit status.
int Run(const std::string& command) {
  const int rc = std::system(command.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

TEST_CASE("zstd records decompress with the zstd command-line tool", "[file][zstd]") {
  if (Run("command -v zstd >/dev/null 2>&1") != 0) {
    WARN("SKIPPED: the zstd command-line tool is not installed (deploy/install-deps.sh installs it)");
    return;
  }
  const Format format = GENERATE(Format::kJson, Format::kProto);
  const Signal signal = GENERATE(Signal::kTraces, Signal::kMetrics, Signal::kLogs);
  TempDir dir;
  const std::string path = dir / "out.zst";
  Config c = BaseConfig(path);
  c.format = format;
  c.compression = Compression::kZstd;
  Harness h(c);
  REQUIRE(h.exporter->Start().ok());
  for (int n = 0; n < 4; ++n) {
    REQUIRE(h.exporter->Consume(MakeRequest(signal, {{"a", 3}}, "z" + std::to_string(n), 2000)).ok());
  }
  h.exporter->Shutdown(Clock::now());

  // otelcol's layout (without its alpha nativeCompression gate): each record
  // is a 4-byte length and one zstd frame. The length prefixes are not zstd
  // data, so the file as a whole is not a zstd stream and the tool refuses
  // it; each frame on its own decompresses.
  CHECK(Run("zstd -q -d -c " + path + " >/dev/null 2>&1") != 0);
  test::ProtoRecords frames = test::ReadProtoRecords(path);
  CHECK(frames.complete);
  REQUIRE(frames.records.size() == 4);
  std::vector<std::string> names;
  for (std::size_t i = 0; i < frames.records.size(); ++i) {
    const std::string frame_path = dir / ("frame" + std::to_string(i) + ".zst");
    const std::string plain_path = dir / ("frame" + std::to_string(i));
    testing::WriteAll(frame_path, frames.records[i]);
    REQUIRE(Run("zstd -q -d -c " + frame_path + " > " + plain_path) == 0);
    std::string plain = ReadAll(plain_path);
    CHECK(plain.size() > frames.records[i].size());
    if (format == Format::kJson) {
      CHECK(plain.front() == '{');
      CHECK(plain.back() == '}');  // no newline inside a compressed record
      std::optional<std::string> proto = testing::JsonToProto(signal, plain);
      REQUIRE(proto.has_value());
      plain = *proto;
    }
    Contents contents;
    REQUIRE(ReadContents(signal, plain, contents));
    names.insert(names.end(), contents.names.begin(), contents.names.end());
  }
  std::vector<std::string> expected;
  for (int n = 0; n < 4; ++n) {
    for (const std::string& name : Names("z" + std::to_string(n), 1, 3)) expected.push_back(name);
  }
  CHECK(names == expected);
}

TEST_CASE("zstd with rotation: every rotated file holds whole frames", "[file][zstd][rotation]") {
  TempDir dir;
  Config c = BaseConfig(dir / "data.bin");
  c.format = Format::kProto;
  c.compression = Compression::kZstd;
  c.rotation = Rotation{1, 0, 0, false};
  Harness h(c);
  REQUIRE(h.exporter->Start().ok());
  // Random-ish padding that zstd cannot shrink much, so files fill up.
  std::string noise;
  std::uint32_t x = 12345;
  for (int i = 0; i < 60000; ++i) {
    x = x * 1103515245 + 12345;
    noise.push_back(static_cast<char>('!' + (x >> 16) % 90));
  }
  for (int n = 0; n < 60; ++n) {
    testing::LogsRequest req;
    auto* log = req.add_resource_logs()->add_scope_logs()->add_log_records();
    log->mutable_body()->set_string_value("n" + std::to_string(n));
    log->set_severity_text(noise.substr(static_cast<std::size_t>(n) * 1000) +
                           noise.substr(0, static_cast<std::size_t>(n) * 1000));
    REQUIRE(h.exporter->Consume(MakePayload(Signal::kLogs, req.SerializeAsString(), 1)).ok());
  }
  h.exporter->Shutdown(Clock::now());
  std::vector<std::string> names;
  // Name order is time order, and "data.bin" sorts after every "data-...".
  const std::vector<std::string> files = FileNames(dir.path());
  CHECK(files.size() >= 3);
  CHECK(files.back() == "data.bin");
  for (const std::string& f : files) {
    FileContents fc = ReadFileContents(dir.path() / f, Signal::kLogs, Format::kProto, Compression::kZstd);
    CHECK(fc.intact);
    names.insert(names.end(), fc.contents.names.begin(), fc.contents.names.end());
  }
  REQUIRE(names.size() == 60);
  for (int n = 0; n < 60; ++n) CHECK(names[static_cast<std::size_t>(n)] == "n" + std::to_string(n));
}

// Every regular file under `root`, relative to it.
std::set<std::string> AllFiles(const std::filesystem::path& root) {
  std::set<std::string> out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(root)) {
    if (e.is_regular_file()) out.insert(std::filesystem::relative(e.path(), root).string());
  }
  return out;
}

TEST_CASE("group_by writes each resource to its value's file and refuses traversal", "[file][group_by]") {
  const Signal signal = GENERATE(Signal::kTraces, Signal::kMetrics, Signal::kLogs);
  const Format format = GENERATE(Format::kJson, Format::kProto);
  TempDir dir;
  Config c = BaseConfig(dir / "out/*.data");
  c.format = format;
  c.group_by.enabled = true;
  Harness h(c);
  REQUIRE(h.exporter->Start().ok());
  REQUIRE(h.exporter
              ->Consume(MakeRequest(signal,
                                    {{"alpha", 2},
                                     {"beta", 1},
                                     {std::nullopt, 3},
                                     {"../escape", 1},
                                     {"/tmp/abs", 1},
                                     {"team/app", 2},
                                     {"..", 1},
                                     {"alpha", 1}},
                                    "g"))
              .ok());
  REQUIRE(h.exporter->Consume(MakeRequest(signal, {{"beta", 1}, {"x/../../../y", 4}}, "h")).ok());
  h.exporter->Shutdown(Clock::now());

  // Nothing was written anywhere but the three group files.
  CHECK(AllFiles(dir.path()) ==
        std::set<std::string>{"out/alpha.data", "out/beta.data", "out/team/app.data"});
  CHECK_FALSE(std::filesystem::exists(dir.path().parent_path() / "escape.data"));
  CHECK(h.telemetry[signal].sent.load() == 7);
  CHECK(h.telemetry[signal].dropped.load() == 3 + 1 + 1 + 1 + 4);

  const std::map<std::string, std::vector<std::string>> expected = {
      {"alpha", {"g/0/0", "g/0/1", "g/7/0"}}, {"beta", {"g/1/0", "h/0/0"}}, {"team/app", {"g/5/0", "g/5/1"}}};
  for (const auto& [value, names] : expected) {
    INFO(value);
    FileContents f = ReadFileContents(dir / ("out/" + value + ".data"), signal, format);
    CHECK(f.intact);
    CHECK(f.contents.names == names);
    CHECK(f.contents.values == std::vector<std::string>(names.size(), value));
  }
}

TEST_CASE("group_by keeps at most max_open_files open and still writes everything", "[file][group_by]") {
  TempDir dir;
  Config c = BaseConfig(dir / "g/*.json");
  c.group_by.enabled = true;
  c.group_by.max_open_files = 3;
  Harness h(c);
  // A file left from an earlier run is truncated when first opened (append
  // is false) but not when it is reopened after being closed.
  std::filesystem::create_directories(dir.path() / "g");
  testing::WriteAll(dir / "g/v0.json", "stale\n");
  REQUIRE(h.exporter->Start().ok());
  const int values = 12;
  const int rounds = 3;
  int max_seen = 0;
  for (int round = 0; round < rounds; ++round) {
    for (int v = 0; v < values; ++v) {
      // Two values per request, so a Consume touches more than one file.
      const std::string a = "v" + std::to_string(v);
      const std::string b = "v" + std::to_string((v + 5) % values);
      REQUIRE(h.exporter
                  ->Consume(MakeRequest(Signal::kLogs, {{a, 1}, {b, 1}},
                                        "r" + std::to_string(round) + "_" + std::to_string(v)))
                  .ok());
      max_seen = std::max(max_seen, testing::OpenFdsUnder(dir.path()));
      CHECK(h.exporter->open_files() <= 3);
    }
  }
  CHECK(max_seen >= 1);
  CHECK(max_seen <= 3);
  h.exporter->Shutdown(Clock::now());
  CHECK(testing::OpenFdsUnder(dir.path()) == 0);
  CHECK(h.telemetry[Signal::kLogs].sent.load() == 2 * values * rounds);

  for (int v = 0; v < values; ++v) {
    const std::string value = "v" + std::to_string(v);
    INFO(value);
    FileContents f = ReadFileContents(dir / ("g/" + value + ".json"), Signal::kLogs, Format::kJson);
    CHECK(f.intact);
    std::vector<std::string> expected;
    for (int round = 0; round < rounds; ++round) {
      const std::string r = "r" + std::to_string(round) + "_";
      // In request order: this value as `a` of request v, and as `b` of request v-5.
      const int as_b = (v - 5 + values) % values;
      std::vector<std::pair<int, std::string>> items = {{v, r + std::to_string(v) + "/0/0"},
                                                        {as_b, r + std::to_string(as_b) + "/1/0"}};
      std::sort(items.begin(), items.end());
      for (auto& [order, name] : items) expected.push_back(name);
    }
    CHECK(f.contents.names == expected);
  }
}

TEST_CASE("concurrent Consume calls and the flusher lose nothing", "[file][group_by]") {
  TempDir dir;
  Config c = BaseConfig(dir / "c/*.bin");
  c.format = Format::kProto;
  c.group_by.enabled = true;
  c.group_by.max_open_files = 2;
  c.flush_interval =
      GENERATE(std::chrono::nanoseconds(0), std::chrono::nanoseconds(std::chrono::milliseconds(1)));
  c.rotation = Rotation{1, 0, 0, false};
  Harness h(c);
  REQUIRE(h.exporter->Start().ok());
  constexpr int kThreads = 4;
  constexpr int kPerThread = 150;
  std::vector<std::thread> threads;
  std::atomic<int> refused{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int n = 0; n < kPerThread; ++n) {
        const std::string tag = "t" + std::to_string(t) + "_" + std::to_string(n);
        Status s = h.exporter->Consume(MakeRequest(
            Signal::kMetrics, {{"v" + std::to_string(n % 5), 1}, {"w" + std::to_string(t), 2}}, tag, 3000));
        if (!s.ok()) ++refused;  // Catch2 assertions are for the main thread only
      }
    });
  }
  for (std::thread& t : threads) t.join();
  CHECK(refused.load() == 0);
  h.exporter->Shutdown(Clock::now());
  CHECK(h.telemetry[Signal::kMetrics].sent.load() == 3 * kThreads * kPerThread);

  std::multiset<std::string> names;
  for (const std::string& f : FileNames(dir.path() / "c")) {
    FileContents fc = ReadFileContents(dir.path() / "c" / f, Signal::kMetrics, Format::kProto);
    CHECK(fc.intact);
    names.insert(fc.contents.names.begin(), fc.contents.names.end());
  }
  CHECK(names.size() == 3 * kThreads * kPerThread);
  CHECK(std::set<std::string>(names.begin(), names.end()).size() == names.size());
}

// RLIMIT_FSIZE makes the kernel refuse writes past a size: a file that does
// not take writes, on any filesystem.
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

TEST_CASE("a file that refuses writes keeps whole records, retries, then applies back-pressure", "[file]") {
  TempDir dir;
  const std::string path = dir / "out.bin";
  Config c = BaseConfig(path);
  c.format = Format::kProto;
  Harness h(c);
  REQUIRE(h.exporter->Start().ok());
  REQUIRE(h.exporter->Consume(MakeRequest(Signal::kTraces, {{"v", 1}}, "first")).ok());
  const std::string before = ReadAll(path);

  int accepted = 0;
  {
    FileSizeLimit limit(before.size() + 1000);
    // Each Consume buffers its record; every flush fails and is cut back.
    for (int n = 0; n < 3; ++n) {
      REQUIRE(h.exporter->Consume(MakeRequest(Signal::kTraces, {{"v", 1}}, "held" + std::to_string(n), 2000))
                  .ok());
      CHECK(ReadAll(path) == before);
    }
    CHECK(h.telemetry[Signal::kTraces].sent.load() == 1);
    // 4 MB records until the 64 MiB buffer is full: then Consume refuses.
    Status s = Status::Ok();
    for (int n = 0; n < 40 && s.ok(); ++n) {
      s = h.exporter->Consume(MakeRequest(Signal::kTraces, {{"v", 1}}, "big" + std::to_string(n), 4 << 20));
      if (s.ok()) ++accepted;
    }
    CHECK(s.code() == StatusCode::kUnavailable);
    CHECK_THAT(s.message(), Catch::Contains("out.bin is not taking writes"));
    CHECK(h.telemetry[Signal::kTraces].enqueue_failed.load() == 1);
    CHECK(accepted >= 14);
    CHECK(accepted <= 16);
    CHECK(ReadAll(path) == before);
  }
  // The file takes writes again: the next flush writes everything held, in order.
  REQUIRE(h.exporter->Consume(MakeRequest(Signal::kTraces, {{"v", 1}}, "after")).ok());
  h.exporter->Shutdown(Clock::now());
  FileContents f = ReadFileContents(path, Signal::kTraces, Format::kProto);
  CHECK(f.intact);
  std::vector<std::string> expected = {"first/0/0", "held0/0/0", "held1/0/0", "held2/0/0"};
  for (int n = 0; n < accepted; ++n) expected.push_back("big" + std::to_string(n) + "/0/0");
  expected.push_back("after/0/0");
  CHECK(f.contents.names == expected);
  CHECK(h.telemetry[Signal::kTraces].sent.load() == expected.size());
}

}  // namespace
}  // namespace otlpd::exporters::file
