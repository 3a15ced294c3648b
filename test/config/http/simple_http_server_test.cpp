#include "config/http/simple_http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

using namespace otlpd::http;

namespace {

int Connect(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

// Sends a GET and reads until the answer's body; "" when the server closed.
std::string Get(int fd) {
  const std::string req = "GET /x HTTP/1.1\r\nHost: x\r\n\r\n";
  if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) return "";
  std::string got;
  char buf[512];
  while (got.find("\r\n\r\nok") == std::string::npos) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return "";
    got.append(buf, static_cast<std::size_t>(n));
  }
  return got;
}

}  // namespace

TEST_CASE("SimpleHttpServer keeps at most 64 connections, closing the oldest for a new one") {
  SimpleHttpServer server("127.0.0.1", 0, [](const Request&) { return Response{200, "text/plain", "ok"}; });
  REQUIRE(server.Start().ok());
  std::vector<int> fds;
  for (int i = 0; i < 70; ++i) {
    fds.push_back(Connect(server.port()));
    // Served once: accepted in order before the next one connects.
    REQUIRE_THAT(Get(fds.back()), Catch::Matchers::Contains("200 OK"));
  }
  // The six oldest were closed for the newest ones; the others still work.
  for (int i = 0; i < 6; ++i) CHECK(Get(fds[static_cast<std::size_t>(i)]).empty());
  for (int i = 6; i < 70; ++i)
    CHECK_THAT(Get(fds[static_cast<std::size_t>(i)]), Catch::Matchers::Contains("ok"));
  for (int fd : fds) ::close(fd);
  server.Stop();
}
