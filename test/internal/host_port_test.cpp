#include "internal/host_port.h"

#include <catch2/catch.hpp>

using otlpd::ClientIp;
using otlpd::ParsePort;
using otlpd::SplitHostPort;

namespace {

// host + "|" + port, or "error: <why>".
std::string Split(std::string_view a) {
  std::string host, port, why;
  if (!SplitHostPort(a, &host, &port, &why)) return "error: " + why;
  return host + "|" + port;
}

}  // namespace

TEST_CASE("SplitHostPort reads addresses as Go's net.SplitHostPort") {
  CHECK(Split("localhost:4317") == "localhost|4317");
  CHECK(Split("0.0.0.0:4318") == "0.0.0.0|4318");
  CHECK(Split(":4317") == "|4317");
  CHECK(Split("[::1]:4317") == "::1|4317");
  CHECK(Split("[::]:0") == "::|0");
  CHECK(Split("collector:http") == "collector|http");  // service names pass; ParsePort decides
  CHECK(Split("host:") == "host|");
  CHECK(Split("collector") == "error: missing port in address");
  CHECK(Split("::1:4317") == "error: too many colons in address");
  CHECK(Split("[::1]") == "error: missing port in address");
  CHECK(Split("[::1]x:1") == "error: missing port in address");
  CHECK(Split("[::1]:1:2") == "error: too many colons in address");
  CHECK(Split("[::1:4317") == "error: missing ']' in address");
  CHECK(Split("a]b:1") == "error: unexpected ']' in address");
  CHECK(Split("a[b:1") == "error: unexpected '[' in address");
}

TEST_CASE("ParsePort takes 0 to 65535 in decimal digits") {
  int v = -1;
  std::string why;
  CHECK(ParsePort("4317", &v, &why));
  CHECK(v == 4317);
  CHECK(ParsePort("0", &v, &why));
  CHECK(v == 0);
  CHECK(ParsePort("65535", &v, &why));
  for (const char* bad : {"", "65536", "http", "-1", "12a", "123456", " 1"}) {
    CAPTURE(bad);
    CHECK_FALSE(ParsePort(bad, &v, &why));
    CHECK(why == "invalid port \"" + std::string(bad) + "\"");
  }
}

TEST_CASE("ClientIp reads gRPC peers and addresses as Go prints IPs") {
  CHECK(ClientIp("ipv4:10.1.2.3:5000") == "10.1.2.3");
  CHECK(ClientIp("ipv6:[::1]:5000") == "::1");
  CHECK(ClientIp("ipv6:%5Bfd00::7%5D:80") == "fd00::7");
  CHECK(ClientIp("ipv6:[::ffff:10.0.0.9]:1") == "10.0.0.9");
  CHECK(ClientIp("192.168.0.1") == "192.168.0.1");
  CHECK(ClientIp("[2001:db8::1]:443") == "2001:db8::1");
  CHECK(ClientIp("unix:/tmp/otlp.sock").empty());
  CHECK(ClientIp("garbage").empty());
  CHECK(ClientIp("").empty());
}
