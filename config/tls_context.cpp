#include "config/tls_context.h"

#include <openssl/ssl.h>

#include <boost/asio/buffer.hpp>
#include <boost/system/error_code.hpp>

namespace otlpd::config {
namespace {

namespace net = boost::asio;
namespace ssl = net::ssl;
using SslContext = std::unique_ptr<ssl::context>;

int OpenSslVersion(const std::string& v) {
  switch (TlsConfig::VersionNumber(v)) {
    case 10: return TLS1_VERSION;
    case 11: return TLS1_1_VERSION;
    case 12: return TLS1_2_VERSION;
    case 13: return TLS1_3_VERSION;
  }
  return 0;
}

// A context of `method` with the options and TLS versions both sides share.
SslContext NewContext(ssl::context::method method, ssl::context::options extra, const TlsConfig& t) {
  auto ctx = std::make_unique<ssl::context>(method);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                   extra);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), OpenSslVersion(t.min_version));
  if (!t.max_version.empty())
    SSL_CTX_set_max_proto_version(ctx->native_handle(), OpenSslVersion(t.max_version));
  return ctx;
}

// The certificate chain and its private key, checked against each other.
Status UseIdentity(ssl::context& ctx, const TlsConfig& t, const TlsPem& pem, const std::string& path) {
  const std::string cert_key = PemKeyPath(path, "cert", t.cert_pem);
  const std::string key_key = PemKeyPath(path, "key", t.key_pem);
  boost::system::error_code ec;
  ctx.use_certificate_chain(net::buffer(pem.cert), ec);
  if (ec) return Status::InvalidArgument(cert_key + ": not a PEM certificate: " + ec.message());
  ctx.use_private_key(net::buffer(pem.key), ssl::context::pem, ec);
  // OpenSSL checks the key against the certificate as it loads it.
  if (ec && ec.message().find("mismatch") != std::string::npos) {
    return Status::InvalidArgument(key_key + ": the key does not match the certificate");
  }
  if (ec) return Status::InvalidArgument(key_key + ": not a PEM private key: " + ec.message());
  if (SSL_CTX_check_private_key(ctx.native_handle()) != 1) {
    return Status::InvalidArgument(key_key + ": the key does not match the certificate");
  }
  return Status::Ok();
}

}  // namespace

Result<SslContext> MakeServerSslContext(const TlsServerConfig& t, const std::string& path) {
  auto pem = LoadTlsPem(t, path);
  if (!pem.ok()) return pem.status();
  SslContext ctx = NewContext(ssl::context::tls_server, ssl::context::single_dh_use, t);
  if (Status s = UseIdentity(*ctx, t, *pem, path); !s.ok()) return s;
  if (!pem->ca.empty()) {
    boost::system::error_code ec;
    ctx->add_certificate_authority(net::buffer(pem->ca), ec);
    if (ec)
      return Status::InvalidArgument(path + ".client_ca_file: not a PEM CA certificate: " + ec.message());
    ctx->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
  }
  return ctx;
}

Result<SslContext> MakeClientSslContext(const TlsClientConfig& t, const std::string& path) {
  auto pem = LoadTlsPem(t, path);
  if (!pem.ok()) return pem.status();
  SslContext ctx = NewContext(ssl::context::tls_client, ssl::context::no_compression, t);
  boost::system::error_code ec;
  if (t.insecure_skip_verify) {
    ctx->set_verify_mode(ssl::verify_none);
  } else {
    ctx->set_verify_mode(ssl::verify_peer);
    // No CA of its own: the system's roots, as Go does.
    if (pem->ca.empty() || t.include_system_ca_certs_pool) {
      ctx->set_default_verify_paths(ec);
      if (ec)
        return Status::InvalidArgument(path + ": cannot load the system's CA certificates: " + ec.message());
    }
    if (!pem->ca.empty()) {
      ctx->add_certificate_authority(net::buffer(pem->ca), ec);
      if (ec) {
        return Status::InvalidArgument(PemKeyPath(path, "ca", t.ca_pem) +
                                       ": not a PEM CA certificate: " + ec.message());
      }
    }
  }
  if (!pem->cert.empty()) {
    if (Status s = UseIdentity(*ctx, t, *pem, path); !s.ok()) return s;
  }
  return ctx;
}

}  // namespace otlpd::config
