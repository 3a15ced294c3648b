#include "exporters/otlp/h2_grpc_client.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <nghttp2/nghttp2.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "config/compression/gzip_sender.h"
#include "exporters/otlp/export_response.h"
#include "internal/base64.h"
#include "internal/big_endian.h"
#include "internal/host_port.h"
#include "internal/nghttp2_nv.h"
#include "internal/text.h"
#include "otlp/profiles_version.h"

#include <spdlog/spdlog.h>

namespace otlpd::exporters::otlp {
namespace {

using exporterhelper::SendResult;

// gRPC status codes used here.
constexpr int kCancelled = 1;
constexpr int kUnknown = 2;
constexpr int kDeadlineExceeded = 4;
constexpr int kPermissionDenied = 7;
constexpr int kResourceExhausted = 8;
constexpr int kUnimplemented = 12;
constexpr int kInternal = 13;
constexpr int kUnavailable = 14;
constexpr int kUnauthenticated = 16;

// gRPC's default limit on a received message (the client's max receive size).
constexpr std::size_t kMaxResponseBytes = 4u << 20;
// Segments gathered before one sendmsg (IOV_MAX is 1024).
constexpr std::size_t kMaxSegments = 512;
// DNS answers are used this long before a call resolves the host again (gRPC's
// DNS resolver re-resolves at most every 30 s too).
constexpr auto kResolveEvery = std::chrono::seconds(30);
// After a failed dial an address is skipped while others work, for this long
// doubling up to the cap (gRPC's reconnect backoff, capped as grpc_client.cpp
// caps it).
constexpr auto kDownInitial = std::chrono::seconds(1);
constexpr auto kDownMax = std::chrono::seconds(5);

// gRPC's mapping of an HTTP status without grpc-status (PROTOCOL-HTTP2 /
// http-grpc-status-mapping.md).
int CodeForHttpStatus(int status) {
  switch (status) {
    case 400: return kInternal;
    case 401: return kUnauthenticated;
    case 403: return kPermissionDenied;
    case 404: return kUnimplemented;
    case 429:
    case 502:
    case 503:
    case 504: return kUnavailable;
    default: return kUnknown;
  }
}

// gRPC's mapping of an RST_STREAM error code (PROTOCOL-HTTP2, "Errors").
int CodeForReset(std::uint32_t error) {
  switch (error) {
    case NGHTTP2_REFUSED_STREAM: return kUnavailable;
    case NGHTTP2_CANCEL: return kCancelled;
    case NGHTTP2_ENHANCE_YOUR_CALM: return kResourceExhausted;
    case NGHTTP2_INADEQUATE_SECURITY: return kPermissionDenied;
    default: return kInternal;
  }
}

// grpc-message is percent-encoded; a malformed escape is kept as it is (as
// grpc-go does).
std::string PercentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      const int hi = HexDigitValue(s[i + 1]), lo = HexDigitValue(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

// grpc-timeout: at most eight digits and a unit, rounded up.
std::string GrpcTimeout(Clock::duration left) {
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
  if (ms < 100'000'000) return std::to_string(std::max<std::int64_t>(ms, 1)) + "m";
  auto s = (ms + 999) / 1000;
  if (s < 100'000'000) return std::to_string(s) + "S";
  return std::to_string(std::min<std::int64_t>((s + 3599) / 3600, 99'999'999)) + "H";
}

int PollMillis(Clock::time_point deadline) {
  if (deadline == Clock::time_point::max()) return -1;
  auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return static_cast<int>(std::clamp<std::int64_t>(left, 0, 1'000'000'000));
}

// A gzip message from the server (grpc-encoding: gzip), at most `max` bytes.
bool Gunzip(std::string_view in, std::size_t max, std::string* out) {
  z_stream z{};
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) return false;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  out->clear();
  int rc = Z_OK;
  while (rc == Z_OK) {
    if (out->size() >= max) break;
    std::size_t at = out->size();
    out->resize(std::min(max, std::max<std::size_t>(at * 2, 256)));
    z.next_out = reinterpret_cast<Bytef*>(out->data() + at);
    z.avail_out = static_cast<uInt>(out->size() - at);
    rc = inflate(&z, Z_NO_FLUSH);
    out->resize(out->size() - z.avail_out);
  }
  inflateEnd(&z);
  return rc == Z_STREAM_END && z.avail_in == 0;
}

// How an attempt ended, before it becomes a SendResult.
struct Outcome {
  int code = 0;
  std::string message;
  std::string details;   // grpc-status-details-bin, decoded
  std::string response;  // the response message (code 0)
  bool has_response = false;
  bool unprocessed = false;  // the server refused the stream before processing it
};

Outcome Fail(int code, std::string message) {
  Outcome o;
  o.code = code;
  o.message = std::move(message);
  return o;
}

struct Address {
  sockaddr_storage addr{};
  socklen_t len = 0;
  std::string key;  // printable, identifies the pool
};

}  // namespace

// One Export call on a connection.
struct Call {
  std::array<std::uint8_t, 5> prefix{};
  std::string_view message;
  std::size_t read_off = 0;  // bytes of prefix+message promised to nghttp2
  std::int32_t stream_id = -1;

  int http_status = 0;
  bool headers_seen = false;
  bool grpc_content_type = false;
  bool has_grpc_status = false;
  int grpc_status = 0;
  std::string grpc_message, grpc_details, grpc_encoding;
  std::string data;  // the response's DATA, framed
  bool too_large = false;
  bool closed = false;
  std::uint32_t close_error = 0;

  std::size_t size() const { return prefix.size() + message.size(); }
};

// One HTTP/2 connection to one address, used by one call at a time.
struct Conn {
  int fd = -1;
  nghttp2_session* session = nullptr;
  std::string key;
  Call* call = nullptr;
  bool dead = false;  // GOAWAY, closed, or an error: not reused
  Clock::time_point deadline = Clock::time_point::max();
  bool deadline_hit = false;
  bool ping_acked = false;         // a keepalive PING's ACK arrived
  Clock::time_point idle_since{};  // back in the pool

  // Bytes nghttp2 produced, gathered for one sendmsg: control frames copied
  // into `staged`, DATA payloads pointing into the call's message.
  struct Segment {
    const char* ptr;  // null: staged[off, off + len)
    std::size_t off, len;
  };
  std::string staged;
  std::vector<Segment> segments;
  std::vector<iovec> iov;

  ~Conn() {
    if (session != nullptr) nghttp2_session_del(session);
    if (fd >= 0) ::close(fd);
  }

  void Stage(const void* p, std::size_t n) {
    segments.push_back(Segment{nullptr, staged.size(), n});
    staged.append(static_cast<const char*>(p), n);
  }

  // Writes everything staged before the deadline.
  bool Flush() {
    if (segments.empty()) return true;
    iov.clear();
    for (const Segment& s : segments) {
      const char* p = s.ptr != nullptr ? s.ptr : staged.data() + s.off;
      iov.push_back(iovec{const_cast<char*>(p), s.len});
    }
    std::size_t first = 0;
    bool ok = true;
    while (first < iov.size()) {
      msghdr msg{};
      msg.msg_iov = iov.data() + first;
      msg.msg_iovlen = iov.size() - first;
      ssize_t n = ::sendmsg(fd, &msg, MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
          pollfd p{fd, POLLOUT, 0};
          int r = ::poll(&p, 1, PollMillis(deadline));
          if (r == 0) {
            deadline_hit = true;
            ok = false;
            break;
          }
          if (r < 0 && errno != EINTR) {
            ok = false;
            break;
          }
          continue;
        }
        ok = false;
        break;
      }
      auto left = static_cast<std::size_t>(n);
      while (first < iov.size() && left >= iov[first].iov_len) left -= iov[first++].iov_len;
      if (left > 0) {
        iov[first].iov_base = static_cast<char*>(iov[first].iov_base) + left;
        iov[first].iov_len -= left;
      }
    }
    segments.clear();
    staged.clear();
    if (!ok) dead = true;
    return ok;
  }
};

namespace {

ssize_t OnSend(nghttp2_session*, const std::uint8_t* data, std::size_t length, int, void* user) {
  auto* c = static_cast<Conn*>(user);
  c->Stage(data, length);
  if (c->segments.size() >= kMaxSegments && !c->Flush()) return NGHTTP2_ERR_CALLBACK_FAILURE;
  return static_cast<ssize_t>(length);
}

ssize_t ReadBody(nghttp2_session*, std::int32_t, std::uint8_t*, std::size_t length, std::uint32_t* flags,
                 nghttp2_data_source* source, void*) {
  auto* call = static_cast<Call*>(source->ptr);
  std::size_t left = call->size() - call->read_off;
  std::size_t n = std::min(length, left);
  call->read_off += n;
  *flags |= NGHTTP2_DATA_FLAG_NO_COPY;
  if (call->read_off == call->size()) *flags |= NGHTTP2_DATA_FLAG_EOF;
  return static_cast<ssize_t>(n);
}

// A DATA frame of `length` bytes of the call's prefix+message, from where the
// previous one ended: its header is staged, the message bytes are pointed at.
int OnSendData(nghttp2_session*, nghttp2_frame*, const std::uint8_t* framehd, std::size_t length,
               nghttp2_data_source* source, void* user) {
  auto* c = static_cast<Conn*>(user);
  auto* call = static_cast<Call*>(source->ptr);
  c->Stage(framehd, 9);
  // Where this frame starts: everything promised minus what is still to go,
  // frames being sent in the order they were read.
  std::size_t at = call->read_off - length;
  if (at < call->prefix.size()) {
    std::size_t n = std::min(length, call->prefix.size() - at);
    c->Stage(call->prefix.data() + at, n);
    at += n;
    length -= n;
  }
  if (length > 0) {
    c->segments.push_back(Conn::Segment{call->message.data() + (at - call->prefix.size()), 0, length});
  }
  if (c->segments.size() >= kMaxSegments && !c->Flush()) return NGHTTP2_ERR_CALLBACK_FAILURE;
  return 0;
}

int OnHeader(nghttp2_session*, const nghttp2_frame* frame, const std::uint8_t* name, std::size_t namelen,
             const std::uint8_t* value, std::size_t valuelen, std::uint8_t, void* user) {
  auto* c = static_cast<Conn*>(user);
  Call* call = c->call;
  if (call == nullptr || frame->hd.stream_id != call->stream_id) return 0;
  std::string_view n(reinterpret_cast<const char*>(name), namelen);
  std::string_view v(reinterpret_cast<const char*>(value), valuelen);
  if (n == ":status") {
    int status = 0;
    for (char ch : v) status = status * 10 + (ch - '0');
    call->http_status = status;
  } else if (n == "content-type") {
    call->grpc_content_type =
        v == "application/grpc" || v.starts_with("application/grpc+") || v.starts_with("application/grpc;");
  } else if (n == "grpc-status") {
    int code = 0;
    bool ok = !v.empty();
    for (char ch : v) {
      if (ch < '0' || ch > '9') ok = false;
      code = code * 10 + (ch - '0');
    }
    call->has_grpc_status = true;
    call->grpc_status = ok ? code : kUnknown;
  } else if (n == "grpc-message") {
    call->grpc_message = PercentDecode(v);
  } else if (n == "grpc-status-details-bin") {
    if (!Base64Decode(v, &call->grpc_details)) call->grpc_details.clear();
  } else if (n == "grpc-encoding") {
    call->grpc_encoding = std::string(v);
  }
  return 0;
}

int OnBeginHeaders(nghttp2_session*, const nghttp2_frame* frame, void* user) {
  auto* c = static_cast<Conn*>(user);
  if (c->call != nullptr && frame->hd.stream_id == c->call->stream_id &&
      frame->headers.cat == NGHTTP2_HCAT_RESPONSE) {
    c->call->headers_seen = true;
  }
  return 0;
}

int OnData(nghttp2_session*, std::uint8_t, std::int32_t stream_id, const std::uint8_t* data, std::size_t len,
           void* user) {
  auto* c = static_cast<Conn*>(user);
  Call* call = c->call;
  if (call == nullptr || stream_id != call->stream_id || call->too_large) return 0;
  if (call->data.size() + len > kMaxResponseBytes + 5) {
    call->too_large = true;
    call->data.clear();
    return 0;
  }
  call->data.append(reinterpret_cast<const char*>(data), len);
  return 0;
}

int OnStreamClose(nghttp2_session*, std::int32_t stream_id, std::uint32_t error, void* user) {
  auto* c = static_cast<Conn*>(user);
  if (c->call != nullptr && stream_id == c->call->stream_id) {
    c->call->closed = true;
    c->call->close_error = error;
  }
  return 0;
}

int OnFrame(nghttp2_session*, const nghttp2_frame* frame, void* user) {
  auto* c = static_cast<Conn*>(user);
  if (frame->hd.type == NGHTTP2_GOAWAY) c->dead = true;
  if (frame->hd.type == NGHTTP2_PING && (frame->hd.flags & NGHTTP2_FLAG_ACK) != 0) c->ping_acked = true;
  return 0;
}

nghttp2_session_callbacks* MakeCallbacks() {
  nghttp2_session_callbacks* cb = nullptr;
  nghttp2_session_callbacks_new(&cb);
  nghttp2_session_callbacks_set_send_callback(cb, OnSend);
  nghttp2_session_callbacks_set_send_data_callback(cb, OnSendData);
  nghttp2_session_callbacks_set_on_header_callback(cb, OnHeader);
  nghttp2_session_callbacks_set_on_begin_headers_callback(cb, OnBeginHeaders);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, OnData);
  nghttp2_session_callbacks_set_on_stream_close_callback(cb, OnStreamClose);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cb, OnFrame);
  return cb;
}

std::string PrintAddress(const sockaddr_storage& a) {
  char host[NI_MAXHOST], port[NI_MAXSERV];
  if (getnameinfo(reinterpret_cast<const sockaddr*>(&a), sizeof(a), host, sizeof(host), port, sizeof(port),
                  NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
    return "?";
  }
  return a.ss_family == AF_INET6 ? "[" + std::string(host) + "]:" + port : std::string(host) + ":" + port;
}

}  // namespace

struct H2GrpcClient::Impl {
  Config config;
  std::string host, port, authority, user_agent;
  std::array<std::string, kSignalCount> paths;
  std::vector<std::pair<std::string, std::string>> headers;  // wire form (-bin values in base64)
  config::compression::GzipSender gzip{0};
  nghttp2_session_callbacks* callbacks = nullptr;

  std::mutex mu;  // guards everything below
  bool cancelled = false;
  std::vector<Address> addresses;
  Clock::time_point resolved_at{};
  std::map<std::string, std::vector<std::unique_ptr<Conn>>> idle;             // per address, most recent last
  std::map<std::string, std::pair<Clock::time_point, Clock::duration>> down;  // until, backoff
  std::set<Conn*> in_use;
  std::uint64_t next = 0;  // round_robin's position

  ~Impl() {
    if (callbacks != nullptr) nghttp2_session_callbacks_del(callbacks);
  }

  // The addresses to try, resolving again when the answer is old or `force`.
  std::vector<Address> Addresses(bool force, std::string* error) {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (!force && !addresses.empty() && Clock::now() - resolved_at < kResolveEvery) return addresses;
    }
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_ADDRCONFIG;
    addrinfo* res = nullptr;
    int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &res);
    std::vector<Address> found;
    if (rc == 0) {
      for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
        Address a;
        std::memcpy(&a.addr, ai->ai_addr, ai->ai_addrlen);
        a.len = ai->ai_addrlen;
        a.key = PrintAddress(a.addr);
        if (std::none_of(found.begin(), found.end(), [&](const Address& b) { return b.key == a.key; })) {
          found.push_back(std::move(a));
        }
      }
      freeaddrinfo(res);
    }
    std::lock_guard<std::mutex> lock(mu);
    if (!found.empty()) {
      addresses = found;
      resolved_at = Clock::now();
      return addresses;
    }
    *error = "DNS resolution failed for " + host + ": " + (rc != 0 ? gai_strerror(rc) : "no addresses");
    return addresses;  // the last good answer, if any
  }

  std::unique_ptr<Conn> TakeIdle(const std::string& key) {
    std::lock_guard<std::mutex> lock(mu);
    auto it = idle.find(key);
    if (it == idle.end() || it->second.empty()) return nullptr;
    std::unique_ptr<Conn> c = std::move(it->second.back());
    it->second.pop_back();
    in_use.insert(c.get());
    return c;
  }

  bool Down(const std::string& key) {
    std::lock_guard<std::mutex> lock(mu);
    auto it = down.find(key);
    return it != down.end() && Clock::now() < it->second.first;
  }

  void MarkDown(const std::string& key) {
    std::lock_guard<std::mutex> lock(mu);
    auto& [until, backoff] = down[key];
    backoff = backoff.count() == 0 ? Clock::duration(kDownInitial)
                                   : std::min<Clock::duration>(backoff * 2, Clock::duration(kDownMax));
    until = Clock::now() + backoff;
  }

  void MarkUp(const std::string& key) {
    std::lock_guard<std::mutex> lock(mu);
    down.erase(key);
  }

  // Reads what an idle connection got meanwhile (SETTINGS, PING, GOAWAY, or
  // the end); false when it cannot carry a call any more.
  bool StillGood(Conn& c) {
    char buf[4096];
    for (;;) {
      ssize_t n = ::recv(c.fd, buf, sizeof(buf), MSG_DONTWAIT);
      if (n > 0) {
        if (nghttp2_session_mem_recv(c.session, reinterpret_cast<std::uint8_t*>(buf),
                                     static_cast<std::size_t>(n)) < 0) {
          return false;
        }
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      return false;  // closed or failed
    }
    return !c.dead && nghttp2_session_want_read(c.session) != 0;
  }

  // A new connection to `a`, its preface and SETTINGS staged.
  std::unique_ptr<Conn> Dial(const Address& a, Clock::time_point deadline, std::string* error) {
    auto c = std::make_unique<Conn>();
    c->key = a.key;
    c->deadline = deadline;
    c->fd = ::socket(a.addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) {
      *error = std::string("socket: ") + std::strerror(errno);
      return nullptr;
    }
    {
      std::lock_guard<std::mutex> lock(mu);
      if (cancelled) {
        *error = "exporter is shutting down";
        return nullptr;
      }
      in_use.insert(c.get());  // CancelAll can interrupt the connect
    }
    auto fail = [&](std::string why) -> std::unique_ptr<Conn> {
      *error = "connection to " + a.key + " failed: " + why;
      std::lock_guard<std::mutex> lock(mu);
      in_use.erase(c.get());
      return nullptr;
    };
    int one = 1;
    ::setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (::connect(c->fd, reinterpret_cast<const sockaddr*>(&a.addr), a.len) != 0) {
      if (errno != EINPROGRESS) return fail(std::strerror(errno));
      pollfd p{c->fd, POLLOUT, 0};
      int r;
      do {
        r = ::poll(&p, 1, PollMillis(deadline));
      } while (r < 0 && errno == EINTR);
      if (r == 0) return fail("timed out");
      int err = 0;
      socklen_t len = sizeof(err);
      if (r < 0 || ::getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
        return fail(std::strerror(errno));
      if (err != 0) return fail(std::strerror(err));
    }
    if (nghttp2_session_client_new(&c->session, callbacks, c.get()) != 0) return fail("out of memory");
    // No server push; gRPC's window for what the server sends (answers are small).
    nghttp2_settings_entry settings[] = {{NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
                                         {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 4u << 20}};
    nghttp2_submit_settings(c->session, NGHTTP2_FLAG_NONE, settings, 2);
    return c;
  }

  // A connection for the next call: round_robin takes the addresses in turn,
  // pick_first the first that works; an idle connection first, a new one
  // otherwise. Addresses that failed lately are tried only when all did.
  std::unique_ptr<Conn> Acquire(Clock::time_point deadline, Outcome* failed) {
    Clock::duration wait = std::chrono::milliseconds(100);
    for (bool force = false;; force = true) {
      std::string error;
      std::vector<Address> addrs = Addresses(force, &error);
      std::size_t start = 0;
      {
        std::lock_guard<std::mutex> lock(mu);
        if (cancelled) {
          *failed = Fail(kCancelled, "exporter is shutting down");
          return nullptr;
        }
        if (config.balancer_name == "round_robin" && !addrs.empty()) start = next++ % addrs.size();
      }
      for (int pass = 0; pass < 2; ++pass) {
        for (std::size_t i = 0; i < addrs.size(); ++i) {
          const Address& a = addrs[(start + i) % addrs.size()];
          if ((pass == 0) == Down(a.key)) continue;  // pass 0: addresses up; pass 1: the rest
          while (std::unique_ptr<Conn> c = TakeIdle(a.key)) {
            c->deadline = deadline;
            c->deadline_hit = false;
            // With keepalive for idle connections, gRPC would have pinged this
            // one by now; a new connection is as sure and costs no wait.
            const bool stale = config.keepalive && config.keepalive->permit_without_stream &&
                               config.keepalive->time.count() > 0 &&
                               Clock::now() - c->idle_since >= config.keepalive->time;
            if (!stale && StillGood(*c)) return c;
            Discard(std::move(c));
          }
          if (std::unique_ptr<Conn> c = Dial(a, deadline, &error)) {
            MarkUp(a.key);
            return c;
          }
          MarkDown(a.key);
          if (Clock::now() >= deadline) break;
        }
      }
      if (error.empty()) error = "no addresses for " + host;
      if (!config.wait_for_ready || Clock::now() >= deadline) {
        *failed = Clock::now() >= deadline
                      ? Fail(kDeadlineExceeded, "Deadline Exceeded")
                      : Fail(kUnavailable, "failed to connect to all addresses; last error: " + error);
        return nullptr;
      }
      // wait_for_ready: wait for a backend until the deadline, as gRPC does.
      std::unique_lock<std::mutex> lock(mu);
      if (cancelled) continue;
      lock.unlock();
      std::this_thread::sleep_for(std::min<Clock::duration>(wait, deadline - Clock::now()));
      wait = std::min<Clock::duration>(wait * 2, std::chrono::seconds(1));
    }
  }

  void Release(std::unique_ptr<Conn> c) {
    std::lock_guard<std::mutex> lock(mu);
    in_use.erase(c.get());
    if (c->dead || cancelled || nghttp2_session_want_read(c->session) == 0) return;
    c->idle_since = Clock::now();
    idle[c->key].push_back(std::move(c));
  }

  void Discard(std::unique_ptr<Conn> c) {
    std::lock_guard<std::mutex> lock(mu);
    in_use.erase(c.get());
  }

  // Sends everything nghttp2 has to send; false when the connection failed.
  static bool SendAll(Conn& c) {
    if (nghttp2_session_send(c.session) != 0) {
      c.dead = true;
      return false;
    }
    return c.Flush();
  }

  Outcome Run(Conn& c, Signal signal, std::string_view message, bool compressed, Clock::time_point deadline) {
    Call call;
    call.message = message;
    call.prefix[0] = compressed ? 1 : 0;
    StoreBe32(&call.prefix[1], static_cast<std::uint32_t>(message.size()));

    std::vector<nghttp2_nv> nv;
    nv.reserve(12 + headers.size());
    nv.push_back(Nv(":method", "POST"));
    nv.push_back(Nv(":scheme", "http"));
    nv.push_back(Nv(":path", paths[SignalIndex(signal)]));
    nv.push_back(Nv(":authority", authority));
    nv.push_back(Nv("content-type", "application/grpc"));
    nv.push_back(Nv("te", "trailers"));
    if (compressed) nv.push_back(Nv("grpc-encoding", "gzip"));
    nv.push_back(Nv("grpc-accept-encoding", "identity,gzip"));
    nv.push_back(Nv("user-agent", user_agent));
    std::string timeout;
    if (deadline != Clock::time_point::max()) {
      Clock::duration left = deadline - Clock::now();
      if (left <= Clock::duration::zero()) return Fail(kDeadlineExceeded, "Deadline Exceeded");
      timeout = GrpcTimeout(left);
      nv.push_back(Nv("grpc-timeout", timeout));
    }
    const bool profiles = signal == Signal::kProfiles;
    for (const auto& [k, v] : headers) {
      if (!profiles || !EqualsIgnoreCase(k, kProfilesVersionKey)) nv.push_back(Nv(k, v));
    }
    if (profiles) nv.push_back(Nv(kProfilesVersionKey, kProfilesVersion));

    nghttp2_data_provider body{};
    body.source.ptr = &call;
    body.read_callback = ReadBody;
    c.call = &call;
    call.stream_id = nghttp2_submit_request(c.session, nullptr, nv.data(), nv.size(), &body, &call);
    if (call.stream_id < 0) {
      c.call = nullptr;
      c.dead = true;
      return Fail(kUnavailable, std::string("cannot start a stream: ") + nghttp2_strerror(call.stream_id));
    }

    Outcome broken;
    bool ok = true;
    char buf[65536];
    // keepalive: after `time` without a byte from the server during the call,
    // a PING; no ACK within `timeout` ends the connection (gRPC's client
    // keepalive for a connection with a call on it).
    const bool keepalive = config.keepalive && config.keepalive->time.count() > 0;
    Clock::time_point last_read = Clock::now();
    Clock::time_point ping_sent = Clock::time_point::max();
    while (!call.closed) {
      if (!SendAll(c)) {
        ok = false;
        break;
      }
      if (call.closed) break;
      Clock::time_point wake = deadline;
      if (keepalive) {
        const Clock::time_point check = ping_sent == Clock::time_point::max()
                                            ? last_read + config.keepalive->time
                                            : ping_sent + config.keepalive->timeout;
        wake = std::min(wake, check);
      }
      pollfd p{c.fd, POLLIN, 0};
      int r = ::poll(&p, 1, PollMillis(wake));
      if (r < 0 && errno == EINTR) continue;
      if (r == 0 && Clock::now() < deadline) {
        if (!keepalive) continue;
        if (ping_sent == Clock::time_point::max()) {
          c.ping_acked = false;
          nghttp2_submit_ping(c.session, NGHTTP2_FLAG_NONE, nullptr);
          ping_sent = Clock::now();
        } else if (Clock::now() >= ping_sent + config.keepalive->timeout) {
          c.dead = true;
          ok = false;
          broken = Fail(kUnavailable, "keepalive ping failed to receive ACK within timeout");
          break;
        }
        continue;
      }
      if (r == 0) {
        c.deadline_hit = true;
        ok = false;
        break;
      }
      ssize_t got = ::recv(c.fd, buf, sizeof(buf), 0);
      if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (got <= 0) {
        c.dead = true;
        ok = false;
        broken = Fail(kUnavailable, got == 0 ? "connection closed by the server"
                                             : std::string("connection failed: ") + std::strerror(errno));
        break;
      }
      if (nghttp2_session_mem_recv(c.session, reinterpret_cast<std::uint8_t*>(buf),
                                   static_cast<std::size_t>(got)) < 0) {
        c.dead = true;
        ok = false;
        broken = Fail(kInternal, "HTTP/2 protocol error from the server");
        break;
      }
      last_read = Clock::now();
      if (c.ping_acked) ping_sent = Clock::time_point::max();
    }
    if (!ok && c.deadline_hit && !c.dead) {
      // Tell the server to stop; the connection stays usable.
      nghttp2_submit_rst_stream(c.session, NGHTTP2_FLAG_NONE, call.stream_id, NGHTTP2_CANCEL);
      c.deadline = Clock::now() + std::chrono::milliseconds(100);
      SendAll(c);
    }
    c.call = nullptr;
    // A stream still open would read this call's message later: never reuse it.
    if (!call.closed) c.dead = true;
    if (!ok) {
      bool cancelled_now;
      {
        std::lock_guard<std::mutex> lock(mu);
        cancelled_now = cancelled;
      }
      if (cancelled_now) return Fail(kCancelled, "Cancelled");
      if (c.deadline_hit) {
        c.dead = c.dead || call.read_off < call.size();
        return Fail(kDeadlineExceeded, "Deadline Exceeded");
      }
      if (broken.code == 0) broken = Fail(kUnavailable, "connection failed");
      return broken;
    }
    // A server that enforces grpc-timeout resets the stream (CANCEL) once the
    // deadline we sent has passed; the call then ended by its deadline, as
    // gRPC clients report it.
    if (call.close_error == NGHTTP2_CANCEL && !call.has_grpc_status && Clock::now() >= deadline) {
      return Fail(kDeadlineExceeded, "Deadline Exceeded");
    }
    return Finish(call);
  }

  static Outcome Finish(Call& call) {
    if (!call.has_grpc_status) {
      if (call.close_error != NGHTTP2_NO_ERROR) {
        Outcome o = Fail(CodeForReset(call.close_error), std::string("stream reset by the server: ") +
                                                             nghttp2_http2_strerror(call.close_error));
        o.unprocessed = call.close_error == NGHTTP2_REFUSED_STREAM && !call.headers_seen;
        return o;
      }
      if (call.http_status != 200) {
        return Fail(CodeForHttpStatus(call.http_status),
                    "HTTP status code " + std::to_string(call.http_status) + " without a gRPC status");
      }
      return Fail(kInternal, "the server closed the stream without a gRPC status");
    }
    if (call.grpc_status != 0) {
      Outcome o = Fail(call.grpc_status, std::move(call.grpc_message));
      o.details = std::move(call.grpc_details);
      return o;
    }
    if (!call.grpc_content_type) return Fail(kUnknown, "the server's answer is not application/grpc");
    if (call.too_large) {
      return Fail(kResourceExhausted,
                  "received message larger than max (" + std::to_string(kMaxResponseBytes) + ")");
    }
    Outcome o;
    if (call.data.empty()) return o;  // OK without a message: the caller decides
    const std::string& d = call.data;
    if (d.size() < 5) return Fail(kInternal, "truncated gRPC message from the server");
    const std::uint32_t len = LoadBe32(d.data() + 1);
    if (d.size() != 5 + std::size_t{len}) {
      return Fail(kInternal, d.size() < 5 + std::size_t{len}
                                 ? "truncated gRPC message from the server"
                                 : "more than one response message for a unary call");
    }
    std::string_view m(d.data() + 5, len);
    if (d[0] == 1) {
      if (call.grpc_encoding != "gzip") {
        return Fail(kInternal, "compressed response with grpc-encoding \"" + call.grpc_encoding + "\"");
      }
      if (!Gunzip(m, kMaxResponseBytes, &o.response)) {
        return Fail(kInternal, "cannot decompress the response message");
      }
    } else {
      o.response.assign(m);
    }
    o.has_response = true;
    return o;
  }
};

bool H2GrpcClient::Serves(const Config& config) {
  if (config.use_tls) return false;
  if (!config.target.starts_with("dns:///")) return false;
  std::string host, port, error;
  return SplitHostPort(std::string_view(config.target).substr(7), &host, &port, &error) && !host.empty();
}

H2GrpcClient::H2GrpcClient(const Config& config) : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.config = config;
  for (Signal s : kSignalsWithProfiles) m.paths[SignalIndex(s)] = std::string(ExportMethod(s));
  std::string error;
  SplitHostPort(std::string_view(config.target).substr(std::min<std::size_t>(7, config.target.size())),
                &m.host, &m.port, &error);
  m.authority = !config.authority.empty() ? config.authority : config.target.substr(7);
  const nghttp2_info* info = nghttp2_version(0);
  m.user_agent = (config.user_agent.empty() ? std::string("otlpd") : config.user_agent) + " nghttp2/" +
                 (info != nullptr ? info->version_str : "?");
  for (const auto& [k, v] : config.headers) {
    // Binary metadata travels base64-encoded, as gRPC C++ sends it.
    m.headers.emplace_back(k, k.ends_with("-bin") ? Base64(v) : v);
  }
  m.callbacks = MakeCallbacks();
}

H2GrpcClient::~H2GrpcClient() = default;

Status H2GrpcClient::Connect() {
  if (impl_->host.empty())
    return Status::Internal(impl_->config.path + ".endpoint: no host in " + impl_->config.target);
  return Status::Ok();
}

void H2GrpcClient::CancelAll() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->cancelled = true;
  for (Conn* c : impl_->in_use) ::shutdown(c->fd, SHUT_RDWR);
}

SendResult H2GrpcClient::Export(const PayloadPtr& payload, Clock::time_point deadline) {
  Impl& m = *impl_;
  std::string gzipped;
  std::string_view message = payload->bytes;
  const bool compressed = m.config.compression == Compression::kGzip;
  if (compressed) {
    Result<std::string> z = m.gzip.Gzip(payload->signal, payload->bytes, payload->gzip);
    if (!z.ok()) return SendResult::Failed(z.status());
    gzipped = std::move(*z);
    message = gzipped;
  }
  Outcome o;
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::unique_ptr<Conn> c = m.Acquire(deadline, &o);
    if (!c) break;
    o = m.Run(*c, payload->signal, message, compressed, deadline);
    if (c->dead) {
      m.Discard(std::move(c));
    } else {
      m.Release(std::move(c));
    }
    // Refused before the server looked at it: once more, as gRPC retries such
    // a call transparently.
    if (!o.unprocessed) break;
  }
  if (o.code != 0) return SendResult::Failed(ClassifyGrpcStatus(o.code, o.message, o.details));
  if (!o.has_response) {
    // OK without a message breaks a unary call's contract; gRPC's unary
    // clients (grpc-go's, otelcol's) fail the call with Internal.
    return SendResult::Failed(
        ClassifyGrpcStatus(kInternal, "the server answered OK without a response message", ""));
  }
  SendResult result;
  auto partial = ParseExportResponse(o.response);
  if (!partial) {
    spdlog::warn("exporter {}: undecodable Export response; counting the request as delivered",
                 m.config.path);
    return result;
  }
  result.rejected_items = partial->rejected;
  result.rejection_message = std::move(partial->error_message);
  return result;
}

}  // namespace otlpd::exporters::otlp
