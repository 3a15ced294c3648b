#include "test/exporters/otlphttp/http_test_server.h"

#include <sys/socket.h>

#include <array>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>

#include "internal/text.h"

namespace otlpd::test {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

std::string Str(beast::string_view s) { return std::string(s.data(), s.size()); }

// Copies bytes from one socket to the other until either side ends.
void Pump(tcp::socket& from, tcp::socket& to) {
  std::array<char, 16384> buf;
  beast::error_code ec;
  while (true) {
    const std::size_t n = from.read_some(net::buffer(buf), ec);
    if (ec || n == 0) break;
    net::write(to, net::buffer(buf.data(), n), ec);
    if (ec) break;
  }
  ::shutdown(to.native_handle(), SHUT_WR);
}

}  // namespace

struct HttpTestServer::State {
  Options options;
  net::io_context ioc;
  std::optional<tcp::acceptor> acceptor;
  std::unique_ptr<ssl::context> tls;
  int port = 0;
  std::thread accept_thread;

  mutable std::mutex mu;
  std::condition_variable cv;
  std::deque<Reply> script;
  Reply default_reply;
  bool held = false;
  bool stopping = false;
  std::vector<Request> requests;
  int accepts = 0;
  std::vector<std::thread> threads;
  // Every connection's socket, kept open (a finished connection is only shut
  // down) so that Stop never shuts down a descriptor reused by someone else.
  std::vector<std::shared_ptr<tcp::socket>> sockets;

  // The next answer for a recorded request; nullopt when stopping.
  std::optional<Reply> Answer(Request r) {
    std::unique_lock<std::mutex> lock(mu);
    requests.push_back(std::move(r));
    cv.notify_all();
    cv.wait(lock, [&] { return !held || stopping; });
    if (stopping) return std::nullopt;
    if (script.empty()) return default_reply;
    Reply reply = std::move(script.front());
    script.pop_front();
    return reply;
  }

  void Record(Request r) {
    std::lock_guard<std::mutex> lock(mu);
    requests.push_back(std::move(r));
  }

  template <class Stream>
  void ServeRequests(Stream& stream, tcp::socket& socket, int id) {
    beast::flat_buffer buffer;
    while (true) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(64 << 20);
      beast::error_code ec;
      http::read(stream, buffer, parser, ec);
      if (ec) return;
      auto& req = parser.get();
      Request r;
      r.method = Str(req.method_string());
      r.target = Str(req.target());
      for (const auto& f : req) r.headers[AsciiLower(Str(f.name_string()))] = Str(f.value());
      r.body = req.body();
      r.connection = id;
      if (options.proxy) {
        if constexpr (std::is_same_v<Stream, tcp::socket>) {
          if (!Proxy(stream, buffer, std::move(r), req.keep_alive())) return;
          continue;
        }
      }
      std::optional<Reply> reply = Answer(std::move(r));
      if (!reply) return;
      http::response<http::string_body> res{static_cast<http::status>(reply->status), 11};
      if (!reply->content_type.empty()) res.set(http::field::content_type, reply->content_type);
      for (const auto& [k, v] : reply->headers) res.set(k, v);
      res.body() = reply->body;
      res.keep_alive(req.keep_alive() && !reply->close);
      res.prepare_payload();
      http::write(stream, res, ec);
      if (ec || !res.keep_alive()) return;
    }
    (void)socket;
  }

  // A forward proxy's work: false when the client connection is done.
  bool Proxy(tcp::socket& client, beast::flat_buffer& buffer, Request r, bool keep_alive) {
    beast::error_code ec;
    const std::string target = r.target;
    const bool connect = r.method == "CONNECT";
    Record(r);
    std::string hostport = target;
    std::string path = "/";
    if (!connect) {
      const std::string rest = target.substr(target.find("://") + 3);
      hostport = rest.substr(0, rest.find('/'));
      path = rest.find('/') == std::string::npos ? "/" : rest.substr(rest.find('/'));
    }
    if (!options.upstream.empty()) hostport = options.upstream;
    const std::size_t colon = hostport.rfind(':');
    tcp::resolver resolver(ioc);
    tcp::socket upstream(ioc);
    auto endpoints = resolver.resolve(hostport.substr(0, colon), hostport.substr(colon + 1), ec);
    if (!ec) net::connect(upstream, endpoints, ec);
    if (ec) {
      http::response<http::string_body> res{http::status::bad_gateway, 11};
      res.prepare_payload();
      http::write(client, res, ec);
      return false;
    }
    if (connect) {
      net::write(client, net::buffer(std::string("HTTP/1.1 200 Connection Established\r\n\r\n")), ec);
      if (buffer.size() > 0) net::write(upstream, buffer.data(), ec);
      std::thread up([&] { Pump(client, upstream); });
      Pump(upstream, client);
      up.join();
      return false;
    }
    http::request<http::string_body> forward{http::string_to_verb(r.method), path, 11};
    for (const auto& [k, v] : r.headers) {
      if (k != "proxy-authorization" && k != "connection" && k != "content-length") forward.set(k, v);
    }
    forward.body() = r.body;
    forward.prepare_payload();
    http::write(upstream, forward, ec);
    http::response<http::string_body> res;
    beast::flat_buffer upstream_buffer;
    if (!ec) http::read(upstream, upstream_buffer, res, ec);
    if (ec) return false;
    res.keep_alive(keep_alive);
    http::write(client, res, ec);
    (void)buffer;
    return !ec && keep_alive;
  }

  void Serve(std::shared_ptr<tcp::socket> socket, int id) {
    if (tls) {
      ssl::stream<tcp::socket&> stream(*socket, *tls);
      beast::error_code ec;
      stream.handshake(ssl::stream_base::server, ec);
      if (!ec) ServeRequests(stream, *socket, id);
    } else {
      ServeRequests(*socket, *socket, id);
    }
    // The client sees the connection end (its socket stays open in `sockets`).
    ::shutdown(socket->native_handle(), SHUT_RDWR);
  }

  void AcceptLoop(const std::shared_ptr<State>& self) {
    while (true) {
      auto socket = std::make_shared<tcp::socket>(ioc);
      beast::error_code ec;
      acceptor->accept(*socket, ec);
      std::lock_guard<std::mutex> lock(mu);
      if (stopping) break;
      if (ec) continue;
      const int id = ++accepts;
      sockets.push_back(socket);
      threads.emplace_back([self, socket, id] { self->Serve(socket, id); });
    }
    beast::error_code ignored;
    acceptor->close(ignored);
  }
};

HttpTestServer::HttpTestServer(Options options) : state_(std::make_shared<State>()) {
  State& s = *state_;
  s.options = std::move(options);
  if (!s.options.cert_pem.empty()) {
    s.tls = std::make_unique<ssl::context>(ssl::context::tls_server);
    s.tls->use_certificate_chain(net::buffer(s.options.cert_pem));
    s.tls->use_private_key(net::buffer(s.options.key_pem), ssl::context::pem);
    if (!s.options.client_ca_pem.empty()) {
      s.tls->add_certificate_authority(net::buffer(s.options.client_ca_pem));
      s.tls->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
    }
  }
  beast::error_code ec;
  s.acceptor.emplace(s.ioc);
  const tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"),
                               static_cast<unsigned short>(s.options.port));
  s.acceptor->open(endpoint.protocol(), ec);
  if (!ec) s.acceptor->set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) s.acceptor->bind(endpoint, ec);
  if (!ec) s.acceptor->listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    s.acceptor.reset();
    return;
  }
  s.port = s.acceptor->local_endpoint().port();
  s.accept_thread = std::thread([self = state_] { self->AcceptLoop(self); });
}

HttpTestServer::~HttpTestServer() { Stop(); }

bool HttpTestServer::running() const { return state_->acceptor.has_value() && state_->port != 0; }
int HttpTestServer::port() const { return state_->port; }
std::string HttpTestServer::url() const {
  return std::string(state_->tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(state_->port);
}

void HttpTestServer::Script(std::vector<Reply> replies) {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->script.assign(replies.begin(), replies.end());
}

void HttpTestServer::SetDefault(Reply reply) {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->default_reply = std::move(reply);
}

void HttpTestServer::Hold() {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->held = true;
}

void HttpTestServer::Release() {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->held = false;
  state_->cv.notify_all();
}

void HttpTestServer::CloseConnections() {
  std::lock_guard<std::mutex> lock(state_->mu);
  for (const auto& socket : state_->sockets) ::shutdown(socket->native_handle(), SHUT_RDWR);
}

std::vector<HttpTestServer::Request> HttpTestServer::requests() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->requests;
}

std::size_t HttpTestServer::calls() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->requests.size();
}

int HttpTestServer::accepts() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->accepts;
}

void HttpTestServer::Stop() {
  State& s = *state_;
  {
    std::lock_guard<std::mutex> lock(s.mu);
    if (s.stopping) return;
    s.stopping = true;
    s.cv.notify_all();
  }
  if (s.accept_thread.joinable()) {
    // Wakes the blocking accept(); the loop sees `stopping` and ends.
    tcp::socket poke(s.ioc);
    beast::error_code ec;
    poke.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), static_cast<unsigned short>(s.port)), ec);
    s.accept_thread.join();
  }
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> lock(s.mu);
    for (const auto& socket : s.sockets) ::shutdown(socket->native_handle(), SHUT_RDWR);
    threads.swap(s.threads);
  }
  for (auto& t : threads) t.join();
}

}  // namespace otlpd::test
