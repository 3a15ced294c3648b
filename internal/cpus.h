#pragma once

namespace otlpd {

// CPUs this process may use: its affinity mask, lowered to the cgroup v2 CPU
// quota (cpu.max, rounded up) when one is set, as a container limit is. At
// least 1. Thread pools size themselves from this, not from the host's cores.
unsigned AvailableCpus();

}  // namespace otlpd
