#pragma once

// How otlpd reaches the Kubernetes API server: otelcol's k8sconfig.APIConfig
// keys (auth_type, kube_config_path, context), shared by k8sattributes and the
// k8s detectors, and their resolution into an address and credentials.

#include <string>

#include "config/decoder.h"
#include "internal/status.h"

namespace otlpd::k8s {

enum class AuthType { kNone, kServiceAccount, kKubeConfig, kTls };

struct ApiConfig {
  AuthType auth_type = AuthType::kServiceAccount;
  std::string kube_config_path;  // kubeConfig: file to read instead of $KUBECONFIG / ~/.kube/config
  std::string context;           // kubeConfig: context to use instead of current-context

  // Takes auth_type, kube_config_path and context from `d` (the keys sit at
  // the top of the component's config, as otelcol squashes APIConfig in).
  // A bad auth_type fails with otelcol's "invalid authType for kubernetes: x".
  static ApiConfig Decode(config::MapDecoder& d);
};

// A resolved API server: where it is and what proves who we are.
struct Endpoint {
  bool tls = true;
  std::string host;  // name or IP, no brackets
  std::string port;
  std::string ca_pem;                 // empty: the system's trust store
  bool insecure_skip_verify = false;  // kubeconfig insecure-skip-tls-verify, auth_type none
  std::string token;                  // a bearer token given inline
  std::string token_file;             // re-read on every request: the kubelet rotates it
  std::string client_cert_pem;
  std::string client_key_pem;

  std::string Url() const;  // "https://10.96.0.1:443", for messages
  // The Authorization header value ("Bearer ..."), "" when none.
  Result<std::string> Authorization() const;
};

// Where the service account's files live in a pod (overridable for tests).
struct InClusterPaths {
  std::string token = "/var/run/secrets/kubernetes.io/serviceaccount/token";
  std::string ca = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt";
};

// Resolves `config` as client-go would: serviceAccount from
// KUBERNETES_SERVICE_HOST/PORT and the mounted token and CA; kubeConfig from
// kube_config_path, else $KUBECONFIG (the first file of the list), else
// ~/.kube/config, at `context` or current-context; none: the in-cluster
// address without credentials or certificate checks. InvalidArgument with
// client-go's wording when something is missing.
Result<Endpoint> Resolve(const ApiConfig& config, const InClusterPaths& paths = {});

}  // namespace otlpd::k8s
