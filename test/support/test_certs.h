#pragma once

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "test/support/process.h"

namespace otlpd::test {

// A CA, a server certificate for localhost, otlpd-test and 127.0.0.1 signed
// by it, and a client certificate (clientAuth) signed by it, made with the
// openssl tool in a temporary folder. `ok` is false where the tool is
// missing; tests then skip. Make one per test binary (it forks openssl).
struct TestCerts {
  TempDir dir;
  std::string ca_file, server_cert_file, server_key_file, client_cert_file, client_key_file;
  std::string ca, server_cert, server_key, client_cert, client_key;  // the files' text
  bool ok = false;

  TestCerts() {
    const std::string d = dir.path().string();
    const std::string script =
        "set -e; cd '" + d +
        "'\n"
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj "
        "/CN=otlpd-test-ca -keyout ca.key -out ca.pem 2>/dev/null\n"
        "printf 'subjectAltName=DNS:localhost,DNS:otlpd-test,IP:127.0.0.1\\n' > server.ext\n"
        "printf 'extendedKeyUsage=clientAuth\\n' > client.ext\n"
        "for who in server client; do\n"
        "  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=$who "
        "-keyout $who.key -out $who.csr 2>/dev/null\n"
        "  openssl x509 -req -in $who.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 "
        "-extfile $who.ext -out $who.pem 2>/dev/null\n"
        "done\n";
    WriteFile(dir / "make.sh", script);
    ok = std::system(("sh '" + (dir / "make.sh").string() + "'").c_str()) == 0;
    ca_file = d + "/ca.pem";
    server_cert_file = d + "/server.pem";
    server_key_file = d + "/server.key";
    client_cert_file = d + "/client.pem";
    client_key_file = d + "/client.key";
    ca = Slurp(ca_file);
    server_cert = Slurp(server_cert_file);
    server_key = Slurp(server_key_file);
    client_cert = Slurp(client_cert_file);
    client_key = Slurp(client_key_file);
    ok = ok && !ca.empty() && !server_key.empty() && !client_key.empty();
  }

  static std::string Slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  // A receiver protocol's `tls` block (indented under protocols.<p>) with the
  // server certificate, and with `mtls` the CA as client_ca_file.
  std::string Tls(bool mtls, const std::string& extra = "") const {
    std::string s =
        "    tls:\n      cert_file: " + server_cert_file + "\n      key_file: " + server_key_file + "\n";
    if (mtls) s += "      client_ca_file: " + ca_file + "\n";
    return s + extra;
  }
};

// One set per test binary for the tests that need the openssl tool
// (it forks openssl once).
inline const TestCerts& SharedTestCerts() {
  static TestCerts certs;
  REQUIRE(certs.ok);
  return certs;
}

}  // namespace otlpd::test
