#include "processors/resourcedetection/metadata_http.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <cstdlib>

#include <simdjson.h>

#include "internal/text.h"

namespace otlpd::processors::resourcedetection {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

namespace {
constexpr std::uint64_t kMaxBody = 1 << 20;
}

Result<MetadataEndpoint> MetadataEndpoint::Parse(std::string_view text) {
  if (text.starts_with("https://")) {
    return Status::InvalidArgument("metadata endpoint " + std::string(text) + ": https is not supported");
  }
  if (text.starts_with("http://")) text.remove_prefix(7);
  if (const auto slash = text.find('/'); slash != std::string_view::npos) text = text.substr(0, slash);
  MetadataEndpoint e;
  if (text.starts_with("[")) {
    const auto close = text.find(']');
    if (close == std::string_view::npos)
      return Status::InvalidArgument("bad metadata endpoint: " + std::string(text));
    e.host = std::string(text.substr(1, close - 1));
    std::string_view rest = text.substr(close + 1);
    if (rest.starts_with(":")) e.port = std::string(rest.substr(1));
  } else if (const auto colon = text.rfind(':'); colon != std::string_view::npos) {
    e.host = std::string(text.substr(0, colon));
    e.port = std::string(text.substr(colon + 1));
  } else {
    e.host = std::string(text);
  }
  if (e.host.empty() || e.port.empty()) {
    return Status::InvalidArgument("bad metadata endpoint: " + std::string(text));
  }
  return e;
}

std::string MetadataEndpoint::ToString() const {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + port;
}

std::string MetadataResponse::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (EqualsIgnoreCase(k, name)) return v;
  }
  return "";
}

Result<MetadataResponse> MetadataRequest(const MetadataEndpoint& endpoint, std::string_view method,
                                         std::string_view target,
                                         const std::vector<std::pair<std::string, std::string>>& headers,
                                         Clock::time_point deadline) {
  net::io_context ioc;
  tcp::resolver resolver(ioc);
  beast::tcp_stream stream(ioc);
  beast::basic_stream<net::local::stream_protocol> local(ioc);
  http::request<http::string_body> req;
  req.method_string(beast::string_view(method.data(), method.size()));
  req.target(beast::string_view(target.data(), target.size()));
  req.version(11);
  req.set(http::field::host, endpoint.ToString());
  req.set(http::field::connection, "close");
  for (const auto& [k, v] : headers) req.set(k, v);
  if (method == "PUT" || method == "POST") req.prepare_payload();
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxBody);
  beast::flat_buffer buffer;

  beast::error_code failure;
  std::string stage;
  bool done = false;
  auto fail = [&](const char* where, beast::error_code ec) {
    failure = ec;
    stage = where;
    done = true;
  };
  // Connected: the same exchange on either kind of stream.
  auto exchange = [&](auto& s) {
    http::async_write(s, req, [&](beast::error_code ec3, std::size_t) {
      if (ec3) return fail("write", ec3);
      http::async_read(s, buffer, parser, [&](beast::error_code ec4, std::size_t) {
        if (ec4) return fail("read", ec4);
        done = true;
      });
    });
  };
  if (!endpoint.unix_path.empty()) {
    local.expires_at(deadline);
    local.async_connect(net::local::stream_protocol::endpoint(endpoint.unix_path), [&](beast::error_code ec) {
      if (ec) return fail("connect", ec);
      exchange(local);
    });
  } else {
    resolver.async_resolve(endpoint.host, endpoint.port,
                           [&](beast::error_code ec, tcp::resolver::results_type results) {
                             if (ec) return fail("resolve", ec);
                             stream.expires_at(deadline);
                             stream.async_connect(results, [&](beast::error_code ec2, const tcp::endpoint&) {
                               if (ec2) return fail("connect", ec2);
                               exchange(stream);
                             });
                           });
  }
  ioc.run_until(deadline);
  const std::string what =
      std::string(method) + " " +
      (endpoint.unix_path.empty() ? "http://" + endpoint.ToString() : "unix:" + endpoint.unix_path) +
      std::string(target);
  if (!done) {
    resolver.cancel();
    beast::error_code ignored;
    stream.socket().close(ignored);
    local.socket().close(ignored);
    return Status::DeadlineExceeded(what + ": no answer before the deadline");
  }
  if (failure) {
    if (failure == beast::error::timeout)
      return Status::DeadlineExceeded(what + ": timed out (" + stage + ")");
    return Status::Unavailable(what + ": " + stage + ": " + failure.message());
  }
  MetadataResponse out;
  auto& res = parser.get();
  out.status = static_cast<int>(res.result_int());
  out.body = std::move(res.body());
  for (const auto& field : res)
    out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  return out;
}

Result<MetadataEndpoint> MetadataEndpointFromEnv(const char* env, std::string_view fallback) {
  const char* value = std::getenv(env);
  return MetadataEndpoint::Parse(value != nullptr && *value != '\0' ? std::string_view(value) : fallback);
}

std::string JsonString(const simdjson::dom::element& object, const char* key) {
  std::string_view v;
  if (object[key].get_string().get(v) != simdjson::SUCCESS) return "";
  return std::string(v);
}

}  // namespace otlpd::processors::resourcedetection
