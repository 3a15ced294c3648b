// Throughput of the otlphttp exporter: payloads pushed through the exporter
// helper's queue, the exporter's encoding and compression and its HTTP
// client into otlpd's own OTLP/HTTP receiver in the same process, whose
// consumer only counts. Both ends share the machine's cores, so the numbers
// are for the whole loop (the receiver decodes and decompresses too).
//
//   bench_otlphttp_exporter [--requests N] [--spans S] [--consumers C]
//
// Prints one line per (encoding, compression, request size): requests/s,
// items/s and MB/s of uncompressed OTLP protobuf bytes delivered.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>

#include "config/loader.h"
#include "exporters/otlphttp/otlphttp_exporter.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "receivers/otlp/otlp_receiver.h"

using namespace otlpd;
namespace pb = opentelemetry::proto;

namespace {

class CountingSink : public Consumer {
 public:
  Status Consume(const PayloadPtr& payload) override {
    items_.fetch_add(payload->items, std::memory_order_relaxed);
    bytes_.fetch_add(payload->bytes.size(), std::memory_order_relaxed);
    return Status::Ok();
  }
  std::uint64_t items() const { return items_.load(); }
  std::uint64_t bytes() const { return bytes_.load(); }

 private:
  std::atomic<std::uint64_t> items_{0}, bytes_{0};
};

// Spans shaped like an HTTP server's: a few attributes each, ~250 bytes
// (the same as bench_otlp_exporter's, so the two compare).
PayloadPtr MakeTraces(int spans, int seed) {
  pb::collector::trace::v1::ExportTraceServiceRequest req;
  auto* rs = req.add_resource_spans();
  auto* kv = rs->mutable_resource()->add_attributes();
  kv->set_key("service.name");
  kv->mutable_value()->set_string_value("checkout");
  auto* ss = rs->add_scope_spans();
  ss->mutable_scope()->set_name("io.opentelemetry.http");
  for (int i = 0; i < spans; ++i) {
    auto* s = ss->add_spans();
    std::string id(16, '\0');
    for (int b = 0; b < 16; ++b) id[b] = static_cast<char>((seed * 131 + i * 7 + b) & 0xff);
    s->set_trace_id(id);
    s->set_span_id(id.substr(0, 8));
    s->set_name("GET /api/v1/items/{id}");
    s->set_kind(pb::trace::v1::Span::SPAN_KIND_SERVER);
    s->set_start_time_unix_nano(1700000000000000000ull + static_cast<std::uint64_t>(i) * 1000);
    s->set_end_time_unix_nano(1700000000000000000ull + static_cast<std::uint64_t>(i) * 1000 + 250000);
    for (auto [k, v] : {std::pair{"http.request.method", "GET"}, std::pair{"url.path", "/api/v1/items/42"},
                        std::pair{"http.response.status_code", "200"}, std::pair{"server.address", "shop"}}) {
      auto* a = s->add_attributes();
      a->set_key(k);
      a->mutable_value()->set_string_value(v);
    }
  }
  return MakePayload(Signal::kTraces, req.SerializeAsString(), static_cast<std::uint64_t>(spans));
}

struct RunResult {
  double seconds = 0;
  std::uint64_t items = 0, bytes = 0;
  std::uint64_t connections = 0;
};

RunResult Run(const std::string& url, const std::string& encoding, const std::string& compression, int level,
              int requests, int spans, int consumers, CountingSink& sink) {
  auto node = config::ParseYaml(
      "endpoint: " + url + "\nencoding: " + encoding + "\ncompression: " + compression +
          "\ncompression_params: {level: " + std::to_string(level) +
          "}\nsending_queue: {num_consumers: " + std::to_string(consumers) + ", queue_size: 1000}\n",
      "bench");
  config::MapDecoder d(node, "exporters.otlphttp");
  ComponentTelemetry telemetry;
  exporters::otlphttp::OtlpHttpExporter exporter("otlphttp", exporters::otlphttp::Config::Decode(d),
                                                 &telemetry);
  if (!exporter.Start().ok()) std::exit(1);

  // A few distinct payloads, reused: building them is not what is measured.
  std::vector<PayloadPtr> payloads;
  for (int i = 0; i < 16; ++i) payloads.push_back(MakeTraces(spans, i));

  const std::uint64_t items_before = sink.items(), bytes_before = sink.bytes();
  const std::uint64_t want = static_cast<std::uint64_t>(requests) * static_cast<std::uint64_t>(spans);
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < requests; ++i) {
    // A full queue refuses: back off briefly and offer again, as the pipeline does.
    while (!exporter.Consume(payloads[static_cast<std::size_t>(i) % payloads.size()]).ok()) {
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
  }
  while (sink.items() - items_before < want) {
    if (telemetry[Signal::kTraces].send_failed > 0) {
      std::fprintf(stderr, "error: send failures\n");
      std::exit(1);
    }
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
  RunResult r;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  r.items = sink.items() - items_before;
  r.bytes = sink.bytes() - bytes_before;
  r.connections = exporter.connections_opened();
  exporter.Shutdown(Clock::now() + std::chrono::seconds(10));
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  int requests = 20000, spans = 0, consumers = 10;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--requests") requests = std::atoi(argv[i + 1]);
    if (a == "--spans") spans = std::atoi(argv[i + 1]);
    if (a == "--consumers") consumers = std::atoi(argv[i + 1]);
  }
  spdlog::set_level(spdlog::level::warn);

  CountingSink sink;
  auto node = config::ParseYaml(
      "protocols:\n  http:\n    endpoint: 127.0.0.1:0\n    max_request_body_size: 67108864\n", "bench");
  config::MapDecoder d(node, "receivers.otlp");
  receivers::otlp::OtlpReceiver receiver("otlp", receivers::otlp::Config::Decode(d), nullptr);
  receiver.SetConsumer(Signal::kTraces, &sink);
  if (!receiver.Start().ok()) return 1;
  const std::string url = "http://127.0.0.1:" + std::to_string(receiver.http_port());

  std::printf("%-8s %-12s %8s %10s %12s %14s %10s %6s\n", "encoding", "compression", "spans/rq", "requests",
              "requests/s", "items/s", "MB/s", "conns");
  std::vector<int> sizes = spans > 0 ? std::vector<int>{spans} : std::vector<int>{10, 100, 1000};
  struct Case {
    const char* encoding;
    const char* compression;
    int level;
    const char* label;
  };
  // gzip at otelcol's default level (Go's 6) and at 1, to show what the
  // level costs; zstd at otelcol's default (level 1).
  const std::vector<Case> cases = {{"proto", "none", 0, "none"},   {"proto", "gzip", 0, "gzip"},
                                   {"proto", "gzip", 1, "gzip/1"}, {"proto", "zstd", 0, "zstd"},
                                   {"json", "none", 0, "none"},    {"json", "gzip", 0, "gzip"},
                                   {"json", "zstd", 0, "zstd"}};
  for (const Case& c : cases) {
    for (int s : sizes) {
      // Keep every run at a similar number of spans.
      int n = spans > 0 ? requests : std::max(200, requests * 10 / s);
      RunResult r = Run(url, c.encoding, c.compression, c.level, n, s, consumers, sink);
      std::printf("%-8s %-12s %8d %10d %12.0f %14.0f %10.1f %6llu\n", c.encoding, c.label, s, n,
                  n / r.seconds, static_cast<double>(r.items) / r.seconds,
                  static_cast<double>(r.bytes) / r.seconds / 1e6,
                  static_cast<unsigned long long>(r.connections));
      std::fflush(stdout);
    }
  }
  receiver.Shutdown(Clock::now() + std::chrono::seconds(5));
  return 0;
}
