#pragma once

#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/io_context.hpp>
#include <string>

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

// The TCP port of a bound endpoint; 0 for a Unix-domain socket.
int PortOf(const ListenProtocol::endpoint& e);

}  // namespace otlpd::receivers::otlp
