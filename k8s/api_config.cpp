#include "k8s/api_config.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "config/tls_config.h"
#include "internal/base64.h"

namespace otlpd::k8s {
namespace {

Result<std::string> ReadFile(const std::string& path, std::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::InvalidArgument("cannot read " + std::string(what) + " " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// kubeconfig paths are relative to the file that names them.
std::string RelativeTo(const std::string& file, const std::string& path) {
  if (path.empty() || path.front() == '/') return path;
  return (std::filesystem::path(file).parent_path() / path).string();
}

// "https://host:port/prefix" into the endpoint; a prefix path is refused
// (no cluster serves the API below one that otlpd was asked to reach).
Status ParseServer(std::string_view url, Endpoint& e) {
  if (url.starts_with("https://")) {
    e.tls = true;
    url.remove_prefix(8);
  } else if (url.starts_with("http://")) {
    e.tls = false;
    url.remove_prefix(7);
  } else {
    return Status::InvalidArgument("kubeconfig server \"" + std::string(url) + "\" is not an http(s) URL");
  }
  while (url.ends_with("/")) url.remove_suffix(1);
  if (url.find('/') != std::string_view::npos)
    return Status::InvalidArgument("kubeconfig server URLs with a path are not supported");
  std::string_view host = url, port = e.tls ? "443" : "80";
  if (url.starts_with("[")) {
    const auto close = url.find(']');
    if (close == std::string_view::npos) return Status::InvalidArgument("bad kubeconfig server address");
    host = url.substr(1, close - 1);
    if (url.size() > close + 1) {
      if (url[close + 1] != ':') return Status::InvalidArgument("bad kubeconfig server address");
      port = url.substr(close + 2);
    }
  } else if (const auto colon = url.rfind(':'); colon != std::string_view::npos) {
    host = url.substr(0, colon);
    port = url.substr(colon + 1);
  }
  if (host.empty() || port.empty()) return Status::InvalidArgument("bad kubeconfig server address");
  e.host = std::string(host);
  e.port = std::string(port);
  return Status::Ok();
}

// A PEM given as a file path (`key`) or inline base64 (`key-data`).
Status ReadPem(const YAML::Node& n, const std::string& key, const std::string& file, std::string& out) {
  if (const YAML::Node data = n[key + "-data"]; data && data.IsScalar()) {
    if (!Base64Decode(data.as<std::string>(), &out))
      return Status::InvalidArgument("kubeconfig " + key + "-data is not base64");
    return Status::Ok();
  }
  if (const YAML::Node path = n[key]; path && path.IsScalar()) {
    Result<std::string> pem =
        config::LoadPem("", RelativeTo(file, path.as<std::string>()), "kubeconfig " + key);
    if (!pem.ok()) return pem.status();
    out = std::move(*pem);
  }
  return Status::Ok();
}

YAML::Node Named(const YAML::Node& list, const std::string& name) {
  if (!list || !list.IsSequence()) return YAML::Node();
  for (const YAML::Node& item : list) {
    if (item["name"] && item["name"].as<std::string>() == name) return item;
  }
  return YAML::Node();
}

Result<Endpoint> FromKubeConfig(const ApiConfig& config) {
  std::string path = config.kube_config_path;
  if (path.empty()) {
    if (const char* env = std::getenv("KUBECONFIG"); env != nullptr && *env != '\0') {
      path = env;
      if (const auto colon = path.find(':'); colon != std::string::npos) path.resize(colon);
    } else if (const char* home = std::getenv("HOME"); home != nullptr) {
      path = std::string(home) + "/.kube/config";
    }
  }
  Result<std::string> text = ReadFile(path, "kubeconfig");
  if (!text.ok()) return text.status();
  YAML::Node root;
  try {
    root = YAML::Load(*text);
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument("kubeconfig " + path + ": " + e.what());
  }
  std::string context_name = config.context;
  if (context_name.empty() && root["current-context"])
    context_name = root["current-context"].as<std::string>();
  if (context_name.empty()) return Status::InvalidArgument("kubeconfig " + path + ": no current-context set");
  const YAML::Node context = Named(root["contexts"], context_name)["context"];
  if (!context)
    return Status::InvalidArgument("kubeconfig " + path + ": context \"" + context_name + "\" not found");
  const std::string cluster_name = context["cluster"] ? context["cluster"].as<std::string>() : "";
  const YAML::Node cluster = Named(root["clusters"], cluster_name)["cluster"];
  if (!cluster || !cluster["server"])
    return Status::InvalidArgument("kubeconfig " + path + ": cluster \"" + cluster_name + "\" has no server");
  Endpoint e;
  if (Status s = ParseServer(cluster["server"].as<std::string>(), e); !s.ok()) return s;
  if (Status s = ReadPem(cluster, "certificate-authority", path, e.ca_pem); !s.ok()) return s;
  e.insecure_skip_verify =
      cluster["insecure-skip-tls-verify"] && cluster["insecure-skip-tls-verify"].as<bool>(false);
  if (context["user"]) {
    const YAML::Node user = Named(root["users"], context["user"].as<std::string>())["user"];
    if (user) {
      if (user["exec"] || user["auth-provider"])
        return Status::InvalidArgument("kubeconfig " + path +
                                       ": exec and auth-provider credential plugins are not supported; use a "
                                       "token, tokenFile or client certificate");
      if (user["token"]) e.token = user["token"].as<std::string>();
      if (user["tokenFile"]) e.token_file = RelativeTo(path, user["tokenFile"].as<std::string>());
      if (Status s = ReadPem(user, "client-certificate", path, e.client_cert_pem); !s.ok()) return s;
      if (Status s = ReadPem(user, "client-key", path, e.client_key_pem); !s.ok()) return s;
    }
  }
  return e;
}

}  // namespace

ApiConfig ApiConfig::Decode(config::MapDecoder& d) {
  ApiConfig c;
  std::string auth = "serviceAccount";
  d.Optional("auth_type", auth);
  if (auth == "none") {
    c.auth_type = AuthType::kNone;
  } else if (auth == "serviceAccount") {
    c.auth_type = AuthType::kServiceAccount;
  } else if (auth == "kubeConfig") {
    c.auth_type = AuthType::kKubeConfig;
  } else if (auth == "tls") {
    c.auth_type = AuthType::kTls;
  } else {
    d.Fail("auth_type", "invalid authType for kubernetes: " + auth);
  }
  d.Optional("kube_config_path", c.kube_config_path);
  d.Optional("context", c.context);
  return c;
}

std::string Endpoint::Url() const {
  const bool v6 = host.find(':') != std::string::npos;
  return std::string(tls ? "https://" : "http://") + (v6 ? "[" + host + "]" : host) + ":" + port;
}

Result<std::string> Endpoint::Authorization() const {
  if (!token_file.empty()) {
    Result<std::string> t = ReadFile(token_file, "token file");
    if (!t.ok()) return t.status();
    std::string token = std::move(*t);
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' '))
      token.pop_back();
    return "Bearer " + token;
  }
  if (!token.empty()) return "Bearer " + token;
  return std::string();
}

Result<Endpoint> Resolve(const ApiConfig& config, const InClusterPaths& paths) {
  if (config.auth_type == AuthType::kKubeConfig) return FromKubeConfig(config);
  const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
  const char* port = std::getenv("KUBERNETES_SERVICE_PORT");
  if (host == nullptr || port == nullptr || *host == '\0' || *port == '\0') {
    return Status::InvalidArgument(
        "unable to load in-cluster configuration, KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must "
        "be "
        "defined");
  }
  Endpoint e;
  e.host = host;
  e.port = port;
  switch (config.auth_type) {
    case AuthType::kNone: e.insecure_skip_verify = true; break;
    case AuthType::kServiceAccount: {
      Result<std::string> ca = config::LoadPem("", paths.ca, "service account CA");
      if (!ca.ok()) return ca.status();
      e.ca_pem = std::move(*ca);
      if (Result<std::string> t = ReadFile(paths.token, "service account token"); !t.ok()) return t.status();
      e.token_file = paths.token;
      break;
    }
    case AuthType::kTls:
      return Status::InvalidArgument(
          "auth_type tls is not supported by otlpd; use serviceAccount or kubeConfig");
    case AuthType::kKubeConfig: break;
  }
  return e;
}

}  // namespace otlpd::k8s
