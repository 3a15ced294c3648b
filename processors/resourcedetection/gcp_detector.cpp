#include "processors/resourcedetection/cloud_detectors.h"

#include <cstdlib>

#include <spdlog/spdlog.h>

#include "internal/text.h"

namespace otlpd::processors::resourcedetection {
namespace {

// "projects/123/zones/us-central1-a" -> "us-central1-a".
std::string LastSegment(const std::string& s) {
  const auto slash = s.rfind('/');
  return slash == std::string::npos ? s : s.substr(slash + 1);
}

// "us-central1-a" -> "us-central1".
std::string RegionOfZone(const std::string& zone) {
  const auto dash = zone.rfind('-');
  return dash == std::string::npos ? zone : zone.substr(0, dash);
}

}  // namespace

Result<MetadataEndpoint> GcpDetector::EndpointFromEnv() {
  return MetadataEndpointFromEnv("GCE_METADATA_HOST", "169.254.169.254");
}

Result<std::string> GcpDetector::Get(const std::string& path, Clock::time_point deadline) {
  Result<MetadataResponse> r = MetadataRequest(endpoint_, "GET", "/computeMetadata/v1/" + path,
                                               {{"Metadata-Flavor", "Google"}}, deadline);
  if (!r.ok()) return r.status();
  if (r->status != 200) {
    return Status::Unavailable("metadata: GCE metadata \"" + path + "\" not defined (HTTP " +
                               std::to_string(r->status) + ")");
  }
  return std::string(TrimAsciiSpace(r->body));
}

Result<Detected> GcpDetector::Detect(Clock::time_point deadline) {
  // On GCE: the server answers with Metadata-Flavor: Google.
  Result<MetadataResponse> probe = MetadataRequest(endpoint_, "GET", "/computeMetadata/v1/project/project-id",
                                                   {{"Metadata-Flavor", "Google"}}, deadline);
  if (!probe.ok() || probe->Header("Metadata-Flavor") != "Google" || probe->status != 200) {
    const std::string why =
        !probe.ok() ? probe.status().message()
                    : "HTTP " + std::to_string(probe->status) + " without Metadata-Flavor: Google";
    if (fail_on_missing_metadata_) return Status::Unavailable("GCP metadata unavailable: " + why);
    spdlog::debug("resourcedetection gcp: not on GCP: {}", why);
    return Detected{};
  }
  const std::string project(TrimAsciiSpace(probe->body));

  const AttributeSwitches& on = config_.resource_attributes;
  Detected d;
  auto put = [&](const char* attr, const std::string& value) {
    if (on.enabled(attr)) d.Put(attr, value);
  };
  auto need = [&](const std::string& path) -> Result<std::string> { return Get(path, deadline); };

  Result<std::string> id = need("instance/id");
  if (!id.ok()) return id.status();
  Result<std::string> zone_path = need("instance/zone");
  if (!zone_path.ok()) return zone_path.status();
  const std::string zone = LastSegment(*zone_path);
  Result<std::string> name = need("instance/name");
  if (!name.ok()) return name.status();

  const char* k8s = std::getenv("KUBERNETES_SERVICE_HOST");
  put("cloud.provider", "gcp");
  if (k8s != nullptr && *k8s != '\0') {
    put("cloud.platform", "gcp_kubernetes_engine");
    put("cloud.account.id", project);
    Result<std::string> cluster = need("instance/attributes/cluster-name");
    if (!cluster.ok()) return cluster.status();
    put("k8s.cluster.name", *cluster);
    Result<std::string> location = need("instance/attributes/cluster-location");
    if (!location.ok()) return location.status();
    // A zone has two dashes (us-central1-c), a region one (us-central1).
    if (std::count(location->begin(), location->end(), '-') == 2) {
      put("cloud.availability_zone", *location);
    } else {
      put("cloud.region", *location);
    }
    put("host.id", *id);
    put("host.name", *name);
  } else {
    put("cloud.platform", "gcp_compute_engine");
    put("cloud.account.id", project);
    put("cloud.availability_zone", zone);
    put("cloud.region", RegionOfZone(zone));
    Result<std::string> machine = need("instance/machine-type");
    if (!machine.ok()) return machine.status();
    put("host.type", LastSegment(*machine));
    put("host.id", *id);
    put("host.name", *name);
    put("gcp.gce.instance.name", *name);
    if (on.enabled("gcp.gce.instance.hostname")) {
      Result<std::string> hostname = need("instance/hostname");
      if (!hostname.ok()) return hostname.status();
      put("gcp.gce.instance.hostname", *hostname);
    }
    // Managed instance groups: created-by names the manager.
    Result<std::string> created_by = Get("instance/attributes/created-by", deadline);
    if (created_by.ok()) {
      // projects/<n>/zones/<zone>/instanceGroupManagers/<name> (or regions/<region>/...)
      std::vector<std::string> parts;
      std::string_view rest = *created_by;
      while (true) {
        const auto slash = rest.find('/');
        parts.emplace_back(rest.substr(0, slash));
        if (slash == std::string_view::npos) break;
        rest = rest.substr(slash + 1);
      }
      if (parts.size() == 6 && parts[4] == "instanceGroupManagers") {
        put("gcp.gce.instance_group_manager.name", parts[5]);
        if (parts[2] == "zones") put("gcp.gce.instance_group_manager.zone", parts[3]);
        if (parts[2] == "regions") put("gcp.gce.instance_group_manager.region", parts[3]);
      }
    }
  }
  return d;
}

}  // namespace otlpd::processors::resourcedetection
