#pragma once

// The detectors that ask a cloud's instance metadata service over link-local
// HTTP (metadata_http.h): ec2, gcp and azure. Each lives in its own .cpp;
// they share the base below.

#include "processors/resourcedetection/config.h"
#include "processors/resourcedetection/detector.h"
#include "processors/resourcedetection/metadata_http.h"

namespace otlpd::processors::resourcedetection {

// A detector that asks a cloud's metadata service (ec2, gcp, azure): its
// section of the config, where the service listens, and whether no answer
// fails the start (the processor's fail_on_missing_metadata or the
// section's own).
template <class Config>
class MetadataDetector : public Detector {
 public:
  MetadataDetector(Config config, MetadataEndpoint endpoint, bool fail_on_missing_metadata)
      : config_(std::move(config)),
        endpoint_(std::move(endpoint)),
        fail_on_missing_metadata_(fail_on_missing_metadata || config_.fail_on_missing_metadata) {}

 protected:
  const Config config_;
  const MetadataEndpoint endpoint_;
  const bool fail_on_missing_metadata_;
};

// `ec2`: the EC2 instance metadata service as the AWS SDK speaks it. IMDSv2
// first (PUT /latest/api/token with X-aws-ec2-metadata-token-ttl-seconds,
// then GETs with X-aws-ec2-metadata-token); when the token PUT fails, IMDSv1
// (the same GETs without a token). It reads /latest/meta-data/instance-id
// (no answer: not on EC2, nothing detected unless fail_on_missing_metadata),
// /latest/dynamic/instance-identity/document, /latest/meta-data/hostname and,
// with tags_from_imds, /latest/meta-data/tags/instance[/<key>]. Requests that
// fail in transport or with 5xx are tried max_attempts times.
class Ec2Detector : public MetadataDetector<Ec2Config> {
 public:
  using MetadataDetector::MetadataDetector;
  Result<Detected> Detect(Clock::time_point deadline) override;

  // The endpoint: AWS_EC2_METADATA_SERVICE_ENDPOINT or http://169.254.169.254.
  static Result<MetadataEndpoint> EndpointFromEnv();

 private:
  Result<std::string> Get(const std::string& path, const std::string& token, Clock::time_point deadline);
  Result<MetadataResponse> WithAttempts(const char* method, const std::string& path,
                                        const std::vector<std::pair<std::string, std::string>>& headers,
                                        Clock::time_point deadline);
};

// `gcp`: the GCE metadata server as Google's client libraries speak it
// (GET /computeMetadata/v1/<path> with `Metadata-Flavor: Google`, answers
// carrying the same header). Not on GCP (no such answer from the server):
// nothing detected unless fail_on_missing_metadata. Compute Engine, and GKE
// when KUBERNETES_SERVICE_HOST is set (k8s.cluster.name and location from
// the cluster-name / cluster-location instance attributes). Cloud Run,
// Cloud Functions and App Engine are not detected.
class GcpDetector : public MetadataDetector<GcpConfig> {
 public:
  using MetadataDetector::MetadataDetector;
  Result<Detected> Detect(Clock::time_point deadline) override;

  // The endpoint: GCE_METADATA_HOST or 169.254.169.254.
  static Result<MetadataEndpoint> EndpointFromEnv();

 private:
  // The value at /computeMetadata/v1/<path>; NotFound-like Unavailable on 404.
  Result<std::string> Get(const std::string& path, Clock::time_point deadline);
};

// `azure`: the Azure Instance Metadata Service, as contrib's provider asks
// it: GET /metadata/instance/compute?api-version=2020-09-01&format=json with
// `Metadata: true`. No answer: not on Azure, nothing detected unless
// fail_on_missing_metadata. `tags` (regexes) select tagsList entries as
// azure.tag.<name>.
class AzureDetector : public MetadataDetector<AzureConfig> {
 public:
  using MetadataDetector::MetadataDetector;
  Result<Detected> Detect(Clock::time_point deadline) override;
};

}  // namespace otlpd::processors::resourcedetection
