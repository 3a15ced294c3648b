#include "processors/memory_limiter/memory.h"

#include <malloc.h>
#include <unistd.h>

#include <charconv>
#include <fstream>
#include <sstream>
#include <string_view>
#include <vector>

namespace otlpd::processors::memory_limiter {
namespace {

// cgroup v1 reports "no limit" as this (or a value near it, page aligned).
constexpr std::uint64_t kUnlimited = 9223372036854771712ull;

std::optional<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::optional<std::uint64_t> ParseU64(std::string_view s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.remove_suffix(1);
  std::uint64_t v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  while (true) {
    std::size_t at = s.find(sep);
    out.push_back(s.substr(0, at));
    if (at == std::string_view::npos) return out;
    s.remove_prefix(at + 1);
  }
}

// The first answer `match` gives for a line of `path`; nullopt when the
// file cannot be read or no line matches.
template <class Match>
auto FirstMatchingLine(const std::string& path, Match match) -> decltype(match(std::string_view())) {
  std::optional<std::string> text = ReadFile(path);
  if (!text) return std::nullopt;
  std::istringstream in(*text);
  std::string line;
  while (std::getline(in, line)) {
    if (auto found = match(std::string_view(line))) return found;
  }
  return std::nullopt;
}

// The cgroup path of this process for a v1 controller, or for v2 ("").
std::optional<std::string> CgroupPath(const SystemPaths& paths, std::string_view controller) {
  return FirstMatchingLine(paths.proc + "/self/cgroup",
                           [&](std::string_view line) -> std::optional<std::string> {
                             // hierarchy-ID:controller-list:path
                             std::size_t a = line.find(':');
                             std::size_t b = a == std::string_view::npos ? a : line.find(':', a + 1);
                             if (b == std::string_view::npos) return std::nullopt;
                             for (std::string_view c : Split(line.substr(a + 1, b - a - 1), ',')) {
                               if (c == controller) return std::string(line.substr(b + 1));
                             }
                             return std::nullopt;
                           });
}

struct Mount {
  std::string root;
  std::string point;
};

// The mount of the v1 memory controller, or of the v2 hierarchy (`controller` empty).
std::optional<Mount> FindMount(const SystemPaths& paths, std::string_view controller) {
  return FirstMatchingLine(paths.proc + "/self/mountinfo",
                           [&](std::string_view line) -> std::optional<Mount> {
                             // id parent major:minor root mount-point options [optional...] - fstype source
                             // super-options
                             std::size_t dash = line.find(" - ");
                             if (dash == std::string_view::npos) return std::nullopt;
                             std::vector<std::string_view> pre = Split(line.substr(0, dash), ' ');
                             std::vector<std::string_view> post = Split(line.substr(dash + 3), ' ');
                             if (pre.size() < 5 || post.size() < 3) return std::nullopt;
                             if (controller.empty()) {
                               // As otelcol: v2 only when it is *the* hierarchy, not a hybrid host's
                               // /sys/fs/cgroup/unified next to v1 controllers.
                               if (post[0] == "cgroup2" && pre[4] == "/sys/fs/cgroup")
                                 return Mount{std::string(pre[3]), std::string(pre[4])};
                               return std::nullopt;
                             }
                             if (post[0] != "cgroup") return std::nullopt;
                             for (std::string_view opt : Split(post[2], ',')) {
                               if (opt == controller) return Mount{std::string(pre[3]), std::string(pre[4])};
                             }
                             return std::nullopt;
                           });
}

// The directory of this process's cgroup under a mount.
std::string CgroupDir(const SystemPaths& paths, const Mount& mount, const std::string& cgroup) {
  // Inside a container the mount root is the container's cgroup: strip it.
  std::string rel = cgroup;
  if (mount.root != "/" && rel.rfind(mount.root, 0) == 0) rel = rel.substr(mount.root.size());
  std::string point = mount.point;
  // Tests relocate /sys/fs/cgroup.
  if (point.rfind("/sys/fs/cgroup", 0) == 0) point = paths.cgroup_root + point.substr(14);
  return point + (rel == "/" ? "" : rel);
}

std::optional<std::uint64_t> CgroupV2Limit(const SystemPaths& paths) {
  std::optional<Mount> mount = FindMount(paths, "");
  if (!mount) return std::nullopt;
  std::vector<std::string> candidates;
  if (std::optional<std::string> cg = CgroupPath(paths, ""))
    candidates.push_back(CgroupDir(paths, *mount, *cg));
  candidates.push_back(CgroupDir(paths, *mount, "/"));  // what otelcol reads: the mount's own memory.max
  for (const std::string& dir : candidates) {
    std::optional<std::string> text = ReadFile(dir + "/memory.max");
    if (!text) continue;
    if (text->rfind("max", 0) == 0) return std::nullopt;
    return ParseU64(*text);
  }
  return std::nullopt;
}

std::optional<std::uint64_t> CgroupV1Limit(const SystemPaths& paths) {
  std::optional<Mount> mount = FindMount(paths, "memory");
  std::optional<std::string> cg = CgroupPath(paths, "memory");
  if (!mount || !cg) return std::nullopt;
  std::optional<std::string> text = ReadFile(CgroupDir(paths, *mount, *cg) + "/memory.limit_in_bytes");
  if (!text) text = ReadFile(CgroupDir(paths, *mount, "/") + "/memory.limit_in_bytes");
  if (!text) return std::nullopt;
  std::optional<std::uint64_t> v = ParseU64(*text);
  if (!v || *v == 0 || *v >= kUnlimited) return std::nullopt;
  return v;
}

std::optional<std::uint64_t> MemInfoTotal(const SystemPaths& paths) {
  std::optional<std::string> text = ReadFile(paths.proc + "/meminfo");
  if (!text) return std::nullopt;
  std::istringstream in(*text);
  std::string key;
  std::uint64_t kb = 0;
  std::string unit;
  while (in >> key >> kb) {
    std::getline(in, unit);
    if (key == "MemTotal:") return kb * 1024;
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::uint64_t> ResidentBytes() {
  std::optional<std::string> statm = ReadFile("/proc/self/statm");
  if (!statm) return std::nullopt;
  std::vector<std::string_view> fields = Split(*statm, ' ');
  if (fields.size() < 2) return std::nullopt;
  std::optional<std::uint64_t> pages = ParseU64(fields[1]);
  if (!pages) return std::nullopt;
  return *pages * static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
}

std::optional<std::uint64_t> TotalMemory(const SystemPaths& paths) {
  if (FindMount(paths, "")) {
    if (std::optional<std::uint64_t> v = CgroupV2Limit(paths)) return v;
  } else if (std::optional<std::uint64_t> v = CgroupV1Limit(paths)) {
    return v;
  }
  return MemInfoTotal(paths);
}

void ReleaseFreeMemory() { malloc_trim(0); }

}  // namespace otlpd::processors::memory_limiter
