// A tiny authoritative DNS server for tests (RFC 1035 over UDP on
// 127.0.0.1, port 0): answers A queries for the names it is given, with no
// records for other types of a known name and NXDOMAIN for unknown names.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace otlpd::test {

class DnsServer {
 public:
  DnsServer();
  ~DnsServer();

  int port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  // Replaces the A records of `name` (lower-case, no trailing dot).
  void SetA(const std::string& name, std::vector<std::string> ipv4);
  int queries() const;

 private:
  void Loop();
  std::string Answer(const std::string& query);

  int fd_ = -1;
  int port_ = 0;
  mutable std::mutex mu_;
  std::map<std::string, std::vector<std::string>> records_;
  int queries_ = 0;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace otlpd::test
