#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/decoder.h"
#include "config/problem.h"

namespace otlpd::exporters::debug {

// How much of each payload is printed (otelcol's configtelemetry levels;
// "none" exists there but the debug exporter refuses it).
enum class Verbosity { kBasic, kNormal, kDetailed };

std::string_view VerbosityName(Verbosity verbosity);
// Case-insensitive, as otelcol's level parser lower-cases before matching.
std::optional<Verbosity> ParseVerbosity(std::string_view text);

// The `debug` exporter's options, with otelcol's names and defaults.
struct Config {
  Verbosity verbosity = Verbosity::kBasic;
  // zap sampler: per one-second tick the first `sampling_initial` messages are
  // written, then every `sampling_thereafter`-th (1 = no sampling, 0 = none
  // after the initial ones).
  int sampling_initial = 2;
  int sampling_thereafter = 1;
  // true: through the process logger (spdlog, stderr); false: to output_paths.
  bool use_internal_logger = true;
  // "stdout", "stderr" or file paths (appended to). Only with use_internal_logger false.
  std::vector<std::string> output_paths = {"stdout"};
  // Whether output_paths was written in the config: otelcol rejects it next
  // to use_internal_logger true (it would be silently ignored there).
  bool output_paths_set = false;

  // Reads every key, rejects unknown ones and bad values; throws config::Error
  // naming the key path ("exporters.debug.verbosity: ...").
  static Config Decode(config::MapDecoder& decoder);

  // Checks relations between values; nullopt when the config is usable.
  std::optional<config::Problem> Validate() const;
};

}  // namespace otlpd::exporters::debug
