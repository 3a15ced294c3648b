// Bounded shutdown: a backend that accepts connections and never answers must
// not hold otlpd past --shutdown-timeout, whether or not the exporter has a
// sending queue (without one, its retries run on the pipeline's thread, which
// the drain waits for; before exporters learned the deadline up front, that
// held a 2 s shutdown for 280 s).
#include <arpa/inet.h>
#include <grpcpp/grpcpp.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <thread>
#include <vector>

#include "opentelemetry/proto/collector/trace/v1/trace_service.grpc.pb.h"
#include "test/support/process.h"

using namespace otlpd::test;
namespace tracepb = opentelemetry::proto::collector::trace::v1;

namespace {

const std::string kOtlpd = OTLPD_BINARY;

// Accepts every connection on 127.0.0.1 (port 0) and never reads or writes.
class Blackhole {
 public:
  Blackhole() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(fd_, 64) == 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] {
      while (true) {
        const int c = ::accept(fd_, nullptr, nullptr);
        if (c < 0) return;  // closed by the destructor
        held_.push_back(c);
      }
    });
  }
  ~Blackhole() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
    for (int c : held_) ::close(c);
  }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
  std::vector<int> held_;
  std::thread thread_;
};

}  // namespace

TEST_CASE("a backend that never answers cannot hold otlpd past --shutdown-timeout") {
  const std::string queue = GENERATE(std::string("false"), std::string("true"));
  CAPTURE(queue);
  Blackhole backend;
  TempDir dir;
  WriteFile(dir / "c.yaml",
            std::string("receivers:\n  otlp:\n    protocols:\n      grpc:\n        endpoint: 127.0.0.1:0") +
                "\nexporters:\n  otlp:\n    endpoint: 127.0.0.1:" + std::to_string(backend.port()) +
                "\n    tls: {insecure: true}\n    sending_queue: {enabled: " + queue +
                "}\nservice:\n  telemetry: {metrics: {level: none}}\n"
                "  pipelines:\n    traces: {receivers: [otlp], exporters: [otlp]}\n");
  Process p({kOtlpd, "--config", (dir / "c.yaml").string(), "--shutdown-timeout", "2s"}, dir / "out.log");
  const int port = LoggedPort(p, "OTLP/gRPC listening on");
  INFO(p.Output());
  REQUIRE(port != 0);
  // A few requests, so the exporter is busy retrying when the signal comes.
  auto stub = tracepb::TraceService::NewStub(
      grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials()));
  for (int i = 0; i < 3; ++i) {
    tracepb::ExportTraceServiceRequest req;
    auto* s = req.add_resource_spans()->add_scope_spans()->add_spans();
    s->set_trace_id(std::string(16, '\x01'));
    s->set_span_id(std::string(8, static_cast<char>(i + 1)));
    s->set_name("x");
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
    tracepb::ExportTraceServiceResponse resp;
    (void)stub->Export(&ctx, req, &resp);  // accepted, or refused while the exporter is stuck
  }
  p.Signal(SIGTERM);
  // The 2 s deadline plus what exiting takes; retries would hold it for
  // minutes (max_elapsed_time 300 s).
  const std::optional<int> code = p.Wait(std::chrono::seconds(20));
  INFO(p.Output());
  REQUIRE(code.has_value());
  CHECK(*code == 0);
  CHECK_THAT(p.Output(), Catch::Contains("shutdown complete"));
}
