// bench_sink: the backend behind the collector under test. Accepts OTLP over
// gRPC (raw bytes through the generic callback service, as otlpd's receiver)
// and over HTTP/protobuf, answers success, and counts what arrived: items,
// distinct item ids and duplicates (ids written by bench_loadgen), and the
// latency each item picked up since the load generator stamped it.
//
//   bench_sink [--grpc-port 0] [--http-port 0] [--stats-file F] [--validate]
//
// Prints {"event":"ready","grpc_port":..,"http_port":..} once listening.
// Counters: GET /stats on the HTTP port (JSON), POST /reset clears them;
// SIGUSR1 prints them to stdout; SIGTERM/SIGINT writes --stats-file, prints
// them and exits 0.
#include <malloc.h>
#include <signal.h>
#include <zlib.h>

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/grpcpp.h>

#include "internal/grpc_byte_buffer.h"
#include "otlp/wire/wire_walker.h"
#include "test/bench/bench_common.h"

namespace otlpd::bench {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

// Ids above this are counted but not checked for duplicates: 128 MiB of bits.
constexpr std::uint64_t kMaxTrackedId = 1ull << 30;

struct ItemMark {
  std::uint64_t id = 0;       // 0: none found
  std::uint64_t sent_ns = 0;  // 0: none found
};

// The fields bench_loadgen writes, read out of one item message. Spans and
// log records: span_id and a fixed64 time field; metrics: every data point's
// start_time_unix_nano (the id) and time_unix_nano.
void MarkSpanOrLog(std::string_view msg, std::uint32_t id_field, std::uint32_t time_field,
                   std::vector<ItemMark>& out) {
  wire::Reader r(msg);
  ItemMark mark;
  wire::Field f;
  while (!r.AtEnd() && r.ReadField(f)) {
    if (f.number == id_field && f.type == wire::WireType::kLen && f.payload.size() == 8) {
      mark.id = ReadBigEndian64(f.payload);
    } else if (f.number == time_field && f.type == wire::WireType::kFixed64) {
      mark.sent_ns = f.value;
    }
  }
  out.push_back(mark);
}

void MarkMetric(std::string_view metric, std::vector<ItemMark>& out) {
  wire::Reader r(metric);
  wire::Field f;
  while (!r.AtEnd() && r.ReadField(f)) {
    // gauge 5, sum 7, histogram 9, exponential_histogram 10, summary 11: data_points is field 1 of each.
    bool data = f.number == 5 || f.number == 7 || f.number == 9 || f.number == 10 || f.number == 11;
    if (!data || f.type != wire::WireType::kLen) continue;
    wire::Reader points(f.payload);
    wire::Field p;
    while (!points.AtEnd() && points.ReadField(p)) {
      if (p.number != 1 || p.type != wire::WireType::kLen) continue;
      wire::Reader dp(p.payload);
      wire::Field d;
      ItemMark mark;
      while (!dp.AtEnd() && dp.ReadField(d)) {
        if (d.number == 2 && d.type == wire::WireType::kFixed64) mark.id = d.value;
        if (d.number == 3 && d.type == wire::WireType::kFixed64) mark.sent_ns = d.value;
      }
      out.push_back(mark);
    }
  }
}

class Counters {
 public:
  // False if the request is not valid OTLP (only checked with --validate;
  // otherwise a walk that stops early shows as fewer items).
  bool Record(Signal signal, std::string_view request, std::size_t wire_bytes, bool validate) {
    std::uint64_t now_ns = RealtimeNs();
    if (validate && !wire::ValidateAndCount(signal, request).ok()) {
      std::lock_guard lock(mu_);
      ++invalid_requests_;
      return false;
    }
    thread_local std::vector<ItemMark> marks;
    marks.clear();
    for (const auto& res : wire::Resources(signal, request)) {
      for (const auto& scope : wire::Scopes(signal, res.message)) {
        for (const auto& item : wire::Items(signal, scope.message)) {
          switch (signal) {
            case Signal::kTraces: MarkSpanOrLog(item.message, 2, 7, marks); break;
            case Signal::kLogs: MarkSpanOrLog(item.message, 10, 1, marks); break;
            case Signal::kMetrics: MarkMetric(item.message, marks); break;
            case Signal::kProfiles: break;  // the sink takes no profiles
          }
        }
      }
    }
    std::lock_guard lock(mu_);
    std::size_t s = SignalIndex(signal);
    ++requests_[s];
    items_[s] += marks.size();
    bytes_ += wire_bytes;
    if (first_ns_ == 0) first_ns_ = now_ns;
    last_ns_ = now_ns;
    for (const ItemMark& m : marks) {
      if (m.sent_ns != 0 && m.sent_ns <= now_ns) latency_.Record((now_ns - m.sent_ns) / 1000);
      if (m.id == 0) {
        ++without_id_;
      } else if (m.id >= kMaxTrackedId) {
        ++untracked_;
      } else {
        std::size_t word = m.id / 64;
        std::uint64_t bit = 1ull << (m.id % 64);
        if (word >= seen_.size()) seen_.resize(std::max(word + 1, seen_.size() * 2), 0);
        if (seen_[word] & bit) {
          ++duplicates_;
        } else {
          seen_[word] |= bit;
          ++unique_;
          digest_ += Mix64(m.id);
          max_id_ = std::max(max_id_, m.id);
        }
      }
    }
    return true;
  }

  void Reset() {
    std::lock_guard lock(mu_);
    requests_ = {};
    items_ = {};
    bytes_ = invalid_requests_ = unique_ = duplicates_ = without_id_ = untracked_ = max_id_ = digest_ = 0;
    first_ns_ = last_ns_ = 0;
    seen_.clear();
    seen_.shrink_to_fit();
    latency_.Clear();
  }

  std::string Json(int grpc_port, int http_port) {
    std::lock_guard lock(mu_);
    char buf[1024];
    auto u = [](std::uint64_t v) { return static_cast<unsigned long long>(v); };
    std::snprintf(
        buf, sizeof buf,
        R"({"grpc_port":%d,"http_port":%d,"requests":{"traces":%llu,"metrics":%llu,"logs":%llu},)"
        R"("items":%llu,"items_by_signal":{"traces":%llu,"metrics":%llu,"logs":%llu},)"
        R"("bytes":%llu,"invalid_requests":%llu,"unique":%llu,"duplicates":%llu,"without_id":%llu,)"
        R"("untracked":%llu,"max_id":%llu,"id_digest":"%016llx","first_ns":%llu,"last_ns":%llu,"now_ns":%llu,"latency":)",
        grpc_port, http_port, u(requests_[0]), u(requests_[1]), u(requests_[2]),
        u(items_[0] + items_[1] + items_[2]), u(items_[0]), u(items_[1]), u(items_[2]), u(bytes_),
        u(invalid_requests_), u(unique_), u(duplicates_), u(without_id_), u(untracked_), u(max_id_),
        u(digest_), u(first_ns_), u(last_ns_), u(RealtimeNs()));
    return buf + latency_.Json() + "}";
  }

 private:
  std::mutex mu_;
  std::array<std::uint64_t, 3> requests_{};
  std::array<std::uint64_t, 3> items_{};
  std::uint64_t bytes_ = 0, invalid_requests_ = 0;
  std::uint64_t unique_ = 0, duplicates_ = 0, without_id_ = 0, untracked_ = 0, max_id_ = 0;
  std::uint64_t first_ns_ = 0, last_ns_ = 0;
  // Order-independent fingerprint of the set of ids seen: two collectors that
  // sampled the same items show the same digest.
  std::uint64_t digest_ = 0;
  std::vector<std::uint64_t> seen_;
  LatencyHistogram latency_;
};

struct SinkState {
  Counters counters;
  bool validate = false;
  int grpc_port = 0;
  int http_port = 0;
};

std::optional<Signal> SignalForGrpcMethod(std::string_view m) {
  if (m == "/opentelemetry.proto.collector.trace.v1.TraceService/Export") return Signal::kTraces;
  if (m == "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export") return Signal::kMetrics;
  if (m == "/opentelemetry.proto.collector.logs.v1.LogsService/Export") return Signal::kLogs;
  return std::nullopt;
}

std::optional<Signal> SignalForHttpPath(std::string_view p) {
  if (p == "/v1/traces") return Signal::kTraces;
  if (p == "/v1/metrics") return Signal::kMetrics;
  if (p == "/v1/logs") return Signal::kLogs;
  return std::nullopt;
}

class ExportReactor : public grpc::ServerGenericBidiReactor {
 public:
  ExportReactor(SinkState& state, grpc::GenericCallbackServerContext* ctx) : state_(state) {
    signal_ = SignalForGrpcMethod(ctx->method());
    if (!signal_) {
      Finish(grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "unknown method " + ctx->method()));
      return;
    }
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "no request message"));
      return;
    }
    // One slice (the usual case) is read where it lies; the sink's own cost
    // shares a core with the load generator and caps what can be measured.
    grpc::Slice single;
    std::string flat;
    std::string_view bytes;
    if (request_.TrySingleSlice(&single).ok()) {
      bytes = std::string_view(reinterpret_cast<const char*>(single.begin()), single.size());
    } else {
      flat = FlattenByteBuffer(request_);
      bytes = flat;
    }
    bool valid = state_.counters.Record(*signal_, bytes, bytes.size(), state_.validate);
    request_.Clear();
    if (!valid) {
      Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "invalid OTLP request"));
      return;
    }
    // An Export*ServiceResponse without partial_success is zero bytes.
    response_ = grpc::ByteBuffer(&empty_, 1);
    StartWriteAndFinish(&response_, grpc::WriteOptions(), grpc::Status::OK);
  }

  void OnDone() override { delete this; }

 private:
  SinkState& state_;
  std::optional<Signal> signal_;
  grpc::ByteBuffer request_;
  grpc::ByteBuffer response_;
  grpc::Slice empty_;
};

class ExportService : public grpc::CallbackGenericService {
 public:
  explicit ExportService(SinkState& state) : state_(state) {}
  grpc::ServerGenericBidiReactor* CreateReactor(grpc::GenericCallbackServerContext* ctx) override {
    return new ExportReactor(state_, ctx);
  }

 private:
  SinkState& state_;
};

bool Gunzip(std::string_view in, std::string& out) {
  z_stream zs{};
  // 15 + 32: accept a zlib or a gzip header.
  if (inflateInit2(&zs, 15 + 32) != Z_OK) return false;
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  out.clear();
  int rc = Z_OK;
  while (rc == Z_OK) {
    std::size_t have = out.size();
    out.resize(have + std::max<std::size_t>(in.size() * 4, 64 * 1024));
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + have);
    zs.avail_out = static_cast<uInt>(out.size() - have);
    rc = inflate(&zs, Z_NO_FLUSH);
    out.resize(out.size() - zs.avail_out);
  }
  inflateEnd(&zs);
  return rc == Z_STREAM_END;
}

// One keep-alive HTTP/1.1 connection: OTLP POSTs, GET /stats, POST /reset.
class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(tcp::socket socket, SinkState& state) : stream_(std::move(socket)), state_(state) {}

  void Read() {
    parser_.emplace();
    parser_->body_limit(512u << 20);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) { self->OnRead(ec); });
  }

 private:
  void OnRead(beast::error_code ec) {
    if (ec) return;
    auto req = parser_->release();
    auto res = std::make_shared<http::response<http::string_body>>();
    res->version(req.version());
    res->keep_alive(req.keep_alive());
    Handle(req, *res);
    res->prepare_payload();
    http::async_write(stream_, *res, [self = shared_from_this(), res](beast::error_code wec, std::size_t) {
      if (wec || !res->keep_alive()) return;
      self->Read();
    });
  }

  void Handle(http::request<http::string_body>& req, http::response<http::string_body>& res) {
    std::string_view target(req.target().data(), req.target().size());
    res.result(http::status::ok);
    if (target == "/stats") {
      res.set(http::field::content_type, "application/json");
      res.body() = state_.counters.Json(state_.grpc_port, state_.http_port) + "\n";
      return;
    }
    if (target == "/reset" && req.method() == http::verb::post) {
      state_.counters.Reset();
      return;
    }
    auto signal = SignalForHttpPath(target);
    if (!signal || req.method() != http::verb::post) {
      res.result(http::status::not_found);
      return;
    }
    std::string_view type(req[http::field::content_type].data(), req[http::field::content_type].size());
    if (type.rfind("application/x-protobuf", 0) != 0) {
      res.result(http::status::unsupported_media_type);
      return;
    }
    std::string_view encoding(req[http::field::content_encoding].data(),
                              req[http::field::content_encoding].size());
    std::string inflated;
    std::string_view body = req.body();
    if (encoding == "gzip" || encoding == "deflate") {
      if (!Gunzip(body, inflated)) {
        res.result(http::status::bad_request);
        return;
      }
      body = inflated;
    } else if (!encoding.empty() && encoding != "identity") {
      res.result(http::status::unsupported_media_type);
      return;
    }
    if (!state_.counters.Record(*signal, body, req.body().size(), state_.validate)) {
      res.result(http::status::bad_request);
      return;
    }
    res.set(http::field::content_type, "application/x-protobuf");
  }

  beast::tcp_stream stream_;
  SinkState& state_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
};

class HttpListener {
 public:
  HttpListener(asio::io_context& io, int port, SinkState& state)
      : acceptor_(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port))),
        state_(state) {}
  int port() const { return acceptor_.local_endpoint().port(); }
  void Accept() {
    acceptor_.async_accept([this](beast::error_code ec, tcp::socket socket) {
      if (!ec) {
        socket.set_option(tcp::no_delay(true), ec);
        std::make_shared<HttpSession>(std::move(socket), state_)->Read();
      }
      Accept();
    });
  }

 private:
  tcp::acceptor acceptor_;
  SinkState& state_;
};

int Run(int argc, char** argv) {
  // Blocked before any thread starts, so only sigwait below sees them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  // Keep freed request buffers instead of returning them to the kernel and
  // faulting them in again on the next request.
  mallopt(M_MMAP_THRESHOLD, 256 << 20);
  mallopt(M_TRIM_THRESHOLD, 512 << 20);

  SinkState state;
  int grpc_port = 0, http_port = 0;
  std::string stats_file;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "bench_sink: " << arg << " needs a value\n";
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--grpc-port") {
      grpc_port = std::stoi(value());
    } else if (arg == "--http-port") {
      http_port = std::stoi(value());
    } else if (arg == "--stats-file") {
      stats_file = value();
    } else if (arg == "--validate") {
      state.validate = true;
    } else {
      std::cerr << "usage: bench_sink [--grpc-port N] [--http-port N] [--stats-file F] [--validate]\n";
      return 2;
    }
  }

  ExportService service(state);
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:" + std::to_string(grpc_port), grpc::InsecureServerCredentials(),
                           &state.grpc_port);
  builder.RegisterCallbackGenericService(&service);
  // otelcol's batch processor sends up to send_batch_max_size (unbounded by default) per request.
  builder.SetMaxReceiveMessageSize(-1);
  auto server = builder.BuildAndStart();
  if (!server || state.grpc_port == 0) {
    std::cerr << "bench_sink: cannot listen on gRPC port " << grpc_port << "\n";
    return 1;
  }

  asio::io_context io;
  std::unique_ptr<HttpListener> listener;
  try {
    listener = std::make_unique<HttpListener>(io, http_port, state);
  } catch (const std::exception& e) {
    std::cerr << "bench_sink: cannot listen on HTTP port " << http_port << ": " << e.what() << "\n";
    return 1;
  }
  state.http_port = listener->port();
  listener->Accept();
  std::thread http_thread([&io] { io.run(); });

  std::cout << R"({"event":"ready","grpc_port":)" << state.grpc_port << R"(,"http_port":)" << state.http_port
            << "}" << std::endl;

  while (true) {
    int sig = 0;
    if (sigwait(&signals, &sig) != 0) continue;
    if (sig == SIGUSR1) {
      std::cout << state.counters.Json(state.grpc_port, state.http_port) << std::endl;
      continue;
    }
    break;
  }
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  io.stop();
  http_thread.join();
  std::string json = state.counters.Json(state.grpc_port, state.http_port);
  if (!stats_file.empty()) std::ofstream(stats_file) << json << "\n";
  std::cout << json << std::endl;
  return 0;
}

}  // namespace
}  // namespace otlpd::bench

int main(int argc, char** argv) { return otlpd::bench::Run(argc, argv); }
