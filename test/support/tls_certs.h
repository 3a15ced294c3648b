// A CA, a server certificate for localhost/127.0.0.1 and a client
// certificate signed by it, for the tests of otlpd's TLS servers.
#pragma once

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "test/support/process.h"

namespace otlpd::test {

inline std::string Slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Made with the openssl CLI, once per test run (TestCerts()).
struct Certs {
  TempDir dir;
  std::string ca, server_cert, server_key, client_cert, client_key;

  Certs() {
    const std::string d = dir.path().string();
    const std::string script =
        "set -e; cd '" + d +
        "'\n"
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj "
        "/CN=otlpd-test-ca "
        "-keyout ca.key -out ca.pem 2>/dev/null\n"
        "printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n' > server.ext\n"
        "printf 'extendedKeyUsage=clientAuth\\n' > client.ext\n"
        "for who in server client; do\n"
        "  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=$who -keyout "
        "$who.key "
        "-out $who.csr 2>/dev/null\n"
        "  openssl x509 -req -in $who.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile $who.ext "
        "-out $who.pem 2>/dev/null\n"
        "done\n";
    WriteFile(dir / "make.sh", script);
    REQUIRE(std::system(("sh '" + (dir / "make.sh").string() + "'").c_str()) == 0);
    ca = Slurp(dir / "ca.pem");
    server_cert = Slurp(dir / "server.pem");
    server_key = Slurp(dir / "server.key");
    client_cert = Slurp(dir / "client.pem");
    client_key = Slurp(dir / "client.key");
    REQUIRE(!ca.empty());
    REQUIRE(!client_key.empty());
  }

  std::string Tls(bool mtls, const std::string& extra = "") const {
    std::string s = "    tls:\n      cert_file: " + (dir / "server.pem").string() +
                    "\n      key_file: " + (dir / "server.key").string() + "\n";
    if (mtls) s += "      client_ca_file: " + (dir / "ca.pem").string() + "\n";
    return s + extra;
  }
};

inline const Certs& TestCerts() {
  static Certs certs;
  return certs;
}

}  // namespace otlpd::test
