// OTLP/HTTP receive throughput: a real HttpServer on one core (its io
// threads inherit the CPU the main thread is pinned to while it starts),
// keep-alive clients on raw sockets on the other core, a consumer that only
// counts. Reports requests/s, body MB/s and items/s for protobuf, JSON and
// gzip-compressed protobuf, and the same for the request path alone
// (ExportBody: JSON decode, wire validation, consume) without sockets.
//
//   bench_otlp_http_receiver [seconds per case, default 5] [client connections, default 4]

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "config/loader.h"
#include "otlp/json/otlp_json.h"
#include "receivers/otlp/http_handler.h"
#include "receivers/otlp/otlp_receiver.h"
#include "test/receivers/otlp/requests.h"

using namespace otlpd;

namespace {

class CountingConsumer : public Consumer {
 public:
  Status Consume(const PayloadPtr& p) override {
    items.fetch_add(p->items, std::memory_order_relaxed);
    return Status::Ok();
  }
  std::atomic<std::uint64_t> items{0};
};

void PinTo(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

// 100 spans with the attributes an HTTP server span usually has.
std::string BenchRequest() {
  auto req = test::TraceRequest(100, "GET /api/v1/orders/{id}");
  for (auto& span : *req.mutable_resource_spans(0)->mutable_scope_spans(0)->mutable_spans()) {
    const std::pair<const char*, const char*> attrs[] = {
        {"http.request.method", "GET"},        {"url.path", "/api/v1/orders/12345"},
        {"server.address", "orders.internal"}, {"user_agent.original", "Mozilla/5.0 (X11; Linux x86_64)"},
        {"network.peer.address", "10.1.2.3"},  {"http.route", "/api/v1/orders/{id}"}};
    for (const auto& [k, v] : attrs) {
      auto* kv = span.add_attributes();
      kv->set_key(k);
      kv->mutable_value()->set_string_value(v);
    }
    auto* code = span.add_attributes();
    code->set_key("http.response.status_code");
    code->mutable_value()->set_int_value(200);
    span.set_parent_span_id(std::string(8, '\x42'));
  }
  return req.SerializeAsString();
}

struct Case {
  const char* name;
  std::string content_type;
  std::string encoding;
  std::string wire;       // the body as sent
  std::size_t plain = 0;  // its decoded size
};

void Client(int port, const std::string& request, std::atomic<bool>& stop, std::atomic<std::uint64_t>& done) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) std::abort();
  // As Go's net/http and most clients: no Nagle delay on the tail of a request.
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  std::string in;
  char buf[4096];
  while (!stop.load(std::memory_order_relaxed)) {
    for (std::size_t off = 0; off < request.size();) {
      ssize_t n = ::write(fd, request.data() + off, request.size() - off);
      if (n <= 0) std::abort();
      off += static_cast<std::size_t>(n);
    }
    // Read one response: headers, then Content-Length bytes.
    in.clear();
    std::size_t header_end = std::string::npos, need = 0;
    while (true) {
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n <= 0) std::abort();
      in.append(buf, static_cast<std::size_t>(n));
      if (header_end == std::string::npos && (header_end = in.find("\r\n\r\n")) != std::string::npos) {
        if (in.compare(9, 3, "200") != 0) {
          std::fprintf(stderr, "unexpected answer: %s\n", in.substr(0, header_end).c_str());
          std::abort();
        }
        auto cl = in.find("Content-Length: ");
        need = header_end + 4 + (cl < header_end ? std::strtoul(in.c_str() + cl + 16, nullptr, 10) : 0);
      }
      if (header_end != std::string::npos && in.size() >= need) break;
    }
    done.fetch_add(1, std::memory_order_relaxed);
  }
  ::close(fd);
}

std::vector<std::string> Tasks() {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator("/proc/self/task"))
    out.push_back(e.path().filename());
  return out;
}

// CPU seconds (user + system) the given threads of this process have used.
double CpuSeconds(const std::vector<std::string>& tids) {
  double ticks = 0;
  for (const std::string& tid : tids) {
    std::ifstream in("/proc/self/task/" + tid + "/stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::istringstream fields(stat.substr(stat.rfind(')') + 2));
    std::string f;
    for (int i = 3; i <= 15 && fields >> f; ++i) {
      if (i == 14 || i == 15) ticks += std::atof(f.c_str());
    }
  }
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

void Report(const char* what, const Case& c, double seconds, std::uint64_t requests, std::uint64_t items) {
  std::printf("%-22s %-14s %8.0f req/s %7.1f MB/s wire %7.1f MB/s decoded %9.0f items/s\n", what, c.name,
              requests / seconds, requests * c.wire.size() / seconds / 1e6,
              requests * c.plain / seconds / 1e6, items / seconds);
}

}  // namespace

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 5.0;
  const int connections = argc > 2 ? std::atoi(argv[2]) : 4;
  const int cores = static_cast<int>(std::thread::hardware_concurrency());

  const std::string proto = BenchRequest();
  const std::string json = *json::EncodeRequest(Signal::kTraces, proto);
  std::vector<Case> cases = {
      {"protobuf", "application/x-protobuf", "", proto, proto.size()},
      {"json", "application/json", "", json, json.size()},
      {"protobuf+gzip", "application/x-protobuf", "gzip", test::Deflate(proto, 31), proto.size()},
      {"json+gzip", "application/json", "gzip", test::Deflate(json, 31), json.size()},
  };
  std::printf("request: 100 spans, %zu bytes protobuf, %zu bytes JSON; %d connections, %.0f s per case\n",
              proto.size(), json.size(), connections, seconds);

  // The request path alone, on this thread.
  PinTo(0);
  for (const Case& c : cases) {
    if (!c.encoding.empty()) continue;
    CountingConsumer sink;
    SignalCounters counters;
    const auto format = *receivers::otlp::ParseContentType(c.content_type);
    std::uint64_t n = 0;
    const auto start = std::chrono::steady_clock::now();
    double elapsed = 0;
    do {
      for (int i = 0; i < 50; ++i) {
        auto a = receivers::otlp::ExportBody(Signal::kTraces, format, c.wire, nullptr, "", sink, counters);
        if (a.status != 200) std::abort();
      }
      n += 50;
      elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    } while (elapsed < seconds);
    Report("ExportBody (1 core)", c, elapsed, n, sink.items);
  }

  // The whole server on CPU 0, clients elsewhere.
  CountingConsumer sink;
  auto node = config::ParseYaml("protocols:\n  http:\n    endpoint: 127.0.0.1:0\n", "bench");
  config::MapDecoder d(node, "receivers.otlp");
  receivers::otlp::OtlpReceiver receiver("otlp", receivers::otlp::Config::Decode(d), nullptr);
  receiver.SetConsumer(Signal::kTraces, &sink);
  const std::vector<std::string> before = Tasks();
  if (!receiver.Start().ok()) return 1;
  std::vector<std::string> server_threads;
  for (const std::string& t : Tasks()) {
    if (std::find(before.begin(), before.end(), t) == before.end()) server_threads.push_back(t);
  }
  if (cores > 1) PinTo(1);
  for (const Case& c : cases) {
    std::string request =
        "POST /v1/traces HTTP/1.1\r\nHost: bench\r\nContent-Type: " + c.content_type + "\r\n";
    if (!c.encoding.empty()) request += "Content-Encoding: " + c.encoding + "\r\n";
    request += "Content-Length: " + std::to_string(c.wire.size()) + "\r\n\r\n" + c.wire;
    std::atomic<bool> stop{false};
    std::atomic<std::uint64_t> done{0};
    const std::uint64_t items_before = sink.items;
    std::vector<std::thread> clients;
    const auto start = std::chrono::steady_clock::now();
    const double cpu_before = CpuSeconds(server_threads);
    for (int i = 0; i < connections; ++i) {
      clients.emplace_back(Client, receiver.http_port(), std::cref(request), std::ref(stop), std::ref(done));
    }
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    stop = true;
    for (auto& t : clients) t.join();
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double cpu = CpuSeconds(server_threads) - cpu_before;
    Report(cores > 1 ? "HTTP server (1 core)" : "HTTP server+clients", c, elapsed, done,
           sink.items - items_before);
    // The machine may be shared: per CPU-second of the server's own threads
    // is what one core it had to itself would do.
    Report("  per server CPU-s", c, cpu, done, sink.items - items_before);
  }
  receiver.Shutdown(Clock::now() + std::chrono::seconds(5));
  return 0;
}
