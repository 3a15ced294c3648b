#include "k8s/client.h"

#include <array>
#include <optional>
#include <variant>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "config/tls_context.h"

namespace otlpd::k8s {

namespace net = boost::asio;
namespace ssl = net::ssl;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

namespace {

using Plain = beast::tcp_stream;
using Tls = beast::ssl_stream<beast::tcp_stream>;

constexpr std::size_t kErrorBodyLimit = 1 << 20;
constexpr std::size_t kReadChunk = 64 << 10;

bool IsIpLiteral(const std::string& host) {
  beast::error_code ec;
  net::ip::make_address(host, ec);
  return !ec;
}

}  // namespace

struct Client::Impl {
  net::io_context ioc;
  std::unique_ptr<ssl::context> tls;
  Status tls_error;  // the endpoint's credentials could not be made into a context
  // The stream of the call in progress, closed by Cancel (on the io thread).
  std::function<void()> close_current;

  const std::atomic<bool>* cancelled = nullptr;

  // Starts an async operation and runs the loop until it completes. After
  // Cancel() none starts: its posted close may have run before this
  // operation opened anything.
  template <class Start>
  beast::error_code Await(Start&& start) {
    if (cancelled->load(std::memory_order_acquire)) return net::error::operation_aborted;
    beast::error_code result = net::error::would_block;
    bool done = false;
    start([&](beast::error_code ec, auto&&...) {
      result = ec;
      done = true;
    });
    ioc.restart();
    ioc.run();
    return done ? result : beast::error_code(net::error::operation_aborted);
  }
};

Client::Client(Endpoint endpoint) : endpoint_(std::move(endpoint)), impl_(std::make_unique<Impl>()) {
  impl_->cancelled = &cancelled_;
  if (!endpoint_.tls) return;
  config::TlsClientConfig t;
  t.ca_pem = endpoint_.ca_pem;
  t.cert_pem = endpoint_.client_cert_pem;
  t.key_pem = endpoint_.client_key_pem;
  t.insecure_skip_verify = endpoint_.insecure_skip_verify;
  auto ctx = config::MakeClientSslContext(t, "Kubernetes API " + endpoint_.Url() + " tls");
  if (ctx.ok()) {
    impl_->tls = std::move(*ctx);
  } else {
    impl_->tls_error = ctx.status();
  }
}

Client::~Client() = default;

void Client::Cancel() {
  cancelled_.store(true, std::memory_order_release);
  net::post(impl_->ioc, [impl = impl_.get()] {
    if (impl->close_current) impl->close_current();
  });
}

namespace {

// One request on a fresh connection. `body_step` reads the answer after the
// request is written; it gets the stream, the read buffer and the deadline
// setter.
template <class Stream, class Impl, class Step>
Result<Response> Exchange(Impl& impl, Stream& stream, const Endpoint& ep, std::string_view target,
                          std::chrono::milliseconds connect_timeout, Step&& body_step) {
  beast::tcp_stream& lowest = beast::get_lowest_layer(stream);
  impl.close_current = [&lowest] {
    beast::error_code ignored;
    lowest.socket().close(ignored);
  };
  struct Reset {
    Impl& impl;
    ~Reset() { impl.close_current = nullptr; }
  } reset{impl};

  tcp::resolver resolver(impl.ioc);
  tcp::resolver::results_type endpoints;
  beast::error_code ec = impl.Await([&](auto handler) {
    resolver.async_resolve(ep.host, ep.port,
                           [&, handler](beast::error_code e, tcp::resolver::results_type r) mutable {
                             endpoints = std::move(r);
                             handler(e);
                           });
  });
  if (ec) return Status::Unavailable("resolving " + ep.Url() + ": " + ec.message());
  lowest.expires_after(connect_timeout);
  ec = impl.Await([&](auto handler) { lowest.async_connect(endpoints, handler); });
  if (ec) return Status::Unavailable("connecting to " + ep.Url() + ": " + ec.message());
  if constexpr (std::is_same_v<Stream, Tls>) {
    if (!IsIpLiteral(ep.host)) SSL_set_tlsext_host_name(stream.native_handle(), ep.host.c_str());
    if (!ep.insecure_skip_verify) stream.set_verify_callback(ssl::host_name_verification(ep.host));
    ec = impl.Await([&](auto handler) { stream.async_handshake(ssl::stream_base::client, handler); });
    if (ec) return Status::Unavailable("TLS handshake with " + ep.Url() + ": " + ec.message());
  }
  http::request<http::empty_body> req{http::verb::get, std::string(target), 11};
  req.set(http::field::host, ep.host);
  req.set(http::field::user_agent, "otlpd");
  req.set(http::field::accept, "application/json");
  Result<std::string> auth = ep.Authorization();
  if (!auth.ok()) return Status::Unavailable(auth.status().message());
  if (!auth->empty()) req.set(http::field::authorization, *auth);
  ec = impl.Await([&](auto handler) { http::async_write(stream, req, handler); });
  if (ec) return Status::Unavailable("writing to " + ep.Url() + ": " + ec.message());
  beast::flat_buffer buffer;
  return body_step(stream, buffer);
}

}  // namespace

Result<Response> Client::Get(std::string_view target, std::chrono::milliseconds timeout,
                             std::size_t max_body) {
  if (cancelled()) return Status::Unavailable("cancelled");
  auto step = [&](auto& stream, beast::flat_buffer& buffer) -> Result<Response> {
    http::response_parser<http::string_body> parser;
    parser.body_limit(max_body);
    beast::error_code ec =
        impl_->Await([&](auto handler) { http::async_read(stream, buffer, parser, handler); });
    if (ec == http::error::body_limit)
      return Status::ResourceExhausted("answer from " + endpoint_.Url() + " is over " +
                                       std::to_string(max_body) + " bytes");
    if (ec) return Status::Unavailable("reading from " + endpoint_.Url() + ": " + ec.message());
    Response r;
    r.status = static_cast<int>(parser.get().result_int());
    r.body = std::move(parser.get().body());
    return r;
  };
  if (endpoint_.tls) {
    if (!impl_->tls) return impl_->tls_error;
    Tls stream(impl_->ioc, *impl_->tls);
    beast::get_lowest_layer(stream).expires_after(timeout);
    return Exchange(*impl_, stream, endpoint_, target, timeout, step);
  }
  Plain stream(impl_->ioc);
  return Exchange(*impl_, stream, endpoint_, target, timeout, step);
}

Result<Response> Client::Stream(std::string_view target, std::chrono::milliseconds idle_timeout,
                                std::size_t max_line,
                                const std::function<bool(std::string_view line)>& on_line) {
  if (cancelled()) return Status::Unavailable("cancelled");
  auto step = [&](auto& stream, beast::flat_buffer& buffer) -> Result<Response> {
    beast::tcp_stream& lowest = beast::get_lowest_layer(stream);
    http::response_parser<http::buffer_body> parser;
    parser.body_limit(boost::none);  // a watch has no end
    lowest.expires_after(idle_timeout);
    beast::error_code ec =
        impl_->Await([&](auto handler) { http::async_read_header(stream, buffer, parser, handler); });
    if (ec) return Status::Unavailable("reading from " + endpoint_.Url() + ": " + ec.message());
    Response r;
    r.status = static_cast<int>(parser.get().result_int());
    std::array<char, kReadChunk> chunk;
    std::string line;
    bool stopped = false;
    while (!parser.is_done()) {
      parser.get().body().data = chunk.data();
      parser.get().body().size = chunk.size();
      lowest.expires_after(idle_timeout);
      ec = impl_->Await([&](auto handler) { http::async_read_some(stream, buffer, parser, handler); });
      if (ec == http::error::need_buffer) ec = {};
      const std::size_t got = chunk.size() - parser.get().body().size;
      if (r.status != 200) {
        if (r.body.size() + got > kErrorBodyLimit) break;
        r.body.append(chunk.data(), got);
      } else {
        line.append(chunk.data(), got);
        std::size_t start = 0;
        for (std::size_t nl; !stopped && (nl = line.find('\n', start)) != std::string::npos; start = nl + 1) {
          std::string_view l(line.data() + start, nl - start);
          if (!l.empty() && !on_line(l)) stopped = true;
        }
        line.erase(0, start);
        if (line.size() > max_line)
          return Status::ResourceExhausted("a line from " + endpoint_.Url() + " is over " +
                                           std::to_string(max_line) + " bytes");
      }
      if (stopped) break;
      if (ec == beast::error::timeout)
        return Status::DeadlineExceeded("no data from " + endpoint_.Url() + " for " +
                                        std::to_string(idle_timeout.count()) + " ms");
      // The server ending a stream (closing, or a cut chunked body) ends the watch.
      if (ec == http::error::end_of_stream || ec == http::error::partial_message || ec == net::error::eof)
        break;
      if (ec) {
        if (cancelled()) return Status::Unavailable("cancelled");
        return Status::Unavailable("reading from " + endpoint_.Url() + ": " + ec.message());
      }
    }
    return r;
  };
  if (endpoint_.tls) {
    if (!impl_->tls) return impl_->tls_error;
    Tls stream(impl_->ioc, *impl_->tls);
    return Exchange(*impl_, stream, endpoint_, target, idle_timeout, step);
  }
  Plain stream(impl_->ioc);
  return Exchange(*impl_, stream, endpoint_, target, idle_timeout, step);
}

}  // namespace otlpd::k8s
