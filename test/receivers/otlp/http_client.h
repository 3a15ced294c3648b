#pragma once

// A small blocking HTTP/1.1 client on Beast for receiver tests: plain or TLS
// (optionally with a client certificate), one connection reused across
// requests so keep-alive can be observed. Test-only; heavy includes are fine.

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "internal/text.h"

namespace otlpd::test {

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names; repeated ones joined with ", "
  std::string body;

  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
  bool Has(const std::string& name) const { return headers.count(name) > 0; }
};

struct HttpRequest {
  std::string method = "POST";
  std::string target = "/v1/traces";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool chunked = false;  // Transfer-Encoding: chunked instead of Content-Length
};

struct TlsClientOptions {
  std::string ca_pem;
  std::string cert_pem;  // empty: no client certificate
  std::string key_pem;
  int max_version = 0;  // e.g. TLS1_2_VERSION; 0: library default
};

class HttpClient {
 private:
  template <class F>
  auto Visit(F&& f) {
    if (plain_) return f(*plain_);
    return f(*tls_);
  }

  template <class Stream>
  HttpResponse Read(Stream& stream) {
    namespace http = boost::beast::http;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 << 20);
    http::read(stream, buffer_, parser);
    auto& res = parser.get();
    HttpResponse out;
    out.status = static_cast<int>(res.result_int());
    for (const auto& f : res) {
      std::string name(f.name_string().data(), f.name_string().size());
      AsciiLowerInPlace(name);
      std::string value(f.value().data(), f.value().size());
      auto& slot = out.headers[name];
      slot = slot.empty() ? value : slot + ", " + value;
    }
    out.body = std::move(res.body());
    return out;
  }

 public:
  explicit HttpClient(int port, std::optional<TlsClientOptions> tls = std::nullopt) : port_(port) {
    namespace net = boost::asio;
    net::ip::tcp::endpoint ep(net::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port));
    if (!tls) {
      plain_.emplace(ioc_);
      plain_->expires_after(std::chrono::seconds(30));
      plain_->connect(ep);
      return;
    }
    ctx_.emplace(net::ssl::context::tls_client);
    ctx_->add_certificate_authority(net::buffer(tls->ca_pem));
    ctx_->set_verify_mode(net::ssl::verify_peer);
    ctx_->set_verify_callback(net::ssl::host_name_verification("localhost"));
    if (!tls->cert_pem.empty()) {
      ctx_->use_certificate_chain(net::buffer(tls->cert_pem));
      ctx_->use_private_key(net::buffer(tls->key_pem), net::ssl::context::pem);
    }
    if (tls->max_version != 0) SSL_CTX_set_max_proto_version(ctx_->native_handle(), tls->max_version);
    tls_.emplace(ioc_, *ctx_);
    SSL_set_tlsext_host_name(tls_->native_handle(), "localhost");
    boost::beast::get_lowest_layer(*tls_).expires_after(std::chrono::seconds(30));
    boost::beast::get_lowest_layer(*tls_).connect(ep);
    tls_->handshake(net::ssl::stream_base::client);
  }

  // Throws boost::system::system_error when the connection fails or closes.
  HttpResponse Send(const HttpRequest& r) {
    namespace http = boost::beast::http;
    http::request<http::string_body> req;
    req.method_string(r.method);
    req.target(r.target);
    req.version(11);
    req.set(http::field::host, "127.0.0.1:" + std::to_string(port_));
    for (const auto& [k, v] : r.headers) req.insert(k, v);
    req.body() = r.body;
    if (r.chunked) {
      req.chunked(true);
    } else if (!r.body.empty() || r.method == "POST") {
      req.content_length(r.body.size());
    }
    return Visit([&](auto& stream) {
      http::write(stream, req);
      return Read(stream);
    });
  }

  // Writes bytes as they are (for requests a well-behaved client would not send).
  void WriteRaw(const std::string& bytes) {
    Visit([&](auto& stream) {
      boost::asio::write(stream, boost::asio::buffer(bytes));
      return 0;
    });
  }

  HttpResponse ReadResponse() {
    return Visit([&](auto& stream) { return Read(stream); });
  }

  // True when the server closed the connection (a read sees EOF).
  bool ServerClosed() {
    return Visit([&](auto& stream) {
      char c;
      boost::system::error_code ec;
      stream.read_some(boost::asio::buffer(&c, 1), ec);
      return static_cast<bool>(ec);
    });
  }

 private:
  int port_;
  boost::asio::io_context ioc_;
  std::optional<boost::asio::ssl::context> ctx_;
  std::optional<boost::beast::tcp_stream> plain_;
  std::optional<boost::beast::ssl_stream<boost::beast::tcp_stream>> tls_;
  boost::beast::flat_buffer buffer_;
};

}  // namespace otlpd::test
