// libFuzzer target for the config loader (YAML to Node, aliases, merging and
// ${...} expansion). Run by run_fuzzers.sh. Any input must either load or
// give a config::Error naming where: never another exception, an abort, or
// memory past the loader's budget (libFuzzer's -rss_limit_mb catches that).
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "config/error.h"
#include "config/loader.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

std::optional<std::string> Env(std::string_view name) {
  // A large variable, so references repeated by aliases meet the expansion budget.
  if (name == "BIG") return std::string(100000, 'b');
  if (name == "NEST") return std::string("a:\n  b: [1, 2]\n");
  if (name == "PORT") return std::string("4317");
  return std::nullopt;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace otlpd::config;
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    (void)ParseYaml(text, "fuzz.yaml");
  } catch (const Error& e) {
    Check(std::string_view(e.what()).find("fuzz.yaml") != std::string_view::npos);
  }
  // The whole Load: a yaml: source merged over a file-less default, a --set, and expansion.
  LoadOptions options;
  options.config_uris = {"yaml:receivers::otlp::protocols::grpc: {}", "yaml:" + text};
  options.set_flags = {"service.telemetry.logs.level=${env:PORT}"};
  options.env = Env;
  try {
    std::vector<std::string> warnings;
    (void)Load(options, &warnings);
  } catch (const Error& e) {
    Check(e.what()[0] != '\0');
  }
  return 0;
}
