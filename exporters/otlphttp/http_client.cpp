#include "exporters/otlphttp/http_client.h"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>

#include <array>
#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cerrno>
#include <condition_variable>
#include <deque>
#include <limits>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "config/tls_context.h"
#include "internal/base64.h"
#include "internal/text.h"

namespace otlpd::exporters::otlphttp {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

constexpr std::uint32_t kHeaderLimit = 1 << 20;  // Go's default MaxResponseHeaderBytes
constexpr std::size_t kReadChunk = 16 * 1024;

// Beast (Boost 1.74) takes boost::string_view, which std::string_view does not convert to.
beast::string_view Bsv(std::string_view s) { return {s.data(), s.size()}; }

bool IsIpLiteral(const std::string& host) {
  beast::error_code ec;
  net::ip::make_address(host, ec);
  return !ec;
}

// host:port with the port always present, as CONNECT and pool keys want it.
std::string HostPort(const Url& url) {
  return (url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host) + ":" + url.port;
}

// One connection and the io_context that drives it. Only the thread that
// holds it (taken out of the pool) touches it, except CancelAll's stop().
struct Connection {
  explicit Connection(std::string k) : key(std::move(k)), plain(ioc) {}

  // First member: destroyed last, after the streams that use it.
  net::io_context ioc{1};
  std::string key;
  beast::tcp_stream plain;                                  // until TLS takes it over
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls;  // https
  beast::flat_buffer buffer;
  Clock::time_point idle_since;
  bool reused = false;

  beast::tcp_stream& lowest() { return tls ? beast::get_lowest_layer(*tls) : plain; }

  // Runs `op` on the stream requests go over: TLS when there is one.
  template <class Op>
  void OnStream(Op&& op) {
    if (tls) {
      op(*tls);
    } else {
      op(plain);
    }
  }

  void Expire(Clock::time_point deadline) {
    if (deadline == Clock::time_point::max()) {
      lowest().expires_never();
    } else {
      lowest().expires_at(deadline);
    }
  }

  // Whether an idle connection can carry another request: the server has
  // not closed it (EOF), sent anything unasked (a TLS alert, a 408), and no
  // bytes are left over from the last response.
  bool StillUsable() {
    if (!lowest().socket().is_open() || buffer.size() > 0) return false;
    if (tls && (SSL_pending(tls->native_handle()) > 0 ||
                (SSL_get_shutdown(tls->native_handle()) & SSL_RECEIVED_SHUTDOWN) != 0)) {
      return false;
    }
    char b;
    const ssize_t n = ::recv(lowest().socket().native_handle(), &b, 1, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }
};

// A name lookup in progress; CancelAll wakes its waiter.
struct DnsLookup {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  beast::error_code ec;
  std::vector<tcp::endpoint> endpoints;
};

}  // namespace

struct HttpClient::Impl {
  HttpClientOptions options;
  std::unique_ptr<ssl::context> tls_ctx;
  std::atomic<std::uint64_t> opened{0};
  std::atomic<bool> cancelled_view{false};  // `cancelled`, readable without mu

  std::mutex mu;  // guards everything below
  std::condition_variable freed;
  bool cancelled = false;
  std::map<std::string, std::deque<std::unique_ptr<Connection>>> idle;  // newest at the back
  std::map<std::string, int> open;                                      // idle + in use + dialing
  int idle_total = 0;
  std::set<Connection*> busy;
  std::set<std::shared_ptr<DnsLookup>> lookups;

  // DNS lookups block in getaddrinfo: one thread does them for every caller,
  // so that callers can stop waiting at their deadline.
  std::once_flag dns_started;
  net::io_context dns_ioc{1};
  std::optional<net::executor_work_guard<net::io_context::executor_type>> dns_work;
  std::thread dns_thread;

  ~Impl() {
    if (dns_thread.joinable()) {
      dns_work.reset();
      dns_ioc.stop();
      dns_thread.join();
    }
  }

  static std::string Key(const Url& url) { return (url.https ? "https://" : "http://") + HostPort(url); }

  Status Failure(std::string_view step, const Url& url, const beast::error_code& ec) {
    std::string what = "POST " + url.display + ": " + std::string(step) + ": ";
    if (ec == beast::error::timeout) return Status::DeadlineExceeded(what + "timed out");
    {
      std::lock_guard<std::mutex> lock(mu);
      if (cancelled) return Status::Unavailable(what + "cancelled: the exporter is shutting down");
    }
    return Status::Unavailable(what + ec.message());
  }

  // Runs the async operation `initiate` starts on the connection's
  // io_context until it completes, the stream's expiry fires, or CancelAll
  // stops the context.
  template <class Initiate>
  beast::error_code Run(Connection& c, Initiate&& initiate) {
    {
      // Under the lock CancelAll stops contexts with, so its stop() cannot
      // fall between a check and this restart and be lost.
      std::lock_guard<std::mutex> lock(mu);
      if (cancelled) return net::error::operation_aborted;
      c.ioc.restart();
    }
    std::optional<beast::error_code> result;
    initiate([&result](beast::error_code ec, auto&&...) { result = ec; });
    c.ioc.run();
    return result.value_or(net::error::operation_aborted);
  }

  Result<std::vector<tcp::endpoint>> Resolve(const Url& hop, Clock::time_point deadline) {
    const auto port = static_cast<unsigned short>(std::stoi(hop.port));
    beast::error_code ec;
    const net::ip::address address = net::ip::make_address(hop.host, ec);
    if (!ec) return std::vector<tcp::endpoint>{tcp::endpoint(address, port)};

    std::call_once(dns_started, [this] {
      dns_work.emplace(net::make_work_guard(dns_ioc));
      dns_thread = std::thread([this] { dns_ioc.run(); });
    });
    auto lookup = std::make_shared<DnsLookup>();
    auto resolver = std::make_shared<tcp::resolver>(dns_ioc);
    {
      std::lock_guard<std::mutex> lock(mu);
      if (cancelled)
        return Status::Unavailable("resolving \"" + hop.host +
                                   "\": cancelled: the exporter is shutting down");
      lookups.insert(lookup);
    }
    resolver->async_resolve(
        hop.host, hop.port,
        [lookup, resolver](beast::error_code e, const tcp::resolver::results_type& results) {
          std::lock_guard<std::mutex> lock(lookup->mu);
          lookup->ec = e;
          for (const auto& r : results) lookup->endpoints.push_back(r.endpoint());
          lookup->done = true;
          lookup->cv.notify_all();
        });
    bool done = false, stop = false;
    {
      std::unique_lock<std::mutex> lock(lookup->mu);
      // CancelAll sets cancelled_view before it notifies under lookup->mu,
      // so either this check sees it or the notify wakes the wait.
      auto ready = [&] { return lookup->done || cancelled_view.load(std::memory_order_acquire); };
      if (deadline == Clock::time_point::max()) {
        lookup->cv.wait(lock, ready);
      } else {
        lookup->cv.wait_until(lock, deadline, ready);
      }
      done = lookup->done;
      stop = !done && cancelled_view.load(std::memory_order_acquire);
    }
    {
      std::lock_guard<std::mutex> lock(mu);
      lookups.erase(lookup);
    }
    if (!done) {
      net::post(dns_ioc, [resolver] { resolver->cancel(); });
      if (stop)
        return Status::Unavailable("resolving \"" + hop.host +
                                   "\": cancelled: the exporter is shutting down");
      return Status::DeadlineExceeded("resolving \"" + hop.host + "\" timed out");
    }
    if (lookup->ec)
      return Status::Unavailable("cannot resolve \"" + hop.host + "\": " + lookup->ec.message());
    if (lookup->endpoints.empty()) return Status::Unavailable("\"" + hop.host + "\" has no address");
    return std::move(lookup->endpoints);
  }
  // An idle connection to `key`, or a new (unconnected) one when none is
  // left and max_conns_per_host allows; otherwise waits for one to come free.
  Result<std::unique_ptr<Connection>> Acquire(const std::string& key, Clock::time_point deadline) {
    std::unique_lock<std::mutex> lock(mu);
    while (true) {
      if (cancelled) return Status::Unavailable("cancelled: the exporter is shutting down");
      std::deque<std::unique_ptr<Connection>>& list = idle[key];
      const Clock::time_point now = Clock::now();
      while (!list.empty()) {
        std::unique_ptr<Connection> c = std::move(list.back());
        list.pop_back();
        --idle_total;
        const bool expired =
            options.idle_conn_timeout.count() > 0 && now - c->idle_since >= options.idle_conn_timeout;
        if (!expired && c->StillUsable()) {
          c->reused = true;
          busy.insert(c.get());
          return c;
        }
        --open[key];
      }
      if (options.max_conns_per_host == 0 || open[key] < options.max_conns_per_host) {
        ++open[key];
        auto c = std::make_unique<Connection>(key);
        if (options.read_buffer_size > 0)
          c->buffer.reserve(static_cast<std::size_t>(options.read_buffer_size));
        busy.insert(c.get());
        return c;
      }
      if (deadline == Clock::time_point::max()) {
        freed.wait(lock);
      } else if (freed.wait_until(lock, deadline) == std::cv_status::timeout && Clock::now() >= deadline) {
        return Status::DeadlineExceeded("no connection to " + key +
                                        " came free in time (max_conns_per_host " +
                                        std::to_string(options.max_conns_per_host) + ")");
      }
    }
  }

  void Release(std::unique_ptr<Connection> c, bool reusable) {
    std::unique_ptr<Connection> drop;
    {
      std::lock_guard<std::mutex> lock(mu);
      busy.erase(c.get());
      std::deque<std::unique_ptr<Connection>>& list = idle[c->key];
      if (reusable && !options.disable_keep_alives && !cancelled &&
          static_cast<int>(list.size()) < options.max_idle_conns_per_host &&
          (options.max_idle_conns == 0 || idle_total < options.max_idle_conns)) {
        c->idle_since = Clock::now();
        c->reused = false;
        list.push_back(std::move(c));
        ++idle_total;
      } else {
        --open[c->key];
        drop = std::move(c);
      }
    }
    freed.notify_one();
    // `drop` closes its socket here, outside the lock.
  }

  Status Dial(Connection& c, const Url& url, const Url* proxy, Clock::time_point deadline) {
    const Url& hop = proxy != nullptr ? *proxy : url;
    auto endpoints = Resolve(hop, deadline);
    if (!endpoints.ok()) {
      const Status& st = endpoints.status();
      const std::string what = "POST " + url.display + ": " + st.message();
      return st.code() == StatusCode::kDeadlineExceeded ? Status::DeadlineExceeded(what)
                                                        : Status::Unavailable(what);
    }
    c.Expire(deadline);
    beast::error_code ec = Run(c, [&](auto&& handler) {
      c.plain.async_connect(*endpoints, std::forward<decltype(handler)>(handler));
    });
    if (ec) return Failure(proxy != nullptr ? "connect to proxy " + HostPort(hop) : "connect", url, ec);
    opened.fetch_add(1, std::memory_order_relaxed);
    beast::error_code ignored;
    c.plain.socket().set_option(tcp::no_delay(true), ignored);
    c.plain.socket().set_option(net::socket_base::keep_alive(true), ignored);

    if (proxy != nullptr && url.https) {
      // A tunnel through the proxy; TLS runs end to end inside it.
      http::request<http::empty_body> connect{http::verb::connect, HostPort(url), 11};
      connect.set(http::field::host, HostPort(url));
      if (!proxy->userinfo.empty()) {
        connect.set(http::field::proxy_authorization, "Basic " + Base64(proxy->userinfo));
      }
      ec = Run(c, [&](auto&& handler) {
        http::async_write(c.plain, connect, std::forward<decltype(handler)>(handler));
      });
      if (ec) return Failure("CONNECT through proxy", url, ec);
      http::response_parser<http::empty_body> answer;
      answer.skip(true);  // a 2xx answer to CONNECT has no body, whatever its headers say
      ec = Run(c, [&](auto&& handler) {
        http::async_read(c.plain, c.buffer, answer, std::forward<decltype(handler)>(handler));
      });
      if (ec) return Failure("CONNECT through proxy", url, ec);
      const unsigned status = answer.get().result_int();
      if (status < 200 || status > 299) {
        return Status::Unavailable("POST " + url.display + ": proxy " + HostPort(hop) + " refused CONNECT: " +
                                   std::to_string(status) + " " + std::string(answer.get().reason()));
      }
    }
    if (!url.https) return Status::Ok();

    c.tls.emplace(std::move(c.plain), *tls_ctx);
    SSL* ssl = c.tls->native_handle();
    const std::string& name =
        options.tls.server_name_override.empty() ? url.host : options.tls.server_name_override;
    const bool ip = IsIpLiteral(name);
    if (!ip) SSL_set_tlsext_host_name(ssl, name.c_str());  // SNI never names an address
    if (!options.tls.insecure_skip_verify) {
      X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
      if (ip) {
        X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str());
      } else {
        X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        X509_VERIFY_PARAM_set1_host(param, name.c_str(), name.size());
      }
    }
    c.Expire(deadline);
    ec = Run(c, [&](auto&& handler) {
      c.tls->async_handshake(ssl::stream_base::client, std::forward<decltype(handler)>(handler));
    });
    if (ec) {
      const long verify = SSL_get_verify_result(ssl);
      if (verify != X509_V_OK && ec != beast::error::timeout) {
        return Status::Unavailable(
            "POST " + url.display +
            ": TLS handshake: server certificate not accepted: " + X509_verify_cert_error_string(verify));
      }
      return Failure("TLS handshake", url, ec);
    }
    return Status::Ok();
  }

  // Writes the request and reads the answer on a connected `c`. `got_some`:
  // whether any byte of an answer came; `reusable`: whether `c` may carry
  // another request.
  Result<HttpResponse> Exchange(Connection& c, const HttpRequest& r, Clock::time_point deadline,
                                bool& got_some, bool& reusable) {
    const Url& url = *r.url;
    const bool absolute = r.proxy != nullptr && !url.https;
    http::request<http::buffer_body> req{
        http::verb::post,
        absolute ? (url.https ? "https://" : "http://") + url.Authority() + url.target : url.target, 11};
    const std::string authority = url.Authority();  // host must not view a temporary
    std::string_view host = authority;
    bool authorization = false;
    for (const auto& [name, value] : r.headers) {
      if (EqualsIgnoreCase(name, "Host")) host = value;
      authorization |= EqualsIgnoreCase(name, "Authorization");
    }
    req.set(http::field::host, Bsv(host));
    for (const auto& [name, value] : r.headers) {
      if (!EqualsIgnoreCase(name, "Host")) req.set(Bsv(name), Bsv(value));
    }
    if (!url.userinfo.empty() && !authorization)
      req.set(http::field::authorization, "Basic " + Base64(url.userinfo));
    if (absolute && !r.proxy->userinfo.empty()) {
      req.set(http::field::proxy_authorization, "Basic " + Base64(r.proxy->userinfo));
    }
    if (options.disable_keep_alives) req.set(http::field::connection, "close");
    req.content_length(r.body.size());
    req.body().data = const_cast<char*>(r.body.data());  // only read by the serializer
    req.body().size = r.body.size();
    req.body().more = false;

    c.Expire(deadline);
    beast::error_code ec = Run(c, [&](auto&& handler) {
      c.OnStream(
          [&](auto& stream) { http::async_write(stream, req, std::forward<decltype(handler)>(handler)); });
    });
    if (ec) return Failure("write", url, ec);

    auto read = [&](auto& parser) {
      return Run(c, [&](auto&& handler) {
        c.OnStream([&](auto& stream) {
          http::async_read(stream, c.buffer, parser, std::forward<decltype(handler)>(handler));
        });
      });
    };
    auto read_header = [&](auto& parser) {
      return Run(c, [&](auto&& handler) {
        c.OnStream([&](auto& stream) {
          http::async_read_header(stream, c.buffer, parser, std::forward<decltype(handler)>(handler));
        });
      });
    };

    std::optional<http::response_parser<http::buffer_body>> parser;
    while (true) {
      parser.emplace();
      parser->header_limit(kHeaderLimit);
      // No limit: what is not kept is not read. (Not boost::none, which
      // Boost 1.74 compares against Content-Length as if it were 0.)
      parser->body_limit(std::numeric_limits<std::uint64_t>::max());
      ec = read_header(*parser);
      got_some |= parser->got_some();
      if (ec) return Failure("read", url, ec);
      const unsigned status = parser->get().result_int();
      // Interim answers (100 Continue, 103 Early Hints) precede the real one.
      if (status < 100 || status >= 200 || status == 101) break;
    }
    auto& msg = parser->get();
    HttpResponse out;
    out.status = static_cast<int>(msg.result_int());
    out.content_type = std::string(msg[http::field::content_type]);
    if (auto it = msg.find(http::field::retry_after); it != msg.end())
      out.retry_after = std::string(it->value());
    std::array<char, kReadChunk> chunk;
    while (!parser->is_done()) {
      msg.body().data = chunk.data();
      msg.body().size = chunk.size();
      ec = read(*parser);
      if (ec == http::error::need_buffer) ec = {};
      if (ec) return Failure("read", url, ec);
      const std::size_t n = chunk.size() - msg.body().size;
      const std::size_t keep = std::min(n, options.max_response_body - out.body.size());
      out.body.append(chunk.data(), keep);
      if (keep < n) {
        // Only so much of an answer is read; the rest goes with the connection.
        out.body_truncated = true;
        break;
      }
    }
    reusable = parser->is_done() && msg.keep_alive();
    return out;
  }
};

HttpClient::HttpClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpClient::~HttpClient() = default;

Result<std::unique_ptr<HttpClient>> HttpClient::Create(HttpClientOptions options) {
  auto impl = std::make_unique<Impl>();
  auto ctx = config::MakeClientSslContext(options.tls, options.tls_path);
  if (!ctx.ok()) return ctx.status();
  impl->tls_ctx = std::move(*ctx);
  if (options.max_idle_conns_per_host <= 0) options.max_idle_conns_per_host = 2;
  impl->options = std::move(options);
  return std::unique_ptr<HttpClient>(new HttpClient(std::move(impl)));
}

Result<HttpResponse> HttpClient::Post(const HttpRequest& request, Clock::time_point deadline) {
  Impl& s = *impl_;
  const Url& url = *request.url;
  if (Clock::now() >= deadline)
    return Status::DeadlineExceeded("POST " + url.display + ": no time left to send");
  const std::string key = Impl::Key(url);
  for (int attempt = 0;; ++attempt) {
    auto acquired = s.Acquire(key, deadline);
    if (!acquired.ok()) return Status(acquired.status());
    std::unique_ptr<Connection> c = std::move(*acquired);
    const bool reused = c->reused;
    if (!reused) {
      if (Status st = s.Dial(*c, url, request.proxy, deadline); !st.ok()) {
        s.Release(std::move(c), false);
        return st;
      }
    }
    bool got_some = false, reusable = false;
    Result<HttpResponse> r = s.Exchange(*c, request, deadline, got_some, reusable);
    s.Release(std::move(c), r.ok() && reusable);
    if (r.ok()) return r;
    // A kept-alive connection the server closed as the request went out:
    // the server never saw the request, so one more try on a new
    // connection sends it once, not twice.
    if (reused && !got_some && attempt == 0 && r.status().code() == StatusCode::kUnavailable &&
        !s.cancelled_view.load(std::memory_order_acquire)) {
      continue;
    }
    return r;
  }
}

void HttpClient::CancelAll() {
  Impl& s = *impl_;
  std::lock_guard<std::mutex> lock(s.mu);
  s.cancelled = true;
  s.cancelled_view.store(true, std::memory_order_release);
  for (Connection* c : s.busy) c->ioc.stop();
  for (const auto& lookup : s.lookups) {
    std::lock_guard<std::mutex> l(lookup->mu);
    lookup->cv.notify_all();
  }
  s.freed.notify_all();
}

std::uint64_t HttpClient::connections_opened() const { return impl_->opened.load(std::memory_order_relaxed); }

}  // namespace otlpd::exporters::otlphttp
