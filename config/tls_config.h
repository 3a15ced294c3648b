#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "config/decoder.h"
#include "internal/status.h"

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

// The one rule for TLS versions on gRPC, receiver and exporter alike.
// otelcol accepts min_version/max_version "1.0".."1.3" (default minimum 1.2).
// The gRPC library otlpd builds with has no public way to set TLS versions:
// it always speaks 1.2 and 1.3. A minimum up to 1.2 is met (1.2 is
// as strict or stricter); a minimum of 1.3 or a maximum below 1.3 cannot be
// honoured and must not be silently weakened, so `tls` (the decoder standing
// on the tls map) fails naming the key.
void RejectGrpcTlsVersions(const MapDecoder& tls, const TlsConfig& t);

// The PEM text given inline, else read from `file`; empty when neither is
// set. InvalidArgument "<key_path>: cannot read <file>" when the file cannot
// be read or is empty. The one PEM loader: everything below goes through it.
Result<std::string> LoadPem(const std::string& inline_pem, const std::string& file,
                            const std::string& key_path);

// The PEM blocks a TLS block names, each read from its file or taken inline;
// empty where not set.
struct TlsPem {
  std::string ca;    // client: the roots to trust; server: client_ca_file (mTLS)
  std::string cert;  // certificate chain
  std::string key;   // private key
};

// Which key of `path` (the tls map's key path) names a PEM block:
// "<path>.<name>_pem" when given inline, else "<path>.<name>_file".
std::string PemKeyPath(const std::string& path, std::string_view name, const std::string& inline_pem);

// Loads every block of a client's or a server's `tls`; errors name the key
// under `path`.
Result<TlsPem> LoadTlsPem(const TlsClientConfig& t, const std::string& path);
Result<TlsPem> LoadTlsPem(const TlsServerConfig& t, const std::string& path);

}  // namespace otlpd::config
