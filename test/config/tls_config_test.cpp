#include "config/tls_config.h"

#include <catch2/catch.hpp>

#include "config/loader.h"
#include "test/support/config_error.h"
#include "test/support/process.h"

namespace otlpd::config {
namespace {

using Catch::Contains;

template <class T>
T Decode(const std::string& yaml) {
  Node node = ParseYaml(yaml, "t.yaml");
  MapDecoder d(node, "x.tls");
  return T::Decode(d);
}

template <class T>
std::string DecodeError(const std::string& yaml) {
  return test::ConfigError([&] { Decode<T>(yaml); });
}

}  // namespace

TEST_CASE("client TLS config has configtls's defaults and reads every key") {
  auto d = Decode<TlsClientConfig>("{}");
  CHECK_FALSE(d.insecure);
  CHECK_FALSE(d.insecure_skip_verify);
  CHECK(d.min_version == "1.2");
  CHECK(d.max_version.empty());
  CHECK_FALSE(d.include_system_ca_certs_pool);
  CHECK_FALSE(d.has_ca());
  auto c = Decode<TlsClientConfig>(R"(
insecure: true
insecure_skip_verify: true
server_name_override: backend.example
ca_pem: CA
cert_file: c.pem
key_pem: KEY
include_system_ca_certs_pool: true
min_version: "1.1"
max_version: "1.3"
cipher_suites: []
curve_preferences: []
include_insecure_cipher_suites: false
reload_interval: 0s
tpm: {enabled: false, path: /dev/tpm0}
)");
  CHECK(c.insecure);
  CHECK(c.insecure_skip_verify);
  CHECK(c.server_name_override == "backend.example");
  CHECK(c.ca_pem == "CA");
  CHECK(c.cert_file == "c.pem");
  CHECK(c.key_pem == "KEY");
  CHECK(c.has_ca());
  CHECK(c.has_cert());
  CHECK(c.has_key());
  CHECK(c.include_system_ca_certs_pool);
  CHECK(c.min_version == "1.1");
  CHECK(c.max_version == "1.3");
  // An empty min_version is the default.
  CHECK(Decode<TlsClientConfig>("min_version: \"\"").min_version == "1.2");
}

TEST_CASE("server TLS config needs a certificate and a key and takes client_ca_file") {
  auto s = Decode<TlsServerConfig>("cert_file: s.pem\nkey_file: s.key\nclient_ca_file: ca.pem\n");
  CHECK(s.cert_file == "s.pem");
  CHECK(s.key_file == "s.key");
  CHECK(s.client_ca_file == "ca.pem");
  CHECK_THAT(DecodeError<TlsServerConfig>("key_file: k"),
             Contains("x.tls.cert_file: a TLS server needs cert_file"));
  CHECK_THAT(DecodeError<TlsServerConfig>("cert_pem: c"),
             Contains("x.tls.key_file: a TLS server needs key_file"));
  // Client-only keys are not server keys, and the reverse.
  CHECK_THAT(DecodeError<TlsServerConfig>("cert_file: a\nkey_file: b\ninsecure: true"),
             Contains("x.tls: has invalid keys: insecure"));
  CHECK_THAT(DecodeError<TlsClientConfig>("client_ca_file: ca.pem"),
             Contains("x.tls: has invalid keys: client_ca_file"));
  CHECK_THAT(DecodeError<TlsServerConfig>("cert_file: a\nkey_file: b\nclient_ca_file_reload: true"),
             Contains("x.tls.client_ca_file_reload: client_ca_file_reload is not supported yet"));
}

TEST_CASE("TLS config errors name the key path") {
  CHECK_THAT(DecodeError<TlsClientConfig>("min_version: \"1.4\""),
             Contains("t.yaml:1:14: x.tls.min_version: must be one of \"1.0\", \"1.1\", \"1.2\", \"1.3\""));
  CHECK_THAT(DecodeError<TlsClientConfig>("max_version: TLS13"),
             Contains("x.tls.max_version: must be one of"));
  CHECK_THAT(DecodeError<TlsClientConfig>("min_version: \"1.3\"\nmax_version: \"1.2\""),
             Contains("x.tls.max_version: must not be lower than min_version"));
  CHECK_THAT(DecodeError<TlsClientConfig>("ca_file: a\nca_pem: b"),
             Contains("x.tls.ca_pem: set either ca_file or ca_pem"));
  CHECK_THAT(DecodeError<TlsClientConfig>("cert_file: a\ncert_pem: b\nkey_file: k"),
             Contains("x.tls.cert_pem: set either cert_file or cert_pem"));
  CHECK_THAT(DecodeError<TlsClientConfig>("key_file: a\nkey_pem: b\ncert_file: c"),
             Contains("x.tls.key_pem: set either key_file or key_pem"));
  CHECK_THAT(DecodeError<TlsClientConfig>("key_file: k"),
             Contains("x.tls.key_file: a client certificate needs both a certificate and a key"));
  CHECK_THAT(DecodeError<TlsClientConfig>("cipher_suites: [TLS_AES_128_GCM_SHA256]"),
             Contains("x.tls.cipher_suites: cipher_suites is not supported yet"));
  CHECK_THAT(DecodeError<TlsClientConfig>("curve_preferences: [X25519]"),
             Contains("x.tls.curve_preferences"));
  CHECK_THAT(DecodeError<TlsClientConfig>("include_insecure_cipher_suites: true"),
             Contains("x.tls.include_insecure_cipher_suites"));
  CHECK_THAT(DecodeError<TlsClientConfig>("reload_interval: 1h"), Contains("x.tls.reload_interval"));
  CHECK_THAT(DecodeError<TlsClientConfig>("tpm: {enabled: true}"),
             Contains("x.tls.tpm: tpm is not supported"));
  CHECK_THAT(DecodeError<TlsClientConfig>("tpm: {enabled: false, pin: 1}"),
             Contains("x.tls.tpm: has invalid keys: pin"));
  CHECK_THAT(DecodeError<TlsClientConfig>("insecure: maybe"), Contains("x.tls.insecure"));
  CHECK_THAT(DecodeError<TlsClientConfig>("verify: false"), Contains("x.tls: has invalid keys: verify"));
}

TEST_CASE("LoadPem takes the inline text or reads the file") {
  test::TempDir dir;
  test::WriteFile(dir / "ca.pem", "-----BEGIN CERTIFICATE-----\n");
  CHECK(*LoadPem("inline", "", "k") == "inline");
  CHECK(LoadPem("", "", "k").value().empty());
  CHECK(*LoadPem("", (dir / "ca.pem").string(), "k") == "-----BEGIN CERTIFICATE-----\n");
  auto missing = LoadPem("", "/nonexistent/ca.pem", "x.tls.ca_file");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().message() == "x.tls.ca_file: cannot read /nonexistent/ca.pem");
  test::WriteFile(dir / "empty.pem", "");
  CHECK_FALSE(LoadPem("", (dir / "empty.pem").string(), "k").ok());
}

TEST_CASE("LoadTlsPem loads every block of a client's or a server's tls") {
  test::TempDir dir;
  test::WriteFile(dir / "ca.pem", "CA");
  test::WriteFile(dir / "cert.pem", "CERT");
  const std::string ca = (dir / "ca.pem").string(), cert = (dir / "cert.pem").string();
  auto client = LoadTlsPem(
      Decode<TlsClientConfig>("ca_file: " + ca + "\ncert_file: " + cert + "\nkey_pem: KEY"), "x.tls");
  REQUIRE(client.ok());
  CHECK(client->ca == "CA");
  CHECK(client->cert == "CERT");
  CHECK(client->key == "KEY");
  // A server's `ca` is its client_ca_file; ca_file does not make it ask clients for certificates.
  auto server = LoadTlsPem(Decode<TlsServerConfig>("ca_file: " + ca + "\ncert_file: " + cert +
                                                   "\nkey_pem: KEY\nclient_ca_file: " + cert),
                           "x.tls");
  REQUIRE(server.ok());
  CHECK(server->ca == "CERT");
  CHECK(server->cert == "CERT");
  auto plain = LoadTlsPem(Decode<TlsServerConfig>("cert_pem: C\nkey_pem: K"), "x.tls");
  REQUIRE(plain.ok());
  CHECK(plain->ca.empty());
  auto missing = LoadTlsPem(Decode<TlsServerConfig>("cert_pem: C\nkey_file: /nonexistent/k.pem"), "x.tls");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().message() == "x.tls.key_file: cannot read /nonexistent/k.pem");
  missing = LoadTlsPem(Decode<TlsServerConfig>("cert_pem: C\nkey_pem: K\nclient_ca_file: /nonexistent/ca"),
                       "x.tls");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().message() == "x.tls.client_ca_file: cannot read /nonexistent/ca");
  CHECK(PemKeyPath("x.tls", "ca", "") == "x.tls.ca_file");
  CHECK(PemKeyPath("x.tls", "ca", "inline") == "x.tls.ca_pem");
}

TEST_CASE("gRPC takes otelcol's TLS versions it can honour, on both sides") {
  auto grpc = [](const std::string& yaml) {
    try {
      Node node = ParseYaml(yaml, "t.yaml");
      MapDecoder d(node, "x.tls");
      RejectGrpcTlsVersions(d, TlsClientConfig::Decode(d));
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("ok");
  };
  // gRPC C++ 1.51 always allows 1.2 and 1.3: any minimum up to 1.2 is met.
  for (const char* v : {"1.0", "1.1", "1.2"}) {
    CHECK(grpc(std::string("min_version: \"") + v + "\"") == "ok");
  }
  CHECK(grpc("max_version: \"1.3\"") == "ok");
  CHECK(grpc("{}") == "ok");
  CHECK_THAT(grpc("min_version: \"1.3\""), Contains("x.tls.min_version: \"1.3\" is not supported on gRPC"));
  CHECK_THAT(grpc("min_version: \"1.0\"\nmax_version: \"1.2\""),
             Contains("x.tls.max_version: \"1.2\" is not supported on gRPC"));
}

}  // namespace otlpd::config
