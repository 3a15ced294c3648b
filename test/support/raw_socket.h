#pragma once

// Plain TCP clients of a test server on 127.0.0.1: a connection, and a client
// that writes its bytes and goes (for replaying damaged conversations, each on
// a connection of its own).

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace otlpd::test {

// A blocking TCP connection to 127.0.0.1:port (close-on-exec); -1 if refused.
inline int ConnectLoopback(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Connects to 127.0.0.1:port, writes `bytes` (as far as the server reads
// them), ends its side and reads until the server closes or `wait_ms` pass
// without a byte. Returns what the server answered; false if it could not
// connect.
inline bool SendAndClose(int port, std::string_view bytes, std::string* answer = nullptr,
                         int wait_ms = 5000) {
  const int fd = ConnectLoopback(port);
  if (fd < 0) return false;
  for (std::size_t sent = 0; sent < bytes.size();) {
    const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server closed first: that is its answer
    sent += static_cast<std::size_t>(n);
  }
  ::shutdown(fd, SHUT_WR);
  char buf[4096];
  for (pollfd p{fd, POLLIN, 0}; ::poll(&p, 1, wait_ms) > 0;) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    if (answer != nullptr) answer->append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return true;
}

}  // namespace otlpd::test
