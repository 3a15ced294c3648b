#pragma once

// A hostile HTTP/2 client for tests: it writes frames itself (so it can forge
// a gRPC length prefix, or open more streams than the server allows) and uses
// nghttp2 only for HPACK. It honours flow control when it sends DATA, as a
// real client must, so a refusal it sees is the server's choice and not a
// protocol error of ours.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <nghttp2/nghttp2.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace otlpd::test {

// Resident set size of a process, from /proc/<pid>/status (VmRSS), in bytes.
inline std::size_t RssBytes(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
  }
  return 0;
}

class RawH2Client {
 public:
  struct StreamState {
    bool closed = false;                         // RST_STREAM or END_STREAM from the server
    std::uint32_t rst_code = 0xffffffff;         // RST_STREAM error code, if reset
    std::map<std::string, std::string> headers;  // response headers and trailers
    std::int64_t send_window = 0;
  };

  explicit RawH2Client(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) | O_NONBLOCK);
    nghttp2_hd_deflate_new(&deflater_, 4096);
    nghttp2_hd_inflate_new(&inflater_);
    static constexpr char kPreface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    out_.append(kPreface, sizeof kPreface - 1);
    // SETTINGS: a large receive window so the server's answers never stall.
    std::string settings;
    AppendSetting(settings, NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 1u << 30);
    Frame(NGHTTP2_SETTINGS, 0, 0, settings);
    Frame(NGHTTP2_WINDOW_UPDATE, 0, 0, Be32((1u << 30) - 65535));
  }
  ~RawH2Client() {
    if (fd_ >= 0) ::close(fd_);
    nghttp2_hd_deflate_del(deflater_);
    nghttp2_hd_inflate_del(inflater_);
  }
  RawH2Client(const RawH2Client&) = delete;
  RawH2Client& operator=(const RawH2Client&) = delete;

  bool connected() const { return connected_ && !dead_; }
  bool goaway() const { return goaway_; }
  std::uint32_t goaway_code() const { return goaway_code_; }
  // PINGs from the server (not acknowledgements), and whether the client
  // acknowledges them (a client that went away does not).
  int pings_received() const { return pings_received_; }
  void set_ack_pings(bool ack) { ack_pings_ = ack; }
  // Queues a PING (not an acknowledgement).
  void Ping() { Frame(NGHTTP2_PING, 0, 0, std::string(8, '\0')); }
  std::uint32_t peer_max_concurrent_streams() const { return peer_max_streams_; }

  // Opens a gRPC call and sends its headers only (no END_STREAM); `extra`
  // headers follow the usual ones (e.g. grpc-encoding).
  std::int32_t OpenCall(const std::string& path, const std::string& content_type = "application/grpc",
                        const std::vector<std::pair<std::string, std::string>>& extra = {}) {
    const std::int32_t id = next_stream_;
    next_stream_ += 2;
    std::vector<std::pair<std::string, std::string>> h = {{":method", "POST"},
                                                          {":scheme", "http"},
                                                          {":path", path},
                                                          {":authority", "127.0.0.1"},
                                                          {"content-type", content_type},
                                                          {"te", "trailers"}};
    h.insert(h.end(), extra.begin(), extra.end());
    std::vector<nghttp2_nv> nv;
    for (auto& [k, v] : h) {
      nv.push_back({reinterpret_cast<std::uint8_t*>(k.data()), reinterpret_cast<std::uint8_t*>(v.data()),
                    k.size(), v.size(), NGHTTP2_NV_FLAG_NONE});
    }
    std::string block(nghttp2_hd_deflate_bound(deflater_, nv.data(), nv.size()), '\0');
    const auto n = nghttp2_hd_deflate_hd(deflater_, reinterpret_cast<std::uint8_t*>(block.data()),
                                         block.size(), nv.data(), nv.size());
    block.resize(n < 0 ? 0 : static_cast<std::size_t>(n));
    Frame(NGHTTP2_HEADERS, NGHTTP2_FLAG_END_HEADERS, id, block);
    streams_[id].send_window = peer_initial_window_;
    return id;
  }

  // Queues DATA on `id` as far as flow control allows right now; returns the
  // number of bytes of `data` taken.
  std::size_t SendData(std::int32_t id, std::string_view data, bool end_stream) {
    auto& s = streams_[id];
    std::size_t taken = 0;
    while (taken < data.size()) {
      const std::int64_t room = std::min<std::int64_t>({s.send_window, conn_send_window_, 16384});
      if (room <= 0) break;
      const std::size_t n = std::min<std::size_t>(static_cast<std::size_t>(room), data.size() - taken);
      const bool last = end_stream && taken + n == data.size();
      Frame(NGHTTP2_DATA, last ? NGHTTP2_FLAG_END_STREAM : 0, id, data.substr(taken, n));
      s.send_window -= static_cast<std::int64_t>(n);
      conn_send_window_ -= static_cast<std::int64_t>(n);
      taken += n;
    }
    if (data.empty() && end_stream) Frame(NGHTTP2_DATA, NGHTTP2_FLAG_END_STREAM, id, {});
    return taken;
  }

  // Writes what is queued and reads what arrived, for at most `wait`.
  void Pump(std::chrono::milliseconds wait) {
    if (dead_) return;
    pollfd p{fd_, static_cast<short>(POLLIN | (out_.size() > out_pos_ ? POLLOUT : 0)), 0};
    if (::poll(&p, 1, static_cast<int>(wait.count())) <= 0) return;
    if (p.revents & POLLOUT) {
      const auto n = ::send(fd_, out_.data() + out_pos_, out_.size() - out_pos_, MSG_NOSIGNAL);
      if (n > 0) out_pos_ += static_cast<std::size_t>(n);
      if (n < 0 && errno != EAGAIN) dead_ = true;
      if (out_pos_ == out_.size()) {
        out_.clear();
        out_pos_ = 0;
      }
    }
    if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
      char buf[65536];
      const auto n = ::recv(fd_, buf, sizeof buf, 0);
      if (n == 0 || (n < 0 && errno != EAGAIN)) {
        dead_ = true;
        return;
      }
      if (n > 0) in_.append(buf, static_cast<std::size_t>(n));
      ParseFrames();
    }
  }

  // Pumps until `done` holds, the connection ends, or `limit` passes.
  bool PumpUntil(const std::function<bool()>& done, std::chrono::milliseconds limit) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (!done() && !dead_ && std::chrono::steady_clock::now() < end) Pump(std::chrono::milliseconds(20));
    return done();
  }

  // The server's SETTINGS arrived and our acknowledgement is on the wire.
  bool settings_acked() const { return got_settings_ && queued() == 0; }

  std::size_t queued() const { return out_.size() - out_pos_; }
  // The bytes queued and not yet written (the preface and frames, for a test
  // to replay or damage on a connection of its own).
  std::string_view queued_bytes() const { return std::string_view(out_).substr(out_pos_); }
  const StreamState& stream(std::int32_t id) { return streams_[id]; }
  std::size_t closed_streams() const {
    std::size_t n = 0;
    for (const auto& [id, s] : streams_) n += s.closed;
    return n;
  }

 private:
  static std::string Be32(std::uint32_t v) {
    std::string s(4, '\0');
    for (int i = 0; i < 4; ++i) s[static_cast<std::size_t>(i)] = static_cast<char>(v >> (24 - 8 * i));
    return s;
  }
  static void AppendSetting(std::string& out, std::uint16_t id, std::uint32_t value) {
    out.push_back(static_cast<char>(id >> 8));
    out.push_back(static_cast<char>(id));
    out += Be32(value);
  }
  static std::uint32_t Get32(const char* p) {
    const auto* u = reinterpret_cast<const unsigned char*>(p);
    return (std::uint32_t{u[0]} << 24) | (std::uint32_t{u[1]} << 16) | (std::uint32_t{u[2]} << 8) | u[3];
  }

  void Frame(std::uint8_t type, std::uint8_t flags, std::int32_t id, std::string_view payload) {
    const auto len = static_cast<std::uint32_t>(payload.size());
    out_.push_back(static_cast<char>(len >> 16));
    out_.push_back(static_cast<char>(len >> 8));
    out_.push_back(static_cast<char>(len));
    out_.push_back(static_cast<char>(type));
    out_.push_back(static_cast<char>(flags));
    out_ += Be32(static_cast<std::uint32_t>(id));
    out_.append(payload);
  }

  void ParseFrames() {
    std::size_t pos = 0;
    while (in_.size() - pos >= 9) {
      const auto* h = reinterpret_cast<const unsigned char*>(in_.data() + pos);
      const std::size_t len = (std::size_t{h[0]} << 16) | (std::size_t{h[1]} << 8) | h[2];
      if (in_.size() - pos < 9 + len) break;
      const std::uint8_t type = h[3], flags = h[4];
      const auto id = static_cast<std::int32_t>(Get32(in_.data() + pos + 5) & 0x7fffffff);
      const char* body = in_.data() + pos + 9;
      OnFrame(type, flags, id, std::string_view(body, len));
      pos += 9 + len;
    }
    in_.erase(0, pos);
  }

  void OnFrame(std::uint8_t type, std::uint8_t flags, std::int32_t id, std::string_view body) {
    switch (type) {
      case NGHTTP2_SETTINGS:
        if (flags & NGHTTP2_FLAG_ACK) return;
        for (std::size_t i = 0; i + 6 <= body.size(); i += 6) {
          const auto key = static_cast<std::uint16_t>((static_cast<unsigned char>(body[i]) << 8) |
                                                      static_cast<unsigned char>(body[i + 1]));
          const std::uint32_t value = Get32(body.data() + i + 2);
          if (key == NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS) peer_max_streams_ = value;
          if (key == NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE) {
            const std::int64_t delta = static_cast<std::int64_t>(value) - peer_initial_window_;
            for (auto& [sid, s] : streams_) s.send_window += delta;
            peer_initial_window_ = value;
          }
        }
        Frame(NGHTTP2_SETTINGS, NGHTTP2_FLAG_ACK, 0, {});
        got_settings_ = true;
        return;
      case NGHTTP2_PING:
        if (flags & NGHTTP2_FLAG_ACK) return;
        ++pings_received_;
        if (ack_pings_) Frame(NGHTTP2_PING, NGHTTP2_FLAG_ACK, 0, body);
        return;
      case NGHTTP2_WINDOW_UPDATE: {
        const std::int64_t inc = Get32(body.data()) & 0x7fffffff;
        if (id == 0) {
          conn_send_window_ += inc;
        } else {
          streams_[id].send_window += inc;
        }
        return;
      }
      case NGHTTP2_RST_STREAM:
        streams_[id].closed = true;
        streams_[id].rst_code = Get32(body.data());
        return;
      case NGHTTP2_GOAWAY:
        goaway_ = true;
        if (body.size() >= 8) goaway_code_ = Get32(body.data() + 4);
        return;
      case NGHTTP2_HEADERS: {
        // No padding or priority from gRPC servers; CONTINUATION not expected
        // for the short headers and trailers of an Export answer.
        auto& s = streams_[id];
        std::string_view block = body;
        if (flags & NGHTTP2_FLAG_PRIORITY) block.remove_prefix(5);
        auto* in = reinterpret_cast<const std::uint8_t*>(block.data());
        std::size_t left = block.size();
        for (;;) {
          nghttp2_nv nv;
          int inflate_flags = 0;
          const auto n = nghttp2_hd_inflate_hd2(inflater_, &nv, &inflate_flags, in, left, 1);
          if (n < 0) break;
          in += n;
          left -= static_cast<std::size_t>(n);
          if (inflate_flags & NGHTTP2_HD_INFLATE_EMIT) {
            s.headers[std::string(reinterpret_cast<char*>(nv.name), nv.namelen)] =
                std::string(reinterpret_cast<char*>(nv.value), nv.valuelen);
          }
          if (inflate_flags & NGHTTP2_HD_INFLATE_FINAL) {
            nghttp2_hd_inflate_end_headers(inflater_);
            break;
          }
          if (n == 0 && left == 0) break;
        }
        if (flags & NGHTTP2_FLAG_END_STREAM) s.closed = true;
        return;
      }
      case NGHTTP2_DATA:
        if (flags & NGHTTP2_FLAG_END_STREAM) streams_[id].closed = true;
        return;
      default: return;
    }
  }

  int fd_ = -1;
  bool connected_ = false;
  bool dead_ = false;
  bool goaway_ = false;
  std::uint32_t goaway_code_ = 0;
  int pings_received_ = 0;
  bool ack_pings_ = true;
  bool got_settings_ = false;
  nghttp2_hd_deflater* deflater_ = nullptr;
  nghttp2_hd_inflater* inflater_ = nullptr;
  std::string out_;
  std::size_t out_pos_ = 0;
  std::string in_;
  std::int32_t next_stream_ = 1;
  std::int64_t conn_send_window_ = 65535;
  std::int64_t peer_initial_window_ = 65535;
  std::uint32_t peer_max_streams_ = 0xffffffff;
  std::map<std::int32_t, StreamState> streams_;
};

}  // namespace otlpd::test
