#pragma once

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>

#include "config/tls_config.h"
#include "internal/status.h"

namespace otlpd::config {

// The one place a `tls` block becomes an OpenSSL context (Boost.Asio's
// ssl::context), for every component that speaks TLS through OpenSSL itself
// (the OTLP/HTTP receiver and exporter, the Kubernetes API client); the gRPC
// ones hand the PEM blocks of LoadTlsPem to gRPC instead.
//
// Both load the PEM blocks (LoadTlsPem), set min_version/max_version as
// otelcol's configtls does (1.0..1.3, default minimum 1.2), refuse SSLv2/3
// and check that the key matches the certificate. Errors are InvalidArgument
// naming the key under `path`, the tls map's key path
// ("exporters.otlphttp/x.tls.cert_file: not a PEM certificate: ...").

// A server: its certificate and key, and with client_ca_file, mTLS (a client
// without a certificate that CA signed is refused).
Result<std::unique_ptr<boost::asio::ssl::context>> MakeServerSslContext(const TlsServerConfig& t,
                                                                        const std::string& path);

// A client: verifies the server against ca_file/ca_pem, or the system's
// roots when none is given (or include_system_ca_certs_pool is set), unless
// insecure_skip_verify; presents cert/key when given.
Result<std::unique_ptr<boost::asio::ssl::context>> MakeClientSslContext(const TlsClientConfig& t,
                                                                        const std::string& path);

}  // namespace otlpd::config
