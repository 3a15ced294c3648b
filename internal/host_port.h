#pragma once

// host:port addresses as Go's net package reads them, for every endpoint key
// (receivers, exporters, extensions, self-telemetry): one rule, Go's error
// texts, so otlpd refuses what otelcol refuses with the same words.

#include <string>
#include <string_view>

namespace otlpd {

// Go's net.SplitHostPort: "host:port", "[v6]:port", ":port". The port is not
// checked (Go's Listen also takes service names such as "http"). On failure
// returns false with Go's reason in *error ("missing port in address", "too
// many colons in address", "missing ']' in address", ...).
bool SplitHostPort(std::string_view address, std::string* host, std::string* port, std::string* error);

// A port of decimal digits, 0 to 65535; else false with `invalid port "<p>"`.
bool ParsePort(std::string_view port, int* value, std::string* error);

// The client IP of a connection, as Go prints a net.IP: "10.1.2.3", "fd00::1"
// (IPv4-mapped IPv6 as plain IPv4). Takes gRPC's peer strings
// ("ipv4:10.1.2.3:5000", "ipv6:[::1]:5000", also with %5B/%5D) and bare or
// bracketed addresses with or without a port; "" for anything else
// ("unix:/path", garbage).
std::string ClientIp(std::string_view peer);

// The peer IP of a connected socket as ClientIp gives it; "" for a Unix-domain
// socket or when the peer is gone.
std::string PeerIp(int fd);

}  // namespace otlpd
