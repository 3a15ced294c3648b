#include "exporters/otlphttp/proxy_env.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "internal/text.h"

namespace otlpd::exporters::otlphttp {
namespace {

// An address as 16 bytes (IPv4 mapped into IPv6), for prefix comparisons.
std::optional<std::array<unsigned char, 16>> ParseIp(const std::string& text, bool* v4 = nullptr) {
  std::array<unsigned char, 16> a{};
  in_addr v4addr{};
  if (inet_pton(AF_INET, text.c_str(), &v4addr) == 1) {
    a[10] = a[11] = 0xff;
    std::memcpy(a.data() + 12, &v4addr, 4);
    if (v4 != nullptr) *v4 = true;
    return a;
  }
  if (inet_pton(AF_INET6, text.c_str(), a.data()) == 1) {
    if (v4 != nullptr) *v4 = false;
    return a;
  }
  return std::nullopt;
}

bool IsLoopback(const std::array<unsigned char, 16>& a) {
  static constexpr std::array<unsigned char, 16> kV6Loopback{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  const bool mapped_v4 = std::all_of(a.begin(), a.begin() + 10, [](unsigned char b) { return b == 0; }) &&
                         a[10] == 0xff && a[11] == 0xff;
  return a == kV6Loopback || (mapped_v4 && a[12] == 127);
}

bool PrefixMatches(const std::array<unsigned char, 16>& net, const std::array<unsigned char, 16>& ip,
                   int bits) {
  for (int i = 0; i < 16 && bits > 0; ++i, bits -= 8) {
    const unsigned mask = bits >= 8 ? 0xffu : (0xffu << (8 - bits)) & 0xffu;
    if ((net[static_cast<std::size_t>(i)] & mask) != (ip[static_cast<std::size_t>(i)] & mask)) return false;
  }
  return true;
}

// One NO_PROXY entry against host (lower case) and port.
bool EntryMatches(std::string entry, const std::string& host, std::string_view port) {
  if (entry == "*") return true;
  // CIDR block.
  if (const auto slash = entry.find('/'); slash != std::string::npos) {
    bool v4 = false;
    auto net = ParseIp(entry.substr(0, slash), &v4);
    auto ip = ParseIp(host);
    if (!net || !ip) return false;
    int bits = 0;
    try {
      bits = std::stoi(entry.substr(slash + 1));
    } catch (...) {
      return false;
    }
    if (bits < 0 || bits > (v4 ? 32 : 128)) return false;
    return PrefixMatches(*net, *ip, v4 ? bits + 96 : bits);
  }
  // Split off a port: "host:port", "[v6]:port", or a bare IPv6 address.
  std::string entry_port;
  if (!entry.empty() && entry.front() == '[') {
    const auto close = entry.find(']');
    if (close == std::string::npos) return false;
    if (close + 1 < entry.size() && entry[close + 1] == ':') entry_port = entry.substr(close + 2);
    entry = entry.substr(1, close - 1);
  } else if (std::count(entry.begin(), entry.end(), ':') == 1) {
    const auto colon = entry.find(':');
    entry_port = entry.substr(colon + 1);
    entry = entry.substr(0, colon);
  }
  if (!entry_port.empty() && entry_port != port) return false;
  if (auto e = ParseIp(entry)) {
    auto ip = ParseIp(host);
    return ip && *ip == *e;
  }
  if (entry.rfind("*.", 0) == 0) entry.erase(0, 1);  // "*.example.com" is ".example.com"
  if (entry.empty()) return false;
  if (entry.front() == '.') {
    // Subdomains only.
    return host.size() > entry.size() && host.compare(host.size() - entry.size(), entry.size(), entry) == 0;
  }
  if (host == entry) return true;
  return host.size() > entry.size() && host.compare(host.size() - entry.size(), entry.size(), entry) == 0 &&
         host[host.size() - entry.size() - 1] == '.';
}

const char* First(const Getenv& getenv, const char* upper, const char* lower, std::string* name) {
  for (const char* n : {upper, lower}) {
    const char* v = getenv(n);
    if (v != nullptr && *v != '\0') {
      *name = n;
      return v;
    }
  }
  return nullptr;
}

}  // namespace

bool NoProxyMatches(std::string_view no_proxy, std::string_view host, std::string_view port) {
  const std::string h = AsciiLower(host);
  std::string entry;
  auto flush = [&]() {
    const bool m = !entry.empty() && EntryMatches(AsciiLower(entry), h, port);
    entry.clear();
    return m;
  };
  for (char c : no_proxy) {
    if (c == ',' || c == ' ' || c == '\t') {
      if (flush()) return true;
    } else {
      entry += c;
    }
  }
  return flush();
}

EnvProxy ProxyFromEnvironment(const Url& target, const Getenv& getenv) {
  EnvProxy out;
  const std::string host = AsciiLower(target.host);
  if (host == "localhost") return out;
  if (auto ip = ParseIp(host); ip && IsLoopback(*ip)) return out;
  std::string name;
  const char* value = target.https ? First(getenv, "HTTPS_PROXY", "https_proxy", &name)
                                   : First(getenv, "HTTP_PROXY", "http_proxy", &name);
  if (value == nullptr) return out;
  std::string ignored;
  if (const char* no_proxy = First(getenv, "NO_PROXY", "no_proxy", &ignored);
      no_proxy != nullptr && NoProxyMatches(no_proxy, host, target.port)) {
    return out;
  }
  out.variable = name;
  std::string text = value;
  if (text.find("://") == std::string::npos) text = "http://" + text;
  std::string why;
  out.proxy = Url::Parse(text, &why);
  if (!out.proxy) {
    out.error = name + " is not a usable proxy URL: " + why;
  } else if (out.proxy->https) {
    out.error = name + " names an https:// proxy, which otlpd does not support yet (use an http:// proxy)";
    out.proxy.reset();
  }
  return out;
}

}  // namespace otlpd::exporters::otlphttp
