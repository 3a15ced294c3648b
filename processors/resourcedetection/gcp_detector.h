#pragma once

#include "processors/resourcedetection/config.h"
#include "processors/resourcedetection/detector.h"
#include "processors/resourcedetection/metadata_http.h"

namespace otlpd::processors::resourcedetection {

// `gcp`: the GCE metadata server as Google's client libraries speak it
// (GET /computeMetadata/v1/<path> with `Metadata-Flavor: Google`, answers
// carrying the same header). Not on GCP (no such answer from the server):
// nothing detected unless fail_on_missing_metadata. Compute Engine, and GKE
// when KUBERNETES_SERVICE_HOST is set (k8s.cluster.name and location from
// the cluster-name / cluster-location instance attributes). Cloud Run,
// Cloud Functions and App Engine are not detected.
class GcpDetector : public Detector {
 public:
  // `endpoint`: GCE_METADATA_HOST or 169.254.169.254.
  GcpDetector(GcpConfig config, MetadataEndpoint endpoint, bool fail_on_missing_metadata);
  Result<Detected> Detect(Clock::time_point deadline) override;

  static Result<MetadataEndpoint> EndpointFromEnv();

 private:
  // The value at /computeMetadata/v1/<path>; NotFound-like Unavailable on 404.
  Result<std::string> Get(const std::string& path, Clock::time_point deadline);

  const GcpConfig config_;
  const MetadataEndpoint endpoint_;
  const bool fail_on_missing_metadata_;
};

}  // namespace otlpd::processors::resourcedetection
