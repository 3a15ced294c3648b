// The bounds of issue 11 against the real otlpd binary, measured from /proc:
// slow clients are cut off, idle connections and exhausted descriptors do not
// lock new clients out or burn CPU, file_storage refuses a symlinked segment,
// and a config alias bomb is a located error. Every other client keeps being
// served meanwhile.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "test/support/process.h"
#include "test/support/raw_socket.h"

using namespace otlpd::test;
using Catch::Matchers::Contains;
using Clock = std::chrono::steady_clock;

namespace {

const std::string kOtlpd = OTLPD_BINARY;

// otlpd started with fork/exec, so that RLIMIT_NOFILE can be set in the child.
class Otlpd {
 public:
  // nofile: the soft and hard descriptor limits; nofile_hard, when set, a
  // higher hard one.
  Otlpd(const std::vector<std::string>& args, const std::filesystem::path& log, rlim_t nofile = 0,
        rlim_t nofile_hard = 0)
      : log_(log) {
    std::vector<std::string> argv{kOtlpd};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> cargv;
    for (auto& a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ == 0) {
      if (nofile != 0) {
        rlimit lim{nofile, nofile_hard != 0 ? nofile_hard : nofile};
        if (::setrlimit(RLIMIT_NOFILE, &lim) != 0) ::_exit(126);
      }
      const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      // Nothing of the test's leaks into otlpd (it must see the limit, not our sockets).
      for (int i = 3; i < 4096; ++i) ::close(i);
      ::execv(cargv[0], cargv.data());
      ::_exit(127);
    }
  }
  ~Otlpd() { Stop(SIGKILL); }

  int Stop(int sig) {
    if (pid_ <= 0) return code_;
    ::kill(pid_, sig);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return code_;
  }
  // Waits for the exit; the exit code, with the child's resource use in `usage`.
  int WaitExit(rusage* usage) {
    int status = 0;
    if (pid_ <= 0 || ::wait4(pid_, &status, 0, usage) != pid_) return -1;
    pid_ = -1;
    code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return code_;
  }
  std::string Output() const {
    std::ifstream in(log_);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  // utime + stime in seconds, from /proc/<pid>/stat.
  double CpuSeconds() const {
    std::ifstream in("/proc/" + std::to_string(pid_) + "/stat");
    std::string stat((std::istreambuf_iterator<char>(in)), {});
    std::istringstream rest(stat.substr(stat.rfind(')') + 2));
    std::string field;
    unsigned long long utime = 0, stime = 0;
    for (int i = 3; i <= 15; ++i) {
      rest >> field;
      if (i == 14) utime = std::stoull(field);
      if (i == 15) stime = std::stoull(field);
    }
    return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
  }
  // The soft limit on open files in force in the process (/proc/<pid>/limits).
  long SoftNofile() const {
    std::ifstream in("/proc/" + std::to_string(pid_) + "/limits");
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("Max open files", 0) == 0)
        return std::stol(line.substr(std::string("Max open files").size()));
    }
    return -1;
  }

  std::size_t OpenFds() const {
    std::error_code ec;
    std::size_t n = 0;
    for (auto it = std::filesystem::directory_iterator("/proc/" + std::to_string(pid_) + "/fd", ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
      ++n;
    return n;
  }
  std::size_t RssKib() const {
    std::ifstream in("/proc/" + std::to_string(pid_) + "/status");
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("VmRSS:", 0) == 0) return std::stoul(line.substr(6));
    }
    return 0;
  }

 private:
  pid_t pid_ = -1;
  int code_ = -1;
  std::filesystem::path log_;
};

bool WaitFor(const std::function<bool()>& f, std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
  const auto end = Clock::now() + timeout;
  while (!f()) {
    if (Clock::now() >= end) return false;
    ::poll(nullptr, 0, 10);
  }
  return true;
}

int Connect(int port) {
  const int fd = ConnectLoopback(port);
  if (fd < 0) return -1;
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

// POSTs an empty trace request (valid protobuf, no spans) on `fd`; the status, 0 on failure.
int Post(int fd) {
  static const std::string kReq =
      "POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nContent-Length: "
      "0\r\n\r\n";
  if (::send(fd, kReq.data(), kReq.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(kReq.size())) return 0;
  std::string got;
  char buf[1024];
  while (got.find("\r\n\r\n") == std::string::npos) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return 0;
    got.append(buf, static_cast<std::size_t>(n));
  }
  // The answer's body is small and sent with the headers; read what remains of it.
  const auto cl = got.find("Content-Length: ");
  if (cl != std::string::npos) {
    const std::size_t want = got.find("\r\n\r\n") + 4 + std::stoul(got.substr(cl + 16));
    while (got.size() < want) {
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      got.append(buf, static_cast<std::size_t>(n));
    }
  }
  return got.rfind("HTTP/1.1 ", 0) == 0 ? std::stoi(got.substr(9, 3)) : 0;
}

// One request on a new connection.
int FreshPost(int port) {
  const int fd = Connect(port);
  if (fd < 0) return 0;
  const int status = Post(fd);
  ::close(fd);
  return status;
}

std::string HttpConfig(int port, const std::string& http_extra, const std::string& rest = "") {
  return "receivers:\n  otlp:\n    protocols:\n      http:\n        endpoint: 127.0.0.1:" +
         std::to_string(port) + "\n" + http_extra + "exporters:\n  debug:\n" + rest +
         "service:\n  pipelines:\n    traces:\n      receivers: [otlp]\n      exporters: [debug]\n";
}

struct Closer {
  std::vector<int> fds;
  ~Closer() {
    for (int fd : fds) ::close(fd);
  }
};

// The port `p` logged it bound for `what` (see test::LoggedPortIn); 0 if it
// never did.
int LoggedPort(const Otlpd& p, const std::string& what) {
  return LoggedPortIn([&] { return p.Output(); }, [] { return true; }, what, std::chrono::seconds(10));
}

int LoggedHttpPort(const Otlpd& p) { return LoggedPort(p, "OTLP/HTTP listening on"); }

}  // namespace

TEST_CASE("e2e limits: a client sending a byte a second is cut off at read_header_timeout") {
  TempDir dir;
  WriteFile(dir / "c.yaml", HttpConfig(0, "        read_header_timeout: 2s\n"));
  Process p({kOtlpd, "--config", (dir / "c.yaml").string()}, dir / "out.log");
  const int port = LoggedPort(p, "OTLP/HTTP listening on");
  INFO(p.Output());
  REQUIRE(port != 0);

  const int slow = Connect(port);
  REQUIRE(slow >= 0);
  const auto start = Clock::now();
  const std::string header = "POST /v1/traces HTTP/1.1\r\nX-Slow: " + std::string(100, 'a');
  bool cut = false;
  int served = 0, others = 0;
  for (std::size_t i = 0; i < header.size() && !cut; ++i) {
    if (::send(slow, &header[i], 1, MSG_NOSIGNAL) != 1) {
      cut = true;
      break;
    }
    // A second until the next byte, unless otlpd closes the connection first.
    pollfd pfd{slow, POLLIN, 0};
    const auto next = Clock::now() + std::chrono::seconds(1);
    while (!cut && Clock::now() < next) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(next - Clock::now()).count();
      if (::poll(&pfd, 1, static_cast<int>(std::max<long>(left, 0))) > 0) {
        char c;
        cut = ::recv(slow, &c, 1, 0) <= 0;
      }
    }
    // Other clients meanwhile.
    ++others;
    served += FreshPost(port) == 200;
  }
  const double took = std::chrono::duration<double>(Clock::now() - start).count();
  ::close(slow);
  INFO("cut off after " << took << " s; other clients served " << served << "/" << others);
  std::printf("slow client cut off after %.2f s (read_header_timeout 2s); others served %d/%d\n", took,
              served, others);
  CHECK(cut);
  CHECK(took >= 1.9);
  CHECK(took < 5.0);  // the 2 s timeout, plus the second the last byte took, plus slack
  CHECK(served == others);
  CHECK(served >= 2);
}

TEST_CASE("e2e limits: with ulimit -n 64, a flood of idle connections still leaves a fresh client served") {
  TempDir dir;
  WriteFile(dir / "c.yaml", HttpConfig(0, ""));
  Otlpd p({"--config", (dir / "c.yaml").string()}, dir / "out.log", 64);
  const int port = LoggedHttpPort(p);
  REQUIRE(port != 0);
  REQUIRE(WaitFor([&] { return PortOpen(port); }));
  Closer flood;
  for (int i = 0; i < 300; ++i) {
    const int fd = Connect(port);
    REQUIRE(fd >= 0);
    flood.fds.push_back(fd);
    // Other clients keep being served while the flood goes on.
    if (i % 50 == 49) CHECK(FreshPost(port) == 200);
  }
  int status = 0;
  CHECK(WaitFor([&] { return (status = FreshPost(port)) == 200; }));
  const std::size_t fds = p.OpenFds();
  std::printf(
      "ulimit -n 64, 300 idle connections: fresh client got %d; otlpd holds %zu descriptors, RSS %zu KiB\n",
      status, fds, p.RssKib());
  CHECK(fds < 64);
  INFO(p.Output());
  CHECK_THAT(p.Output(), !Contains("accept failed"));
}

TEST_CASE("e2e limits: otlpd raises its soft descriptor limit to the hard one, as Go does for otelcol") {
  TempDir dir;
  WriteFile(dir / "c.yaml", HttpConfig(0, ""));
  Otlpd p({"--config", (dir / "c.yaml").string()}, dir / "out.log", 64, 512);
  const int port = LoggedHttpPort(p);
  REQUIRE(port != 0);
  REQUIRE(WaitFor([&] { return PortOpen(port); }));
  CHECK(p.SoftNofile() == 512);
}

TEST_CASE("e2e limits: while descriptors are exhausted otlpd uses under 5% CPU and keeps serving") {
#if defined(__SANITIZE_ADDRESS__)  // the CI's sanitizer build: address and undefined
  // Not under the sanitizers: UBSan's vptr check makes sure a vtable is
  // readable by writing it into a pipe, and reads its suppressions file at
  // the first report; with every descriptor in use neither can be opened, so
  // a sound object gets a false "invalid vptr" and otlpd aborts (1 run in 4
  // here). The plain build's run of this test (the README's command) checks it.
  WARN("skipped in the sanitizer build: the sanitizer runtime needs descriptors this test uses up");
  return;
#endif
  TempDir dir;
  // max_connections above the descriptor limit (the safe default would keep
  // the receiver below it), so accept() fails with EMFILE in every server.
  WriteFile(dir / "c.yaml",
            "extensions:\n  health_check:\n    endpoint: 127.0.0.1:0\n" +
                HttpConfig(0, "        max_connections: 1000\n") +
                "  extensions: [health_check]\n"
                "  telemetry:\n    metrics:\n      readers:\n        - pull:\n            exporter:\n"
                "              prometheus:\n                host: 127.0.0.1\n                port: 0\n");
  Otlpd p({"--config", (dir / "c.yaml").string()}, dir / "out.log", 64);
  const int port = LoggedHttpPort(p);
  const int metrics = LoggedPort(p, "serving internal metrics on");
  const int health = LoggedPort(p, "health check listening on");
  INFO(p.Output());
  REQUIRE(port != 0);
  REQUIRE(metrics != 0);
  REQUIRE(health != 0);
  REQUIRE(WaitFor([&] { return PortOpen(port) && PortOpen(metrics) && PortOpen(health); }));
  // A client with its connection open before the flood.
  const int keep = Connect(port);
  REQUIRE(keep >= 0);
  REQUIRE(Post(keep) == 200);

  Closer flood;
  for (int i = 0; i < 100; ++i) flood.fds.push_back(Connect(port));
  for (int i = 0; i < 10; ++i) flood.fds.push_back(Connect(metrics));
  for (int i = 0; i < 10; ++i) flood.fds.push_back(Connect(health));
  const bool exhausted =
      WaitFor([&] { return p.OpenFds() >= 62 && p.Output().find("accept failed") != std::string::npos; });
  INFO("otlpd holds " << p.OpenFds() << " descriptors; its log:\n" << p.Output());
  REQUIRE(exhausted);

  const double cpu0 = p.CpuSeconds();
  const auto t0 = Clock::now();
  int served = 0, asked = 0;
  // A 3 s window; the kept client sends a request every 100 ms.
  while (Clock::now() - t0 < std::chrono::seconds(3)) {
    ++asked;
    served += Post(keep) == 200;
    ::poll(nullptr, 0, 100);
  }
  const double wall = std::chrono::duration<double>(Clock::now() - t0).count();
  const double cpu = (p.CpuSeconds() - cpu0) / wall;
  const std::string out = p.Output();
  std::size_t warnings = 0;
  for (std::size_t at = 0; (at = out.find("accept failed", at)) != std::string::npos; ++at) ++warnings;
  std::printf(
      "descriptors exhausted (%zu open, limit 64): otlpd CPU %.2f%% over %.1f s; kept client served "
      "%d/%d; %zu accept-failure log lines\n",
      p.OpenFds(), cpu * 100, wall, served, asked, warnings);
  CHECK(cpu < 0.05);
  CHECK(served == asked);
  // Rate-limited: a line per server, not one per failure.
  CHECK(warnings <= 6);
}

TEST_CASE("e2e limits: file_storage refuses a symlinked segment and leaves its target intact") {
  TempDir dir;
  const auto storage = dir / "storage";
  std::filesystem::create_directories(storage / "exporter_otlp_");
  std::filesystem::permissions(storage, std::filesystem::perms::owner_all);
  std::filesystem::permissions(storage / "exporter_otlp_", std::filesystem::perms::owner_all);
  const std::string precious(5000, 'p');
  WriteFile(dir / "precious", precious);
  std::filesystem::create_symlink(dir / "precious", storage / "exporter_otlp_" / "0000000001.seg");
  WriteFile(
      dir / "c.yaml",
      "extensions:\n  file_storage:\n    directory: " + storage.string() +
          "\nreceivers:\n  otlp:\n    protocols:\n      http:\n        endpoint: 127.0.0.1:0\nexporters:\n  "
          "otlp:\n    endpoint: 127.0.0.1:1\n    tls:\n      insecure: true\n"
          "    sending_queue:\n      storage: file_storage\n"
          "service:\n  extensions: [file_storage]\n  pipelines:\n    traces:\n      receivers: [otlp]\n"
          "      exporters: [otlp]\n");
  Process p({kOtlpd, "--config", (dir / "c.yaml").string()}, dir / "out.log");
  const int port = LoggedPort(p, "OTLP/HTTP listening on");
  INFO(p.Output());
  REQUIRE(port != 0);
  CHECK(FreshPost(port) == 200);
  p.Signal(SIGTERM);
  CHECK(p.Wait(std::chrono::seconds(30)).has_value());
  const std::string out = p.Output();
  INFO(out);
  CHECK_THAT(out, Contains("0000000001.seg is not a regular file") && Contains("refused and left alone"));
  std::ifstream in(dir / "precious");
  CHECK(std::string(std::istreambuf_iterator<char>(in), {}) == precious);
  CHECK(std::filesystem::is_symlink(storage / "exporter_otlp_" / "0000000001.seg"));
}

TEST_CASE("e2e limits: a config alias bomb is a located error from otlpd validate") {
  TempDir dir;
  std::string bomb =
      "receivers:\n  otlp:\n    protocols:\n      http:\nx: &a " + std::string(64 * 1024, 'x') + "\ny: [";
  for (int i = 0; i < 125000; ++i) bomb += "*a, ";
  bomb += "*a]\n";
  WriteFile(dir / "c.yaml", bomb);
  Otlpd p({"validate", "--config", (dir / "c.yaml").string()}, dir / "out.log");
  rusage usage{};
  const int code = p.WaitExit(&usage);
  const std::string out = p.Output();
  INFO(out);
  std::printf("alias bomb: otlpd validate exit %d, peak RSS %ld KiB: %s", code, usage.ru_maxrss, out.c_str());
  CHECK(code > 0);
  CHECK(code < 128);  // an error exit, not a signal (abort)
  CHECK_THAT(out, Contains((dir / "c.yaml").string() + ":5:") && Contains("32 MiB"));
  CHECK_THAT(out, !Contains("bad_alloc"));
}

TEST_CASE(
    "e2e limits: clients stalling large bodies hold at most the receive budget; small ones are served") {
  TempDir dir;
  WriteFile(dir / "c.yaml", HttpConfig(0, ""));
  Otlpd p({"--config", (dir / "c.yaml").string(), "--receive-memory-mib", "32"}, dir / "out.log");
  const int port = LoggedHttpPort(p);
  REQUIRE(port != 0);
  REQUIRE(WaitFor([&] { return PortOpen(port); }));
  REQUIRE(FreshPost(port) == 200);
  const std::size_t rss_before = p.RssKib();

  // 24 clients each send all but the last byte of a 5 MiB body, then stall.
  // Large requests may fill three quarters of the 32 MiB budget: 4 of them fit.
  constexpr int kClients = 24;
  constexpr std::size_t kBody = 5u << 20;
  const std::string head =
      "POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\n"
      "Content-Length: " +
      std::to_string(kBody) + "\r\n\r\n";
  const std::string filler(kBody - 1, '\x0a');
  Closer stalled;
  for (int i = 0; i < kClients; ++i) {
    const int fd = Connect(port);
    REQUIRE(fd >= 0);
    timeval tv{10, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    stalled.fds.push_back(fd);
    for (const std::string* part : {&head, &filler}) {
      std::size_t off = 0;
      while (off < part->size()) {
        const ssize_t n = ::send(fd, part->data() + off, part->size() - off, MSG_NOSIGNAL);
        if (n <= 0) break;  // refused and closed: fine
        off += static_cast<std::size_t>(n);
      }
    }
  }
  // The refused ones have their answer waiting: 429 with Retry-After.
  std::vector<std::string> answers(kClients);
  auto refused = [&] {
    int n = 0;
    for (int i = 0; i < kClients; ++i) {
      char buf[4096];
      const ssize_t got = ::recv(stalled.fds[i], buf, sizeof buf, MSG_DONTWAIT);
      if (got > 0) answers[i].append(buf, static_cast<std::size_t>(got));
      n += answers[i].rfind("HTTP/1.1 429", 0) == 0 && answers[i].find("Retry-After: 1") != std::string::npos;
    }
    return n;
  };
  int refused_count = 0;
  CHECK(WaitFor([&] { return (refused_count = refused()) == kClients - 4; }));
  const std::size_t rss_held = p.RssKib();
  // Small requests still fit beside the stalled ones.
  int small_served = 0;
  for (int i = 0; i < 10; ++i) small_served += FreshPost(port) == 200;
  const double growth_mib = (static_cast<double>(rss_held) - static_cast<double>(rss_before)) / 1024.0;
  std::printf(
      "%d clients stalling 5 MiB bodies, --receive-memory-mib 32: %d refused with 429, RSS +%.1f MiB "
      "(unbounded: +%zu MiB); small requests served %d/10\n",
      kClients, refused_count, growth_mib, static_cast<std::size_t>(kClients) * 5, small_served);
  CHECK(refused_count == kClients - 4);
  CHECK(growth_mib < 40.0);
  CHECK(small_served == 10);

  // Once the stalled clients go, their share is free again.
  for (int fd : stalled.fds) ::close(fd);
  stalled.fds.clear();
  CHECK(WaitFor([&] { return FreshPost(port) == 200; }));
  INFO(p.Output());
  CHECK(p.Stop(SIGTERM) == 0);
}
