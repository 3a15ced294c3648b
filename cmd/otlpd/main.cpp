// otlpd: an OpenTelemetry collector daemon. Reads an otelcol-format config,
// runs its pipelines until SIGTERM or SIGINT, then drains and exits 0.
// SIGHUP (or a changed config file with --watch-config) reloads the config.
#include <sys/stat.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include <absl/synchronization/mutex.h>
#include <spdlog/spdlog.h>

#include "cmd/otlpd/components.h"
#include "cmd/otlpd/default_config.h"
#include "config/decoder.h"
#include "config/error.h"
#include "config/loader.h"
#include "config/service_config.h"
#include "service/service.h"
#include "service/telemetry/config.h"
#include "service/telemetry/logging.h"
#include "service/telemetry/metrics_endpoint.h"
#include "service/telemetry/prometheus_text.h"
#include "service/telemetry/resource.h"

#ifndef OTLPD_VERSION
#define OTLPD_VERSION "0.0.0"
#endif

namespace otlpd {
namespace {

constexpr std::string_view kUsage = R"(usage: otlpd [command] [flags]

commands:
  (none)       run the collector
  validate     load and check the config, then exit (0 = valid)
  components   list the compiled-in component types

flags:
  --config URI           config source; repeatable, later ones merge over earlier ones.
                         URI: a path, file:PATH, env:VAR or yaml:key::path: value
  --set KEY.PATH=VALUE   override one value; repeatable, applied last
  --shutdown-timeout D   how long a shutdown (or the old config's drain on reload) may take
                         (Go duration, default 20s; keep it below terminationGracePeriodSeconds)
  --watch-config         reload when a --config file changes (checked every second);
                         SIGHUP always reloads
  --version              print the version
  -h, --help             this text
)";

struct Flags {
  std::string command;  // "", "validate", "components"
  config::LoadOptions load;
  std::chrono::nanoseconds shutdown_timeout = std::chrono::seconds(20);
  bool watch_config = false;
  bool version = false;
  bool help = false;
};

// Accepts both "--flag value" and "--flag=value".
bool ParseFlags(int argc, char** argv, Flags& flags, std::string& error) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value_of = [&](std::string_view name, std::string& out) -> bool {
      std::string prefix = std::string(name) + "=";
      if (arg.rfind(prefix, 0) == 0) {
        out = arg.substr(prefix.size());
        return true;
      }
      if (arg == name) {
        if (i + 1 >= argc) {
          error = std::string(name) + " needs a value";
          return false;
        }
        out = argv[++i];
        return true;
      }
      return false;
    };
    std::string v;
    if (value_of("--config", v)) {
      flags.load.config_uris.push_back(v);
    } else if (value_of("--set", v)) {
      flags.load.set_flags.push_back(v);
    } else if (value_of("--shutdown-timeout", v)) {
      auto d = config::ParseGoDuration(v);
      if (!d || d->count() < 0) {
        error = "--shutdown-timeout: not a duration: " + v;
        return false;
      }
      flags.shutdown_timeout = *d;
    } else if (value_of("--feature-gates", v)) {
      spdlog::warn("--feature-gates is accepted for compatibility and ignored: {}", v);
    } else if (!error.empty()) {
      return false;
    } else if (arg == "--watch-config") {
      flags.watch_config = true;
    } else if (arg == "--version" || arg == "-v") {
      flags.version = true;
    } else if (arg == "-h" || arg == "--help") {
      flags.help = true;
    } else if ((arg == "validate" || arg == "components") && flags.command.empty()) {
      flags.command = arg;
    } else {
      error = "unknown argument: " + arg;
      return false;
    }
    if (!error.empty()) return false;
  }
  return true;
}

int ListComponents() {
  Components c = BuiltinComponents();
  auto print = [](std::string_view kind, const auto& list) {
    std::cout << kind << ":\n";
    for (const auto& f : list) std::cout << "  - " << f.type << "\n";
  };
  std::cout << "buildinfo:\n  command: otlpd\n  version: " << OTLPD_VERSION << "\n";
  print("receivers", c.receivers);
  print("processors", c.processors);
  print("exporters", c.exporters);
  print("extensions", c.extensions);
  return 0;
}

// Everything one config describes, decoded and built, nothing bound or started.
struct Loaded {
  config::Node root;
  selftelemetry::TelemetryConfig telemetry;
  selftelemetry::Wiring wiring;
  std::unique_ptr<Service> service;
};

// Throws config::Error (located, with the key path) for anything invalid.
Loaded LoadConfig(const config::LoadOptions& options) {
  Loaded l;
  std::vector<std::string> warnings;
  l.root = config::Load(options, &warnings);
  for (const auto& w : warnings) spdlog::warn("config: {}", w);
  l.service = Service::Build(l.root, BuiltinComponents());
  l.telemetry = selftelemetry::DecodeTelemetryConfig(l.root);
  l.wiring = selftelemetry::Wiring::FromConfig(config::DecodeService(l.root));
  return l;
}

// How long a reload waits for ports the old config held (a listener still
// closing, a port in TIME_WAIT) before giving up on the new config.
constexpr auto kReloadBindRetry = std::chrono::seconds(3);

// The running collector: one Service at a time, plus what outlives reloads
// (the metrics endpoint, the instance id).
class Collector {
 public:
  explicit Collector(const Flags& flags)
      : flags_(flags), instance_id_(selftelemetry::NewInstanceId()), metrics_(selftelemetry::Labels{}) {}

  // Applies logging and metrics, then starts `loaded`. False (logged) on failure.
  bool Start(Loaded loaded) {
    if (Status s = selftelemetry::ConfigureLogger(loaded.telemetry.logs); !s.ok()) {
      spdlog::error("{}", s.message());
      return false;
    }
    spdlog::info("otlpd {} starting ({} pipeline(s), instance {})", OTLPD_VERSION,
                 loaded.service->pipeline_count(), instance_id_);
    metrics_.SetResource(Resource(loaded));
    if (Status s = metrics_.Apply(loaded.telemetry.metrics); !s.ok()) {
      spdlog::error("{}", s.message());
      return false;
    }
    metrics_.SetSource(&loaded.service->telemetry(), loaded.wiring);
    if (Status s = StartService(loaded, std::chrono::milliseconds(0)); !s.ok()) {
      spdlog::error("{}", s.message());
      metrics_.SetSource(nullptr, {});  // `loaded` dies with this call
      return false;
    }
    current_ = std::move(loaded);
    return true;
  }

  // Loads and builds the config again. An invalid one is logged and the
  // running pipelines go on untouched. A valid one replaces them: the old
  // Service stops (receivers first, so nothing new is accepted) and drains
  // everything it holds into its exporters within --shutdown-timeout, then
  // the new one starts. Building fully before stopping keeps the gap short.
  // If the new config cannot start, the previous one is started again.
  // False only when neither could start: the process must exit.
  bool Reload(std::string_view why) {
    spdlog::info("{}: reloading the configuration", why);
    Loaded next;
    try {
      next = LoadConfig(flags_.load);
    } catch (const config::Error& e) {
      spdlog::error("reload rejected, the running configuration stays: invalid configuration: {}", e.what());
      return true;
    }
    // Log outputs open before anything stops, so a bad path rejects the reload too.
    if (Status s = selftelemetry::ConfigureLogger(next.telemetry.logs); !s.ok()) {
      spdlog::error("reload rejected, the running configuration stays: {}", s.message());
      return true;
    }
    const auto started = Clock::now();
    Status s = Replace(next);
    if (s.ok()) {
      spdlog::info("configuration reloaded ({} pipeline(s)); receivers were down for {} ms",
                   current_.service->pipeline_count(),
                   std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count());
      return true;
    }
    spdlog::error("the new configuration failed to start: {}; starting the previous one again", s.message());
    Loaded previous;
    try {
      previous = Rebuild(current_.root);
    } catch (const config::Error& e) {
      spdlog::critical("cannot rebuild the previous configuration: {}", e.what());
      metrics_.SetSource(nullptr, {});  // `next` dies with this call
      return false;
    }
    // It loaded before, so its outputs open again.
    (void)selftelemetry::ConfigureLogger(previous.telemetry.logs);
    if (Status again = Replace(previous); !again.ok()) {
      spdlog::critical("the previous configuration failed to start again: {}", again.message());
      metrics_.SetSource(nullptr, {});  // `previous` dies with this call
      return false;
    }
    spdlog::warn("running the previous configuration again");
    return true;
  }

  void Shutdown() {
    if (current_.service) current_.service->Shutdown(Clock::now() + flags_.shutdown_timeout);
    metrics_.SetSource(nullptr, {});
    metrics_.Stop();
  }

 private:
  selftelemetry::Labels Resource(const Loaded& l) const {
    return selftelemetry::ResourceLabels(l.telemetry.resource, OTLPD_VERSION, instance_id_);
  }

  Loaded Rebuild(const config::Node& root) const {
    Loaded l;
    l.root = root;
    l.service = Service::Build(root, BuiltinComponents());
    l.telemetry = selftelemetry::DecodeTelemetryConfig(root);
    l.wiring = selftelemetry::Wiring::FromConfig(config::DecodeService(root));
    return l;
  }

  // Stops the running Service (draining it), then starts `next` in its place.
  // On failure nothing runs.
  Status Replace(Loaded& next) {
    if (current_.service) {
      current_.service->Shutdown(Clock::now() + flags_.shutdown_timeout);
    }
    // The old (or a failed) Service's counts are final now: the endpoint
    // folds them in before that Service goes away.
    metrics_.SetSource(&next.service->telemetry(), next.wiring);
    current_.service.reset();
    metrics_.SetResource(Resource(next));
    if (Status s = metrics_.Apply(next.telemetry.metrics, kReloadBindRetry); !s.ok()) {
      spdlog::error("{}", s.message());  // the pipelines matter more than their metrics
    }
    Status s = StartService(next, kReloadBindRetry);
    if (!s.ok()) return s;
    current_ = std::move(next);
    return Status::Ok();
  }

  // Starts l.service. A Service that failed to start cannot start again, so
  // while `retry` lasts (ports the previous Service held may still be
  // closing) each attempt builds a fresh one from the same root.
  Status StartService(Loaded& l, std::chrono::milliseconds retry) {
    const auto give_up = Clock::now() + retry;
    while (true) {
      Status s = l.service->Start();
      if (s.ok() || Clock::now() >= give_up) return s;
      spdlog::debug("start failed, retrying: {}", s.message());
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      Loaded fresh;
      try {
        fresh = Rebuild(l.root);
      } catch (const config::Error&) {
        return s;  // it built a moment ago; if it no longer does, report the start failure
      }
      metrics_.SetSource(&fresh.service->telemetry(), fresh.wiring);
      l.service = std::move(fresh.service);
    }
  }

  const Flags& flags_;
  const std::string instance_id_;
  selftelemetry::MetricsEndpoint metrics_;
  Loaded current_;
};

// The --config files that are local files, and what they looked like last:
// --watch-config reloads when any of them changes (a Kubernetes ConfigMap
// update swaps a symlink, which stat() follows).
class ConfigWatch {
 public:
  explicit ConfigWatch(const std::vector<std::string>& uris) {
    for (const std::string& uri : uris) {
      if (uri.rfind("file:", 0) == 0) {
        paths_.push_back(uri.substr(5));
      } else if (uri.rfind("env:", 0) != 0 && uri.rfind("yaml:", 0) != 0 &&
                 uri.find("://") == std::string::npos) {
        paths_.push_back(uri);
      }
    }
    last_ = Snapshot();
  }

  // True when a file changed since the last call (or construction).
  bool Changed() {
    std::vector<Stamp> now = Snapshot();
    const bool changed = now != last_;
    last_ = std::move(now);
    return changed;
  }

 private:
  struct Stamp {
    bool exists = false;
    std::int64_t mtime_ns = 0;
    std::int64_t size = 0;
    std::uint64_t inode = 0;
    bool operator==(const Stamp&) const = default;
  };

  std::vector<Stamp> Snapshot() const {
    std::vector<Stamp> out;
    for (const std::string& p : paths_) {
      struct stat st {};
      Stamp s;
      if (::stat(p.c_str(), &st) == 0) {
        s.exists = true;
        s.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
        s.size = static_cast<std::int64_t>(st.st_size);
        s.inode = static_cast<std::uint64_t>(st.st_ino);
      }
      out.push_back(s);
    }
    return out;
  }

  std::vector<std::string> paths_;
  std::vector<Stamp> last_;
};

int Run(int argc, char** argv) {
  // Debian builds Abseil without NDEBUG, so every lock gRPC takes also walks
  // a global lock-order graph (a few per cent of otlpd's CPU under load,
  // measured with perf); the graph finds bugs in gRPC, not in our data path.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  // Block the stop signals before any thread exists, so every thread inherits
  // the mask and only the sigwait below sees them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  selftelemetry::InstallLogger();

  Flags flags;
  std::string error;
  if (!ParseFlags(argc, argv, flags, error)) {
    std::cerr << "otlpd: " << error << "\n\n" << kUsage;
    return 2;
  }
  if (flags.help) {
    std::cout << kUsage;
    return 0;
  }
  if (flags.version) {
    std::cout << "otlpd version " << OTLPD_VERSION << "\n";
    return 0;
  }
  if (flags.command == "components") return ListComponents();

  flags.load.default_yaml = std::string(kDefaultConfig);
  // The baseline is taken before loading, so a change made meanwhile is not missed.
  ConfigWatch watch(flags.load.config_uris);
  Loaded loaded;
  try {
    loaded = LoadConfig(flags.load);
  } catch (const config::Error& e) {
    std::cerr << "otlpd: invalid configuration: " << e.what() << "\n";
    return 1;
  }
  if (flags.command == "validate") {
    std::cout << "otlpd: configuration is valid\n";
    return 0;
  }

  Collector collector(flags);
  if (!collector.Start(std::move(loaded))) return 1;
  spdlog::info("everything is ready; waiting for data");

  const timespec poll{1, 0};
  while (true) {
    int sig = 0;
    if (flags.watch_config) {
      siginfo_t info{};
      sig = sigtimedwait(&stop_signals, &info, &poll);
      if (sig < 0) {
        if (watch.Changed()) {
          if (!collector.Reload("a config file changed")) return 1;
        }
        continue;
      }
    } else if (sigwait(&stop_signals, &sig) != 0) {
      continue;
    }
    if (sig == SIGHUP) {
      if (!collector.Reload("SIGHUP")) return 1;
      watch.Changed();  // what was just loaded is the new baseline
      continue;
    }
    spdlog::info("received signal {}; shutting down (deadline {} ms)", sig,
                 std::chrono::duration_cast<std::chrono::milliseconds>(flags.shutdown_timeout).count());
    break;
  }
  collector.Shutdown();
  spdlog::info("shutdown complete");
  spdlog::shutdown();
  return 0;
}

}  // namespace
}  // namespace otlpd

int main(int argc, char** argv) { return otlpd::Run(argc, argv); }
