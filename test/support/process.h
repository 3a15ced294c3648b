#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace otlpd::test {

// A child process (the real otlpd binary) with its output in a file. `env`:
// NAME=value entries it gets over this process's environment.
class Process {
 public:
  Process(const std::vector<std::string>& argv, const std::filesystem::path& log,
          const std::vector<std::string>& env = {})
      : log_(log) {
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    std::vector<std::string> entries;
    for (char** e = environ; *e != nullptr; ++e) {
      const std::string entry(*e);
      const std::string name = entry.substr(0, entry.find('=') + 1);
      bool overridden = false;
      for (const auto& o : env) overridden = overridden || o.rfind(name, 0) == 0;
      if (!overridden) entries.push_back(entry);
    }
    entries.insert(entries.end(), env.begin(), env.end());
    std::vector<char*> envp;
    for (auto& e : entries) envp.push_back(e.data());
    envp.push_back(nullptr);
    if (posix_spawn(&pid_, args[0], &fa, nullptr, args.data(), envp.data()) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&fa);
  }
  ~Process() {
    if (pid_ > 0 && !exit_code_) {
      ::kill(pid_, SIGKILL);
      Wait(std::chrono::seconds(5));
    }
  }

  bool running() const { return pid_ > 0 && !exit_code_; }
  int pid() const { return pid_; }
  void Signal(int sig) { ::kill(pid_, sig); }

  // Exit code (or 128+signal), or nullopt when still running after `timeout`.
  std::optional<int> Wait(std::chrono::milliseconds timeout) {
    auto end = std::chrono::steady_clock::now() + timeout;
    while (!exit_code_) {
      int status = 0;
      pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        break;
      }
      if (std::chrono::steady_clock::now() >= end) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return exit_code_;
  }

  std::string Output() const {
    std::ifstream in(log_);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

 private:
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
  std::filesystem::path log_;
};

// A port on 127.0.0.1 for a server that must be named before it runs (a
// backend that is down at first, a peer a subprocess is configured with).
// Until Release() the port is held: listened on, every connection reset at
// once and counted (attempts()), so a client sees a backend that is down and
// a test can wait until it has tried rather than sleep; no bind to port 0
// elsewhere can be handed the port. Release() right before the server binds
// it. Servers a test can start at once bind port 0 and report their port
// instead (LoggedPort, a component's port()).
class ReservedPort {
 public:
  ReservedPort() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0 || ::listen(fd_, 64) != 0) {
      if (fd_ >= 0) ::close(fd_);
      fd_ = -1;
      return;
    }
    port_ = ntohs(addr.sin_port);
    refuser_ = std::thread([this] {
      for (;;) {
        const int c = ::accept(fd_, nullptr, nullptr);
        if (c < 0) {
          if (errno == EINTR || errno == ECONNABORTED) continue;
          return;  // Release() shut the socket down
        }
        const linger reset{1, 0};  // RST, and no TIME_WAIT left to keep the port from its server
        ::setsockopt(c, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
        ::close(c);
        attempts_.fetch_add(1);
      }
    });
  }
  ~ReservedPort() { Release(); }
  ReservedPort(const ReservedPort&) = delete;
  ReservedPort& operator=(const ReservedPort&) = delete;

  int port() const { return port_; }  // 0 when no port could be reserved
  // Connections reset so far.
  int attempts() const { return attempts_.load(); }
  void Release() {
    if (fd_ < 0) return;
    ::shutdown(fd_, SHUT_RDWR);  // wakes accept()
    if (refuser_.joinable()) refuser_.join();
    ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
  int port_ = 0;
  std::atomic<int> attempts_{0};
  std::thread refuser_;
};

inline bool PortOpen(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

// Waits until `p` accepts connections on `port`; false when it exits first or
// `timeout` passes.
inline bool WaitForPort(int port, Process& p, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    p.Wait(std::chrono::milliseconds(0));
    if (!p.running()) return false;
    if (PortOpen(port)) return true;
    if (std::chrono::steady_clock::now() >= end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

// The port a server bound for an endpoint with port 0, read from the log
// line otlpd writes for it: `what` is the text before the address, e.g.
// "OTLP/gRPC listening on", "OTLP/HTTP listening on", "serving internal
// metrics on", "health check listening on" ("... on 127.0.0.1:0 (port N").
// The first such line of `log()` counts. 0 when `alive()` turns false or
// `timeout` passes first.
inline int LoggedPortIn(const std::function<std::string()>& log, const std::function<bool()>& alive,
                        const std::string& what,
                        std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
  const std::regex line(std::regex_replace(what, std::regex(R"([.^$|()\[\]{}*+?\\/])"), R"(\$&)") +
                        R"( \S+ \(port (\d+))");
  const auto end = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    std::smatch m;
    const std::string text = log();
    if (std::regex_search(text, m, line)) return std::stoi(m[1]);
    if (!alive() || std::chrono::steady_clock::now() >= end) return 0;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

// The same from the output of `p`.
inline int LoggedPort(Process& p, const std::string& what,
                      std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
  return LoggedPortIn([&] { return p.Output(); },
                      [&] {
                        p.Wait(std::chrono::milliseconds(0));
                        return p.running();
                      },
                      what, timeout);
}

// A fresh directory under the system temp dir, removed at scope end.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "otlpd-test-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

inline void WriteFile(const std::filesystem::path& p, const std::string& text) {
  std::ofstream out(p);
  out << text;
}

}  // namespace otlpd::test
