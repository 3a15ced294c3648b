// The otlp exporter's gRPC clients (otlpd's own on nghttp2, and gRPC C++'s)
// against grpc-go, the server of otelcol and most backends
// (grpcgo_backend/main.go): connections that grpc-go ends every 300 ms with
// GOAWAY while calls keep coming from four threads, gzip both ways (grpc-go
// answers a gzip request in gzip), a message far past grpc-go's flow-control
// windows, partial_success, an error with a non-ASCII message and RetryInfo,
// a permanent error, and a deadline. Every accepted span must reach the
// backend exactly once, and each answer must mean to otlpd what it means to
// grpc-go.
//
// Usage: grpcgo_interop_test BACKEND WORKDIR (run by test/support/run_go_diff.sh,
// which builds BACKEND and skips without Go).
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "config/loader.h"
#include "exporters/otlp/export_client.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "test/support/process.h"

namespace fs = std::filesystem;
using namespace otlpd;
using namespace std::chrono_literals;
namespace pb = opentelemetry::proto;

namespace {

int failures = 0;

#define EXPECT(cond, what)                                                            \
  do {                                                                                \
    if (!(cond)) {                                                                    \
      ++failures;                                                                     \
      std::cerr << "FAILED: " << (what) << " (" #cond ", line " << __LINE__ << ")\n"; \
    }                                                                                 \
  } while (0)

PayloadPtr Traces(int spans, const std::string& first, const std::string& rest, std::size_t pad = 0) {
  pb::collector::trace::v1::ExportTraceServiceRequest req;
  auto* ss = req.add_resource_spans()->add_scope_spans();
  for (int i = 0; i < spans; ++i) {
    auto* s = ss->add_spans();
    s->set_trace_id(std::string(16, static_cast<char>(i % 250 + 1)));
    s->set_span_id(std::string(8, static_cast<char>(i % 250 + 1)));
    s->set_name(i == 0 ? first : rest);
    if (pad > 0) {
      auto* kv = s->add_attributes();
      kv->set_key("pad");
      kv->mutable_value()->set_string_value(std::string(pad, 'p'));
    }
  }
  return MakePayload(Signal::kTraces, req.SerializeAsString(), static_cast<std::uint64_t>(spans));
}

std::string Describe(const Status& s) {
  return "code " + std::to_string(static_cast<int>(s.code())) + ": " + s.message();
}

// Spans the backend took so far: the sum of its "SPANS n" lines.
std::uint64_t Accepted(const fs::path& log) {
  std::ifstream in(log);
  std::string line;
  std::uint64_t total = 0;
  while (std::getline(in, line)) {
    if (line.rfind("SPANS ", 0) == 0) total += std::stoull(line.substr(6));
  }
  return total;
}

int Port(const fs::path& log) {
  for (int i = 0; i < 500; ++i) {
    std::ifstream in(log);
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("PORT ", 0) == 0) return std::stoi(line.substr(5));
    }
    std::this_thread::sleep_for(20ms);
  }
  return 0;
}

void Run(const std::string& label, bool nghttp2, const std::string& compression, int port,
         const fs::path& log) {
  std::cerr << "== " << label << "\n";
  const std::string yaml = "endpoint: 127.0.0.1:" + std::to_string(port) +
                           "\ntls: {insecure: true}\ncompression: " + compression + "\n";
  config::Node node = config::ParseYaml(yaml, "test.yaml");
  config::MapDecoder d(node, "exporters.otlp");
  exporters::otlp::Config config = exporters::otlp::Config::Decode(d);
  config.nghttp2_client = nghttp2;
  std::unique_ptr<exporters::otlp::ExportClient> client = exporters::otlp::MakeExportClient(config);
  EXPECT(client->Connect().ok(), label + ": connect");
  const std::uint64_t before = Accepted(log);
  std::uint64_t want = 0;

  // 4 threads x 100 calls over about 1.5 s: several connection lifetimes.
  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 100; ++i) {
        auto r = client->Export(Traces(10, "op", "op"), Clock::now() + 10s);
        if (!r.status.ok()) {
          ++failed;
          std::cerr << label << ": thread " << t << " call " << i << ": " << Describe(r.status) << "\n";
        }
        std::this_thread::sleep_for(15ms);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT(failed == 0, label + ": every call through the GOAWAYs succeeds");
  want += 4 * 100 * 10;

  // About 12 MB in one message.
  PayloadPtr big = Traces(20000, "op", "op", 600);
  auto r = client->Export(big, Clock::now() + 30s);
  EXPECT(r.status.ok(), label + ": a 12 MB message: " + Describe(r.status));
  want += 20000;

  r = client->Export(Traces(5, "reject", "ok"), Clock::now() + 10s);
  EXPECT(r.status.ok() && r.rejected_items == 1 && r.rejection_message == "rejected some",
         label + ": partial_success " + std::to_string(r.rejected_items) + " " + r.rejection_message);
  want += 4;

  r = client->Export(Traces(3, "unavailable", "x"), Clock::now() + 10s);
  EXPECT(r.status.code() == StatusCode::kUnavailable, label + ": UNAVAILABLE: " + Describe(r.status));
  EXPECT(r.status.message().find("busy: réessayez à 100%") != std::string::npos,
         label + ": the message, percent-decoded: " + r.status.message());
  EXPECT(r.status.retry_after() == 1500ms, label + ": RetryInfo's delay");

  r = client->Export(Traces(3, "invalid", "x"), Clock::now() + 10s);
  EXPECT(r.status.code() == StatusCode::kInvalidArgument &&
             r.status.message().find("bad data") != std::string::npos,
         label + ": INVALID_ARGUMENT: " + Describe(r.status));
  EXPECT(!r.status.retryable(), label + ": INVALID_ARGUMENT is permanent");

  const auto start = Clock::now();
  r = client->Export(Traces(3, "slow", "x"), Clock::now() + 300ms);
  // The exporter helper retries a DEADLINE_EXCEEDED call as an unavailable one.
  EXPECT(r.status.retryable() && r.status.message().find("DEADLINE_EXCEEDED") != std::string::npos,
         label + ": DEADLINE_EXCEEDED: " + Describe(r.status));
  EXPECT(Clock::now() - start < 1900ms, label + ": the call ends at its deadline, not with the answer");
  want += 3;  // the backend takes the slow request after all

  // The slow request lands 2 s after it was sent.
  std::uint64_t got = 0;
  for (int i = 0; i < 300 && (got = Accepted(log) - before) < want; ++i) std::this_thread::sleep_for(20ms);
  EXPECT(got == want,
         label + ": spans at the backend " + std::to_string(got) + ", want " + std::to_string(want));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: grpcgo_interop_test BACKEND WORKDIR\n";
    return 2;
  }
  fs::create_directories(argv[2]);
  const fs::path log = fs::path(argv[2]) / "backend.log";
  test::Process backend({argv[1]}, log);
  const int port = Port(log);
  if (port == 0) {
    std::cerr << "the backend did not start\n";
    return 1;
  }
  Run("nghttp2 client, gzip", true, "gzip", port, log);
  Run("nghttp2 client, none", true, "none", port, log);
  Run("gRPC C++ client, gzip", false, "gzip", port, log);
  Run("gRPC C++ client, none", false, "none", port, log);
  if (failures > 0) {
    std::cerr << failures << " check(s) failed\n";
    return 1;
  }
  std::cerr << "all checks passed\n";
  return 0;
}
