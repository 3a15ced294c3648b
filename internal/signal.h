#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace otlpd {

// The OTLP signals otlpd carries. Code that differs per signal takes a
// Signal (or SignalTraits) instead of being written once per signal.
// Profiles (OTLP v1development) are alpha in otelcol and exist only behind its
// `service.profilesSupport` feature gate; only the components that support
// them in otelcol list them.
enum class Signal : std::uint8_t { kTraces = 0, kMetrics = 1, kLogs = 2, kProfiles = 3 };

// The three stable signals: what code that iterates "every signal" (self
// metrics, per-signal config keys) covers. Profiles are handled where named.
inline constexpr std::array<Signal, 3> kAllSignals{Signal::kTraces, Signal::kMetrics, Signal::kLogs};

// The size of an array indexed by SignalIndex (profiles included).
inline constexpr std::size_t kSignalCount = 4;

// Every signal, profiles last: for code that covers profiles where otelcol does.
inline constexpr std::array<Signal, kSignalCount> kSignalsWithProfiles{Signal::kTraces, Signal::kMetrics,
                                                                       Signal::kLogs, Signal::kProfiles};

// "traces", "metrics", "logs", "profiles": pipeline ids and config keys.
constexpr std::string_view SignalName(Signal s) {
  switch (s) {
    case Signal::kTraces: return "traces";
    case Signal::kMetrics: return "metrics";
    case Signal::kLogs: return "logs";
    case Signal::kProfiles: return "profiles";
  }
  return "unknown";
}

// The item noun otelcol uses in its metric names: spans, metric_points,
// log_records. Profiles are counted by their samples (pdata's SampleCount,
// what otelcol's OTLP receiver and debug exporter count).
constexpr std::string_view ItemNoun(Signal s) {
  switch (s) {
    case Signal::kTraces: return "spans";
    case Signal::kMetrics: return "metric_points";
    case Signal::kLogs: return "log_records";
    case Signal::kProfiles: return "samples";
  }
  return "items";
}

constexpr std::optional<Signal> ParseSignal(std::string_view name) {
  for (Signal s : kAllSignals) {
    if (SignalName(s) == name) return s;
  }
  if (name == SignalName(Signal::kProfiles)) return Signal::kProfiles;
  return std::nullopt;
}

constexpr std::size_t SignalIndex(Signal s) { return static_cast<std::size_t>(s); }

}  // namespace otlpd
