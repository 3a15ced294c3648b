// otlpd: an OpenTelemetry collector daemon. Reads an otelcol-format config,
// runs its pipelines until SIGTERM or SIGINT, then drains and exits 0.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "cmd/otlpd/components.h"
#include "cmd/otlpd/default_config.h"
#include "config/decoder.h"
#include "config/error.h"
#include "config/loader.h"
#include "config/service_config.h"
#include "pipeline/service.h"

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
  --shutdown-timeout D   how long a shutdown may take to drain (Go duration, default 20s)
  --version              print the version
  -h, --help             this text
)";

struct Flags {
  std::string command;  // "", "validate", "components"
  config::LoadOptions load;
  std::chrono::nanoseconds shutdown_timeout = std::chrono::seconds(20);
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

spdlog::level::level_enum LogLevel(const std::string& level) {
  if (level == "debug") return spdlog::level::debug;
  if (level == "warn") return spdlog::level::warn;
  if (level == "error") return spdlog::level::err;
  if (level == "dpanic" || level == "panic" || level == "fatal") return spdlog::level::critical;
  return spdlog::level::info;
}

void ConfigureLogging(const config::Node& root) {
  config::ServiceConfig sc = config::DecodeService(root);
  spdlog::set_level(LogLevel(sc.logs.level));
  if (sc.logs.encoding == "json") {
    spdlog::set_pattern(R"({"ts":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l","msg":"%v"})",
                        spdlog::pattern_time_type::utc);
  } else {
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%fZ\t%l\t%v", spdlog::pattern_time_type::utc);
  }
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

int Run(int argc, char** argv) {
  // Block the stop signals before any thread exists, so every thread inherits
  // the mask and only the sigwait below sees them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%fZ\t%l\t%v", spdlog::pattern_time_type::utc);

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
  std::unique_ptr<Service> service;
  try {
    std::vector<std::string> warnings;
    config::Node root = config::Load(flags.load, &warnings);
    for (const auto& w : warnings) spdlog::warn("config: {}", w);
    ConfigureLogging(root);
    service = Service::Build(root, BuiltinComponents());
  } catch (const config::Error& e) {
    std::cerr << "otlpd: invalid configuration: " << e.what() << "\n";
    return 1;
  }
  if (flags.command == "validate") {
    std::cout << "otlpd: configuration is valid\n";
    return 0;
  }

  spdlog::info("otlpd {} starting ({} pipeline(s))", OTLPD_VERSION, service->pipeline_count());
  if (Status s = service->Start(); !s.ok()) {
    spdlog::error("{}", s.message());
    return 1;
  }
  spdlog::info("everything is ready; waiting for data");

  while (true) {
    int sig = 0;
    if (sigwait(&stop_signals, &sig) != 0) continue;
    if (sig == SIGHUP) {
      spdlog::warn("SIGHUP: config reload is not implemented yet; still running the current config");
      continue;
    }
    spdlog::info("received signal {}; shutting down (deadline {} ms)", sig,
                 std::chrono::duration_cast<std::chrono::milliseconds>(flags.shutdown_timeout).count());
    break;
  }
  service->Shutdown(Clock::now() + flags.shutdown_timeout);
  spdlog::info("shutdown complete");
  spdlog::shutdown();
  return 0;
}

}  // namespace
}  // namespace otlpd

int main(int argc, char** argv) { return otlpd::Run(argc, argv); }
