#include "processors/resourcedetection/system_detector.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <netpacket/packet.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include <spdlog/spdlog.h>

#include "internal/text.h"

namespace otlpd::processors::resourcedetection {
namespace {

Result<std::string> OsHostname() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0)
    return Status::Unavailable(std::string("gethostname: ") + strerror(errno));
  return std::string(buf);
}

std::string TrimDot(std::string s) {
  while (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

using AddrInfo = std::unique_ptr<addrinfo, decltype(&freeaddrinfo)>;

// getaddrinfo for `host` (after /etc/hosts and DNS), any address family.
Result<AddrInfo> Lookup(const std::string& host, int flags, int socktype) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_flags = flags;
  hints.ai_socktype = socktype;
  addrinfo* res = nullptr;
  const int rc = getaddrinfo(host.c_str(), nullptr, &hints, &res);
  if (rc != 0) return Status::Unavailable("lookup " + host + ": " + gai_strerror(rc));
  return AddrInfo(res, &freeaddrinfo);
}

// The canonical name getaddrinfo gives `host`.
Result<std::string> CanonicalName(const std::string& host) {
  Result<AddrInfo> res = Lookup(host, AI_CANONNAME, 0);
  if (!res.ok()) return res.status();
  std::string name = (*res)->ai_canonname != nullptr ? (*res)->ai_canonname : "";
  if (name.empty()) return Status::Unavailable("lookup " + host + ": no canonical name");
  return name;
}

Result<std::string> ReverseLookup(const std::string& host) {
  Result<AddrInfo> res = Lookup(host, 0, SOCK_STREAM);
  if (!res.ok()) return res.status();
  std::string found;
  for (addrinfo* a = res->get(); a != nullptr && found.empty(); a = a->ai_next) {
    char name[NI_MAXHOST] = {};
    if (getnameinfo(a->ai_addr, a->ai_addrlen, name, sizeof name, nullptr, 0, NI_NAMEREQD) == 0) found = name;
  }
  if (found.empty()) return Status::Unavailable("reverse lookup of " + host + " found no name");
  return TrimDot(found);
}

std::string ReadFirstLine(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (in) std::getline(in, line);
  return std::string(TrimAsciiSpace(line));
}

// KEY=value pairs of an os-release file, quotes removed.
std::map<std::string, std::string> ReadOsRelease(const std::string& root) {
  std::map<std::string, std::string> out;
  std::ifstream in(root + "etc/os-release");
  if (!in) in.open(root + "usr/lib/os-release");
  std::string line;
  while (std::getline(in, line)) {
    const auto eq = line.find('=');
    if (eq == std::string::npos || line.starts_with("#")) continue;
    std::string value(TrimAsciiSpace(std::string_view(line).substr(eq + 1)));
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
        value.back() == value.front()) {
      value = value.substr(1, value.size() - 2);
    }
    out[std::string(TrimAsciiSpace(std::string_view(line).substr(0, eq)))] = value;
  }
  return out;
}

// The first processor's fields of /proc/cpuinfo.
std::map<std::string, std::string> ReadCpuInfo(const std::string& root) {
  std::map<std::string, std::string> out;
  std::ifstream in(root + "proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (TrimAsciiSpace(line).empty()) {
      if (!out.empty()) break;
      continue;
    }
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    out.emplace(std::string(TrimAsciiSpace(std::string_view(line).substr(0, colon))),
                std::string(TrimAsciiSpace(std::string_view(line).substr(colon + 1))));
  }
  return out;
}

// Go's GOARCH names, as otelcol reports host.arch.
const char* HostArch() {
#if defined(__x86_64__)
  return "amd64";
#elif defined(__aarch64__)
  return "arm64";
#elif defined(__i386__)
  return "x86";
#elif defined(__arm__)
  return "arm32";
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  return "ppc64le";
#elif defined(__powerpc64__)
  return "ppc64";
#elif defined(__s390x__)
  return "s390x";
#else
  return "unknown";
#endif
}

AnyValue StringArray(const std::vector<std::string>& items) {
  AnyValue v;
  auto* arr = v.mutable_array_value();
  for (const std::string& s : items) arr->add_values()->set_string_value(s);
  return v;
}

struct Interfaces {
  std::vector<std::string> ips, macs, names;
};

// Up, non-loopback interfaces: their non-loopback addresses, MACs (IEEE RA
// form, AA-BB-CC-DD-EE-FF) and names.
Interfaces ReadInterfaces() {
  Interfaces out;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return out;
  std::set<std::string> seen_names;
  for (ifaddrs* a = list; a != nullptr; a = a->ifa_next) {
    if ((a->ifa_flags & IFF_UP) == 0 || (a->ifa_flags & IFF_LOOPBACK) != 0 || a->ifa_addr == nullptr)
      continue;
    if (seen_names.insert(a->ifa_name).second) out.names.emplace_back(a->ifa_name);
    char buf[INET6_ADDRSTRLEN] = {};
    if (a->ifa_addr->sa_family == AF_INET) {
      const auto* in = reinterpret_cast<const sockaddr_in*>(a->ifa_addr);
      if ((ntohl(in->sin_addr.s_addr) >> 24) == 127) continue;
      inet_ntop(AF_INET, &in->sin_addr, buf, sizeof buf);
      out.ips.emplace_back(buf);
    } else if (a->ifa_addr->sa_family == AF_INET6) {
      const auto* in6 = reinterpret_cast<const sockaddr_in6*>(a->ifa_addr);
      if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr)) continue;
      inet_ntop(AF_INET6, &in6->sin6_addr, buf, sizeof buf);
      out.ips.emplace_back(buf);
    } else if (a->ifa_addr->sa_family == AF_PACKET) {
      const auto* ll = reinterpret_cast<const sockaddr_ll*>(a->ifa_addr);
      if (ll->sll_halen == 0) continue;
      std::string mac;
      static constexpr char kHex[] = "0123456789ABCDEF";
      for (int i = 0; i < ll->sll_halen; ++i) {
        if (i > 0) mac += '-';
        mac += kHex[ll->sll_addr[i] >> 4];
        mac += kHex[ll->sll_addr[i] & 15];
      }
      out.macs.push_back(mac);
    }
  }
  freeifaddrs(list);
  return out;
}

}  // namespace

SystemDetector::SystemDetector(SystemConfig config, SystemSources sources)
    : config_(std::move(config)), sources_(std::move(sources)) {
  if (!sources_.hostname) sources_.hostname = OsHostname;
  if (!sources_.root.empty() && sources_.root.back() != '/') sources_.root += '/';
}

Result<std::string> SystemDetector::HostnameFrom(const std::string& source) {
  Result<std::string> host = sources_.hostname();
  if (!host.ok() || source == "os") return host;
  if (source == "dns") return CanonicalName(*host);
  if (source == "cname") {
    Result<std::string> c = CanonicalName(*host);
    if (!c.ok()) return c;
    return TrimDot(*c);
  }
  return ReverseLookup(*host);
}

Result<Detected> SystemDetector::Detect(Clock::time_point) {
  std::string hostname;
  bool found = false;
  for (const std::string& source : config_.hostname_sources) {
    Result<std::string> h = HostnameFrom(source);
    if (h.ok()) {
      hostname = *h;
      found = true;
      break;
    }
    spdlog::debug("resourcedetection system: hostname source {}: {}", source, h.status().message());
  }
  if (!found) return Status::Unavailable("all hostname sources failed to get hostname");

  const AttributeSwitches& on = config_.resource_attributes;
  Detected d;
  d.schema_url = kSystemSchemaUrl;
  if (on.enabled("host.name")) d.Put("host.name", hostname);
  if (on.enabled("os.type")) d.Put("os.type", "linux");
  if (on.enabled("host.arch")) d.Put("host.arch", HostArch());
  if (on.enabled("host.id")) {
    std::string id = ReadFirstLine(sources_.root + "etc/machine-id");
    if (id.empty()) id = ReadFirstLine(sources_.root + "var/lib/dbus/machine-id");
    if (id.empty()) {
      spdlog::warn("resourcedetection system: failed to get host ID: no machine-id");
    } else {
      d.Put("host.id", id);
    }
  }
  if (on.enabled("host.ip") || on.enabled("host.mac") || on.enabled("host.interface")) {
    Interfaces ifs = ReadInterfaces();
    if (on.enabled("host.ip")) d.attributes.emplace_back("host.ip", StringArray(ifs.ips));
    if (on.enabled("host.mac")) d.attributes.emplace_back("host.mac", StringArray(ifs.macs));
    if (on.enabled("host.interface")) d.attributes.emplace_back("host.interface", StringArray(ifs.names));
  }
  const bool want_os = on.enabled("os.description") || on.enabled("os.name") || on.enabled("os.version") ||
                       on.enabled("os.build.id");
  if (want_os) {
    std::map<std::string, std::string> rel = ReadOsRelease(sources_.root);
    auto get = [&](const char* k) {
      auto it = rel.find(k);
      return it == rel.end() ? std::string() : it->second;
    };
    if (on.enabled("os.description")) {
      utsname u{};
      uname(&u);
      std::string un =
          std::string(u.sysname) + " " + u.nodename + " " + u.release + " " + u.version + " " + u.machine;
      std::string pretty = get("PRETTY_NAME");
      d.Put("os.description", pretty.empty() ? un : pretty + " (" + un + ")");
    }
    if (on.enabled("os.name") && !get("NAME").empty()) d.Put("os.name", get("NAME"));
    if (on.enabled("os.version") && !get("VERSION_ID").empty()) d.Put("os.version", get("VERSION_ID"));
    if (on.enabled("os.build.id") && !get("BUILD_ID").empty()) d.Put("os.build.id", get("BUILD_ID"));
  }
  static constexpr const char* kCpu[] = {"host.cpu.vendor.id", "host.cpu.family",
                                         "host.cpu.model.id",  "host.cpu.model.name",
                                         "host.cpu.stepping",  "host.cpu.cache.l2.size"};
  bool want_cpu = false;
  for (const char* a : kCpu) want_cpu = want_cpu || on.enabled(a);
  if (want_cpu) {
    std::map<std::string, std::string> cpu = ReadCpuInfo(sources_.root);
    auto put = [&](const char* attr, const char* field) {
      auto it = cpu.find(field);
      if (on.enabled(attr) && it != cpu.end()) d.Put(attr, it->second);
    };
    put("host.cpu.vendor.id", "vendor_id");
    put("host.cpu.family", "cpu family");
    put("host.cpu.model.id", "model");
    put("host.cpu.model.name", "model name");
    auto it = cpu.find("stepping");
    if (on.enabled("host.cpu.stepping") && it != cpu.end()) {
      AnyValue v;
      v.set_int_value(std::strtoll(it->second.c_str(), nullptr, 10));
      d.attributes.emplace_back("host.cpu.stepping", v);
    }
    it = cpu.find("cache size");  // "512 KB"
    if (on.enabled("host.cpu.cache.l2.size") && it != cpu.end()) {
      AnyValue v;
      v.set_int_value(std::strtoll(it->second.c_str(), nullptr, 10) * 1024);
      d.attributes.emplace_back("host.cpu.cache.l2.size", v);
    }
  }
  return d;
}

}  // namespace otlpd::processors::resourcedetection
