// bench_loadgen: replays pre-built OTLP export requests to a collector over
// gRPC or HTTP/protobuf, at a fixed offered rate or as fast as a window of
// concurrent calls allows, and prints a JSON summary of what was acknowledged,
// refused (retryable: the collector pushed back) or failed.
//
//   bench_loadgen --protocol grpc --endpoint 127.0.0.1:4317 --signal traces
//       --rate 10000 --items-per-request 100 --duration 30 --connections 2 --window 8
//
// Every item carries a unique id and its send time (see bench_common.h), so
// bench_sink behind the collector can find losses, duplicates and latency.
// Nothing is retried: a refused request is counted, not resent, so "acked"
// is exactly what the collector took responsibility for.
#include <malloc.h>
#include <zlib.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <semaphore>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include "test/bench/bench_common.h"
#include "test/bench/request_builder.h"

namespace otlpd::bench {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;

constexpr std::string_view kUsage = R"(usage: bench_loadgen [flags]
  --protocol grpc|http       transport (default grpc; http = OTLP/HTTP protobuf)
  --endpoint HOST:PORT       collector address (default 127.0.0.1:4317)
  --signal traces|metrics|logs
  --rate N                   offered items/s; 0 = as fast as the window allows (default 0)
  --items-per-request N      spans / log records / data points per request (default 100;
                             metrics: a multiple of 7, each metric has 7 points)
  --duration S               seconds of sending (default 10)
  --connections N            gRPC channels or HTTP connections (default 1)
  --window N                 concurrent calls in flight in total (gRPC; default 8;
                             HTTP/1.1 has one per connection)
  --compression none|gzip    request compression (default none)
  --first-id N               id of the first item (default 1)
  --spans-per-trace N        consecutive span ids per trace id (default 10; logs too)
  --trace-seed N             new trace ids for the same item ids (default 0)
  --error-every N            traces: every Nth span of a request has status ERROR (default 0: none)
  --timeout S                per-call deadline (default 10)
)";

struct Options {
  std::string protocol = "grpc";
  std::string endpoint = "127.0.0.1:4317";
  Signal signal = Signal::kTraces;
  double rate = 0;
  std::uint32_t items_per_request = 100;
  double duration_s = 10;
  int connections = 1;
  int window = 8;
  bool gzip = false;
  std::uint64_t first_id = 1;
  TraceShape shape;
  double timeout_s = 10;
};

bool ParseOptions(int argc, char** argv, Options& o) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") return false;
    if (i + 1 >= argc) {
      std::cerr << "bench_loadgen: " << arg << " needs a value\n";
      return false;
    }
    std::string v = argv[++i];
    if (arg == "--protocol" && (v == "grpc" || v == "http")) {
      o.protocol = v;
    } else if (arg == "--endpoint") {
      o.endpoint = v;
    } else if (arg == "--signal" && ParseSignal(v) && *ParseSignal(v) != Signal::kProfiles) {
      o.signal = *ParseSignal(v);
    } else if (arg == "--rate") {
      o.rate = std::stod(v);
    } else if (arg == "--items-per-request") {
      o.items_per_request = static_cast<std::uint32_t>(std::stoul(v));
    } else if (arg == "--duration") {
      o.duration_s = std::stod(v);
    } else if (arg == "--connections") {
      o.connections = std::max(1, std::stoi(v));
    } else if (arg == "--window") {
      o.window = std::max(1, std::stoi(v));
    } else if (arg == "--compression" && (v == "none" || v == "gzip")) {
      o.gzip = v == "gzip";
    } else if (arg == "--first-id") {
      o.first_id = std::stoull(v);
    } else if (arg == "--spans-per-trace" && std::stoul(v) > 0) {
      o.shape.spans_per_trace = static_cast<std::uint32_t>(std::stoul(v));
    } else if (arg == "--trace-seed" && std::stoull(v) < (1u << 24)) {
      o.shape.seed = std::stoull(v);
    } else if (arg == "--error-every") {
      o.shape.error_every = static_cast<std::uint32_t>(std::stoul(v));
    } else if (arg == "--timeout") {
      o.timeout_s = std::stod(v);
    } else {
      std::cerr << "bench_loadgen: bad argument " << arg << " " << v << "\n";
      return false;
    }
  }
  if (o.protocol == "http") o.window = o.connections;
  return o.items_per_request > 0 && o.duration_s > 0;
}

enum class Outcome { kAcked, kRefused, kFailed };

// Shared by the sending thread and the transports' completion threads.
class Tally {
 public:
  void Done(std::uint32_t items, SteadyClock::time_point sent, Outcome outcome, const std::string& detail) {
    auto rtt = std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now() - sent).count();
    std::lock_guard lock(mu_);
    switch (outcome) {
      case Outcome::kAcked:
        ++acked_requests_;
        acked_items_ += items;
        rtt_.Record(static_cast<std::uint64_t>(rtt));
        break;
      case Outcome::kRefused:
        ++refused_requests_;
        refused_items_ += items;
        break;
      case Outcome::kFailed:
        ++failed_requests_;
        failed_items_ += items;
        break;
    }
    if (outcome == Outcome::kAcked) return;
    // A few distinct messages are enough to tell what went wrong.
    std::string key = detail.substr(0, 200);
    if (auto it = errors_.find(key); it != errors_.end()) {
      ++it->second;
    } else if (errors_.size() < 20) {
      errors_[key] = 1;
    }
  }

  std::string Json(const Options& o, std::uint64_t requests, std::uint64_t items, std::uint64_t last_id,
                   double send_s, double total_s, std::size_t request_bytes) {
    std::lock_guard lock(mu_);
    std::string errors = "{";
    for (const auto& [k, v] : errors_) {
      if (errors.size() > 1) errors += ",";
      errors += "\"" + JsonEscape(k) + "\":" + std::to_string(v);
    }
    errors += "}";
    char buf[1024];
    std::snprintf(
        buf, sizeof buf,
        R"({"protocol":"%s","signal":"%s","compression":"%s","offered_per_s":%.1f,)"
        R"("items_per_request":%u,"request_bytes":%zu,"connections":%d,"window":%d,)"
        R"("send_s":%.3f,"total_s":%.3f,"requests":%llu,"items":%llu,"first_id":%llu,"last_id":%llu,)"
        R"("acked_requests":%llu,"acked_items":%llu,"refused_requests":%llu,"refused_items":%llu,)"
        R"("failed_requests":%llu,"failed_items":%llu,"acked_per_s":%.1f,"rtt":)",
        o.protocol.c_str(), std::string(SignalName(o.signal)).c_str(), o.gzip ? "gzip" : "none", o.rate,
        o.items_per_request, request_bytes, o.connections, o.window, send_s, total_s,
        static_cast<unsigned long long>(requests), static_cast<unsigned long long>(items),
        static_cast<unsigned long long>(o.first_id), static_cast<unsigned long long>(last_id),
        static_cast<unsigned long long>(acked_requests_), static_cast<unsigned long long>(acked_items_),
        static_cast<unsigned long long>(refused_requests_), static_cast<unsigned long long>(refused_items_),
        static_cast<unsigned long long>(failed_requests_), static_cast<unsigned long long>(failed_items_),
        send_s > 0 ? static_cast<double>(acked_items_) / send_s : 0.0);
    return buf + rtt_.Json() + ",\"errors\":" + errors + "}";
  }

 private:
  std::mutex mu_;
  std::uint64_t acked_requests_ = 0, acked_items_ = 0;
  std::uint64_t refused_requests_ = 0, refused_items_ = 0;
  std::uint64_t failed_requests_ = 0, failed_items_ = 0;
  std::map<std::string, std::uint64_t> errors_;
  LatencyHistogram rtt_;
};

using DoneFn = std::function<void(Outcome, const std::string&)>;

class Transport {
 public:
  virtual ~Transport() = default;
  // False (with a reason) when the collector cannot be reached before `deadline`.
  virtual bool Connect(SteadyClock::time_point deadline, std::string& error) = 0;
  // Starts one export; `done` runs exactly once, on any thread.
  virtual void Send(std::string body, DoneFn done) = 0;
};

std::string_view GrpcMethod(Signal s) {
  switch (s) {
    case Signal::kTraces: return "/opentelemetry.proto.collector.trace.v1.TraceService/Export";
    case Signal::kMetrics: return "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export";
    case Signal::kLogs: return "/opentelemetry.proto.collector.logs.v1.LogsService/Export";
    case Signal::kProfiles: break;  // not generated (refused by --signal)
  }
  return "";
}

// Raw bytes through the generic stub: the request is never a message object,
// so what the collector receives is exactly the pre-built bytes.
class GrpcTransport : public Transport {
 public:
  explicit GrpcTransport(const Options& o) : options_(o), method_(GrpcMethod(o.signal)) {
    for (int c = 0; c < o.connections; ++c) {
      grpc::ChannelArguments args;
      // Distinct args and a local subchannel pool: one TCP connection per channel.
      args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
      args.SetInt("otlpd.bench.channel", c);
      args.SetMaxReceiveMessageSize(-1);
      args.SetMaxSendMessageSize(-1);
      auto channel = grpc::CreateCustomChannel(o.endpoint, grpc::InsecureChannelCredentials(), args);
      channels_.push_back(channel);
      stubs_.push_back(std::make_unique<grpc::GenericStub>(channel));
    }
  }

  bool Connect(SteadyClock::time_point deadline, std::string& error) override {
    auto sys_deadline = std::chrono::system_clock::now() + (deadline - SteadyClock::now());
    for (auto& ch : channels_) {
      if (!ch->WaitForConnected(sys_deadline)) {
        error = "cannot connect to " + options_.endpoint + " over gRPC";
        return false;
      }
    }
    return true;
  }

  void Send(std::string body, DoneFn done) override {
    auto* call = new Call;
    call->done = std::move(done);
    call->ctx.set_deadline(std::chrono::system_clock::now() +
                           std::chrono::microseconds(static_cast<std::int64_t>(options_.timeout_s * 1e6)));
    if (options_.gzip) call->ctx.set_compression_algorithm(GRPC_COMPRESS_GZIP);
    auto* owned = new std::string(std::move(body));
    grpc::Slice slice(
        owned->data(), owned->size(), [](void* p) { delete static_cast<std::string*>(p); }, owned);
    call->request = grpc::ByteBuffer(&slice, 1);
    auto& stub = *stubs_[next_++ % stubs_.size()];
    stub.UnaryCall(
        &call->ctx, method_, grpc::StubOptions(), &call->request, &call->response,
        [call](grpc::Status status) {
          if (status.ok()) {
            call->done(Outcome::kAcked, "");
          } else {
            auto code = status.error_code();
            bool retryable =
                code == grpc::StatusCode::UNAVAILABLE || code == grpc::StatusCode::RESOURCE_EXHAUSTED;
            call->done(retryable ? Outcome::kRefused : Outcome::kFailed,
                       "grpc " + std::to_string(static_cast<int>(code)) + ": " + status.error_message());
          }
          delete call;
        });
  }

 private:
  struct Call {
    grpc::ClientContext ctx;
    grpc::ByteBuffer request;
    grpc::ByteBuffer response;
    DoneFn done;
  };

  const Options& options_;
  std::string method_;
  std::vector<std::shared_ptr<grpc::Channel>> channels_;
  std::vector<std::unique_ptr<grpc::GenericStub>> stubs_;
  std::size_t next_ = 0;
};

std::string Gzip(std::string_view in) {
  z_stream zs{};
  // 15 + 16: a gzip header and trailer rather than raw zlib.
  deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, in.size()) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

std::string_view HttpPath(Signal s) {
  switch (s) {
    case Signal::kTraces: return "/v1/traces";
    case Signal::kMetrics: return "/v1/metrics";
    case Signal::kLogs: return "/v1/logs";
    case Signal::kProfiles: break;  // not generated (refused by --signal)
  }
  return "/";
}

// OTLP/HTTP over keep-alive HTTP/1.1 connections served by one io_context
// thread; a request waits in `pending_` only if every connection is busy.
class HttpTransport : public Transport {
 public:
  explicit HttpTransport(const Options& o) : options_(o), work_(asio::make_work_guard(io_)) {
    auto colon = o.endpoint.rfind(':');
    host_ = o.endpoint.substr(0, colon);
    port_ = colon == std::string::npos ? "4318" : o.endpoint.substr(colon + 1);
  }
  ~HttpTransport() override {
    work_.reset();
    io_.stop();
    if (thread_.joinable()) thread_.join();
  }

  bool Connect(SteadyClock::time_point deadline, std::string& error) override {
    tcp::resolver resolver(io_);
    for (int c = 0; c < options_.connections; ++c) {
      auto conn = std::make_unique<Conn>(io_);
      while (true) {
        beast::error_code ec;
        auto results = resolver.resolve(host_, port_, ec);
        if (!ec) conn->stream.connect(results, ec);
        if (!ec) break;
        if (SteadyClock::now() > deadline) {
          error = "cannot connect to " + options_.endpoint + " over HTTP: " + ec.message();
          return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      conn->stream.socket().set_option(tcp::no_delay(true));
      idle_.push_back(conn.get());
      conns_.push_back(std::move(conn));
    }
    thread_ = std::thread([this] { io_.run(); });
    return true;
  }

  void Send(std::string body, DoneFn done) override {
    if (options_.gzip) body = Gzip(body);
    auto job = std::make_shared<Job>(Job{std::move(body), std::move(done)});
    asio::post(io_, [this, job] {
      if (idle_.empty()) {
        pending_.push_back(job);
        return;
      }
      Conn* c = idle_.back();
      idle_.pop_back();
      Start(c, job);
    });
  }

 private:
  struct Job {
    std::string body;
    DoneFn done;
  };
  struct Conn {
    explicit Conn(asio::io_context& io) : stream(io) {}
    beast::tcp_stream stream;
    beast::flat_buffer buffer;
    http::request<http::string_body> req;
    http::response<http::string_body> res;
    std::shared_ptr<Job> job;
    bool retried = false;  // the current request was sent again after the server closed
  };

  void Start(Conn* c, std::shared_ptr<Job> job) {
    c->job = std::move(job);
    c->req = {};
    c->req.method(http::verb::post);
    c->req.target(std::string(HttpPath(options_.signal)));
    c->req.version(11);
    c->req.set(http::field::host, options_.endpoint);
    c->req.set(http::field::content_type, "application/x-protobuf");
    if (options_.gzip) c->req.set(http::field::content_encoding, "gzip");
    c->req.body() = std::move(c->job->body);
    c->req.prepare_payload();
    c->retried = false;
    Resend(c);
  }

  void Resend(Conn* c) {
    c->res = {};
    c->stream.expires_after(std::chrono::microseconds(static_cast<std::int64_t>(options_.timeout_s * 1e6)));
    http::async_write(c->stream, c->req, [this, c](beast::error_code ec, std::size_t) {
      if (ec) return Finish(c, Outcome::kFailed, "http write: " + ec.message(), true);
      http::async_read(c->stream, c->buffer, c->res, [this, c](beast::error_code ec2, std::size_t) {
        if (ec2 == http::error::end_of_stream && !c->retried) {
          // The server closed this connection before answering: one opened
          // earlier and idle past the server's timeout (read_header_timeout
          // for one never used), taken as the request came. Reconnect and
          // send the request again, once, as Go's http.Transport does for an
          // idle connection closed before any byte of the response.
          c->retried = true;
          Reconnect(c);
          return Resend(c);
        }
        if (ec2) return Finish(c, Outcome::kFailed, "http read: " + ec2.message(), true);
        int status = static_cast<int>(c->res.result_int());
        bool close = !c->res.keep_alive();
        if (status == 200) return Finish(c, Outcome::kAcked, "", close);
        bool retryable = status == 429 || status == 502 || status == 503 || status == 504;
        Finish(c, retryable ? Outcome::kRefused : Outcome::kFailed, "http " + std::to_string(status), close);
      });
    });
  }

  void Reconnect(Conn* c) {
    beast::error_code ec;
    c->stream.socket().close(ec);
    tcp::resolver resolver(io_);
    auto results = resolver.resolve(host_, port_, ec);
    if (!ec) c->stream.connect(results, ec);
    if (!ec) c->stream.socket().set_option(tcp::no_delay(true), ec);
    c->buffer.clear();
  }

  void Finish(Conn* c, Outcome outcome, const std::string& detail, bool reconnect) {
    auto job = std::move(c->job);
    if (reconnect) Reconnect(c);
    job->done(outcome, detail);
    if (!pending_.empty()) {
      auto next = pending_.front();
      pending_.pop_front();
      Start(c, next);
    } else {
      idle_.push_back(c);
    }
  }

  const Options& options_;
  std::string host_, port_;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::vector<std::unique_ptr<Conn>> conns_;
  std::vector<Conn*> idle_;
  std::deque<std::shared_ptr<Job>> pending_;
  std::thread thread_;
};

int Run(int argc, char** argv) {
  // Keep freed request buffers instead of returning them to the kernel and
  // faulting them in again for the next request.
  mallopt(M_MMAP_THRESHOLD, 256 << 20);
  mallopt(M_TRIM_THRESHOLD, 512 << 20);
  Options o;
  if (!ParseOptions(argc, argv, o)) {
    std::cerr << kUsage;
    return 2;
  }
  RequestTemplate tmpl = RequestTemplate::Build(o.signal, o.items_per_request, o.shape);
  o.items_per_request = tmpl.items();

  std::unique_ptr<Transport> transport;
  if (o.protocol == "grpc") {
    transport = std::make_unique<GrpcTransport>(o);
  } else {
    transport = std::make_unique<HttpTransport>(o);
  }
  std::string error;
  if (!transport->Connect(SteadyClock::now() + std::chrono::seconds(10), error)) {
    std::cerr << "bench_loadgen: " << error << "\n";
    return 1;
  }

  Tally tally;
  std::counting_semaphore<1 << 20> window(o.window);
  const auto start = SteadyClock::now();
  const auto end = start + std::chrono::microseconds(static_cast<std::int64_t>(o.duration_s * 1e6));
  const double interval_ns = o.rate > 0 ? 1e9 * o.items_per_request / o.rate : 0.0;
  std::uint64_t requests = 0;
  std::uint64_t next_id = o.first_id;
  while (true) {
    if (interval_ns > 0) {
      // Open loop: request k leaves at start + k * interval whatever happened
      // before, so a slow collector shows as a lower achieved rate, not a
      // silently lowered offered rate.
      auto slot = start + std::chrono::nanoseconds(static_cast<std::int64_t>(interval_ns * requests));
      if (slot >= end) break;
      std::this_thread::sleep_until(slot);
    } else if (SteadyClock::now() >= end) {
      break;
    }
    if (!window.try_acquire_until(end)) break;
    std::string body = tmpl.Instantiate(next_id, RealtimeNs());
    next_id += o.items_per_request;
    ++requests;
    auto sent = SteadyClock::now();
    std::uint32_t items = o.items_per_request;
    transport->Send(std::move(body),
                    [&tally, &window, items, sent](Outcome outcome, const std::string& detail) {
                      tally.Done(items, sent, outcome, detail);
                      window.release();
                    });
  }
  double send_s = std::chrono::duration<double>(SteadyClock::now() - start).count();
  // Every call ends by its deadline; wait for all of them before reporting.
  auto drain_deadline = SteadyClock::now() +
                        std::chrono::microseconds(static_cast<std::int64_t>(o.timeout_s * 1e6)) +
                        std::chrono::seconds(5);
  int returned = 0;
  while (returned < o.window && window.try_acquire_until(drain_deadline)) ++returned;
  double total_s = std::chrono::duration<double>(SteadyClock::now() - start).count();
  std::cout << tally.Json(o, requests, requests * o.items_per_request, next_id - 1, send_s, total_s,
                          tmpl.size())
            << std::endl;
  if (returned < o.window) {
    std::cerr << "bench_loadgen: " << (o.window - returned) << " call(s) did not complete\n";
    std::_Exit(1);  // their callbacks still reference this frame
  }
  return 0;
}

}  // namespace
}  // namespace otlpd::bench

int main(int argc, char** argv) { return otlpd::bench::Run(argc, argv); }
