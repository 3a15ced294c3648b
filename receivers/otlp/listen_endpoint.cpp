#include "receivers/otlp/listen_endpoint.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>

#include "config/net/unix_socket.h"
#include "internal/host_port.h"

namespace otlpd::receivers::otlp {
namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;

Result<ListenProtocol::endpoint> UnixEndpoint(const std::string& path) {
  if (Status s = config::net::PrepareUnixSocketPath(path); !s.ok()) return s;
  return ListenProtocol::endpoint(net::local::stream_protocol::endpoint(path));
}

// What `endpoint` resolves to that `transport` takes, IPv4 addresses first
// (as Go's net.Listen prefers them), each family in the resolver's order.
Result<std::vector<ListenProtocol::endpoint>> TcpEndpoints(net::io_context& ioc, const std::string& endpoint,
                                                           const std::string& transport) {
  std::string host, port, why;
  if (!SplitHostPort(endpoint, &host, &port, &why) || port.empty()) {
    return Status::InvalidArgument("endpoint \"" + endpoint + "\": " + (why.empty() ? "missing port" : why));
  }
  if (host.empty()) host = transport == "tcp6" ? "::" : "0.0.0.0";
  boost::system::error_code ec;
  tcp::resolver resolver(ioc);
  auto results = resolver.resolve(host, port, tcp::resolver::passive, ec);
  if (ec) return Status::Internal("cannot resolve " + endpoint + ": " + ec.message());
  std::vector<ListenProtocol::endpoint> all;
  for (bool v4 : {true, false}) {
    for (const auto& r : results) {
      const bool is_v4 = r.endpoint().address().is_v4();
      if (is_v4 != v4) continue;
      if ((transport == "tcp4" && !is_v4) || (transport == "tcp6" && is_v4)) continue;
      all.emplace_back(r.endpoint());
    }
  }
  if (all.empty()) return Status::Internal("cannot listen on " + endpoint + ": no address for " + transport);
  return all;
}

}  // namespace

Result<ListenProtocol::endpoint> ListenEndpoint(net::io_context& ioc, const std::string& endpoint,
                                                const std::string& transport) {
  if (transport == "unix") return UnixEndpoint(endpoint);
  auto all = TcpEndpoints(ioc, endpoint, transport);
  if (!all.ok()) return all.status();
  return all->front();
}

std::vector<ListenProtocol::endpoint> OnePerFamily(const std::vector<ListenProtocol::endpoint>& resolved) {
  std::vector<ListenProtocol::endpoint> out;
  for (int family : {AF_INET, AF_INET6}) {
    for (const auto& e : resolved) {
      if (e.data()->sa_family != family) continue;
      out.push_back(e);
      break;
    }
  }
  return out;
}

Result<std::vector<ListenProtocol::endpoint>> GrpcListenEndpoints(net::io_context& ioc,
                                                                  const std::string& endpoint,
                                                                  const std::string& transport) {
  std::string host, port, why;
  if (transport == "tcp" && SplitHostPort(endpoint, &host, &port, &why) && host == "localhost") {
    auto all = TcpEndpoints(ioc, endpoint, transport);
    if (!all.ok()) return all.status();
    return OnePerFamily(*all);
  }
  auto one = ListenEndpoint(ioc, endpoint, transport);
  if (!one.ok()) return one.status();
  return std::vector<ListenProtocol::endpoint>{*one};
}

int PortOf(const ListenProtocol::endpoint& e) {
  if (e.data()->sa_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(e.data())->sin_port);
  if (e.data()->sa_family == AF_INET6)
    return ntohs(reinterpret_cast<const sockaddr_in6*>(e.data())->sin6_port);
  return 0;
}

void SetPort(ListenProtocol::endpoint& e, int port) {
  const auto p = htons(static_cast<std::uint16_t>(port));
  if (e.data()->sa_family == AF_INET) reinterpret_cast<sockaddr_in*>(e.data())->sin_port = p;
  if (e.data()->sa_family == AF_INET6) reinterpret_cast<sockaddr_in6*>(e.data())->sin6_port = p;
}

}  // namespace otlpd::receivers::otlp
