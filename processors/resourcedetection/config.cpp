#include "processors/resourcedetection/config.h"

#include <algorithm>
#include <array>
#include <string_view>

#include <re2/re2.h>

namespace otlpd::processors::resourcedetection {
namespace {

using config::RetryConfig;

// Every detector type otelcol-contrib v0.161.0 registers.
constexpr std::array<std::string_view, 31> kOtelcolDetectors = {"env",
                                                                "system",
                                                                "docker",
                                                                "ec2",
                                                                "ecs",
                                                                "eks",
                                                                "elastic_beanstalk",
                                                                "lambda",
                                                                "azure",
                                                                "aks",
                                                                "azureappservice",
                                                                "azurecontainerapps",
                                                                "gcp",
                                                                "consul",
                                                                "digitalocean",
                                                                "heroku",
                                                                "hetzner",
                                                                "ibmcloud_classic",
                                                                "ibmcloud_vpc",
                                                                "openshift",
                                                                "nova",
                                                                "oraclecloud",
                                                                "k8s_api",
                                                                "k8snode",
                                                                "kubeadm",
                                                                "dynatrace",
                                                                "tencent_cvm",
                                                                "upcloud",
                                                                "vultr",
                                                                "akamai",
                                                                "scaleway"};

// Per-detector sections otelcol accepts. otlpd decodes those of the
// detectors it implements and passes over the others, so a config written
// for otelcol with, say, an unused `eks:` block still loads.
constexpr std::array<std::string_view, 30> kOtelcolSections = {"ec2",
                                                               "ecs",
                                                               "eks",
                                                               "elasticbeanstalk",
                                                               "lambda",
                                                               "azure",
                                                               "aks",
                                                               "azureappservice",
                                                               "azurecontainerapps",
                                                               "consul",
                                                               "digitalocean",
                                                               "docker",
                                                               "gcp",
                                                               "heroku",
                                                               "hetzner",
                                                               "ibmcloud_classic",
                                                               "ibmcloud_vpc",
                                                               "system",
                                                               "openshift",
                                                               "nova",
                                                               "oraclecloud",
                                                               "k8s_api",
                                                               "k8snode",
                                                               "kubeadm",
                                                               "akamai",
                                                               "scaleway",
                                                               "tencent_cvm",
                                                               "upcloud",
                                                               "vultr",
                                                               "alibaba_ecs"};

std::string JoinImplemented() {
  std::string out;
  for (const std::string& d : ImplementedDetectors()) {
    if (!out.empty()) out += ", ";
    out += d;
  }
  return out;
}

void CheckRegexes(config::MapDecoder& d, std::string_view key, const std::vector<std::string>& regexes) {
  for (const std::string& r : regexes) {
    re2::RE2 re(r, re2::RE2::Quiet);
    if (!re.ok()) d.Fail(key, "invalid regular expression \"" + r + "\": " + re.error());
  }
}

void DecodeSystem(config::MapDecoder d, SystemConfig& c) {
  std::vector<std::string> sources;
  if (d.Optional("hostname_sources", sources) && !sources.empty()) c.hostname_sources = sources;
  for (const std::string& s : c.hostname_sources) {
    if (s != "os" && s != "dns" && s != "cname" && s != "lookup") {
      d.Fail("hostname_sources", "hostname_sources contains invalid value: \"" + s + "\"");
    }
  }
  c.resource_attributes.Decode(d);
  d.Finish();
}

void DecodeEc2(config::MapDecoder d, Ec2Config& c) {
  d.Optional("tags", c.tags);
  d.Optional("tags_from_imds", c.tags_from_imds);
  d.Optional("max_attempts", c.max_attempts);
  d.Optional("max_backoff", c.max_backoff);
  d.Optional("fail_on_missing_metadata", c.fail_on_missing_metadata);
  c.resource_attributes.Decode(d);
  d.Finish();
  CheckRegexes(d, "tags", c.tags);
  if (!c.tags.empty() && !c.tags_from_imds) {
    d.Fail("tags",
           "reading EC2 tags through the EC2 DescribeTags API (signed AWS requests) is not implemented in "
           "otlpd; "
           "enable instance tags in metadata and set tags_from_imds: true");
  }
  if (c.max_attempts < 1) d.Fail("max_attempts", "must be at least 1");
  if (c.max_backoff.count() < 0) d.Fail("max_backoff", "must be non-negative");
}

void DecodeGcp(config::MapDecoder d, GcpConfig& c) {
  d.Optional("labels", c.labels);
  d.Optional("fail_on_missing_metadata", c.fail_on_missing_metadata);
  c.resource_attributes.Decode(d);
  d.Finish();
  CheckRegexes(d, "labels", c.labels);
  if (!c.labels.empty()) {
    d.Fail("labels", "reading instance labels (Compute Engine API) is not implemented in otlpd");
  }
}

void DecodeAzure(config::MapDecoder d, AzureConfig& c) {
  d.Optional("tags", c.tags);
  d.Optional("fail_on_missing_metadata", c.fail_on_missing_metadata);
  c.resource_attributes.Decode(d);
  d.Finish();
  CheckRegexes(d, "tags", c.tags);
}

}  // namespace

const std::vector<std::string>& ImplementedDetectors() {
  static const std::vector<std::string> kImplemented{"env",   "system", "ec2",     "gcp",
                                                     "azure", "docker", "k8s_api", "k8snode"};
  return kImplemented;
}

RetryConfig Config::DefaultRetry() {
  RetryConfig r;
  r.enabled = true;
  r.initial_interval = std::chrono::seconds(1);
  r.randomization_factor = 0.5;
  r.multiplier = 2;
  r.max_interval = std::chrono::seconds(30);
  r.max_elapsed_time = std::chrono::nanoseconds(0);
  return r;
}

Config Config::Decode(config::MapDecoder& d) {
  Config c;
  d.Optional("detectors", c.detectors);
  d.Optional("override", c.override);
  d.Optional("timeout", c.timeout);
  d.Optional("refresh_interval", c.refresh_interval);
  d.Optional("fail_on_missing_metadata", c.fail_on_missing_metadata);
  if (d.Has("retry")) {
    config::MapDecoder r = d.Child("retry");
    c.retry = RetryConfig::Decode(r, DefaultRetry());
  }
  for (std::string_view section : kOtelcolSections) {
    if (!d.Has(section)) continue;
    if (section == "system") {
      DecodeSystem(d.Child(section), c.system);
    } else if (section == "ec2") {
      DecodeEc2(d.Child(section), c.ec2);
    } else if (section == "gcp") {
      DecodeGcp(d.Child(section), c.gcp);
    } else if (section == "azure") {
      DecodeAzure(d.Child(section), c.azure);
    } else if (section == "docker") {
      config::MapDecoder k = d.Child(section);
      c.docker.resource_attributes.Decode(k);
      k.Finish();
    } else if (section == "k8s_api" || section == "k8snode") {
      config::MapDecoder k = d.Child(section);
      c.k8snode.api = k8s::ApiConfig::Decode(k);
      k.Optional("node_from_env_var", c.k8snode.node_from_env_var);
      c.k8snode.resource_attributes.Decode(k);
      k.Finish();
    } else {
      d.Take(section);  // accepted, unused: otlpd does not run that detector
    }
  }
  if (d.Has("env")) d.Child("env").Finish();  // otelcol's env detector has no options
  d.Finish();

  for (const std::string& name : c.detectors) {
    const auto& impl = ImplementedDetectors();
    if (std::find(impl.begin(), impl.end(), name) != impl.end()) continue;
    const bool otelcol_has =
        std::find(kOtelcolDetectors.begin(), kOtelcolDetectors.end(), name) != kOtelcolDetectors.end();
    if (otelcol_has) {
      d.Fail("detectors",
             "detector \"" + name + "\" is not implemented in otlpd; otlpd has: " + JoinImplemented());
    }
    d.Fail("detectors", "invalid detector key: " + name + " (otlpd has: " + JoinImplemented() + ")");
  }
  if (c.timeout.count() < 0) d.Fail("timeout", "must be non-negative");
  if (c.refresh_interval.count() < 0) d.Fail("refresh_interval", "must be non-negative");
  if (c.retry.enabled && c.timeout.count() == 0 && c.retry.max_elapsed_time.count() == 0) {
    d.Fail("retry",
           "retry.enabled requires either timeout > 0 or retry.max_elapsed_time > 0 to bound detection");
  }
  return c;
}

}  // namespace otlpd::processors::resourcedetection
