#pragma once

#include <cstdint>

namespace otlpd::selftelemetry {

struct ProcessStats {
  double uptime_seconds = 0;  // since the process started
  double cpu_seconds = 0;     // user + system
  std::uint64_t rss_bytes = 0;
};

// Reads this process's figures from getrusage and /proc/self/statm.
ProcessStats ReadProcessStats();

}  // namespace otlpd::selftelemetry
