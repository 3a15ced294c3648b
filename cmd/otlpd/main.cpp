// otlpd: an OpenTelemetry collector daemon. Reads an otelcol-format config,
// runs its pipelines until SIGTERM or SIGINT, then drains and exits 0.
// SIGHUP (or a changed config file with --watch-config) reloads the config.
#include <sys/resource.h>
#include <sys/stat.h>

#include <charconv>
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
#include "config/feature_gates.h"
#include "config/loader.h"
#include "config/print_config.h"
#include "config/service_config.h"
#include "internal/resident.h"
#include "internal/text.h"
#include "service/collector.h"
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
  print-config print the config a run would use: --config files merged, --set
               applied, ${...} expanded, every default filled in, secrets shown
               as [REDACTED] (alias print-initial-config)
  components   list the compiled-in component types

flags:
  --config URI           config source; repeatable, later ones merge over earlier ones.
                         URI: a path, file:PATH, env:VAR or yaml:key::path: value
  --set KEY.PATH=VALUE   override one value; repeatable, applied last
  --feature-gates LIST   otelcol feature gates, comma-separated, each optionally prefixed + or -;
                         otlpd uses service.profilesSupport (allows profiles pipelines) and
                         ignores the others
  --shutdown-timeout D   how long a shutdown (or the old config's drain on reload) may take
                         (Go duration, default 20s; keep it below terminationGracePeriodSeconds)
  --receive-memory-mib N MiB all receivers together may hold for requests not yet in a pipeline
                         (bodies, decompressed data, gRPC messages); past it clients get 429 /
                         RESOURCE_EXHAUSTED with a retry hint. Default: the larger of 64 and twice
                         the most one request may hold (80: a 20 MiB HTTP body and its copy)
  --watch-config         reload when a --config file changes (checked every second);
                         SIGHUP always reloads
  --mode MODE            print-config: redacted (default) or unredacted (shows secrets)
  --format FORMAT        print-config: yaml (default) or json
  --validate BOOL        print-config: accepted as otelcol's; otlpd always validates
  --version              print the version
  -h, --help             this text
)";

struct Flags {
  std::string command;  // "", "validate", "components", "print-config"
  config::PrintOptions print;
  bool print_flag_seen = false;  // --mode, --format or --validate, which only print-config takes
  config::LoadOptions load;
  std::chrono::nanoseconds shutdown_timeout = std::chrono::seconds(20);
  bool watch_config = false;
  bool version = false;
  bool help = false;
};

// print-config's --mode, case-insensitive as otelcol's.
bool ParsePrintMode(std::string_view v, config::PrintOptions& print, std::string& error) {
  const std::string mode = AsciiLower(v);
  if (mode == "redacted" || mode == "unredacted") {
    print.redact = mode == "redacted";
    return true;
  }
  error = "invalid mode \"" + std::string(v) + "\": modes are: redacted, unredacted";
  return false;
}

// print-config's --format, case-insensitive as otelcol's.
bool ParsePrintFormat(std::string_view v, config::PrintOptions& print, std::string& error) {
  const std::string format = AsciiLower(v);
  if (format == "yaml" || format == "json") {
    print.format = format == "json" ? config::PrintFormat::kJson : config::PrintFormat::kYaml;
    return true;
  }
  error = "unrecognized print format: " + std::string(v);
  return false;
}

// Go's strconv.ParseBool, as the flag package reads a bool flag's value.
bool ParseBool(std::string_view v) {
  for (std::string_view b :
       {"1", "t", "T", "TRUE", "true", "True", "0", "f", "F", "FALSE", "false", "False"}) {
    if (v == b) return true;
  }
  return false;
}

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
    } else if (value_of("--receive-memory-mib", v)) {
      std::uint64_t mib = 0;
      const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), mib);
      if (ec != std::errc() || end != v.data() + v.size() || mib == 0 || mib > (1u << 20)) {
        error = "--receive-memory-mib: not a size in MiB from 1 to 1048576: " + v;
        return false;
      }
      flags.load.receive_memory_bytes = mib << 20;
    } else if (value_of("--feature-gates", v)) {
      std::vector<std::string> ignored;
      if (!config::ApplyFeatureGates(v, flags.load.gates, ignored, error)) return false;
      for (const std::string& gate : ignored) {
        spdlog::warn("--feature-gates: {} is accepted for compatibility and ignored", gate);
      }
    } else if (value_of("--mode", v)) {
      flags.print_flag_seen = true;
      if (!ParsePrintMode(v, flags.print, error)) return false;
    } else if (value_of("--format", v)) {
      flags.print_flag_seen = true;
      if (!ParsePrintFormat(v, flags.print, error)) return false;
    } else if (arg == "--validate" || value_of("--validate", v)) {
      // otelcol's --validate=false prints without validating; otlpd's
      // decoders validate as they read, so it always validates (safer: an
      // invalid config is never shown as if it were one).
      flags.print_flag_seen = true;
      if (arg != "--validate" && !ParseBool(v)) {
        error = "--validate: not a boolean: " + v;
        return false;
      }
    } else if (!error.empty()) {
      return false;
    } else if (arg == "--watch-config") {
      flags.watch_config = true;
    } else if (arg == "--version" || arg == "-v") {
      flags.version = true;
    } else if (arg == "-h" || arg == "--help") {
      flags.help = true;
    } else if ((arg == "validate" || arg == "components" || arg == "print-config") && flags.command.empty()) {
      flags.command = arg;
    } else if (arg == "print-initial-config" && flags.command.empty()) {
      flags.command = "print-config";
    } else {
      error = "unknown argument: " + arg;
      return false;
    }
    if (!error.empty()) return false;
  }
  if (flags.print_flag_seen && flags.command != "print-config") {
    error = "--mode, --format and --validate are flags of print-config";
    return false;
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
  print("connectors", c.connectors);
  return 0;
}

// Loads the config exactly as a run would (every component decoded and
// checked, nothing started) while recording what each decoder read, then
// prints the result: what the run would use, defaults included.
int PrintConfig(const Flags& flags) {
  config::DecodeRecording recording;
  Loaded loaded;
  try {
    config::DecodeRecording::Scope scope(recording);
    loaded = LoadConfig(flags.load, BuiltinComponents());
  } catch (const config::Error& e) {
    std::cerr << "otlpd: invalid configuration: " << e.what() << "\n";
    return 1;
  }
  std::cout << config::PrintConfig(loaded.root, recording, flags.print);
  return 0;
}

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

// A node agent holds a connection per client pod: take the hard limit on open
// descriptors as the soft one, as Go's runtime does for otelcol (systemd and
// most container runtimes set soft 1024, hard far above). The receivers' own
// connection caps derive from the limit in force.
void RaiseDescriptorLimit() {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &lim);
  }
}

// Start-up and reload run code steady state never runs again; without this it
// would stay in otlpd's RSS (measured: 5 MiB of 12.7 when idle).
void ReleaseStartupPages() {
  const ReleasedPages released = ReleaseFilePages();
  spdlog::debug("released the mappings of {} read-only segments ({} KiB) after start-up", released.ranges,
                released.bytes / 1024);
}

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
  RaiseDescriptorLimit();
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
  if (flags.command == "print-config") return PrintConfig(flags);
  // The baseline is taken before loading, so a change made meanwhile is not missed.
  ConfigWatch watch(flags.load.config_uris);
  Loaded loaded;
  try {
    loaded = LoadConfig(flags.load, BuiltinComponents());
  } catch (const config::Error& e) {
    std::cerr << "otlpd: invalid configuration: " << e.what() << "\n";
    return 1;
  }
  if (flags.command == "validate") {
    std::cout << "otlpd: configuration is valid\n";
    return 0;
  }

  Collector collector(
      CollectorSettings{flags.load, flags.shutdown_timeout, BuiltinComponents(), OTLPD_VERSION});
  if (!collector.Start(std::move(loaded))) return 1;
  spdlog::info("everything is ready; waiting for data");
  ReleaseStartupPages();

  const timespec poll{1, 0};
  while (true) {
    int sig = 0;
    if (flags.watch_config) {
      siginfo_t info{};
      sig = sigtimedwait(&stop_signals, &info, &poll);
      if (sig < 0) {
        if (watch.Changed()) {
          if (!collector.Reload("a config file changed")) return 1;
          ReleaseStartupPages();
        }
        continue;
      }
    } else if (sigwait(&stop_signals, &sig) != 0) {
      continue;
    }
    if (sig == SIGHUP) {
      if (!collector.Reload("SIGHUP")) return 1;
      ReleaseStartupPages();
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
