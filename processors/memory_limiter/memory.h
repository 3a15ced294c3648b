// How much memory the process uses and how much it may use.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace otlpd::processors::memory_limiter {

inline constexpr std::uint64_t kMiB = 1024 * 1024;

// The process's resident set size from /proc/self/statm: for a C++ process
// the honest measure (heap, stacks, mapped buffers), not just what malloc
// hands out. nullopt when /proc is unreadable.
std::optional<std::uint64_t> ResidentBytes();

// Where TotalMemory() looks; tests point it at fake trees.
struct SystemPaths {
  std::string proc = "/proc";
  std::string cgroup_root = "/sys/fs/cgroup";
};

// The memory the process may use, as otelcol's iruntime.TotalMemory: the
// cgroup v2 `memory.max`, else the cgroup v1 `memory.limit_in_bytes`, else
// MemTotal from /proc/meminfo (an unset cgroup limit means the machine's).
// nullopt when none can be read.
std::optional<std::uint64_t> TotalMemory(const SystemPaths& paths = {});

// Gives free heap memory back to the system (glibc malloc_trim(0)), our
// equivalent of the forced GC otelcol runs when over the soft limit: without
// it freed memory stays resident and the limiter would keep refusing.
void ReleaseFreeMemory();

}  // namespace otlpd::processors::memory_limiter
