#include "config/http/server_tls_context.h"

#include <openssl/ssl.h>

#include <boost/asio/buffer.hpp>
#include <boost/asio/ssl/context.hpp>

namespace otlpd::http {
namespace {

namespace ssl = boost::asio::ssl;

int OpenSslVersion(const std::string& v) {
  switch (config::TlsConfig::VersionNumber(v)) {
    case 10: return TLS1_VERSION;
    case 11: return TLS1_1_VERSION;
    case 12: return TLS1_2_VERSION;
    case 13: return TLS1_3_VERSION;
  }
  return 0;
}

}  // namespace

Result<std::unique_ptr<ssl::context>> MakeServerSslContext(const config::TlsServerConfig& config) {
  auto material = config::LoadTlsServerMaterial(config);
  if (!material.ok()) return material.status();
  auto ctx = std::make_unique<ssl::context>(ssl::context::tls_server);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                   ssl::context::single_dh_use);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), OpenSslVersion(config.min_version));
  if (!config.max_version.empty())
    SSL_CTX_set_max_proto_version(ctx->native_handle(), OpenSslVersion(config.max_version));
  boost::system::error_code ec;
  ctx->use_certificate_chain(boost::asio::buffer(material->cert_chain), ec);
  if (ec) return Status::InvalidArgument("tls certificate: " + ec.message());
  ctx->use_private_key(boost::asio::buffer(material->private_key), ssl::context::pem, ec);
  if (ec) return Status::InvalidArgument("tls key: " + ec.message());
  if (SSL_CTX_check_private_key(ctx->native_handle()) != 1) {
    return Status::InvalidArgument("tls key does not match the certificate");
  }
  if (!material->client_ca.empty()) {
    ctx->add_certificate_authority(boost::asio::buffer(material->client_ca), ec);
    if (ec) return Status::InvalidArgument("tls client_ca_file: " + ec.message());
    ctx->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
  }
  return ctx;
}

}  // namespace otlpd::http
