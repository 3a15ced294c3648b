#include "internal/host_port.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <boost/asio/ip/address.hpp>

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

namespace otlpd {

std::string ClientIp(std::string_view peer) {
  std::string text(peer);
  if (text.rfind("ipv4:", 0) == 0 || text.rfind("ipv6:", 0) == 0) text.erase(0, 5);
  // Newer gRPC percent-encodes the brackets of IPv6 peers.
  for (std::size_t at;
       (at = text.find("%5B")) != std::string::npos || (at = text.find("%5D")) != std::string::npos;)
    text.replace(at, 3, text.compare(at, 3, "%5B") == 0 ? "[" : "]");
  boost::system::error_code ec;
  auto parse = [&](const std::string& s) { return boost::asio::ip::make_address(s, ec); };
  boost::asio::ip::address ip = parse(text);
  if (ec) {
    std::string host, port, error;
    if (!SplitHostPort(text, &host, &port, &error)) return "";
    ip = parse(host);
    if (ec) return "";
  }
  if (ip.is_v6() && ip.to_v6().is_v4_mapped())
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, ip.to_v6()).to_string();
  return ip.to_string();
}

std::string PeerIp(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return "";
  char text[INET6_ADDRSTRLEN] = {};
  if (ss.ss_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&ss)->sin_addr, text, sizeof text);
  } else if (ss.ss_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(&ss)->sin6_addr, text, sizeof text);
  } else {
    return "";
  }
  return ClientIp(text);
}

}  // namespace otlpd
