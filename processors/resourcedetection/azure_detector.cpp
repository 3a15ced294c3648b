#include "processors/resourcedetection/cloud_detectors.h"

#include <memory>

#include <re2/re2.h>
#include <simdjson.h>
#include <spdlog/spdlog.h>

namespace otlpd::processors::resourcedetection {
namespace {

constexpr char kComputePath[] = "/metadata/instance/compute?api-version=2020-09-01&format=json";

}  // namespace

Result<Detected> AzureDetector::Detect(Clock::time_point deadline) {
  Result<MetadataResponse> r =
      MetadataRequest(endpoint_, "GET", kComputePath, {{"Metadata", "true"}}, deadline);
  std::string why;
  if (!r.ok()) {
    why = r.status().message();
  } else if (r->status != 200) {
    why = "Azure IMDS replied with status code: " + std::to_string(r->status);
  }
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (why.empty() && (parser.parse(r->body).get(doc) != simdjson::SUCCESS || !doc.is_object())) {
    why = "Azure IMDS answered with no JSON object";
  }
  if (!why.empty()) {
    if (fail_on_missing_metadata_) return Status::Unavailable("failed getting Azure metadata: " + why);
    spdlog::debug("resourcedetection azure: Azure metadata unavailable: {}", why);
    return Detected{};
  }

  const AttributeSwitches& on = config_.resource_attributes;
  Detected d;
  auto put = [&](const char* attr, const std::string& value) {
    if (on.enabled(attr)) d.Put(attr, value);
  };
  put("cloud.provider", "azure");
  put("cloud.platform", "azure_vm");
  put("cloud.region", JsonString(doc, "location"));
  put("cloud.account.id", JsonString(doc, "subscriptionId"));
  put("host.id", JsonString(doc, "vmId"));
  std::string host;
  simdjson::dom::element os_profile;
  if (doc["osProfile"].get(os_profile) == simdjson::SUCCESS) host = JsonString(os_profile, "computerName");
  put("host.name", host.empty() ? JsonString(doc, "name") : host);
  put("azure.vm.name", JsonString(doc, "name"));
  put("azure.vm.size", JsonString(doc, "vmSize"));
  const std::string scaleset = JsonString(doc, "vmScaleSetName");
  if (!scaleset.empty()) put("azure.vm.scaleset.name", scaleset);
  put("azure.resourcegroup.name", JsonString(doc, "resourceGroupName"));
  const std::string zone = JsonString(doc, "zone");
  if (!zone.empty()) put("cloud.availability_zone", zone);

  if (!config_.tags.empty()) {
    std::vector<std::unique_ptr<re2::RE2>> res;
    for (const std::string& t : config_.tags) res.push_back(std::make_unique<re2::RE2>(t));
    simdjson::dom::array tags;
    if (doc["tagsList"].get_array().get(tags) == simdjson::SUCCESS) {
      for (simdjson::dom::element tag : tags) {
        const std::string name = JsonString(tag, "name");
        bool match = false;
        for (const auto& re : res) match = match || re2::RE2::PartialMatch(name, *re);
        if (match) d.Put("azure.tag." + name, JsonString(tag, "value"));
      }
    }
  }
  return d;
}

}  // namespace otlpd::processors::resourcedetection
