#pragma once

#include <chrono>
#include <string>

#include "component/status.h"
#include "config/decoder.h"

namespace otlpd::config {

// The keys otelcol's configtls.Config shares between clients and servers,
// with its defaults. Files are only named here; components read them when
// they start (as otelcol does), so `otlpd validate` does not need them.
struct TlsConfig {
  std::string ca_file, ca_pem;
  std::string cert_file, cert_pem;
  std::string key_file, key_pem;
  // With a CA given: trust the system's roots as well as it.
  bool include_system_ca_certs_pool = false;
  std::string min_version = "1.2";
  std::string max_version;  // empty: the library's highest (1.3)

  bool has_ca() const { return !ca_file.empty() || !ca_pem.empty(); }
  bool has_cert() const { return !cert_file.empty() || !cert_pem.empty(); }
  bool has_key() const { return !key_file.empty() || !key_pem.empty(); }

  // "1.0".."1.3" as a number 10..13; 0 for anything else (including empty).
  static int VersionNumber(const std::string& v);
};

// `tls` of a client (configtls.ClientConfig): the shared keys plus
// `insecure`, `insecure_skip_verify` and `server_name_override`.
struct TlsClientConfig : TlsConfig {
  bool insecure = false;  // plaintext where the transport lets the config decide (gRPC)
  bool insecure_skip_verify = false;
  std::string server_name_override;

  // Reads the `tls` map `d` stands on (an absent map gives the defaults),
  // rejects unknown keys and options otlpd does not implement, and checks
  // the combinations. Throws config::Error naming the key path.
  static TlsClientConfig Decode(MapDecoder& d);
};

// `tls` of a server (configtls.ServerConfig): the shared keys plus
// `client_ca_file`, which turns on mTLS.
struct TlsServerConfig : TlsConfig {
  std::string client_ca_file;  // set: clients must present a certificate it signed

  // As TlsClientConfig::Decode; a server also needs a certificate and a key.
  static TlsServerConfig Decode(MapDecoder& d);
};

// The PEM text a TLS server needs, read from its files or taken inline.
struct TlsServerMaterial {
  std::string cert_chain;
  std::string private_key;
  std::string client_ca;  // empty: no client certificates asked for
};

// Loads the PEM blocks of a server's `tls` when it starts (a file is read
// then, as otelcol does); InvalidArgument naming the file that cannot be read.
Result<TlsServerMaterial> LoadTlsServerMaterial(const TlsServerConfig& tls);

// The PEM text given inline, else read from `file`; empty when neither is
// set. InvalidArgument "<key_path>: cannot read <file>" when the file cannot
// be read or is empty.
Result<std::string> LoadPem(const std::string& inline_pem, const std::string& file,
                            const std::string& key_path);

}  // namespace otlpd::config
