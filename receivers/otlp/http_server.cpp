#include "receivers/otlp/http_server.h"

#include <netinet/in.h>
#include <openssl/ssl.h>
#include <spdlog/spdlog.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <condition_variable>
#include <limits>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include "config/compression/gzip_members.h"
#include "config/http/accept_backoff.h"
#include "config/net/unix_socket.h"
#include "config/tls_context.h"
#include "internal/cpus.h"
#include "internal/host_port.h"
#include "internal/text.h"
#include "otlp/profiles_version.h"
#include "receivers/otlp/body_decoder.h"
#include "receivers/otlp/cors.h"
#include "receivers/otlp/http_handler.h"
#include "receivers/otlp/listen_endpoint.h"

namespace otlpd::receivers::otlp {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using Nanos = std::chrono::nanoseconds;

constexpr std::size_t kReadChunk = 64 * 1024;
// The body of a request refused from its headers alone (404, 405, 415) is
// read and dropped when it is this small, so the connection can be kept;
// a larger one closes the connection instead (Go's net/http does the same).
constexpr std::uint64_t kDrainLimit = 256 * 1024;
// How long a closing connection is read from and dropped after the answer,
// so that a client still sending its body gets the answer instead of a reset.
constexpr auto kLingerTime = std::chrono::seconds(1);
// A TLS handshake is bounded like Go's (the shortest of the read and write
// timeouts that are set), and by this when none is.
constexpr auto kDefaultHandshakeTimeout = std::chrono::seconds(10);
// max_connections: 0 means half the descriptors the process may open (the
// rest is for gRPC, files, exporters), within these bounds.
constexpr std::uint32_t kMaxAutoConnections = 16384;
constexpr std::uint32_t kMinAutoConnections = 16;
// Refusing a connection over max_connections is logged at most this often.
constexpr auto kRefusalLogInterval = std::chrono::seconds(10);

// One stream type for TCP and Unix-domain sockets (`transport: unix`).
using Protocol = net::generic::stream_protocol;
using PlainStream = beast::basic_stream<Protocol>;
using TlsStream = beast::ssl_stream<PlainStream>;

class SessionBase {
 public:
  virtual ~SessionBase() = default;
  // From any thread: close when idle, close after the answer when busy.
  virtual void Stop() = 0;
  // From any thread: close if still idle (for a new connection at the cap).
  virtual void Evict() = 0;

  // Since when the connection waits for a request (steady clock ns; 1 while
  // it lingers after its last answer, so it goes first), 0 while a request
  // is being served. Read by the acceptor to pick whom to evict.
  std::atomic<std::int64_t> idle_since{0};
  std::atomic<bool> evicted{false};
  // The socket's descriptor while open (-1 after Close), so the acceptor can
  // see that a connection waiting for headers already has bytes to read: it
  // is starting a request, not idle.
  std::atomic<int> fd{-1};

  bool HasPendingInput() const {
    const int f = fd.load();
    int n = 0;
    return f >= 0 && ::ioctl(f, FIONREAD, &n) == 0 && n > 0;
  }
};

std::int64_t NowNs() {
  return std::chrono::duration_cast<Nanos>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Beast's request parser with a cap on the number of header fields, checked
// as each field is parsed: the byte limit alone lets 64 KiB of "a:\r\n" make
// 16k allocations.
class LimitedRequestParser : public http::request_parser<http::buffer_body> {
 public:
  explicit LimitedRequestParser(std::uint32_t max_fields) : max_fields_(max_fields) {}

 private:
  void on_field_impl(http::field name, beast::string_view name_string, beast::string_view value,
                     beast::error_code& ec) override {
    if (++fields_ > max_fields_) {
      ec = http::error::header_limit;
      return;
    }
    get().insert(name, name_string, value);
  }

  std::uint32_t max_fields_;
  std::uint32_t fields_ = 0;
};

// Boost 1.74's Beast speaks boost::string_view.
std::string_view Sv(beast::string_view s) { return {s.data(), s.size()}; }

Nanos FirstSet(Nanos a, Nanos b) { return a.count() > 0 ? a : b; }

// A request that is not HTTP (as opposed to a client that went away).
bool IsProtocolError(const beast::error_code& ec) {
  return ec.category() == http::make_error_code(http::error::end_of_stream).category() &&
         ec != http::error::end_of_stream && ec != http::error::partial_message;
}

}  // namespace

struct HttpServer::Impl {
  Impl(HttpConfig c, const ServerContext& context, ComponentTelemetry* t)
      : config(std::move(c)), context(context), telemetry(t) {
    // A body in blocks and the one piece it is joined into are held at once.
    context.budget->RequireRoomFor(2 * config.max_request_body_size);
    // otelcol's profiles path has no config key.
    paths = {config.traces_url_path, config.metrics_url_path, config.logs_url_path,
             "/v1development/profiles"};
    if (config.cors) cors.emplace(*config.cors);
    for (const std::string& name : config.compression_algorithms) {
      if (auto e = ParseEncoding(name)) encodings_allowed[static_cast<std::size_t>(*e)] = true;
    }
  }

  void Accept();
  void StopSessions();
  // Room for one more connection: true when under max_connections, or when
  // the connection idle the longest was told to close for it.
  bool Admit();
  void RefuseConnection(Protocol::socket& socket);

  void Register(SessionBase* s, std::weak_ptr<SessionBase> w) {
    std::lock_guard<std::mutex> lock(mu);
    sessions.emplace(s, std::move(w));
  }
  void Unregister(SessionBase* s) {
    std::lock_guard<std::mutex> lock(mu);
    sessions.erase(s);
    if (sessions.empty()) idle.notify_all();
  }

  HttpConfig config;
  const ServerContext& context;
  ComponentTelemetry* telemetry;
  std::array<std::string, kSignalCount> paths;
  std::optional<Cors> cors;
  std::array<bool, 8> encodings_allowed{};
  std::unique_ptr<ssl::context> tls;
  std::atomic<bool> stopping{false};
  int port = 0;

  std::mutex mu;
  std::condition_variable idle;
  std::unordered_map<SessionBase*, std::weak_ptr<SessionBase>> sessions;

  // Declared after what sessions use: destroying the io_context destroys the
  // sessions its queued handlers still hold.
  net::io_context ioc{2};
  std::optional<net::basic_socket_acceptor<Protocol>> acceptor;
  bool unix_socket = false;
  std::optional<net::steady_timer> accept_retry;
  std::optional<otlpd::http::AcceptBackoff> backoff;  // used on the acceptor's strand
  std::uint32_t max_connections = 0;                  // resolved at Start
  std::chrono::steady_clock::time_point last_refusal_log{};
  std::uint64_t refused = 0;  // connections refused since the last log line
  std::vector<std::thread> threads;
};

namespace {

template <class Stream>
class Session final : public SessionBase, public std::enable_shared_from_this<Session<Stream>> {
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

 public:
  template <class... Args>
  explicit Session(HttpServer::Impl& server, Args&&... args)
      : server_(server), stream_(std::forward<Args>(args)...) {}
  ~Session() override { server_.Unregister(this); }

  void Run() {
    fd = beast::get_lowest_layer(stream_).socket().native_handle();
    client_ip_ = PeerIp(fd);
    idle_since = NowNs();
    server_.Register(this, this->weak_from_this());
    if constexpr (kTls) {
      phase_ = Phase::kHandshake;
      const HttpConfig& c = server_.config;
      // Go bounds the handshake by the shortest of the read and write timeouts that are set.
      Nanos t{0};
      for (Nanos d : {c.read_timeout, c.read_header_timeout, c.write_timeout}) {
        if (d.count() > 0 && (t.count() == 0 || d < t)) t = d;
      }
      Expire(t.count() > 0 ? t : kDefaultHandshakeTimeout);
      stream_.async_handshake(ssl::stream_base::server,
                              beast::bind_front_handler(&Session::OnHandshake, this->shared_from_this()));
    } else {
      ReadHeader();
    }
  }

  void Evict() override {
    net::post(beast::get_lowest_layer(stream_).get_executor(), [self = this->shared_from_this()] {
      if (self->phase_ == Phase::kBusy) {
        self->evicted = false;
        return;
      }
      // Its answer is on the way: close once it is written.
      if (self->phase_ == Phase::kAnswering) {
        self->keep_alive_ = false;
        return;
      }
      // Bytes arrived since the acceptor chose this one: a request begins.
      // Keep it; the cap is passed by one until a connection ends.
      if (self->phase_ == Phase::kIdle && (self->buffer_.size() > 0 || self->HasPendingInput())) {
        self->evicted = false;
        return;
      }
      self->Close();
    });
  }

  void Stop() override {
    net::post(beast::get_lowest_layer(stream_).get_executor(), [self = this->shared_from_this()] {
      if (self->phase_ == Phase::kBusy || self->phase_ == Phase::kAnswering) {
        self->keep_alive_ = false;
      } else {
        self->Close();
      }
    });
  }

 private:
  enum class Phase { kHandshake, kIdle, kBusy, kAnswering, kClosing };

  void Expire(Nanos d) {
    auto& s = beast::get_lowest_layer(stream_);
    if (d.count() > 0) {
      s.expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(d));
    } else {
      s.expires_never();
    }
  }

  void OnHandshake(beast::error_code ec) {
    if (ec) {
      spdlog::debug("receiver {}: TLS handshake failed: {}", server_.context.receiver_id, ec.message());
      return Close();
    }
    ReadHeader();
  }

  void ReadHeader() {
    if (server_.stopping) return Close();
    phase_ = Phase::kIdle;
    // A kept connection ranks by when its last request began, which the
    // client saw happen before it opened any later connection; the moment
    // this read starts races with the client.
    idle_since = served_ > 0 ? request_started_ns_ : NowNs();
    const HttpConfig& c = server_.config;
    parser_.emplace(c.max_request_header_count);
    parser_->header_limit(c.max_request_header_size);
    // The body is limited here, while it is read and decompressed.
    parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    Nanos header = FirstSet(c.read_header_timeout, c.read_timeout);
    if (served_ > 0) {
      // Waiting for the next request on a kept connection is idle time.
      Nanos idle = FirstSet(c.idle_timeout, c.read_timeout);
      header = idle.count() > 0 ? idle + header : Nanos{0};
    }
    Expire(header);
    http::async_read_header(stream_, buffer_, *parser_,
                            beast::bind_front_handler(&Session::OnHeader, this->shared_from_this()));
  }

  void OnHeader(beast::error_code ec, std::size_t) {
    if (ec) {
      // A client that closes or stays silent gets no answer; one that sends
      // something that is not HTTP gets 400 (431 for headers too large).
      if (IsProtocolError(ec)) {
        phase_ = Phase::kBusy;
        keep_alive_ = false;
        const bool too_big = ec == http::error::header_limit;
        return Send(
            ErrorAnswer(too_big ? 431 : 400, kRpcInvalidArgument,
                        too_big ? "request headers too large" : "malformed HTTP request: " + ec.message(),
                        BodyFormat::kJson));
      }
      return Close();
    }
    phase_ = Phase::kBusy;
    idle_since = 0;
    request_started_ns_ = NowNs();
    request_deadline_ = std::chrono::steady_clock::now();
    auto& req = parser_->get();
    const HttpConfig& c = server_.config;
    keep_alive_ = req.keep_alive() && c.keep_alives_enabled && !server_.stopping;
    extra_headers_.clear();

    const std::optional<BodyFormat> format = ParseContentType(Sv(req[http::field::content_type]));
    // Errors are written in the request's encoding, JSON when it has none we know.
    error_format_ = format.value_or(BodyFormat::kJson);

    const std::string_view origin = Sv(req[http::field::origin]);
    if (server_.cors) {
      if (req.method() == http::verb::options &&
          req.find(http::field::access_control_request_method) != req.end()) {
        extra_headers_ = server_.cors->Preflight(origin, Sv(req[http::field::access_control_request_method]),
                                                 Sv(req[http::field::access_control_request_headers]));
        HttpAnswer a;
        a.status = 204;
        return Refuse(std::move(a));
      }
      if (!origin.empty()) extra_headers_ = server_.cors->Actual(origin, Sv(req.method_string()));
    }

    const std::string_view target = Sv(req.target());
    const std::string_view path = target.substr(0, target.find('?'));
    std::optional<Signal> signal;
    for (Signal s : kSignalsWithProfiles) {
      if (path == server_.paths[SignalIndex(s)] && server_.context.consumers[SignalIndex(s)] != nullptr)
        signal = s;
    }
    if (!signal) return Refuse(ErrorAnswer(404, kRpcNotFound, "404 page not found", error_format_));
    if (req.method() != http::verb::post) {
      extra_headers_.emplace_back("Allow", "POST");
      return Refuse(
          ErrorAnswer(405, kRpcUnimplemented, "405 method not allowed, supported: [POST]", error_format_));
    }
    if (!format) {
      return Refuse(
          ErrorAnswer(415, kRpcInvalidArgument,
                      "415 unsupported media type, supported: [application/json, application/x-protobuf]",
                      error_format_));
    }
    // An unknown or disabled Content-Encoding is 400, as otelcol's confighttp
    // answers it ("unsupported Content-Encoding"); HTTP would also allow 415.
    const std::string_view coding = Sv(req[http::field::content_encoding]);
    const std::optional<Encoding> encoding = ParseEncoding(coding);
    if (!encoding || !server_.encodings_allowed[static_cast<std::size_t>(*encoding)]) {
      return Refuse(ErrorAnswer(400, kRpcInvalidArgument,
                                "unsupported Content-Encoding: " + std::string(coding), error_format_));
    }
    if (*signal == Signal::kProfiles) {
      std::vector<std::string_view> versions;
      for (const auto& field : req) {
        if (EqualsIgnoreCase(Sv(field.name_string()), kProfilesVersionKey))
          versions.push_back(Sv(field.value()));
      }
      if (Status v = CheckProfilesVersion(versions); !v.ok()) {
        return Refuse(ErrorAnswer(400, kRpcInvalidArgument, v.message(), error_format_));
      }
    }
    const std::uint64_t limit = c.max_request_body_size;
    if (auto length = parser_->content_length(); length && *length > limit) {
      keep_alive_ = false;
      return Send(TooLarge());
    }

    signal_ = *signal;
    format_ = *format;
    raw_bytes_ = 0;
    discard_ = false;
    lease_ = BudgetLease(server_.context.budget);
    decoder_ = BodyDecoder::Create(*encoding, limit, &lease_);
    // A gzipped protobuf body is kept as it came too, for an exporter that
    // sends gzip (Payload::gzip); it is at most max_request_body_size.
    keep_gzip_ = *encoding == Encoding::kGzip && *format == BodyFormat::kProtobuf &&
                 server_.context.keep_gzip[SignalIndex(*signal)];
    gzip_ = std::string();
    if (auto length = parser_->content_length(); length && *encoding == Encoding::kIdentity) {
      // The whole body is taken from the budget before any of it is read.
      if (DecodeOutcome r = decoder_->Reserve(*length); r != DecodeOutcome::kOk) {
        HttpAnswer a = BudgetAnswer(r);
        DropBody();
        return Refuse(std::move(a));
      }
    }
    metadata_.reset();
    if (c.include_metadata) {
      auto md = std::make_shared<Metadata>();
      for (const auto& field : req) {
        std::string key(Sv(field.name_string()));
        AsciiLowerInPlace(key);
        md->emplace_back(std::move(key), std::string(Sv(field.value())));
      }
      metadata_ = std::move(md);
    }
    if (c.read_timeout.count() > 0) {
      request_deadline_ += std::chrono::duration_cast<std::chrono::steady_clock::duration>(c.read_timeout);
    } else {
      request_deadline_ = {};
    }
    if (beast::iequals(req[http::field::expect], "100-continue") && !parser_->is_done()) {
      continue_.emplace(http::status::continue_, 11);
      Expire(c.write_timeout);
      return http::async_write(stream_, *continue_,
                               [self = this->shared_from_this()](beast::error_code e, std::size_t) {
                                 self->continue_.reset();
                                 if (e) return self->Close();
                                 self->ReadBody();
                               });
    }
    ReadBody();
  }

  // Answers a request from its headers alone: drops a small body to keep the
  // connection, closes it after the answer otherwise.
  void Refuse(HttpAnswer answer) {
    if (parser_->is_done()) return Send(std::move(answer));
    auto length = parser_->content_length();
    const bool expects_continue = beast::iequals(parser_->get()[http::field::expect], "100-continue");
    if (!length || *length > kDrainLimit || expects_continue) {
      keep_alive_ = false;
      return Send(std::move(answer));
    }
    discard_ = true;
    raw_bytes_ = 0;
    pending_ = std::move(answer);
    request_deadline_ = {};
    ReadBody();
  }

  void ReadBody() {
    if (parser_->is_done()) return BodyDone();
    if (!scratch_) scratch_ = std::make_unique<char[]>(kReadChunk);
    // Beast reads as much as the buffer has room for: a buffer sized for
    // headers would make every body cost one read per kilobyte.
    if (buffer_.capacity() < kReadChunk) buffer_.reserve(kReadChunk);
    auto& body = parser_->get().body();
    body.data = scratch_.get();
    body.size = kReadChunk;
    body.more = true;
    auto& s = beast::get_lowest_layer(stream_);
    if (request_deadline_ != std::chrono::steady_clock::time_point{}) {
      s.expires_at(request_deadline_);
    } else {
      s.expires_never();
    }
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Session::OnBody, this->shared_from_this()));
  }

  void OnBody(beast::error_code ec, std::size_t) {
    if (ec == http::error::need_buffer) ec = {};
    if (ec) {
      if (IsProtocolError(ec)) {
        keep_alive_ = false;
        return Send(ErrorAnswer(400, kRpcInvalidArgument, "malformed HTTP request body: " + ec.message(),
                                error_format_));
      }
      return Close();  // the client left or timed out mid-body
    }
    const std::size_t got = kReadChunk - parser_->get().body().size;
    raw_bytes_ += got;
    if (discard_) {
      if (raw_bytes_ > kDrainLimit) keep_alive_ = false;
      if (!keep_alive_) return Send(std::move(pending_));
    } else {
      // The wire bytes count against the limit too: a body that is not
      // compressed well must not be read without end.
      if (raw_bytes_ > server_.config.max_request_body_size) return FailTooLarge();
      DecodeOutcome r = decoder_->Feed(std::string_view(scratch_.get(), got));
      if (r != DecodeOutcome::kOk) return FailDecode(r);
      if (keep_gzip_) gzip_.append(scratch_.get(), got);
    }
    if (!parser_->is_done()) return ReadBody();
    BodyDone();
  }

  void BodyDone() {
    if (discard_) return Send(std::move(pending_));
    DecodeOutcome r = decoder_->Finish();
    if (r != DecodeOutcome::kOk) return FailDecode(r);
    std::string body;
    if (r = decoder_->TakeBody(&body); r != DecodeOutcome::kOk) return FailDecode(r);
    // The body's gzip as it came goes on with it when the receive budget has
    // room for it too; else it is let go, never the request. (While the body
    // is read, the copy is at most about the decoded bytes the budget holds.)
    std::string gzip;
    if (keep_gzip_ && decoder_->one_gzip_member() && config::compression::WorthKeeping(gzip_) &&
        lease_.Grow(gzip_.size() + 4) == ReceiveBudget::Verdict::kOk) {
      gzip.reserve(4 + gzip_.size());
      config::compression::AppendMember(gzip, gzip_);
    }
    gzip_ = std::string();
    decoder_.reset();
    Consumer* next = server_.context.consumers[SignalIndex(signal_)];
    HttpAnswer answer = ExportBody(signal_, format_, std::move(body), std::move(metadata_), client_ip_, *next,
                                   (*server_.telemetry)[signal_], &lease_, std::move(gzip));
    lease_.Reset();  // the pipeline holds the request now, or nobody does
    Send(std::move(answer));
  }

  HttpAnswer BudgetAnswer(DecodeOutcome r) const {
    return BudgetRefusal(
        r == DecodeOutcome::kBusy ? ReceiveBudget::Verdict::kBusy : ReceiveBudget::Verdict::kTooLarge,
        error_format_);
  }

  void DropBody() {
    decoder_.reset();
    gzip_ = std::string();
    lease_.Reset();
  }

  HttpAnswer TooLarge() const {
    return ErrorAnswer(413, kRpcResourceExhausted,
                       "request body larger than max_request_body_size (" +
                           std::to_string(server_.config.max_request_body_size) + " bytes)",
                       error_format_);
  }

  void FailTooLarge() {
    keep_alive_ = false;
    DropBody();
    Send(TooLarge());
  }

  void FailDecode(DecodeOutcome r) {
    // The rest of the body is not read: the connection closes after the answer.
    keep_alive_ = false;
    if (r == DecodeOutcome::kBusy || (r == DecodeOutcome::kTooLarge && decoder_->budget_refused())) {
      HttpAnswer a = BudgetAnswer(r);
      DropBody();
      return Send(std::move(a));
    }
    if (r == DecodeOutcome::kTooLarge) return FailTooLarge();
    // The rest of a corrupt body is not worth reading.
    std::string message = decoder_->error();
    DropBody();
    Send(ErrorAnswer(400, kRpcInvalidArgument, message, error_format_));
  }

  void Send(HttpAnswer a) {
    res_.emplace();
    res_->version(11);
    res_->result(static_cast<http::status>(a.status));
    if (!a.content_type.empty()) res_->set(http::field::content_type, a.content_type);
    if (a.retry_after_seconds > 0) res_->set(http::field::retry_after, std::to_string(a.retry_after_seconds));
    for (const auto& [name, value] : extra_headers_) res_->insert(name, value);
    for (const auto& [name, value] : server_.config.response_headers) res_->set(name, value);
    res_->body() = std::move(a.body);
    if (server_.stopping) keep_alive_ = false;
    res_->keep_alive(keep_alive_);
    res_->prepare_payload();
    // Done with the request: evictable from here (it closes after the answer).
    if (phase_ == Phase::kBusy) {
      phase_ = Phase::kAnswering;
      idle_since = request_started_ns_ > 0 ? request_started_ns_ : NowNs();
    }
    Expire(server_.config.write_timeout);
    http::async_write(stream_, *res_, beast::bind_front_handler(&Session::OnWrite, this->shared_from_this()));
  }

  void OnWrite(beast::error_code ec, std::size_t) {
    res_.reset();
    if (ec) return Close();
    ++served_;
    if (keep_alive_ && !server_.stopping) return ReadHeader();
    Linger();
  }

  // Ends the connection after an answer without a reset the client could
  // see before the answer: TLS sends close_notify; plain TCP half-closes and
  // drops what the client still sends for a moment.
  void Linger() {
    phase_ = Phase::kClosing;
    idle_since = 1;
    beast::get_lowest_layer(stream_).expires_after(kLingerTime);
    if constexpr (kTls) {
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) { self->Close(); });
    } else {
      beast::error_code ec;
      stream_.socket().shutdown(net::socket_base::shutdown_send, ec);
      if (ec) return Close();
      Drain();
    }
  }

  void Drain() {
    if (!scratch_) scratch_ = std::make_unique<char[]>(kReadChunk);
    stream_.async_read_some(net::buffer(scratch_.get(), kReadChunk),
                            [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                              if (ec) return self->Close();
                              self->Drain();
                            });
  }

  void Close() {
    phase_ = Phase::kClosing;
    fd = -1;
    beast::error_code ec;
    auto& socket = beast::get_lowest_layer(stream_).socket();
    socket.shutdown(net::socket_base::shutdown_both, ec);
    socket.close(ec);
  }

  HttpServer::Impl& server_;
  Stream stream_;
  beast::flat_buffer buffer_{server_.config.max_request_header_size + kReadChunk};
  std::optional<LimitedRequestParser> parser_;
  std::optional<http::response<http::string_body>> res_;
  std::optional<http::response<http::empty_body>> continue_;
  std::unique_ptr<char[]> scratch_;
  Phase phase_ = Phase::kIdle;
  std::int64_t request_started_ns_ = 0;
  bool keep_alive_ = true;
  std::uint64_t served_ = 0;
  std::chrono::steady_clock::time_point request_deadline_{};

  // The request being read.
  Signal signal_ = Signal::kTraces;
  BodyFormat format_ = BodyFormat::kProtobuf;
  BodyFormat error_format_ = BodyFormat::kJson;
  BudgetLease lease_;                     // what the request holds of the receive budget
  std::unique_ptr<BodyDecoder> decoder_;  // holds the body as it is read
  std::uint64_t raw_bytes_ = 0;
  bool keep_gzip_ = false;
  std::string gzip_;  // the gzipped body as it came, while keep_gzip_
  bool discard_ = false;
  HttpAnswer pending_;
  HeaderList extra_headers_;
  std::shared_ptr<const Metadata> metadata_;
  std::string client_ip_;  // the sender's IP, Payload::client_address
};

}  // namespace

void HttpServer::Impl::Accept() {
  acceptor->async_accept(net::make_strand(ioc), [this](beast::error_code ec, Protocol::socket socket) {
    if (stopping || !acceptor->is_open()) return;
    if (ec) {
      // Out of file descriptors and the like: wait, longer each time, instead of spinning.
      const auto step = backoff->Failed(ec.message());
      if (!step.log.empty()) spdlog::warn("{}", step.log);
      accept_retry->expires_after(step.delay);
      accept_retry->async_wait([this](beast::error_code e) {
        if (!e && !stopping) Accept();
      });
      return;
    }
    if (auto line = backoff->Succeeded(); !line.empty()) spdlog::info("{}", line);
    if (!Admit()) {
      RefuseConnection(socket);
      return Accept();
    }
    beast::error_code ignored;
    if (!unix_socket) socket.set_option(tcp::no_delay(true), ignored);
    if (tls) {
      std::make_shared<Session<TlsStream>>(*this, std::move(socket), *tls)->Run();
    } else {
      std::make_shared<Session<PlainStream>>(*this, std::move(socket))->Run();
    }
    Accept();
  });
}

bool HttpServer::Impl::Admit() {
  // Declared before the lock: a session's last reference may be the one taken
  // here (its connection ended on another thread meanwhile), and its
  // destructor takes `mu` to unregister.
  std::shared_ptr<SessionBase> oldest;
  {
    std::lock_guard<std::mutex> lock(mu);
    if (sessions.size() < max_connections) return true;
    const std::weak_ptr<SessionBase>* pick = nullptr;
    std::int64_t oldest_since = 0;
    for (auto& [ptr, weak] : sessions) {
      const std::int64_t since = ptr->idle_since.load();
      if (since == 0 || ptr->evicted.load() || (since != 1 && ptr->HasPendingInput())) continue;
      if (oldest_since == 0 || since < oldest_since) {
        pick = &weak;
        oldest_since = since;
      }
    }
    if (pick == nullptr) return false;
    oldest = pick->lock();
    // Expired: it is ending already, which makes the room.
    if (oldest == nullptr) return true;
    oldest->evicted = true;
  }
  // The new connection is admitted now; the evicted one closes on its own
  // strand a moment later, so the count may pass the cap by the evictions in flight.
  oldest->Evict();
  return true;
}

void HttpServer::Impl::RefuseConnection(Protocol::socket& socket) {
  // Best effort, without waiting: a client that reads gets a retryable answer.
  static constexpr std::string_view kAnswer =
      "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nConnection: close\r\n"
      "Content-Length: 0\r\n\r\n";
  (void)::send(socket.native_handle(), kAnswer.data(), kAnswer.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  beast::error_code ignored;
  socket.close(ignored);
  ++refused;
  const auto now = std::chrono::steady_clock::now();
  if (refused == 1 || now - last_refusal_log >= kRefusalLogInterval) {
    spdlog::warn(
        "receiver {}: OTLP/HTTP refused {} connection(s): max_connections ({}) are open and none is idle",
        context.receiver_id, refused, max_connections);
    last_refusal_log = now;
    refused = 0;
  }
}

void HttpServer::Impl::StopSessions() {
  std::vector<std::shared_ptr<SessionBase>> live;
  {
    std::lock_guard<std::mutex> lock(mu);
    for (auto& [ptr, weak] : sessions) {
      if (auto s = weak.lock()) live.push_back(std::move(s));
    }
  }
  for (auto& s : live) s->Stop();
}

HttpServer::HttpServer(HttpConfig config, const ServerContext& context, ComponentTelemetry* telemetry)
    : impl_(std::make_unique<Impl>(std::move(config), context, telemetry)) {}

HttpServer::~HttpServer() { Shutdown(std::chrono::steady_clock::now()); }

int HttpServer::port() const { return impl_->port; }

Status HttpServer::Start() {
  Impl& s = *impl_;
  const HttpConfig& c = s.config;
  if (c.tls) {
    auto ctx = config::MakeServerSslContext(*c.tls, "protocols.http.tls");
    if (!ctx.ok()) return ctx.status();
    s.tls = std::move(*ctx);
  }
  s.unix_socket = c.transport == "unix";
  auto where = ListenEndpoint(s.ioc, c.endpoint, c.transport);
  if (!where.ok()) return where.status();
  beast::error_code ec;
  s.acceptor.emplace(net::make_strand(s.ioc));
  s.acceptor->open(where->protocol(), ec);
  if (!ec && !s.unix_socket) s.acceptor->set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) s.acceptor->bind(*where, ec);
  if (!ec) s.acceptor->listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    s.acceptor.reset();
    return Status::Internal("cannot listen on " + c.endpoint + ": " + ec.message());
  }
  s.port = s.unix_socket ? 0 : PortOf(s.acceptor->local_endpoint());
  s.accept_retry.emplace(s.acceptor->get_executor());
  s.backoff.emplace("receiver " + s.context.receiver_id + ": OTLP/HTTP");
  s.max_connections = c.max_connections;
  if (s.max_connections == 0) {
    rlimit lim{};
    std::uint64_t fds = 1024;
    if (::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY) fds = lim.rlim_cur;
    s.max_connections = static_cast<std::uint32_t>(
        std::clamp<std::uint64_t>(fds / 2, kMinAutoConnections, kMaxAutoConnections));
  }
  s.Accept();
  // Requests are short and do not wait (the pipeline refuses instead), so two
  // threads are plenty, one on a single CPU; unless a durable pipeline makes
  // them wait on disk, where parallel waiters share each fsync.
  const unsigned n =
      AnyMayBlock(s.context.consumers) ? kThreadsForBlockingConsumers : std::clamp(AvailableCpus(), 1u, 2u);
  for (unsigned i = 0; i < n; ++i) s.threads.emplace_back([&s] { s.ioc.run(); });
  spdlog::info("receiver {}: OTLP/HTTP{} listening on {} (port {})", s.context.receiver_id, c.tls ? "S" : "",
               c.endpoint, s.port);
  return Status::Ok();
}

void HttpServer::Shutdown(std::chrono::steady_clock::time_point deadline) {
  Impl& s = *impl_;
  if (s.threads.empty()) return;
  s.stopping = true;
  if (s.acceptor) {
    net::post(s.acceptor->get_executor(), [&s] {
      beast::error_code ec;
      s.acceptor->close(ec);
      s.accept_retry->cancel();
    });
  }
  // Stop again now and then: a connection accepted just before `stopping`
  // was set may register after the first round.
  std::unique_lock<std::mutex> lock(s.mu);
  while (!s.sessions.empty() && std::chrono::steady_clock::now() < deadline) {
    lock.unlock();
    s.StopSessions();
    lock.lock();
    s.idle.wait_until(lock,
                      std::min(deadline, std::chrono::steady_clock::now() + std::chrono::milliseconds(20)),
                      [&s] { return s.sessions.empty(); });
  }
  lock.unlock();
  s.ioc.stop();
  for (auto& t : s.threads) t.join();
  s.threads.clear();
  // The posted close may not have run before stop(); no handler runs now.
  if (s.acceptor) {
    beast::error_code ec;
    s.acceptor->close(ec);
    if (s.unix_socket) config::net::RemoveUnixSocket(s.config.endpoint);
  }
}

}  // namespace otlpd::receivers::otlp
