#include "config/tls_config.h"

#include <fstream>
#include <sstream>
#include <tuple>
#include <vector>

namespace otlpd::config {
namespace {

// The keys every configtls block has. Options that would change security in
// ways otlpd cannot honour are refused rather than silently ignored.
void DecodeShared(MapDecoder& d, TlsConfig& t) {
  d.Optional("ca_file", t.ca_file);
  d.Opaque("ca_pem", t.ca_pem);
  d.Optional("cert_file", t.cert_file);
  d.Opaque("cert_pem", t.cert_pem);
  d.Optional("key_file", t.key_file);
  d.Opaque("key_pem", t.key_pem);
  d.Optional("include_system_ca_certs_pool", t.include_system_ca_certs_pool);
  d.Optional("min_version", t.min_version);
  d.Optional("max_version", t.max_version);
  std::vector<std::string> list;
  if (d.Optional("cipher_suites", list) && !list.empty()) {
    d.Fail("cipher_suites", "cipher_suites is not supported yet (OpenSSL's secure defaults are used)");
  }
  if (d.Optional("curve_preferences", list) && !list.empty()) {
    d.Fail("curve_preferences", "curve_preferences is not supported yet");
  }
  bool flag = false;
  if (d.Optional("include_insecure_cipher_suites", flag) && flag) {
    d.Fail("include_insecure_cipher_suites", "insecure cipher suites are not supported");
  }
  std::chrono::nanoseconds reload{0};
  if (d.Optional("reload_interval", reload) && reload.count() != 0) {
    d.Fail("reload_interval", "reload_interval is not supported yet");
  }
  if (d.Has("tpm")) {
    MapDecoder tpm = d.Child("tpm");
    if (tpm.SectionEnabled()) d.Fail("tpm", "tpm is not supported");
    tpm.Take("path");
    tpm.Take("owner_auth");
    tpm.Take("auth");
    tpm.Finish();
  }
}

// Checks that need every key read first.
void CheckShared(const MapDecoder& d, TlsConfig& t) {
  for (const char* key : {"min_version", "max_version"}) {
    const std::string& v = std::string_view(key) == "min_version" ? t.min_version : t.max_version;
    if (!v.empty() && TlsConfig::VersionNumber(v) == 0) {
      d.Fail(key, "must be one of \"1.0\", \"1.1\", \"1.2\", \"1.3\" (got \"" + v + "\")");
    }
  }
  if (t.min_version.empty()) t.min_version = "1.2";
  if (!t.max_version.empty() &&
      TlsConfig::VersionNumber(t.max_version) < TlsConfig::VersionNumber(t.min_version)) {
    d.Fail("max_version", "must not be lower than min_version");
  }
  if (!t.ca_file.empty() && !t.ca_pem.empty()) d.Fail("ca_pem", "set either ca_file or ca_pem, not both");
  if (!t.cert_file.empty() && !t.cert_pem.empty()) {
    d.Fail("cert_pem", "set either cert_file or cert_pem, not both");
  }
  if (!t.key_file.empty() && !t.key_pem.empty())
    d.Fail("key_pem", "set either key_file or key_pem, not both");
}

}  // namespace

int TlsConfig::VersionNumber(const std::string& v) {
  if (v == "1.0") return 10;
  if (v == "1.1") return 11;
  if (v == "1.2") return 12;
  if (v == "1.3") return 13;
  return 0;
}

TlsClientConfig TlsClientConfig::Decode(MapDecoder& d) {
  TlsClientConfig t;
  d.Optional("insecure", t.insecure);
  d.Optional("insecure_skip_verify", t.insecure_skip_verify);
  d.Optional("server_name_override", t.server_name_override);
  DecodeShared(d, t);
  d.Finish();
  CheckShared(d, t);
  if (t.has_cert() != t.has_key()) {
    d.Fail(t.has_cert() ? "cert_file" : "key_file",
           "a client certificate needs both a certificate and a key");
  }
  return t;
}

TlsServerConfig TlsServerConfig::Decode(MapDecoder& d) {
  TlsServerConfig t;
  d.Optional("client_ca_file", t.client_ca_file);
  bool reload = false;
  if (d.Optional("client_ca_file_reload", reload) && reload) {
    d.Fail("client_ca_file_reload", "client_ca_file_reload is not supported yet");
  }
  DecodeShared(d, t);
  d.Finish();
  CheckShared(d, t);
  if (!t.has_cert()) d.Fail("cert_file", "a TLS server needs cert_file or cert_pem");
  if (!t.has_key()) d.Fail("key_file", "a TLS server needs key_file or key_pem");
  return t;
}

void RejectGrpcTlsVersions(const MapDecoder& tls, const TlsConfig& t) {
  const std::string why =
      "\" is not supported on gRPC: gRPC C++ 1.51 cannot set TLS versions and always allows 1.2 and 1.3";
  if (TlsConfig::VersionNumber(t.min_version) > 12) tls.Fail("min_version", "\"" + t.min_version + why);
  if (!t.max_version.empty() && TlsConfig::VersionNumber(t.max_version) < 13) {
    tls.Fail("max_version", "\"" + t.max_version + why);
  }
}

Result<std::string> LoadPem(const std::string& inline_pem, const std::string& file,
                            const std::string& key_path) {
  if (!inline_pem.empty() || file.empty()) return inline_pem;
  std::ifstream in(file, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  if (!in || ss.str().empty()) return Status::InvalidArgument(key_path + ": cannot read " + file);
  return ss.str();
}

std::string PemKeyPath(const std::string& path, std::string_view name, const std::string& inline_pem) {
  return path + "." + std::string(name) + (inline_pem.empty() ? "_file" : "_pem");
}

Result<TlsPem> LoadTlsPem(const TlsClientConfig& t, const std::string& path) {
  TlsPem pem;
  for (auto [out, inline_pem, file, name] : {std::tuple{&pem.ca, &t.ca_pem, &t.ca_file, "ca"},
                                             std::tuple{&pem.cert, &t.cert_pem, &t.cert_file, "cert"},
                                             std::tuple{&pem.key, &t.key_pem, &t.key_file, "key"}}) {
    auto text = LoadPem(*inline_pem, *file, PemKeyPath(path, name, *inline_pem));
    if (!text.ok()) return text.status();
    *out = std::move(*text);
  }
  return pem;
}

Result<TlsPem> LoadTlsPem(const TlsServerConfig& t, const std::string& path) {
  TlsClientConfig identity;  // a server's own certificate and key load as a client's do
  identity.cert_pem = t.cert_pem;
  identity.cert_file = t.cert_file;
  identity.key_pem = t.key_pem;
  identity.key_file = t.key_file;
  auto pem = LoadTlsPem(identity, path);
  if (!pem.ok()) return pem.status();
  auto client_ca = LoadPem("", t.client_ca_file, path + ".client_ca_file");
  if (!client_ca.ok()) return client_ca.status();
  pem->ca = std::move(*client_ca);
  return pem;
}

}  // namespace otlpd::config
