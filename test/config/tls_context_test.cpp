#include "config/tls_context.h"

#include <openssl/bio.h>
#include <openssl/ssl.h>

#include <catch2/catch.hpp>

#include "config/loader.h"
#include "test/support/test_certs.h"

namespace otlpd::config {
namespace {

using Catch::Contains;
using SslContext = boost::asio::ssl::context;

const test::TestCerts& Certs() {
  static test::TestCerts certs;
  return certs;
}

template <class T>
T Decode(const std::string& yaml) {
  Node node = ParseYaml(yaml, "t.yaml");
  MapDecoder d(node, "x.tls");
  return T::Decode(d);
}

TlsServerConfig Server(const std::string& extra = "") {
  const test::TestCerts& c = Certs();
  return Decode<TlsServerConfig>("cert_file: " + c.server_cert_file + "\nkey_file: " + c.server_key_file +
                                 "\n" + extra);
}

TlsClientConfig Client(const std::string& extra = "") {
  return Decode<TlsClientConfig>("ca_file: " + Certs().ca_file + "\n" + extra);
}

std::string Error(const Result<std::unique_ptr<SslContext>>& r) {
  return r.ok() ? "ok" : std::string(r.status().message());
}

// Runs a TLS handshake between the two contexts over an in-memory BIO pair;
// the negotiated version (TLS1_2_VERSION, …), or 0 when it fails.
int Handshake(SslContext& server, SslContext& client) {
  SSL* s = SSL_new(server.native_handle());
  SSL* c = SSL_new(client.native_handle());
  BIO* sb = nullptr;
  BIO* cb = nullptr;
  BIO_new_bio_pair(&sb, 0, &cb, 0);
  SSL_set_bio(s, sb, sb);
  SSL_set_bio(c, cb, cb);
  SSL_set_accept_state(s);
  SSL_set_connect_state(c);
  int version = 0;
  for (int round = 0; round < 16; ++round) {
    const int rc = SSL_do_handshake(c);
    const int rs = SSL_do_handshake(s);
    if (rc == 1 && rs == 1) {
      version = SSL_version(c);
      break;
    }
    auto stuck = [](SSL* ssl, int r) {
      const int e = SSL_get_error(ssl, r);
      return r != 1 && e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE;
    };
    if (stuck(c, rc) || stuck(s, rs)) break;
  }
  SSL_free(c);
  SSL_free(s);
  return version;
}

TEST_CASE("MakeServerSslContext and MakeClientSslContext agree on a handshake") {
  if (!Certs().ok) {
    WARN("openssl is not available; skipped");
    return;
  }
  auto server = MakeServerSslContext(Server(), "x.tls");
  REQUIRE(server.ok());
  auto client = MakeClientSslContext(Client(), "x.tls");
  REQUIRE(client.ok());
  CHECK(SSL_CTX_get_verify_mode((*client)->native_handle()) == SSL_VERIFY_PEER);
  CHECK(SSL_CTX_get_verify_mode((*server)->native_handle()) == SSL_VERIFY_NONE);
  CHECK(Handshake(**server, **client) == TLS1_3_VERSION);

  // otelcol's configtls: min_version defaults to 1.2 and max_version to the highest.
  CHECK(SSL_CTX_get_min_proto_version((*client)->native_handle()) == TLS1_2_VERSION);
  CHECK(SSL_CTX_get_max_proto_version((*client)->native_handle()) == 0);

  // A client that wants 1.3 against a server that stops at 1.2: no handshake.
  auto old_server = MakeServerSslContext(Server("min_version: \"1.0\"\nmax_version: \"1.2\"\n"), "x.tls");
  REQUIRE(old_server.ok());
  CHECK(SSL_CTX_get_min_proto_version((*old_server)->native_handle()) == TLS1_VERSION);
  CHECK(Handshake(**old_server, **client) == TLS1_2_VERSION);
  auto strict_client = MakeClientSslContext(Client("min_version: \"1.3\"\n"), "x.tls");
  REQUIRE(strict_client.ok());
  CHECK(Handshake(**old_server, **strict_client) == 0);
}

TEST_CASE("MakeServerSslContext with client_ca_file asks for a client certificate (mTLS)") {
  if (!Certs().ok) {
    WARN("openssl is not available; skipped");
    return;
  }
  const test::TestCerts& c = Certs();
  auto server = MakeServerSslContext(Server("client_ca_file: " + c.ca_file + "\n"), "x.tls");
  REQUIRE(server.ok());
  CHECK(SSL_CTX_get_verify_mode((*server)->native_handle()) ==
        (SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT));
  auto anonymous = MakeClientSslContext(Client(), "x.tls");
  REQUIRE(anonymous.ok());
  CHECK(Handshake(**server, **anonymous) == 0);
  auto with_cert = MakeClientSslContext(
      Client("cert_file: " + c.client_cert_file + "\nkey_file: " + c.client_key_file + "\n"), "x.tls");
  REQUIRE(with_cert.ok());
  CHECK(Handshake(**server, **with_cert) != 0);
}

TEST_CASE("A client with insecure_skip_verify accepts a server its roots do not know") {
  if (!Certs().ok) {
    WARN("openssl is not available; skipped");
    return;
  }
  auto server = MakeServerSslContext(Server(), "x.tls");
  REQUIRE(server.ok());
  // Trusting only the client's leaf certificate, the server's is unknown.
  const test::TestCerts& c = Certs();
  auto verifying = MakeClientSslContext(Decode<TlsClientConfig>("ca_file: " + c.client_cert_file), "x.tls");
  REQUIRE(verifying.ok());
  CHECK(Handshake(**server, **verifying) == 0);
  TlsClientConfig skip =
      Decode<TlsClientConfig>("ca_file: " + c.client_cert_file + "\ninsecure_skip_verify: true\n");
  auto client = MakeClientSslContext(skip, "x.tls");
  REQUIRE(client.ok());
  CHECK(SSL_CTX_get_verify_mode((*client)->native_handle()) == SSL_VERIFY_NONE);
  CHECK(Handshake(**server, **client) != 0);
}

TEST_CASE("TLS context errors name the key") {
  if (!Certs().ok) {
    WARN("openssl is not available; skipped");
    return;
  }
  const test::TestCerts& c = Certs();
  CHECK(Error(MakeServerSslContext(Decode<TlsServerConfig>("cert_file: /nonexistent/s.pem\nkey_file: k"),
                                   "x.tls")) == "x.tls.cert_file: cannot read /nonexistent/s.pem");
  CHECK_THAT(Error(MakeServerSslContext(
                 Decode<TlsServerConfig>("cert_pem: nonsense\nkey_file: " + c.server_key_file), "x.tls")),
             Contains("x.tls.cert_pem: not a PEM certificate"));
  CHECK_THAT(Error(MakeServerSslContext(Decode<TlsServerConfig>("cert_file: " + c.server_cert_file +
                                                                "\nkey_file: " + c.client_key_file),
                                        "x.tls")),
             Contains("x.tls.key_file: the key does not match the certificate"));
  CHECK_THAT(Error(MakeServerSslContext(Server("client_ca_file: " + c.server_key_file + "\n"), "x.tls")),
             Contains("x.tls.client_ca_file: not a PEM CA certificate"));
  CHECK_THAT(Error(MakeClientSslContext(Decode<TlsClientConfig>("ca_pem: nonsense"), "x.tls")),
             Contains("x.tls.ca_pem: not a PEM CA certificate"));
  CHECK_THAT(Error(MakeClientSslContext(Client("cert_file: " + c.client_cert_file + "\nkey_pem: nonsense\n"),
                                        "x.tls")),
             Contains("x.tls.key_pem: not a PEM private key"));
}

}  // namespace
}  // namespace otlpd::config
