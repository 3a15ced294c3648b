#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace otlpd {

// The three OTLP signals otlpd carries. Code that differs per signal takes a
// Signal (or SignalTraits) instead of being written three times.
enum class Signal : std::uint8_t { kTraces = 0, kMetrics = 1, kLogs = 2 };

inline constexpr std::array<Signal, 3> kAllSignals{Signal::kTraces, Signal::kMetrics, Signal::kLogs};

// "traces", "metrics", "logs": pipeline ids and config keys.
constexpr std::string_view SignalName(Signal s) {
  switch (s) {
    case Signal::kTraces: return "traces";
    case Signal::kMetrics: return "metrics";
    case Signal::kLogs: return "logs";
  }
  return "unknown";
}

// The item noun otelcol uses in its metric names: spans, metric_points, log_records.
constexpr std::string_view ItemNoun(Signal s) {
  switch (s) {
    case Signal::kTraces: return "spans";
    case Signal::kMetrics: return "metric_points";
    case Signal::kLogs: return "log_records";
  }
  return "items";
}

constexpr std::optional<Signal> ParseSignal(std::string_view name) {
  for (Signal s : kAllSignals) {
    if (SignalName(s) == name) return s;
  }
  return std::nullopt;
}

constexpr std::size_t SignalIndex(Signal s) { return static_cast<std::size_t>(s); }

}  // namespace otlpd
