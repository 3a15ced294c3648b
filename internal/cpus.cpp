#include "internal/cpus.h"

#include <sched.h>

#include <fstream>
#include <string>
#include <thread>

namespace otlpd {
namespace {

// "max 100000" (no limit) or "200000 100000" (two CPUs' worth per period).
unsigned CgroupQuotaCpus() {
  std::ifstream in("/sys/fs/cgroup/cpu.max");
  std::string quota, period;
  if (!(in >> quota >> period) || quota == "max") return 0;
  try {
    const double q = std::stod(quota), p = std::stod(period);
    if (q <= 0 || p <= 0) return 0;
    const auto n = static_cast<unsigned>((q + p - 1) / p);
    return n == 0 ? 1 : n;
  } catch (...) {
    return 0;
  }
}

}  // namespace

unsigned AvailableCpus() {
  unsigned n = 0;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) n = static_cast<unsigned>(CPU_COUNT(&set));
  if (n == 0) n = std::thread::hardware_concurrency();
  if (const unsigned quota = CgroupQuotaCpus(); quota > 0 && quota < n) n = quota;
  return n == 0 ? 1 : n;
}

}  // namespace otlpd
