#include "processors/k8sattributes/config.h"

#include <algorithm>
#include <cstdlib>
#include <map>

namespace otlpd::processors::k8sattributes {
namespace {

// extract.metadata names otelcol accepts, and the flag each sets.
const std::map<std::string, bool Metadata::*, std::less<>>& MetadataFields() {
  static const std::map<std::string, bool Metadata::*, std::less<>> kFields = {
      {"k8s.namespace.name", &Metadata::namespace_name},
      {"k8s.pod.name", &Metadata::pod_name},
      {"k8s.pod.uid", &Metadata::pod_uid},
      {"k8s.pod.hostname", &Metadata::pod_hostname},
      {"k8s.pod.start_time", &Metadata::pod_start_time},
      {"k8s.pod.ip", &Metadata::pod_ip},
      {"k8s.deployment.name", &Metadata::deployment_name},
      {"k8s.deployment.uid", &Metadata::deployment_uid},
      {"k8s.replicaset.name", &Metadata::replicaset_name},
      {"k8s.replicaset.uid", &Metadata::replicaset_uid},
      {"k8s.daemonset.name", &Metadata::daemonset_name},
      {"k8s.daemonset.uid", &Metadata::daemonset_uid},
      {"k8s.statefulset.name", &Metadata::statefulset_name},
      {"k8s.statefulset.uid", &Metadata::statefulset_uid},
      {"k8s.job.name", &Metadata::job_name},
      {"k8s.job.uid", &Metadata::job_uid},
      {"k8s.cronjob.name", &Metadata::cronjob_name},
      {"k8s.node.name", &Metadata::node_name},
      {"k8s.node.uid", &Metadata::node_uid},
      {"k8s.container.name", &Metadata::container_name},
      {"container.id", &Metadata::container_id},
      {"container.image.name", &Metadata::container_image_name},
      {"container.image.tag", &Metadata::container_image_tag},
      {"container.image.repo_digests", &Metadata::container_image_repo_digests},
      {"k8s.cluster.uid", &Metadata::cluster_uid},
  };
  return kFields;
}

// otelcol's default extract.metadata.
const std::vector<std::string> kDefaultMetadata = {"k8s.namespace.name",  "k8s.pod.name",
                                                   "k8s.pod.uid",         "k8s.pod.start_time",
                                                   "k8s.deployment.name", "k8s.node.name"};

std::vector<FieldRule> DecodeRules(config::MapDecoder& parent, std::string_view key, std::string_view kind) {
  std::vector<FieldRule> rules;
  parent.EachMap(key, [&](config::MapDecoder& d) {
    FieldRule r;
    std::string key_regex, from;
    d.Optional("tag_name", r.tag_name);
    d.Optional("key", r.key);
    d.Optional("key_regex", key_regex);
    d.Optional("from", from);
    // `regex` is gone since v0.122.0 (k8sattr.fieldExtractConfigRegex.disallow): an unknown key.
    d.Finish();
    if (!r.key.empty() && !key_regex.empty()) {
      d.Fail("key_regex",
             "Out of Key or KeyRegex only one option is expected to be configured at a time, currently Key:" +
                 r.key + " and KeyRegex:" + key_regex);
    }
    if (from.empty() || from == "pod") {
      r.from = From::kPod;
    } else if (from == "namespace") {
      r.from = From::kNamespace;
    } else if (from == "node") {
      r.from = From::kNode;
    } else {
      d.Fail("from", from + " is not a valid choice for From. Must be one of: pod, namespace, node");
    }
    if (!key_regex.empty()) {
      auto re = std::make_shared<re2::RE2>("^(?:" + key_regex + ")$", re2::RE2::Quiet);
      if (!re->ok()) d.Fail("key_regex", "error parsing regexp: " + re->error());
      r.has_reference = re->NumberOfCapturingGroups() > 0;
      r.key_regex = std::move(re);
    }
    if (r.tag_name.empty() && !r.key.empty()) {
      const char* object = r.from == From::kPod ? "pod" : r.from == From::kNamespace ? "namespace" : "node";
      r.tag_name = "k8s." + std::string(object) + "." + std::string(kind) + "." + r.key;
    }
    rules.push_back(std::move(r));
  });
  return rules;
}

std::vector<FieldFilter> DecodeFilters(config::MapDecoder& parent, std::string_view key, bool labels) {
  std::vector<FieldFilter> out;
  parent.EachMap(key, [&](config::MapDecoder& d) {
    FieldFilter f;
    std::string op;
    d.Optional("key", f.key);
    d.Optional("value", f.value);
    d.Optional("op", op);
    d.Finish();
    const bool ok = op.empty() || op == "equals" || op == "not-equals" ||
                    (labels && (op == "exists" || op == "does-not-exist"));
    if (!ok) {
      d.Fail("op",
             "'" + op + "' is not a valid label filter operation for key=" + f.key + ", value=" + f.value);
    }
    if (!op.empty()) f.op = op;
    out.push_back(std::move(f));
  });
  return out;
}

}  // namespace

Config Config::Decode(config::MapDecoder& d) {
  Config c;
  c.api = k8s::ApiConfig::Decode(d);
  d.Optional("passthrough", c.passthrough);
  d.Optional("wait_for_metadata", c.wait_for_metadata);
  d.Optional("wait_for_metadata_timeout", c.wait_for_metadata_timeout);

  config::MapDecoder extract = d.Child("extract");
  std::vector<std::string> metadata;
  extract.Optional("metadata", metadata);
  if (metadata.empty()) metadata = kDefaultMetadata;
  for (const std::string& field : metadata) {
    auto it = MetadataFields().find(field);
    if (it == MetadataFields().end())
      extract.Fail("metadata", "\"" + field + "\" is not a supported metadata field");
    c.extract.metadata.*(it->second) = true;
  }
  c.extract.labels = DecodeRules(extract, "labels", "labels");
  c.extract.annotations = DecodeRules(extract, "annotations", "annotations");
  extract.Optional("otel_annotations", c.extract.otel_annotations);
  extract.Optional("deployment_name_from_replicaset", c.extract.deployment_name_from_replicaset);
  {
    config::MapDecoder service = extract.Child("service_attributes");
    bool enabled = false, well_known = false;
    service.Optional("enabled", enabled);
    service.Optional("well_known_labels", well_known);
    service.Finish();
    if (enabled) service.Fail("enabled", "service_attributes are not supported by otlpd");
  }
  extract.Finish();

  config::MapDecoder filter = d.Child("filter");
  filter.Optional("node", c.filter.node);
  filter.Optional("node_from_env_var", c.filter.node_from_env_var);
  filter.Optional("namespace", c.filter.namespace_);
  c.filter.fields = DecodeFilters(filter, "fields", false);
  c.filter.labels = DecodeFilters(filter, "labels", true);
  filter.Finish();
  if (!c.filter.node_from_env_var.empty()) {
    const char* v = std::getenv(c.filter.node_from_env_var.c_str());
    if (v == nullptr) {
      filter.Fail("node_from_env_var", "`node_from_env_var` is configured but envvar \"" +
                                           c.filter.node_from_env_var + "\" is not set");
    }
    // otelcol's option takes the env var over `node`.
    c.filter.node = v;
  }

  d.EachMap("pod_association", [&](config::MapDecoder& rule) {
    Association a;
    rule.EachMap("sources", [&](config::MapDecoder& s) {
      AssociationSource src;
      s.Optional("from", src.from);
      s.Optional("name", src.name);
      s.Finish();
      if (src.from != "connection" && src.from != "resource_attribute") {
        s.Fail("from", "\"" + src.from +
                           "\" is not a valid pod association source; use connection or "
                           "resource_attribute");
      }
      if (src.from == "connection") src.name.clear();
      a.push_back(std::move(src));
    });
    rule.Finish();
    if (a.size() > kMaxAssociationSources) {
      rule.Fail("sources",
                "too many association sources. limit is " + std::to_string(kMaxAssociationSources));
    }
    c.associations.push_back(std::move(a));
  });

  std::vector<std::string> exclude_names;
  {
    config::MapDecoder exclude = d.Child("exclude");
    exclude.EachMap("pods", [&](config::MapDecoder& p) {
      std::string name;
      p.Optional("name", name);
      p.Finish();
      exclude_names.push_back(name);
    });
    exclude.Finish();
    if (exclude_names.empty()) exclude_names = {"jaeger-agent", "jaeger-collector"};
    for (const std::string& name : exclude_names) {
      auto re = std::make_shared<re2::RE2>(name, re2::RE2::Quiet);
      if (!re->ok()) exclude.Fail("pods", "error parsing regexp: " + re->error());
      c.exclude_pods.push_back(std::move(re));
    }
  }
  d.Finish();
  return c;
}

std::string Config::PodLabelSelector() const {
  std::string out;
  for (const FieldFilter& f : filter.labels) {
    if (!out.empty()) out += ',';
    if (f.op == "equals")
      out += f.key + "=" + f.value;
    else if (f.op == "not-equals")
      out += f.key + "!=" + f.value;
    else if (f.op == "exists")
      out += f.key;
    else
      out += "!" + f.key;
  }
  return out;
}

std::string Config::PodFieldSelector() const {
  std::string out;
  auto add = [&](const std::string& term) {
    if (!out.empty()) out += ',';
    out += term;
  };
  for (const FieldFilter& f : filter.fields) add(f.key + (f.op == "not-equals" ? "!=" : "=") + f.value);
  if (!filter.node.empty()) add("spec.nodeName=" + filter.node);
  return out;
}

}  // namespace otlpd::processors::k8sattributes
