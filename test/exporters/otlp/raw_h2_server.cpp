#include "test/exporters/otlp/raw_h2_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <nghttp2/nghttp2.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <string_view>

#include "internal/nghttp2_nv.h"

namespace otlpd::test {

struct RawH2Server::Impl {
  RawH2Server* server;
  nghttp2_session* session = nullptr;
  // The 5-byte frame of an empty Export response.
  static constexpr char kEmptyMessage[5] = {0, 0, 0, 0, 0};
  std::size_t sent = 0;
};

namespace {

ssize_t ReadMessage(nghttp2_session* session, std::int32_t stream_id, std::uint8_t* buf, std::size_t length,
                    std::uint32_t* flags, nghttp2_data_source* source, void*) {
  auto* impl = static_cast<RawH2Server::Impl*>(source->ptr);
  std::size_t n = std::min(length, sizeof(RawH2Server::Impl::kEmptyMessage) - impl->sent);
  std::memcpy(buf, RawH2Server::Impl::kEmptyMessage + impl->sent, n);
  impl->sent += n;
  if (impl->sent == sizeof(RawH2Server::Impl::kEmptyMessage)) {
    // The trailers go after the message: submitted here, as nghttp2 asks.
    *flags |= NGHTTP2_DATA_FLAG_EOF | NGHTTP2_DATA_FLAG_NO_END_STREAM;
    nghttp2_nv trailers[] = {Nv("grpc-status", "0")};
    nghttp2_submit_trailer(session, stream_id, trailers, 1);
  }
  return static_cast<ssize_t>(n);
}

}  // namespace

RawH2Server::RawH2Server(std::vector<Answer> script) : script_(std::move(script)) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0 ||
      ::listen(listen_fd_, 16) != 0) {
    return;
  }
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] {
    for (;;) {
      const int c = ::accept(listen_fd_, nullptr, nullptr);
      if (c < 0) return;  // shut down
      std::lock_guard<std::mutex> lock(mu_);
      connections_.emplace_back([this, c] { Serve(c); });
    }
  });
}

RawH2Server::~RawH2Server() {
  stop_ = true;
  ::shutdown(listen_fd_, SHUT_RDWR);
  ::close(listen_fd_);
  if (acceptor_.joinable()) acceptor_.join();
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& t : connections_) t.join();
}

void RawH2Server::Serve(int fd) {
  Impl impl{this};
  nghttp2_session_callbacks* cb = nullptr;
  nghttp2_session_callbacks_new(&cb);
  // A request is complete when its stream ends: answer it then.
  nghttp2_session_callbacks_set_on_frame_recv_callback(
      cb, [](nghttp2_session* session, const nghttp2_frame* frame, void* user) -> int {
        auto* impl = static_cast<Impl*>(user);
        if ((frame->hd.type != NGHTTP2_DATA && frame->hd.type != NGHTTP2_HEADERS) ||
            (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) == 0) {
          return 0;
        }
        RawH2Server* s = impl->server;
        Answer a;
        {
          std::lock_guard<std::mutex> lock(s->mu_);
          if (s->next_ < s->script_.size()) a = s->script_[s->next_++];
        }
        s->requests_.fetch_add(1);
        const std::int32_t id = frame->hd.stream_id;
        switch (a.kind) {
          case Answer::kRefusedStream:
            nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, id, NGHTTP2_REFUSED_STREAM);
            break;
          case Answer::kHttpStatus: {
            const std::string status = std::to_string(a.http_status);
            nghttp2_nv nv[] = {Nv(":status", status), Nv("content-type", "text/plain")};
            nghttp2_submit_response(session, id, nv, 2, nullptr);
            break;
          }
          case Answer::kTrailersOnly: {
            const std::string code = std::to_string(a.grpc_status);
            nghttp2_nv nv[] = {Nv(":status", "200"), Nv("content-type", "application/grpc"),
                               Nv("grpc-status", code), Nv("grpc-message", a.grpc_message)};
            nghttp2_submit_response(session, id, nv, 4, nullptr);
            break;
          }
          case Answer::kGrpcOk: {
            impl->sent = 0;
            nghttp2_data_provider data{};
            data.source.ptr = impl;
            data.read_callback = ReadMessage;
            nghttp2_nv nv[] = {Nv(":status", "200"), Nv("content-type", "application/grpc")};
            nghttp2_submit_response(session, id, nv, 2, &data);
            break;
          }
        }
        return 0;
      });
  nghttp2_session_server_new(&impl.session, cb, &impl);
  nghttp2_session_callbacks_del(cb);
  nghttp2_submit_settings(impl.session, NGHTTP2_FLAG_NONE, nullptr, 0);
  std::uint8_t buf[65536];
  while (!stop_) {
    const std::uint8_t* out = nullptr;
    ssize_t n;
    bool failed = false;
    while ((n = nghttp2_session_mem_send(impl.session, &out)) > 0) {
      if (::send(fd, out, static_cast<std::size_t>(n), MSG_NOSIGNAL) != n) failed = true;
    }
    if (failed || n < 0) break;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    const ssize_t got = ::recv(fd, buf, sizeof buf, 0);
    if (got <= 0 || nghttp2_session_mem_recv(impl.session, buf, static_cast<std::size_t>(got)) < 0) break;
  }
  nghttp2_session_del(impl.session);
  ::close(fd);
}

}  // namespace otlpd::test
