#include "exporters/debug/config.h"

#include <cstdint>

#include "internal/text.h"

namespace otlpd::exporters::debug {

std::string_view VerbosityName(Verbosity verbosity) {
  switch (verbosity) {
    case Verbosity::kBasic: return "basic";
    case Verbosity::kNormal: return "normal";
    case Verbosity::kDetailed: return "detailed";
  }
  return "unknown";
}

std::optional<Verbosity> ParseVerbosity(std::string_view text) {
  const std::string lower = AsciiLower(text);
  for (Verbosity v : {Verbosity::kBasic, Verbosity::kNormal, Verbosity::kDetailed}) {
    if (VerbosityName(v) == lower) return v;
  }
  return std::nullopt;
}

Config Config::Decode(config::MapDecoder& decoder) {
  Config cfg;

  std::string verbosity = "basic";
  if (const std::optional<std::int64_t> number = decoder.LevelNumber("verbosity", "configtelemetry.Level")) {
    // otelcol's configtelemetry.Level is an int32: -1 none, 0 basic, 1 normal,
    // 2 detailed; the debug exporter supports the last three.
    const auto level = static_cast<std::int32_t>(*number);
    if (level < 0 || level > 2) {
      decoder.Fail("verbosity", "verbosity level " + std::to_string(level) + (level == -1 ? " (none)" : "") +
                                    " is not supported (use basic, normal or detailed, or 0, 1 or 2)");
    }
    static constexpr Verbosity kByNumber[] = {Verbosity::kBasic, Verbosity::kNormal, Verbosity::kDetailed};
    cfg.verbosity = kByNumber[level];
  } else if (decoder.Optional("verbosity", verbosity)) {
    std::optional<Verbosity> parsed = ParseVerbosity(verbosity);
    if (!parsed) {
      decoder.Fail("verbosity",
                   "verbosity level \"" + verbosity + "\" is not supported (use basic, normal or detailed)");
    }
    cfg.verbosity = *parsed;
  }
  decoder.Optional("sampling_initial", cfg.sampling_initial);
  decoder.Optional("sampling_thereafter", cfg.sampling_thereafter);
  decoder.Optional("use_internal_logger", cfg.use_internal_logger);
  cfg.output_paths_set = decoder.Optional("output_paths", cfg.output_paths);

  // The exporter-helper blocks are accepted so otelcol configs load unchanged;
  // their keys are decoded and validated by the shared exporter helper once it
  // wraps this exporter. Until then they have no effect (debug writes
  // synchronously, as otelcol's does with its queue off by default).
  decoder.Take("sending_queue");
  decoder.Take("retry_on_failure");
  decoder.Take("timeout");

  decoder.Finish();

  if (std::optional<config::Problem> problem = cfg.Validate()) decoder.Fail(problem->key, problem->message);
  return cfg;
}

std::optional<config::Problem> Config::Validate() const {
  // zap takes these as unsigned counts; a negative one would wrap around.
  if (sampling_initial < 0) return config::Problem{"sampling_initial", "must be >= 0"};
  if (sampling_thereafter < 0) return config::Problem{"sampling_thereafter", "must be >= 0"};
  if (use_internal_logger && output_paths_set) {
    return config::Problem{"output_paths", "is not supported when use_internal_logger is true"};
  }
  if (!use_internal_logger && output_paths.empty()) {
    return config::Problem{"output_paths", "must not be empty when use_internal_logger is false"};
  }
  for (const std::string& path : output_paths) {
    if (path.empty()) return config::Problem{"output_paths", "must not contain an empty path"};
  }
  return std::nullopt;
}

}  // namespace otlpd::exporters::debug
