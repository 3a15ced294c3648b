#include "processors/resourcedetection/config.h"

#include <algorithm>
#include <array>
#include <string_view>

#include <re2/re2.h>

namespace otlpd::processors::resourcedetection {
namespace {

using config::RetryConfig;

// Every detector type otelcol-contrib v0.161.0 registers, with the key of
// its config section: none for env and dynatrace, another spelling for
// elastic_beanstalk, and alibaba_ecs has a section but no detector yet.
// otlpd decodes the sections of the detectors it implements and passes over
// the others, so a config written for otelcol with, say, an unused `eks:`
// block still loads.
struct OtelcolDetector {
  std::string_view type;     // "" for a section without a detector
  std::string_view section;  // "" for a detector without options
};
constexpr std::array<OtelcolDetector, 32> kOtelcolDetectors = {{
    {"env", ""},
    {"system", "system"},
    {"docker", "docker"},
    {"ec2", "ec2"},
    {"ecs", "ecs"},
    {"eks", "eks"},
    {"elastic_beanstalk", "elasticbeanstalk"},
    {"lambda", "lambda"},
    {"azure", "azure"},
    {"aks", "aks"},
    {"azureappservice", "azureappservice"},
    {"azurecontainerapps", "azurecontainerapps"},
    {"gcp", "gcp"},
    {"consul", "consul"},
    {"digitalocean", "digitalocean"},
    {"heroku", "heroku"},
    {"hetzner", "hetzner"},
    {"ibmcloud_classic", "ibmcloud_classic"},
    {"ibmcloud_vpc", "ibmcloud_vpc"},
    {"openshift", "openshift"},
    {"nova", "nova"},
    {"oraclecloud", "oraclecloud"},
    {"k8s_api", "k8s_api"},
    {"k8snode", "k8snode"},
    {"kubeadm", "kubeadm"},
    {"dynatrace", ""},
    {"tencent_cvm", "tencent_cvm"},
    {"upcloud", "upcloud"},
    {"vultr", "vultr"},
    {"akamai", "akamai"},
    {"scaleway", "scaleway"},
    {"", "alibaba_ecs"},
}};

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

// The keys of a cloud-metadata section (gcp, azure): regexes under
// `list_key`, fail_on_missing_metadata and resource_attributes.
template <class Config>
void DecodeMetadataSection(config::MapDecoder& d, Config& c, std::string_view list_key,
                           std::vector<std::string>& list) {
  d.Optional(list_key, list);
  d.Optional("fail_on_missing_metadata", c.fail_on_missing_metadata);
  c.resource_attributes.Decode(d);
  d.Finish();
  CheckRegexes(d, list_key, list);
}

void DecodeGcp(config::MapDecoder d, GcpConfig& c) {
  DecodeMetadataSection(d, c, "labels", c.labels);
  if (!c.labels.empty()) {
    d.Fail("labels", "reading instance labels (Compute Engine API) is not implemented in otlpd");
  }
}

void DecodeAzure(config::MapDecoder d, AzureConfig& c) { DecodeMetadataSection(d, c, "tags", c.tags); }

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
  for (const auto& [type, section] : kOtelcolDetectors) {
    if (section.empty() || !d.Has(section)) continue;
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
    const bool otelcol_has = std::any_of(kOtelcolDetectors.begin(), kOtelcolDetectors.end(),
                                         [&](const OtelcolDetector& o) { return o.type == name; });
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
