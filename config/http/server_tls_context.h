#pragma once

#include <memory>

#include "component/status.h"
#include "config/tls_config.h"

namespace boost::asio::ssl {
class context;
}  // namespace boost::asio::ssl

namespace otlpd::http {

// The OpenSSL context of a TLS server (otelcol's configtls.ServerConfig) for
// otlpd's Asio/Beast servers: the OTLP/HTTP receiver and the small endpoints
// (health_check). Versions from min_version/max_version; `client_ca_file`
// means mTLS: a client without a certificate that CA signed is refused.
// Reads the files now; InvalidArgument naming what cannot be used.
Result<std::unique_ptr<boost::asio::ssl::context>> MakeServerSslContext(
    const config::TlsServerConfig& config);

}  // namespace otlpd::http
