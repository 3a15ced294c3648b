#pragma once

#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/io_context.hpp>
#include <string>
#include <vector>

#include "internal/status.h"

namespace otlpd::receivers::otlp {

// The address a server of ours (OTLP/HTTP, and OTLP/gRPC on nghttp2) listens
// on, for TCP and Unix-domain sockets alike.
using ListenProtocol = boost::asio::generic::stream_protocol;

// `endpoint` as `transport` ("tcp", "tcp4", "tcp6" or "unix") asks. TCP: like
// Go's net.Listen, one address, IPv4 first unless tcp6 is asked for. Unix: the
// path made free to bind (config::net::PrepareUnixSocketPath).
Result<ListenProtocol::endpoint> ListenEndpoint(boost::asio::io_context& ioc, const std::string& endpoint,
                                                const std::string& transport);

// Every address a gRPC server listens on for `endpoint`. "localhost" with
// transport tcp is what it resolves to of each family, IPv4 first (127.0.0.1
// and ::1 where the hosts file says both), as gRPC C++ binds it; any other
// endpoint is ListenEndpoint's one address, as grpc-go (otelcol) binds it. A
// server binds the ones it can (::1 fails without IPv6) and fails only when
// none binds.
Result<std::vector<ListenProtocol::endpoint>> GrpcListenEndpoints(boost::asio::io_context& ioc,
                                                                  const std::string& endpoint,
                                                                  const std::string& transport);

// Of `resolved`, the first IPv4 and the first IPv6 endpoint (those there are).
std::vector<ListenProtocol::endpoint> OnePerFamily(const std::vector<ListenProtocol::endpoint>& resolved);

// The TCP port of a bound endpoint; 0 for a Unix-domain socket.
int PortOf(const ListenProtocol::endpoint& e);

// Sets the TCP port of `e` (IPv4 or IPv6); a Unix-domain endpoint is left as it is.
void SetPort(ListenProtocol::endpoint& e, int port);

}  // namespace otlpd::receivers::otlp
