#include "test/exporters/loadbalancing/dns_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>

namespace otlpd::test {

DnsServer::DnsServer() {
  fd_ = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { Loop(); });
}

DnsServer::~DnsServer() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  thread_.join();
  ::close(fd_);
}

void DnsServer::SetA(const std::string& name, std::vector<std::string> ipv4) {
  std::lock_guard<std::mutex> lock(mu_);
  records_[name] = std::move(ipv4);
}

int DnsServer::queries() const {
  std::lock_guard<std::mutex> lock(mu_);
  return queries_;
}

void DnsServer::Loop() {
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_) return;
    }
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 20) <= 0) continue;  // wakes to notice stop_
    char buf[1500];
    sockaddr_in from{};
    socklen_t len = sizeof from;
    const ssize_t n = ::recvfrom(fd_, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
    if (n < 12) continue;
    const std::string reply = Answer(std::string(buf, static_cast<std::size_t>(n)));
    if (!reply.empty()) {
      ::sendto(fd_, reply.data(), reply.size(), 0, reinterpret_cast<sockaddr*>(&from), len);
    }
  }
}

std::string DnsServer::Answer(const std::string& q) {
  // Header (12 bytes), then one question: labels, type, class.
  std::size_t pos = 12;
  std::string name;
  while (pos < q.size() && q[pos] != 0) {
    const auto l = static_cast<unsigned char>(q[pos]);
    if (l > 63 || pos + 1 + l > q.size()) return "";
    if (!name.empty()) name += '.';
    for (std::size_t i = 0; i < l; ++i)
      name += static_cast<char>(std::tolower(static_cast<unsigned char>(q[pos + 1 + i])));
    pos += 1 + l;
  }
  if (pos + 5 > q.size()) return "";
  const std::size_t question_end = pos + 5;
  const int qtype = (static_cast<unsigned char>(q[pos + 1]) << 8) | static_cast<unsigned char>(q[pos + 2]);
  std::vector<std::string> ips;
  bool known = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++queries_;
    auto it = records_.find(name);
    if (it != records_.end()) {
      known = true;
      if (qtype == 1) ips = it->second;
    }
  }
  std::string r;
  r += q[0];
  r += q[1];
  r += static_cast<char>(0x84 | (q[2] & 0x01));  // QR, AA, RD as asked
  r += static_cast<char>(known ? 0x80 : 0x83);   // RA; NXDOMAIN when unknown
  r += '\0';
  r += '\1';  // QDCOUNT 1
  r += static_cast<char>(ips.size() >> 8);
  r += static_cast<char>(ips.size() & 0xff);
  r.append(4, '\0');  // NSCOUNT, ARCOUNT
  r.append(q, 12, question_end - 12);
  for (const std::string& ip : ips) {
    in_addr a{};
    ::inet_pton(AF_INET, ip.c_str(), &a);
    const char rr[] = {'\xc0', '\x0c', 0, 1, 0, 1, 0, 0, 0, 1, 0, 4};  // name ptr, A, IN, TTL 1s, RDLENGTH 4
    r.append(rr, sizeof rr);
    r.append(reinterpret_cast<const char*>(&a), 4);
  }
  return r;
}

}  // namespace otlpd::test
