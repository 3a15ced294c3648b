#include "internal/host_port.h"

namespace otlpd {

bool SplitHostPort(std::string_view address, std::string* host, std::string* port, std::string* error) {
  auto fail = [&](const char* why) {
    *error = why;
    return false;
  };
  const std::size_t colon = address.rfind(':');
  if (colon == std::string_view::npos) return fail("missing port in address");
  std::string_view h;
  if (!address.empty() && address.front() == '[') {
    const std::size_t close = address.find(']');
    if (close == std::string_view::npos) return fail("missing ']' in address");
    if (close + 1 == address.size()) return fail("missing port in address");
    if (close + 1 != colon) {
      // Either ']' is not followed by ':', or more colons follow.
      return fail(address[close + 1] == ':' ? "too many colons in address" : "missing port in address");
    }
    h = address.substr(1, close - 1);
    if (h.find('[') != std::string_view::npos) return fail("unexpected '[' in address");
  } else {
    h = address.substr(0, colon);
    if (h.find(':') != std::string_view::npos) return fail("too many colons in address");
    if (h.find('[') != std::string_view::npos) return fail("unexpected '[' in address");
    if (h.find(']') != std::string_view::npos) return fail("unexpected ']' in address");
  }
  const std::string_view p = address.substr(colon + 1);
  if (p.find('[') != std::string_view::npos) return fail("unexpected '[' in address");
  if (p.find(']') != std::string_view::npos) return fail("unexpected ']' in address");
  *host = std::string(h);
  *port = std::string(p);
  return true;
}

bool ParsePort(std::string_view port, int* value, std::string* error) {
  int v = 0;
  bool ok = !port.empty() && port.size() <= 5;
  for (char c : port) {
    if (c < '0' || c > '9') ok = false;
    if (ok) v = v * 10 + (c - '0');
  }
  if (!ok || v > 65535) {
    *error = "invalid port \"" + std::string(port) + "\"";
    return false;
  }
  *value = v;
  return true;
}

}  // namespace otlpd
