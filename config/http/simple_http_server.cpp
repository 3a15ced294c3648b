#include "config/http/simple_http_server.h"

#include "internal/host_port.h"

#include <atomic>
#include <charconv>
#include <list>
#include <mutex>
#include <optional>
#include <thread>

#include <spdlog/spdlog.h>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "config/http/accept_backoff.h"
#include "config/tls_context.h"

namespace otlpd::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

bool SplitHostPort(std::string_view endpoint, std::string* host, int* port, std::string* error) {
  std::string h, p;
  int value = 0;
  if (!otlpd::SplitHostPort(endpoint, &h, &p, error) || !ParsePort(p, &value, error)) return false;
  *host = std::move(h);
  *port = value;
  return true;
}

namespace {

using Nanos = std::chrono::nanoseconds;

constexpr std::size_t kMaxRequestBody = 64 * 1024;
// Health probes and scrapes need a few connections; past this many the oldest
// is closed for the new one, so this server can never use up the descriptors.
constexpr std::size_t kMaxConnections = 64;

}  // namespace

// One connection, what Stop() closes.
class Connection {
 public:
  virtual ~Connection() = default;
  // Called on the io thread only.
  virtual void Close() = 0;
};

using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// One connection: (with TLS, a handshake first) read a request, answer it,
// repeat while the client keeps it alive.
template <class Stream>
class Session : public Connection, public std::enable_shared_from_this<Session<Stream>> {
 public:
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

  Session(tcp::socket socket, const Handler* handler, const ServerOptions* options) requires(!kTls)
      : stream_(std::move(socket)), handler_(handler), options_(options) {}
  Session(tcp::socket socket, const Handler* handler, const ServerOptions* options,
          ssl::context& tls) requires(kTls)
      : stream_(std::move(socket), tls), handler_(handler), options_(options) {}

  void Run() {
    if constexpr (kTls) {
      // The handshake is bounded like the request headers (Go bounds it by
      // its shortest read timeout).
      Expire(HeaderTimeout());
      stream_.async_handshake(ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                if (ec) return self->Close();
                                self->Read();
                              });
    } else {
      Read();
    }
  }

  void Close() override {
    beast::error_code ec;
    beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_both, ec);
    beast::get_lowest_layer(stream_).close();
  }

 private:
  // A zero timeout is none, as in Go.
  void Expire(Nanos timeout) {
    auto& lowest = beast::get_lowest_layer(stream_);
    if (timeout.count() > 0) {
      lowest.expires_after(timeout);
    } else {
      lowest.expires_never();
    }
  }
  Nanos HeaderTimeout() const {
    return options_->read_header_timeout.count() > 0 ? options_->read_header_timeout : options_->read_timeout;
  }
  // A kept-alive connection waits idle_timeout (or read_timeout) for the
  // next request, then its header timeout; one timer covers both (either
  // step without a bound: none).
  Nanos NextRequestTimeout() const {
    const Nanos idle = options_->idle_timeout.count() > 0 ? options_->idle_timeout : options_->read_timeout;
    const Nanos header = HeaderTimeout();
    return idle.count() > 0 && header.count() > 0 ? idle + header : Nanos{0};
  }

  void Read() {
    parser_.emplace();
    parser_->body_limit(kMaxRequestBody);
    Expire(requests_ == 0 ? HeaderTimeout() : NextRequestTimeout());
    bhttp::async_read_header(
        stream_, buffer_, *parser_, [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
          if (ec) return self->Close();
          // The body: what is left of read_timeout, counted from here.
          self->Expire(self->options_->read_timeout);
          bhttp::async_read(self->stream_, self->buffer_, *self->parser_,
                            [self](beast::error_code rec, std::size_t) { self->OnRead(rec); });
        });
  }

  void OnRead(beast::error_code ec) {
    if (ec) return Close();
    const auto& req = parser_->get();
    Request request;
    request.method = std::string(req.method_string());
    request.target = std::string(req.target());
    request.path = request.target.substr(0, request.target.find('?'));
    request.accept = std::string(req[bhttp::field::accept]);
    Response response;
    try {
      response = (*handler_)(request);
    } catch (const std::exception& e) {
      response =
          Response{500, "text/plain; charset=utf-8", std::string("internal error: ") + e.what() + "\n"};
    }
    ++requests_;
    auto res = std::make_shared<bhttp::response<bhttp::string_body>>(
        static_cast<bhttp::status>(response.status), req.version());
    res->set(bhttp::field::server, "otlpd");
    for (const auto& [name, value] : options_->response_headers) res->set(name, value);
    res->set(bhttp::field::content_type, response.content_type);
    res->keep_alive(req.keep_alive() && options_->keep_alive);
    // HEAD gets the headers of the GET answer and no body.
    const bool head = req.method() == bhttp::verb::head;
    res->body() = head ? std::string() : std::move(response.body);
    res->prepare_payload();
    if (head) res->content_length(response.body.size());
    Expire(options_->write_timeout);
    bhttp::async_write(stream_, *res,
                       [self = this->shared_from_this(), res](beast::error_code wec, std::size_t) {
                         if (wec || !res->keep_alive()) return self->Close();
                         self->Read();
                       });
  }

  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  const Handler* handler_;
  const ServerOptions* options_;
  std::uint64_t requests_ = 0;  // answered on this connection
};

struct SimpleHttpServer::Impl {
  std::string host;
  int requested_port = 0;
  Handler handler;
  ServerOptions options;
  asio::io_context io{1};
  tcp::acceptor acceptor{io};
  asio::steady_timer accept_retry{io};
  AcceptBackoff backoff{"otlpd HTTP endpoint"};
  std::thread thread;
  std::atomic<int> port{0};
  std::unique_ptr<ssl::context> tls;  // null: plain HTTP
  // Weak, so a finished connection frees itself; Stop() closes what is left.
  std::list<std::weak_ptr<Connection>> sessions;
  bool started = false;

  void Accept() {
    acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
      if (ec) {
        // Out of descriptors and the like: the listener stays readable, so
        // accepting again at once would spin; wait, longer each time.
        const auto step = backoff.Failed(ec.message());
        if (!step.log.empty()) spdlog::warn("{} on port {}", step.log, port.load());
        accept_retry.expires_after(step.delay);
        accept_retry.async_wait([this](beast::error_code e) {
          if (!e && acceptor.is_open()) Accept();
        });
        return;
      }
      if (auto line = backoff.Succeeded(); !line.empty()) spdlog::info("{} on port {}", line, port.load());
      sessions.remove_if([](const std::weak_ptr<Connection>& w) { return w.expired(); });
      if (sessions.size() >= kMaxConnections) {
        if (auto oldest = sessions.front().lock()) oldest->Close();
        sessions.pop_front();
      }
      if (tls) {
        auto session = std::make_shared<Session<TlsStream>>(std::move(socket), &handler, &options, *tls);
        sessions.push_back(session);
        session->Run();
      } else {
        auto session = std::make_shared<Session<PlainStream>>(std::move(socket), &handler, &options);
        sessions.push_back(session);
        session->Run();
      }
      Accept();
    });
  }

  // The addresses to try, best first: "localhost" means loopback and, like
  // Go's listener, IPv4 when there is one; "" means every interface.
  std::vector<tcp::endpoint> Candidates(beast::error_code& ec) {
    std::vector<tcp::endpoint> all = AllCandidates(ec);
    if (options.ip_version != 0) {
      std::erase_if(
          all, [this](const tcp::endpoint& ep) { return ep.address().is_v4() != (options.ip_version == 4); });
    }
    return all;
  }
  std::vector<tcp::endpoint> AllCandidates(beast::error_code& ec) {
    const auto p = static_cast<unsigned short>(requested_port);
    if (host.empty() && options.ip_version == 4) return {tcp::endpoint(tcp::v4(), p)};
    if (host.empty()) return {tcp::endpoint(asio::ip::address_v6::any(), p), tcp::endpoint(tcp::v4(), p)};
    if (host == "localhost") {
      return {tcp::endpoint(asio::ip::address_v4::loopback(), p),
              tcp::endpoint(asio::ip::address_v6::loopback(), p)};
    }
    const auto literal = asio::ip::make_address(host, ec);
    if (!ec) return {tcp::endpoint(literal, p)};
    ec.clear();
    tcp::resolver resolver(io);
    auto results = resolver.resolve(host, std::to_string(requested_port), ec);
    std::vector<tcp::endpoint> out;
    if (ec) return out;
    for (const auto& r : results) {
      if (r.endpoint().address().is_v4())
        out.insert(out.begin(), r.endpoint());
      else
        out.push_back(r.endpoint());
    }
    return out;
  }

  beast::error_code Bind(const tcp::endpoint& ep) {
    beast::error_code ec;
    if (acceptor.is_open()) acceptor.close(ec);
    acceptor.open(ep.protocol(), ec);
    if (ec) return ec;
    acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    // Every interface means both families, as Go's ":port" does.
    if (ep.address().is_v6() && ep.address().is_unspecified())
      acceptor.set_option(asio::ip::v6_only(options.ip_version == 6), ec);
    acceptor.bind(ep, ec);
    if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      beast::error_code ignored;
      acceptor.close(ignored);
    }
    return ec;
  }
};

SimpleHttpServer::SimpleHttpServer(std::string host, int port, Handler handler, ServerOptions options)
    : impl_(std::make_unique<Impl>()) {
  impl_->host = std::move(host);
  impl_->requested_port = port;
  impl_->handler = std::move(handler);
  impl_->options = std::move(options);
}

SimpleHttpServer::~SimpleHttpServer() { Stop(); }

Status SimpleHttpServer::EnableTls(const config::TlsServerConfig& tls, const std::string& path) {
  auto ctx = config::MakeServerSslContext(tls, path);
  if (!ctx.ok()) return ctx.status();
  impl_->tls = std::move(*ctx);
  return Status::Ok();
}

bool SimpleHttpServer::tls() const { return impl_->tls != nullptr; }

Status SimpleHttpServer::Start(std::chrono::milliseconds bind_retry) {
  Impl& s = *impl_;
  const std::string where = (s.host.find(':') != std::string::npos ? "[" + s.host + "]" : s.host) + ":" +
                            std::to_string(s.requested_port);
  const auto give_up = std::chrono::steady_clock::now() + bind_retry;
  beast::error_code ec;
  while (true) {
    auto candidates = s.Candidates(ec);
    if (ec) return Status::Internal("cannot resolve " + where + ": " + ec.message());
    if (candidates.empty()) return Status::Internal("cannot resolve " + where);
    bool in_use = false;
    for (const auto& ep : candidates) {
      ec = s.Bind(ep);
      if (!ec) break;
      in_use = in_use || ec == asio::error::address_in_use;
    }
    if (!ec) break;
    // Only a busy port is worth waiting for: it is the previous owner's, closing.
    if (!in_use || std::chrono::steady_clock::now() >= give_up) {
      return Status::Internal("cannot listen on " + where + ": " + ec.message());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  s.port.store(s.acceptor.local_endpoint().port());
  s.Accept();
  s.started = true;
  s.thread = std::thread([&s] { s.io.run(); });
  return Status::Ok();
}

void SimpleHttpServer::Stop() {
  Impl& s = *impl_;
  if (!s.started) return;
  s.started = false;
  // Everything is closed on the io thread, which owns the sockets; with no
  // work left, run() returns.
  asio::post(s.io, [&s] {
    beast::error_code ec;
    s.acceptor.close(ec);
    s.accept_retry.cancel();
    for (auto& w : s.sessions) {
      if (auto session = w.lock()) session->Close();
    }
    s.sessions.clear();
  });
  if (s.thread.joinable()) s.thread.join();
}

int SimpleHttpServer::port() const { return impl_->port.load(); }

}  // namespace otlpd::http
