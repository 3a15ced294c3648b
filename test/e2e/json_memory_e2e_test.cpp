// OTLP/JSON decoding memory against the real binary: a body of numbers must
// not multiply in parse structures. Peak RSS from /proc (VmHWM).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <string>

#include "test/support/process.h"
#include "test/support/raw_socket.h"

using namespace otlpd::test;

namespace {

const std::string kOtlpd = OTLPD_BINARY;
constexpr std::size_t kMiB = 1 << 20;

std::size_t StatusKiB(int pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::stoull(line.substr(field.size() + 1));
  }
  return 0;
}

// One blocking HTTP/1.1 POST; the status code, or 0 when the exchange failed.
int Post(int port, const std::string& target, const std::string& content_type, const std::string& body) {
  const int fd = ConnectLoopback(port);
  if (fd < 0) return 0;
  const std::string head =
      "POST " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: " + content_type +
      "\r\nContent-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n";
  const std::string all = head + body;
  for (std::size_t sent = 0; sent < all.size();) {
    const auto n = ::send(fd, all.data() + sent, all.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<std::size_t>(n);
  }
  std::string response;
  char buf[4096];
  for (;;) {
    const auto n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    response.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  if (response.rfind("HTTP/1.1 ", 0) != 0 || response.size() < 12) return 0;
  return std::stoi(response.substr(9, 3));
}

}  // namespace

TEST_CASE("an 18 MiB OTLP/JSON body of numbers decodes with peak memory under 3x its size") {
  TempDir dir;
  WriteFile(dir / "c.yaml",
            "receivers:\n  otlp:\n    protocols:\n      http:\n        endpoint: 127.0.0.1:0\nexporters:\n  "
            "debug:\n    verbosity: basic\n"
            "service:\n  pipelines:\n    metrics:\n      receivers: [otlp]\n"
            "      exporters: [debug]\n");
  Process otlpd({kOtlpd, "--config", (dir / "c.yaml").string()}, dir / "otlpd.log");
  const int port = LoggedPort(otlpd, "OTLP/HTTP listening on");
  INFO(otlpd.Output());
  REQUIRE(port != 0);
  // A valid request whose bulk is an array of small numbers under a key the
  // schema does not know (pdata skips it, and so do we).
  std::string body =
      R"({"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"m","gauge":{"dataPoints":[{"asInt":"1"}]}}]}]}],"x":[)";
  while (body.size() < 18 * kMiB) body += "0,";
  body += "0]}";
  REQUIRE(Post(port, "/v1/metrics", "application/json", "{}") == 200);
  // otlpd unmaps its read-only file pages once started, so its RSS can sit far
  // below the start-up peak (160 MiB below it under ASan): reset the peak to
  // the current RSS (Linux >= 4.0) so that only this body's decoding counts.
  std::ofstream("/proc/" + std::to_string(otlpd.pid()) + "/clear_refs") << "5";
  const std::size_t hwm_before = StatusKiB(otlpd.pid(), "VmHWM") * 1024;
  const std::size_t rss_before = StatusKiB(otlpd.pid(), "VmRSS") * 1024;
  CHECK(Post(port, "/v1/metrics", "application/json", body) == 200);
  const std::size_t hwm_after = StatusKiB(otlpd.pid(), "VmHWM") * 1024;
  const std::size_t growth = hwm_after - std::min(hwm_before, rss_before);
  INFO("body " << body.size() / kMiB << " MiB; RSS before " << rss_before / kMiB << " MiB, peak before "
               << hwm_before / kMiB << " MiB, peak after " << hwm_after / kMiB << " MiB");
  CHECK(growth < 3 * body.size());
  UNSCOPED_INFO("json-18MiB: peak_growth_MiB=" << growth / kMiB);
}
