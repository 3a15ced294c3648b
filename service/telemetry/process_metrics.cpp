#include "service/telemetry/process_metrics.h"

#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <fstream>

namespace otlpd::selftelemetry {
namespace {

// Static initialisation runs before main: close enough to the process start.
const auto kProcessStart = std::chrono::steady_clock::now();

double Seconds(const timeval& tv) { return static_cast<double>(tv.tv_sec) + tv.tv_usec / 1e6; }

}  // namespace

ProcessStats ReadProcessStats() {
  ProcessStats s;
  s.uptime_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - kProcessStart).count();
  rusage ru{};
  if (getrusage(RUSAGE_SELF, &ru) == 0) s.cpu_seconds = Seconds(ru.ru_utime) + Seconds(ru.ru_stime);
  // statm: size resident shared ... in pages.
  std::ifstream statm("/proc/self/statm");
  std::uint64_t size = 0, resident = 0;
  if (statm >> size >> resident) s.rss_bytes = resident * static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
  return s;
}

}  // namespace otlpd::selftelemetry
