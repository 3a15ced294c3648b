#include "receivers/otlp/h2_grpc_server.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <nghttp2/nghttp2.h>
#include <spdlog/spdlog.h>

#include <sys/socket.h>
#include <sys/types.h>
#include <algorithm>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstring>
#include <future>
#include <limits>
#include <optional>
#include <random>
#include <thread>
#include <unordered_map>
#include <vector>

#include "config/compression/gzip_members.h"
#include "config/http/accept_backoff.h"
#include "config/net/unix_socket.h"
#include "internal/base64.h"
#include "internal/big_endian.h"
#include "internal/host_port.h"
#include "internal/nghttp2_nv.h"
#include "otlp/profiles_version.h"
#include "receivers/otlp/body_decoder.h"
#include "receivers/otlp/grpc_export.h"
#include "receivers/otlp/listen_endpoint.h"

namespace otlpd::receivers::otlp {
namespace {

namespace net = boost::asio;
using Clock = std::chrono::steady_clock;
using ErrorCode = boost::system::error_code;

// Header bytes (names and values) one call may send; gRPC C++ refuses
// metadata past 16 KiB by default.
constexpr std::size_t kMaxHeaderBytes = 16 * 1024;
// What one connection keeps of what nghttp2 wrote and the socket did not take
// yet (write_buffer_size, when set); past it nghttp2 keeps the rest queued
// until the socket drains.
constexpr std::size_t kMaxPendingOutput = 64 * 1024;
// An output buffer larger than this is given back once drained.
constexpr std::size_t kKeptOutputCapacity = 4 * 1024;
// Reads in a row from one connection before the others get their turn.
constexpr int kReadsPerTurn = 8;
// grpc-go's keepalive enforcement: strikes before GOAWAY, and the ping
// interval allowed without streams when permit_without_stream is off.
constexpr int kMaxPingStrikes = 2;
constexpr auto kPingIntervalWithoutStreams = std::chrono::hours(2);
constexpr auto kDefaultPingMinTime = std::chrono::minutes(5);

constexpr std::string_view kProfilesKey = kProfilesVersionKey;

// keepalive.server_parameters as grpc-go reads them (NewServerTransport and
// grpc.KeepaliveParams): unset time and timeout are 2h and 20s, a time under
// 1s is raised to 1s; unset idle, age and grace are infinite (kNever).
constexpr auto kNever = std::chrono::nanoseconds::max();
constexpr auto kDefaultKeepaliveTime = std::chrono::hours(2);
constexpr auto kDefaultKeepaliveTimeout = std::chrono::seconds(20);
constexpr auto kMinKeepaliveTime = std::chrono::seconds(1);

struct ServerKeepalive {
  explicit ServerKeepalive(const GrpcKeepalive& k)
      : time(k.time.count() == 0 ? kDefaultKeepaliveTime
                                 : std::max<std::chrono::nanoseconds>(k.time, kMinKeepaliveTime)),
        timeout(k.timeout.count() == 0 ? kDefaultKeepaliveTimeout : k.timeout),
        idle(k.max_connection_idle.count() == 0 ? kNever : k.max_connection_idle),
        age(k.max_connection_age.count() == 0 ? kNever : k.max_connection_age),
        grace(k.max_connection_age_grace.count() == 0 ? kNever : k.max_connection_age_grace) {}
  std::chrono::nanoseconds time, timeout, idle, age, grace;
};

// `t` + `d`, or never when `d` is kNever or the sum would not fit.
Clock::time_point Later(Clock::time_point t, std::chrono::nanoseconds d) {
  if (d == kNever || t.time_since_epoch() > Clock::duration::max() - d) return Clock::time_point::max();
  return t + d;
}

// The PING of a graceful GOAWAY (grpc-go's goAwayPing data); a keepalive PING carries zeros.
constexpr std::array<std::uint8_t, 8> kDrainPing = {1, 6, 1, 8, 0, 3, 3, 9};

// Headers gRPC keeps for itself: not client metadata (grpc-go's isReservedHeader).
bool IsReservedHeader(std::string_view name) {
  return name == "content-type" || name == "te" || name == "grpc-encoding" ||
         name == "grpc-accept-encoding" || name == "grpc-timeout" || name == "grpc-message-type" ||
         name == "grpc-status" || name == "grpc-message" || name == "grpc-status-details-bin";
}

// grpc-message is percent-encoded (gRPC's PROTOCOL-HTTP2: bytes outside
// printable ASCII, and '%').
std::string PercentEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (c >= 0x20 && c <= 0x7e && c != '%') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

constexpr std::uint8_t kStatic = NGHTTP2_NV_FLAG_NO_COPY_NAME | NGHTTP2_NV_FLAG_NO_COPY_VALUE;

std::optional<Encoding> GrpcEncoding(std::string_view name) {
  if (name.empty() || name == "identity") return Encoding::kIdentity;
  if (name == "gzip") return Encoding::kGzip;
  if (name == "deflate") return Encoding::kDeflate;
  if (name == "zstd") return Encoding::kZstd;
  if (name == "snappy") return Encoding::kSnappy;
  return std::nullopt;
}

constexpr std::string_view kAcceptEncoding = "identity,gzip,deflate,zstd,snappy";

std::string_view MethodOf(Signal s) {
  switch (s) {
    case Signal::kTraces: return kTracesMethod;
    case Signal::kMetrics: return kMetricsMethod;
    case Signal::kLogs: return kLogsMethod;
    case Signal::kProfiles: return kProfilesMethod;
  }
  return {};
}

// One Export call: one HTTP/2 stream.
struct Call {
  std::int32_t id = 0;
  Clock::time_point started;
  // From the request headers.
  std::optional<Signal> signal;
  std::string unknown_path;  // the :path when it names no Export we serve
  bool post = false;
  bool has_path = false;
  bool grpc_content_type = false;
  std::string content_type;  // kept only when it is not gRPC's, for the error
  Encoding encoding = Encoding::kIdentity;
  std::string bad_encoding;
  int profiles_versions = 0;
  std::string profiles_version;
  std::shared_ptr<Metadata> metadata;  // include_metadata only
  std::size_t header_bytes = 0;
  // The request message as it arrives.
  std::array<unsigned char, 5> prefix{};
  std::size_t prefix_have = 0;
  std::uint32_t length = 0;
  bool compressed = false;
  bool whole = false;
  std::string message;
  BudgetLease lease;
  // Answered (or reset): what still arrives is dropped.
  bool answered = false;
  std::size_t response_sent = 0;  // bytes of the 5-byte empty response message written
};

class Connection;

}  // namespace

struct H2GrpcServer::Impl {
  Impl(const GrpcConfig& c, const ServerContext& context, ComponentTelemetry* telemetry)
      : config(c),
        context(context),
        target{&context.consumers, telemetry},
        read_buffer(static_cast<std::size_t>(std::clamp(c.read_buffer_size, 16 * 1024, 4 << 20))),
        max_pending_output(c.write_buffer_size > 0
                               ? static_cast<std::size_t>(std::clamp(c.write_buffer_size, 4 * 1024, 4 << 20))
                               : kMaxPendingOutput),
        keepalive(c.keepalive),
        backoff("receiver " + context.receiver_id + ": OTLP/gRPC") {
    nghttp2_session_callbacks_new(&callbacks);
    SetCallbacks();
    // Defaults: nghttp2 checks each request's pseudo-headers, acknowledges a
    // client's PINGs and SETTINGS (within its own outbound-ack limit) and sends
    // WINDOW_UPDATE as data is consumed.
    nghttp2_option_new(&options);
    // Closed streams are not kept for the priority tree (unused here): memory.
    nghttp2_option_set_no_closed_streams(options, 1);
  }
  ~Impl() {
    nghttp2_option_del(options);
    nghttp2_session_callbacks_del(callbacks);
  }

  struct Listener {
    explicit Listener(net::io_context& ioc) : acceptor(ioc), retry(ioc) {}
    net::basic_socket_acceptor<ListenProtocol> acceptor;
    net::steady_timer retry;  // after a failed accept
  };

  void SetCallbacks();
  void Accept(Listener& l);
  // max_connection_age with grpc-go's jitter: +-10%.
  std::chrono::nanoseconds ConnectionAge() {
    if (keepalive.age == kNever) return kNever;
    const std::int64_t r = keepalive.age.count() / 10;
    if (r == 0) return keepalive.age;
    return keepalive.age +
           std::chrono::nanoseconds(std::uniform_int_distribution<std::int64_t>(-r, r - 1)(rng));
  }
  void Sweep();
  void Forget(Connection* c);
  void BeginShutdown();

  const GrpcConfig& config;
  const ServerContext& context;
  GrpcExportTarget target;
  nghttp2_session_callbacks* callbacks = nullptr;
  nghttp2_option* options = nullptr;
  std::vector<std::uint8_t> read_buffer;  // shared by every connection: one thread reads
  const std::size_t max_pending_output;   // per connection
  const ServerKeepalive keepalive;
  std::minstd_rand rng{std::random_device{}()};

  // Declared after what connections use: destroying the io_context destroys
  // the handlers that hold connections.
  net::io_context ioc{1};
  std::vector<std::unique_ptr<Listener>> listeners;  // "localhost": 127.0.0.1 and ::1
  std::optional<net::steady_timer> sweep;
  http::AcceptBackoff backoff;
  bool unix_socket = false;
  std::unordered_map<Connection*, std::shared_ptr<Connection>> connections;
  bool stopping = false;
  std::promise<void> drained;
  bool drained_set = false;
  std::thread thread;
};

namespace {

using Impl = H2GrpcServer::Impl;

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(Impl& server, ListenProtocol::socket socket)
      : server_(server), socket_(std::move(socket)), timer_(server.ioc) {}
  ~Connection() { DeleteSession(); }

  bool Start() {
    ErrorCode ec;
    socket_.non_blocking(true, ec);
    if (ec) return false;
    if (!server_.unix_socket) {
      client_ip_ = PeerIp(socket_.native_handle());
      socket_.set_option(net::ip::tcp::no_delay(true), ec);
      // As grpc-go: data the peer does not acknowledge within the keepalive
      // timeout ends the connection (TCP_USER_TIMEOUT).
      const auto ms = static_cast<unsigned>(std::min<std::int64_t>(
          std::chrono::duration_cast<std::chrono::milliseconds>(server_.keepalive.timeout).count(),
          std::numeric_limits<int>::max()));
      ::setsockopt(socket_.native_handle(), IPPROTO_TCP, TCP_USER_TIMEOUT, &ms, sizeof ms);
    }
    if (nghttp2_session_server_new2(&session_, server_.callbacks, this, server_.options) != 0) return false;
    const GrpcConfig& c = server_.config;
    // A whole message of the largest size in one round trip, per stream and
    // for the connection; the receive budget, not the window, bounds memory.
    const auto window = static_cast<std::uint32_t>(
        std::clamp<std::size_t>(c.MaxRecvBytes() + 5, 64 * 1024, NGHTTP2_MAX_WINDOW_SIZE));
    std::vector<nghttp2_settings_entry> settings = {
        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, window},
        {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, static_cast<std::uint32_t>(kMaxHeaderBytes)},
    };
    if (c.max_concurrent_streams > 0)
      settings.push_back({NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, c.max_concurrent_streams});
    nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings.data(), settings.size());
    nghttp2_session_set_local_window_size(
        session_, NGHTTP2_FLAG_NONE, 0,
        static_cast<std::int32_t>(std::min<std::uint64_t>(2ull * window, NGHTTP2_MAX_WINDOW_SIZE)));
    const Clock::time_point now = Clock::now();
    last_read_ = read_seen_ = idle_since_ = now;
    keepalive_at_ = Later(now, server_.keepalive.time);
    idle_at_ = Later(now, server_.keepalive.idle);
    age_at_ = Later(now, server_.ConnectionAge());
    ArmTimer();
    Flush();
    if (!closed_) WaitRead();
    return true;
  }

  // GOAWAY: calls in flight finish, no new ones start; the connection closes
  // once the last one is answered.
  void GoAway() {
    if (closed_) return;
    nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE, nghttp2_session_get_last_proc_stream_id(session_),
                          NGHTTP2_NO_ERROR, nullptr, 0);
    Flush();
  }

  void Close() {
    if (closed_) return;
    closed_ = true;
    timer_.cancel();
    ErrorCode ignored;
    socket_.close(ignored);
    DeleteSession();
    calls_.clear();
    server_.Forget(this);  // may destroy *this once the handler that called us returns
  }

  // Resets the calls whose request did not arrive within the receive timeout.
  void CancelLate(Clock::time_point now, std::chrono::nanoseconds timeout) {
    if (closed_) return;
    bool any = false;
    for (auto& c : calls_) {
      if (!c->answered && now - c->started > timeout) {
        c->answered = true;
        ReleaseMessage(*c);
        nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, c->id, NGHTTP2_CANCEL);
        any = true;
      }
    }
    if (any) Flush();
  }

  // nghttp2 callbacks.
  int OnBeginHeaders(const nghttp2_frame* frame) {
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
    std::unique_ptr<Call> call = spare_ ? std::move(spare_) : std::make_unique<Call>();
    call->id = frame->hd.stream_id;
    call->started = Clock::now();
    call->lease = BudgetLease(server_.context.budget);
    nghttp2_session_set_stream_user_data(session_, call->id, call.get());
    calls_.push_back(std::move(call));
    return 0;
  }

  int OnHeader(const nghttp2_frame* frame, std::string_view name, std::string_view value) {
    Call* c = CallOf(frame->hd.stream_id);
    if (c == nullptr || frame->hd.type != NGHTTP2_HEADERS) return 0;
    c->header_bytes += name.size() + value.size() + 32;
    if (c->header_bytes > kMaxHeaderBytes) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;  // resets the stream
    if (frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;  // trailers: nothing we use
    if (!name.empty() && name.front() == ':') {
      if (name == ":path") {
        c->has_path = true;
        c->signal = SignalForGrpcMethod(value);
        if (!c->signal) c->unknown_path.assign(value);
      } else if (name == ":method") {
        c->post = value == "POST";
      }
      return 0;
    }
    if (name == "content-type") {
      c->grpc_content_type = value == "application/grpc" || value.starts_with("application/grpc+") ||
                             value.starts_with("application/grpc;");
      // No copy of the usual value: "application/grpc" is one byte past std::string's inline room.
      if (c->grpc_content_type) {
        c->content_type.clear();
      } else {
        c->content_type.assign(value);
      }
    } else if (name == "grpc-encoding") {
      if (auto e = GrpcEncoding(value)) {
        c->encoding = *e;
      } else {
        c->bad_encoding.assign(value);
      }
    } else if (name == kProfilesKey) {
      if (c->profiles_versions++ == 0) c->profiles_version.assign(value);
    }
    if (server_.config.include_metadata && !IsReservedHeader(name)) {
      if (!c->metadata) c->metadata = std::make_shared<Metadata>();
      c->metadata->emplace_back(name, value);  // HTTP/2 names are lower-case
    }
    return 0;
  }

  int OnFrameRecv(const nghttp2_frame* frame) {
    switch (frame->hd.type) {
      case NGHTTP2_HEADERS: {
        Call* c = CallOf(frame->hd.stream_id);
        if (c == nullptr) return 0;
        if (frame->headers.cat == NGHTTP2_HCAT_REQUEST) CheckHeaders(*c);
        if ((frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0) Finish(*c);
        return 0;
      }
      case NGHTTP2_DATA:
        if ((frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0) {
          if (Call* c = CallOf(frame->hd.stream_id)) Finish(*c);
        }
        return 0;
      case NGHTTP2_PING:
        if ((frame->hd.flags & NGHTTP2_FLAG_ACK) == 0) {
          OnPing();
        } else if (drain_ == DrainState::kNotified &&
                   std::memcmp(frame->ping.opaque_data, kDrainPing.data(), kDrainPing.size()) == 0) {
          // The client has seen the first GOAWAY: streams it opened before are
          // in; the real GOAWAY names the last of them.
          drain_ = DrainState::kDone;
          nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE,
                                nghttp2_session_get_last_proc_stream_id(session_), NGHTTP2_NO_ERROR, nullptr,
                                0);
        }
        return 0;
      default: return 0;
    }
  }

  int OnDataChunk(std::int32_t stream_id, const std::uint8_t* data, std::size_t len) {
    Call* c = CallOf(stream_id);
    if (c == nullptr || c->answered) return 0;
    while (len > 0) {
      if (c->whole) {
        // A second message on a unary call (grpc-go says the same).
        Answer(*c, Status::Internal("grpc: client streaming protocol violation: want <EOF>"));
        return 0;
      }
      if (c->prefix_have < 5) {
        const std::size_t n = std::min(len, 5 - c->prefix_have);
        std::memcpy(c->prefix.data() + c->prefix_have, data, n);
        c->prefix_have += n;
        data += n;
        len -= n;
        if (c->prefix_have == 5 && !OnPrefix(*c)) return 0;
        continue;
      }
      const std::size_t n = std::min<std::size_t>(len, c->length - c->message.size());
      c->message.append(reinterpret_cast<const char*>(data), n);
      data += n;
      len -= n;
      c->whole = c->message.size() == c->length;
    }
    return 0;
  }

  int OnStreamClose(std::int32_t stream_id) {
    Call* c = CallOf(stream_id);
    if (c == nullptr) return 0;
    nghttp2_session_set_stream_user_data(session_, stream_id, nullptr);
    for (auto it = calls_.begin(); it != calls_.end(); ++it) {
      if (it->get() != c) continue;
      std::unique_ptr<Call> done = std::move(*it);
      *it = std::move(calls_.back());
      calls_.pop_back();
      // Kept for the next call when it holds nothing worth giving back (a
      // released message is back to std::string's inline capacity, not 0).
      if (!spare_ && done->message.capacity() <= std::string().capacity() && !done->metadata) {
        *done = Call{};
        spare_ = std::move(done);
      }
      break;
    }
    if (calls_.empty()) idle_since_ = Clock::now();
    return 0;
  }

  int OnFrameSend(const nghttp2_frame* frame) {
    if (frame->hd.type == NGHTTP2_HEADERS || frame->hd.type == NGHTTP2_DATA) reset_ping_strikes_ = true;
    // An answer sent before the request ended: the rest of it is not wanted.
    if (frame->hd.type == NGHTTP2_HEADERS && (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0 &&
        nghttp2_session_get_stream_remote_close(session_, frame->hd.stream_id) == 0) {
      nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, frame->hd.stream_id, NGHTTP2_NO_ERROR);
    }
    return 0;
  }

  // The empty Export*ServiceResponse: a 5-byte gRPC frame of length 0, then trailers.
  ssize_t ReadResponse(std::int32_t stream_id, std::uint8_t* buf, std::size_t length, std::uint32_t* flags) {
    Call* c = CallOf(stream_id);
    const std::size_t left = c == nullptr ? 0 : 5 - c->response_sent;
    const std::size_t n = std::min(left, length);
    std::memset(buf, 0, n);
    if (c != nullptr) c->response_sent += n;
    if (n == left) {
      *flags |= NGHTTP2_DATA_FLAG_EOF | NGHTTP2_DATA_FLAG_NO_END_STREAM;
      static const nghttp2_nv kOkTrailers[] = {Nv("grpc-status", "0", kStatic)};
      nghttp2_submit_trailer(session_, stream_id, kOkTrailers, 1);
    }
    return static_cast<ssize_t>(n);
  }

 private:
  Call* CallOf(std::int32_t stream_id) {
    return static_cast<Call*>(nghttp2_session_get_stream_user_data(session_, stream_id));
  }

  void DeleteSession() {
    if (session_ != nullptr) nghttp2_session_del(session_);
    session_ = nullptr;
  }

  // What gRPC servers refuse from the headers alone, answered at once.
  void CheckHeaders(Call& c) {
    if (c.answered) return;
    if (!c.post || !c.has_path) {
      Answer(c, Status::Internal("grpc: only POST requests with a :path are served"), "405");
      return;
    }
    if (!c.grpc_content_type) {
      // grpc-go: HTTP 415 with INTERNAL.
      Answer(c, Status::Internal("transport: received unexpected content-type \"" + c.content_type + "\""),
             "415");
      return;
    }
    if (!c.signal || (*server_.target.consumers)[SignalIndex(*c.signal)] == nullptr) {
      AnswerCode(c, 12, "unknown method " + (c.signal ? std::string(MethodOf(*c.signal)) : c.unknown_path));
      return;
    }
    if (!c.bad_encoding.empty()) {
      AnswerCode(c, 12, "grpc: Decompressor is not installed for grpc-encoding \"" + c.bad_encoding + "\"");
    }
  }

  // The 5-byte prefix is in: the message's size is known and taken from the
  // budget before any of it is kept. False: the call was answered.
  bool OnPrefix(Call& c) {
    c.compressed = c.prefix[0] != 0;
    c.length = LoadBe32(&c.prefix[1]);
    if (c.compressed && c.encoding == Encoding::kIdentity) {
      Answer(c, Status::Internal("grpc: compressed flag set with identity or empty encoding"));
      return false;
    }
    const std::size_t max = server_.config.MaxRecvBytes();
    if (c.length > max) {
      Answer(c, Status::ResourceExhausted("grpc: received message larger than max (" +
                                          std::to_string(c.length) + " vs. " + std::to_string(max) + ")"));
      return false;
    }
    if (ReceiveBudget::Verdict v = c.lease.Grow(c.length); v != ReceiveBudget::Verdict::kOk) {
      Answer(c, v == ReceiveBudget::Verdict::kTooLarge
                    ? Status::ResourceExhausted(ReceiveBudget::kTooLargeMessage)
                    : Status::ResourceExhausted(ReceiveBudget::kBusyMessage, std::chrono::seconds(1)));
      return false;
    }
    c.message.reserve(c.length);
    c.whole = c.length == 0;
    return true;
  }

  // The request ended: hand its message on and answer.
  void Finish(Call& c) {
    if (c.answered) return;
    if (!c.whole) {
      Answer(c, Status::InvalidArgument(c.prefix_have == 0 ? "no request message"
                                                           : "incomplete request message"));
      return;
    }
    const Signal signal = *c.signal;
    if (signal == Signal::kProfiles) {
      // Checked before the request is decoded, as pdata's server does.
      std::vector<std::string_view> versions;
      if (c.profiles_versions > 0) versions.assign(c.profiles_versions, c.profiles_version);
      if (Status v = CheckProfilesVersion(versions); !v.ok()) return Answer(c, v);
    }
    std::string bytes = std::move(c.message);
    c.message = std::string();
    std::string gzip;  // the client's gzip member, kept for an exporter sending gzip
    if (c.compressed) {
      if (Status s = Inflate(c, &bytes, &gzip); !s.ok()) return Answer(c, s);
    }
    std::shared_ptr<const Metadata> metadata;
    if (server_.config.include_metadata) {
      metadata = c.metadata ? std::move(c.metadata) : std::make_shared<Metadata>();
      c.metadata = nullptr;
    }
    Answer(c, ExportGrpcMessage(server_.target, signal, std::move(bytes), std::move(metadata), client_ip_,
                                std::move(gzip)));
  }

  // Decompresses a message within max_recv_msg_size, its output on the call's
  // lease. A message that was one gzip member worth passing on goes to *gzip,
  // framed as Payload::gzip (on the lease too).
  Status Inflate(Call& c, std::string* bytes, std::string* gzip) {
    const std::size_t max = server_.config.MaxRecvBytes();
    std::string out;
    bool one_member = false;
    {
      auto decoder = BodyDecoder::Create(c.encoding, max, &c.lease);
      DecodeOutcome r = decoder->DecodeWhole(*bytes);
      one_member = r == DecodeOutcome::kOk && decoder->one_gzip_member();
      if (r == DecodeOutcome::kOk) r = decoder->TakeBody(&out);
      if (r != DecodeOutcome::kOk) {
        if (r == DecodeOutcome::kCorrupt) {
          return Status::Internal("grpc: failed to decompress the received message: " + decoder->error());
        }
        if (decoder->budget_refused()) {
          return r == DecodeOutcome::kBusy
                     ? Status::ResourceExhausted(ReceiveBudget::kBusyMessage, std::chrono::seconds(1))
                     : Status::ResourceExhausted(ReceiveBudget::kTooLargeMessage);
        }
        return Status::ResourceExhausted("grpc: received message after decompression larger than max " +
                                         std::to_string(max));
      }
    }
    if (one_member && server_.context.keep_gzip[SignalIndex(*c.signal)] &&
        config::compression::WorthKeeping(*bytes)) {
      gzip->reserve(4 + bytes->size());
      config::compression::AppendMember(*gzip, *bytes);
    }
    *bytes = std::move(out);
    c.lease.ShrinkTo(bytes->capacity() + gzip->capacity());
    return Status::Ok();
  }

  static void ReleaseMessage(Call& c) {
    c.message = std::string();
    c.lease.Reset();
  }

  void Answer(Call& c, const Status& s, std::string_view http_status = "200") {
    if (s.ok()) {
      c.answered = true;
      ReleaseMessage(c);
      static const nghttp2_nv kOkHeaders[] = {Nv(":status", "200", kStatic),
                                              Nv("content-type", "application/grpc", kStatic)};
      nghttp2_data_provider provider{};
      provider.read_callback = [](nghttp2_session*, std::int32_t stream_id, std::uint8_t* buf,
                                  std::size_t length, std::uint32_t* flags, nghttp2_data_source*,
                                  void* user) -> ssize_t {
        return static_cast<Connection*>(user)->ReadResponse(stream_id, buf, length, flags);
      };
      nghttp2_submit_response(session_, c.id, kOkHeaders, 2, &provider);
      return;
    }
    AnswerCode(c, GrpcStatusCode(s.code()), s.message(), GrpcStatusDetails(s), http_status);
  }

  // Trailers-Only: one HEADERS frame that ends the stream.
  void AnswerCode(Call& c, int code, const std::string& message, const std::string& details = {},
                  std::string_view http_status = "200") {
    c.answered = true;
    ReleaseMessage(c);
    const std::string code_text = std::to_string(code);
    const std::string encoded = PercentEncode(message);
    std::vector<nghttp2_nv> nv = {Nv(":status", http_status), Nv("content-type", "application/grpc", kStatic),
                                  Nv("grpc-status", code_text), Nv("grpc-message", encoded)};
    std::string details_b64;
    if (!details.empty()) {
      details_b64 = Base64(details);
      nv.push_back(Nv("grpc-status-details-bin", details_b64));
    }
    if (code == 12) nv.push_back(Nv("grpc-accept-encoding", kAcceptEncoding, kStatic));
    nghttp2_submit_response(session_, c.id, nv.data(), nv.size(), nullptr);
  }

  // keepalive.enforcement_policy, as grpc-go enforces it.
  void OnPing() {
    const Clock::time_point now = Clock::now();
    const Clock::time_point last = last_ping_;
    last_ping_ = now;
    if (reset_ping_strikes_) {
      reset_ping_strikes_ = false;
      ping_strikes_ = 0;
      return;
    }
    const GrpcKeepalive& k = server_.config.keepalive;
    const bool idle = calls_.empty();
    const std::chrono::nanoseconds allowed =
        idle && !k.enforcement_permit_without_stream
            ? std::chrono::nanoseconds(kPingIntervalWithoutStreams)
            : (k.enforcement_min_time.count() > 0 ? k.enforcement_min_time
                                                  : std::chrono::nanoseconds(kDefaultPingMinTime));
    if (last != Clock::time_point{} && last + allowed > now) ++ping_strikes_;
    if (ping_strikes_ > kMaxPingStrikes) {
      static constexpr std::string_view kDebug = "too_many_pings";
      nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE, nghttp2_session_get_last_proc_stream_id(session_),
                            NGHTTP2_ENHANCE_YOUR_CALM, reinterpret_cast<const std::uint8_t*>(kDebug.data()),
                            kDebug.size());
      close_when_flushed_ = true;
    }
  }

  // keepalive.server_parameters, as grpc-go's http2Server.keepalive() does
  // them, on the one timer: it is armed for the earliest of three checks and
  // never re-armed from elsewhere (a read only stamps last_read_; a check
  // that finds its moment moved on arms itself again).
  void ArmTimer() {
    const Clock::time_point next = std::min({keepalive_at_, idle_at_, age_at_});
    if (closed_ || next == Clock::time_point::max()) return;
    timer_.expires_at(next);
    timer_.async_wait([self = shared_from_this()](const ErrorCode& ec) {
      if (!ec && !self->closed_) self->OnTimer();
    });
  }

  void OnTimer() {
    const Clock::time_point now = Clock::now();
    if (now >= keepalive_at_) CheckKeepalive(now);
    if (!closed_ && now >= idle_at_) CheckIdle(now);
    if (!closed_ && now >= age_at_) CheckAge(now);
    if (closed_) return;
    Flush();
    ArmTimer();
  }

  // `time` without a read: PING; `timeout` more without a read (its ack or
  // any frame): close.
  void CheckKeepalive(Clock::time_point now) {
    const ServerKeepalive& k = server_.keepalive;
    if (last_read_ > read_seen_) {
      read_seen_ = last_read_;
      ping_deadline_ = Clock::time_point::max();
      keepalive_at_ = Later(last_read_, k.time);
      return;
    }
    if (ping_deadline_ != Clock::time_point::max()) {
      if (now >= ping_deadline_) {
        spdlog::debug("receiver {}: OTLP/gRPC: keepalive ping not acknowledged within {}ms; closing",
                      server_.context.receiver_id,
                      std::chrono::duration_cast<std::chrono::milliseconds>(k.timeout).count());
        return Close();
      }
      keepalive_at_ = std::min(Later(now, k.time), ping_deadline_);
      return;
    }
    nghttp2_submit_ping(session_, NGHTTP2_FLAG_NONE, nullptr);
    ping_deadline_ = Later(now, k.timeout);
    keepalive_at_ = Later(now, std::min(k.time, k.timeout));
  }

  // max_connection_idle: no call open for that long, graceful GOAWAY. A
  // check that finds calls open comes back a whole idle time later, which is
  // never after the moment the last of them ends plus that time.
  void CheckIdle(Clock::time_point now) {
    const std::chrono::nanoseconds idle = server_.keepalive.idle;
    if (!calls_.empty()) {
      idle_at_ = Later(now, idle);
    } else if (now - idle_since_ < idle) {
      idle_at_ = Later(idle_since_, idle);
    } else {
      idle_at_ = Clock::time_point::max();
      Drain();
    }
  }

  // max_connection_age: graceful GOAWAY; max_connection_age_grace later the
  // connection is closed with whatever calls are still open.
  void CheckAge(Clock::time_point now) {
    if (aged_) {
      spdlog::debug("receiver {}: OTLP/gRPC: max_connection_age_grace over; closing",
                    server_.context.receiver_id);
      return Close();
    }
    aged_ = true;
    Drain();
    age_at_ = Later(now, server_.keepalive.grace);
  }

  // grpc-go's graceful GOAWAY: one with the largest stream id (open no more
  // streams) and a PING; on its ack the real one (OnFrameRecv). Calls in
  // flight finish; the connection closes when none is left (Flush).
  void Drain() {
    if (drain_ != DrainState::kNone) return;
    drain_ = DrainState::kNotified;
    nghttp2_submit_shutdown_notice(session_);
    nghttp2_submit_ping(session_, NGHTTP2_FLAG_NONE, kDrainPing.data());
  }

  void WaitRead() {
    reading_ = true;
    socket_.async_wait(net::socket_base::wait_read, [self = shared_from_this()](const ErrorCode& ec) {
      self->reading_ = false;
      self->OnReadable(ec);
    });
  }

  void OnReadable(const ErrorCode& ec) {
    if (closed_) return;
    if (ec) return Close();
    std::vector<std::uint8_t>& buf = server_.read_buffer;
    for (int i = 0; i < kReadsPerTurn && !closed_; ++i) {
      ErrorCode rec;
      const std::size_t n = socket_.read_some(net::buffer(buf), rec);
      if (rec == net::error::would_block || rec == net::error::try_again) break;
      if (rec) return Close();                // end of stream or a reset: nothing to answer
      if (i == 0) last_read_ = Clock::now();  // keepalive: the peer is there
      const auto rv = nghttp2_session_mem_recv(session_, buf.data(), n);
      if (rv < 0) {
        // A protocol error: nghttp2 queued a GOAWAY; send what we can, then close.
        close_when_flushed_ = true;
        break;
      }
      if (n < buf.size()) break;  // the socket is most likely empty
    }
    Flush();
    if (!closed_ && !reading_ && !close_when_flushed_) WaitRead();
  }

  // Moves what nghttp2 wants to send into the socket, keeping what it does
  // not take; closes the connection once nothing is left to read or write.
  void Flush() {
    while (!closed_ && !writing_) {
      bool capped = false;
      while (!capped) {
        const std::uint8_t* data = nullptr;
        const auto n = nghttp2_session_mem_send(session_, &data);
        if (n < 0) return Close();
        if (n == 0) break;
        out_.append(reinterpret_cast<const char*>(data), static_cast<std::size_t>(n));
        capped = out_.size() - out_sent_ >= server_.max_pending_output;
      }
      if (out_sent_ < out_.size()) {
        ErrorCode ec;
        out_sent_ += socket_.write_some(net::buffer(out_.data() + out_sent_, out_.size() - out_sent_), ec);
        if (ec && ec != net::error::would_block && ec != net::error::try_again) return Close();
        if (out_sent_ < out_.size()) {
          writing_ = true;
          socket_.async_wait(net::socket_base::wait_write, [self = shared_from_this()](const ErrorCode& e) {
            self->writing_ = false;
            if (self->closed_) return;
            if (e) return self->Close();
            self->Flush();
          });
          return;
        }
      }
      out_sent_ = 0;
      if (out_.capacity() > kKeptOutputCapacity) {
        std::string().swap(out_);
      } else {
        out_.clear();
      }
      if (!capped) break;
    }
    if (closed_ || writing_) return;
    if (close_when_flushed_ ||
        (nghttp2_session_want_read(session_) == 0 && nghttp2_session_want_write(session_) == 0)) {
      Close();
    }
  }

  Impl& server_;
  ListenProtocol::socket socket_;
  net::basic_waitable_timer<Clock, net::wait_traits<Clock>, net::io_context::executor_type> timer_;
  nghttp2_session* session_ = nullptr;
  std::string client_ip_;
  std::vector<std::unique_ptr<Call>> calls_;
  std::unique_ptr<Call> spare_;
  std::string out_;
  std::size_t out_sent_ = 0;
  bool reading_ = false;
  bool writing_ = false;
  bool closed_ = false;
  bool close_when_flushed_ = false;
  Clock::time_point last_ping_{};
  int ping_strikes_ = 0;
  bool reset_ping_strikes_ = false;
  // keepalive.server_parameters (ArmTimer): when each check is due
  // (time_point::max(): never), and what they keep.
  Clock::time_point keepalive_at_{}, idle_at_{}, age_at_{};
  Clock::time_point last_read_{};  // the last read that got bytes
  Clock::time_point read_seen_{};  // last_read_ as the last keepalive check saw it
  Clock::time_point ping_deadline_ = Clock::time_point::max();  // a keepalive PING is unanswered until then
  Clock::time_point idle_since_{};                              // when the last call ended
  enum class DrainState : std::uint8_t { kNone, kNotified, kDone } drain_ = DrainState::kNone;
  bool aged_ = false;  // the max_connection_age GOAWAY went: age_at_ is the grace's end
};

Connection* Of(void* user) { return static_cast<Connection*>(user); }

}  // namespace

void H2GrpcServer::Impl::SetCallbacks() {
  nghttp2_session_callbacks_set_on_begin_headers_callback(
      callbacks, [](nghttp2_session*, const nghttp2_frame* frame, void* user) {
        return Of(user)->OnBeginHeaders(frame);
      });
  nghttp2_session_callbacks_set_on_header_callback(
      callbacks,
      [](nghttp2_session*, const nghttp2_frame* frame, const std::uint8_t* name, std::size_t namelen,
         const std::uint8_t* value, std::size_t valuelen, std::uint8_t, void* user) {
        return Of(user)->OnHeader(frame, std::string_view(reinterpret_cast<const char*>(name), namelen),
                                  std::string_view(reinterpret_cast<const char*>(value), valuelen));
      });
  nghttp2_session_callbacks_set_on_frame_recv_callback(
      callbacks,
      [](nghttp2_session*, const nghttp2_frame* frame, void* user) { return Of(user)->OnFrameRecv(frame); });
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(
      callbacks, [](nghttp2_session*, std::uint8_t, std::int32_t stream_id, const std::uint8_t* data,
                    std::size_t len, void* user) { return Of(user)->OnDataChunk(stream_id, data, len); });
  nghttp2_session_callbacks_set_on_stream_close_callback(
      callbacks, [](nghttp2_session*, std::int32_t stream_id, std::uint32_t, void* user) {
        return Of(user)->OnStreamClose(stream_id);
      });
  nghttp2_session_callbacks_set_on_frame_send_callback(
      callbacks,
      [](nghttp2_session*, const nghttp2_frame* frame, void* user) { return Of(user)->OnFrameSend(frame); });
}

void H2GrpcServer::Impl::Accept(Listener& l) {
  l.acceptor.async_accept([this, &l](const ErrorCode& ec, ListenProtocol::socket socket) {
    if (stopping || !l.acceptor.is_open()) return;
    if (ec) {
      // Out of file descriptors and the like: wait, longer each time, instead of spinning.
      const auto step = backoff.Failed(ec.message());
      if (!step.log.empty()) spdlog::warn("{}", step.log);
      l.retry.expires_after(step.delay);
      l.retry.async_wait([this, &l](const ErrorCode& e) {
        if (!e && !stopping) Accept(l);
      });
      return;
    }
    if (auto line = backoff.Succeeded(); !line.empty()) spdlog::info("{}", line);
    auto conn = std::make_shared<Connection>(*this, std::move(socket));
    connections.emplace(conn.get(), conn);
    if (!conn->Start()) conn->Close();
    Accept(l);
  });
}

void H2GrpcServer::Impl::Sweep() {
  const auto timeout = config.request_receive_timeout;
  const auto tick = std::clamp<std::chrono::nanoseconds>(timeout / 4, std::chrono::milliseconds(10),
                                                         std::chrono::seconds(1));
  sweep->expires_after(tick);
  sweep->async_wait([this, timeout](const ErrorCode& ec) {
    if (ec || stopping) return;
    const Clock::time_point now = Clock::now();
    // Resetting a call may close its connection, which leaves the map.
    std::vector<std::shared_ptr<Connection>> all;
    all.reserve(connections.size());
    for (auto& [_, c] : connections) all.push_back(c);
    for (auto& c : all) c->CancelLate(now, timeout);
    Sweep();
  });
}

void H2GrpcServer::Impl::Forget(Connection* c) {
  connections.erase(c);
  if (stopping && connections.empty() && !drained_set) {
    drained_set = true;
    drained.set_value();
  }
}

void H2GrpcServer::Impl::BeginShutdown() {
  stopping = true;
  ErrorCode ignored;
  for (auto& l : listeners) {
    l->acceptor.close(ignored);
    l->retry.cancel();
  }
  if (sweep) sweep->cancel();
  std::vector<std::shared_ptr<Connection>> all;
  for (auto& [_, c] : connections) all.push_back(c);
  for (auto& c : all) c->GoAway();
  if (connections.empty() && !drained_set) {
    drained_set = true;
    drained.set_value();
  }
}

H2GrpcServer::H2GrpcServer(GrpcConfig config, const ServerContext& context, ComponentTelemetry* telemetry)
    : config_(std::move(config)), context_(context), telemetry_(telemetry) {
  // A compressed message and what it inflates to are held at once.
  context_.budget->RequireRoomFor(2 * config_.MaxRecvBytes());
}

H2GrpcServer::~H2GrpcServer() { Shutdown(Clock::now()); }

Status H2GrpcServer::Start() {
  auto impl = std::make_unique<Impl>(config_, context_, telemetry_);
  Impl& s = *impl;
  s.unix_socket = config_.transport == "unix";
  auto where = GrpcListenEndpoints(s.ioc, config_.endpoint, config_.transport);
  if (!where.ok()) return where.status();
  // Every address that binds, as gRPC C++ does: port 0 takes the port the
  // first one got for the others; an address that does not bind (::1 without
  // IPv6) is skipped unless none binds.
  std::string failed;
  for (ListenProtocol::endpoint e : *where) {
    if (port_ != 0) SetPort(e, port_);
    auto l = std::make_unique<Impl::Listener>(s.ioc);
    ErrorCode ec;
    l->acceptor.open(e.protocol(), ec);
    if (!ec && !s.unix_socket) l->acceptor.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) l->acceptor.bind(e, ec);
    if (!ec) l->acceptor.listen(net::socket_base::max_listen_connections, ec);
    if (ec) {
      if (failed.empty()) failed = ec.message();
      if (where->size() > 1) {
        spdlog::info("receiver {}: OTLP/gRPC on {}: not listening on one of its addresses (family {}): {}",
                     context_.receiver_id, config_.endpoint,
                     e.data()->sa_family == AF_INET6 ? "IPv6" : "IPv4", ec.message());
      }
      continue;
    }
    if (port_ == 0 && !s.unix_socket) port_ = PortOf(l->acceptor.local_endpoint());
    s.listeners.push_back(std::move(l));
  }
  if (s.listeners.empty()) return Status::Internal("cannot listen on " + config_.endpoint + ": " + failed);
  for (auto& l : s.listeners) s.Accept(*l);
  if (config_.request_receive_timeout.count() > 0) {
    s.sweep.emplace(s.ioc);
    s.Sweep();
  }
  s.thread = std::thread([&s] { s.ioc.run(); });
  impl_ = std::move(impl);
  spdlog::info("receiver {}: OTLP/gRPC listening on {} (port {}, nghttp2, 1 thread)", context_.receiver_id,
               config_.endpoint, port_);
  return Status::Ok();
}

void H2GrpcServer::Shutdown(std::chrono::steady_clock::time_point deadline) {
  if (!impl_) return;
  Impl& s = *impl_;
  std::future<void> drained = s.drained.get_future();
  net::post(s.ioc, [&s] { s.BeginShutdown(); });
  drained.wait_until(deadline);
  // Past the deadline what is left is closed: the io_context stops, and its
  // connections go with it on this thread.
  s.ioc.stop();
  s.thread.join();
  std::vector<std::shared_ptr<Connection>> left;
  for (auto& [_, c] : s.connections) left.push_back(c);
  s.stopping = true;
  s.drained_set = true;
  for (auto& c : left) c->Close();
  left.clear();
  impl_.reset();
  if (config_.transport == "unix") config::net::RemoveUnixSocket(config_.endpoint);
}

}  // namespace otlpd::receivers::otlp
