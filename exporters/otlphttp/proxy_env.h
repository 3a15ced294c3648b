#pragma once

#include <functional>
#include <optional>
#include <string>

#include "exporters/otlphttp/config.h"

namespace otlpd::exporters::otlphttp {

// The proxy for a target when proxy_url is not set, as Go's
// http.ProxyFromEnvironment (what otelcol's HTTP clients use) picks it:
// HTTPS_PROXY for https:// targets, HTTP_PROXY for http:// ones (upper case
// first, then lower case), none for localhost and loopback addresses, none
// for hosts NO_PROXY lists: "*" for every host; else comma- or space-separated
// entries, each an IP, a CIDR block, or a domain that matches itself and its
// subdomains (".example.com": subdomains only), optionally with ":port".
// A proxy value without a scheme is taken as http://.
struct EnvProxy {
  std::optional<Url> proxy;
  std::string variable;  // the variable that named it ("HTTPS_PROXY")
  std::string error;     // set when that variable's value is not a usable http:// proxy
};

using Getenv = std::function<const char*(const char*)>;

EnvProxy ProxyFromEnvironment(const Url& target, const Getenv& getenv);

// Whether NO_PROXY's value exempts host:port (host without IPv6 brackets).
bool NoProxyMatches(std::string_view no_proxy, std::string_view host, std::string_view port);

}  // namespace otlpd::exporters::otlphttp
