#pragma once

#include "processors/resourcedetection/config.h"
#include "processors/resourcedetection/detector.h"
#include "processors/resourcedetection/metadata_http.h"

namespace otlpd::processors::resourcedetection {

// `ec2`: the EC2 instance metadata service as the AWS SDK speaks it. IMDSv2
// first (PUT /latest/api/token with X-aws-ec2-metadata-token-ttl-seconds,
// then GETs with X-aws-ec2-metadata-token); when the token PUT fails, IMDSv1
// (the same GETs without a token). It reads /latest/meta-data/instance-id
// (no answer: not on EC2, nothing detected unless fail_on_missing_metadata),
// /latest/dynamic/instance-identity/document, /latest/meta-data/hostname and,
// with tags_from_imds, /latest/meta-data/tags/instance[/<key>]. Requests that
// fail in transport or with 5xx are tried max_attempts times.
class Ec2Detector : public Detector {
 public:
  // `endpoint`: AWS_EC2_METADATA_SERVICE_ENDPOINT or http://169.254.169.254.
  Ec2Detector(Ec2Config config, MetadataEndpoint endpoint, bool fail_on_missing_metadata);
  Result<Detected> Detect(Clock::time_point deadline) override;

  static Result<MetadataEndpoint> EndpointFromEnv();

 private:
  Result<std::string> Get(const std::string& path, const std::string& token, Clock::time_point deadline);
  Result<MetadataResponse> WithAttempts(const char* method, const std::string& path,
                                        const std::vector<std::pair<std::string, std::string>>& headers,
                                        Clock::time_point deadline);

  const Ec2Config config_;
  const MetadataEndpoint endpoint_;
  const bool fail_on_missing_metadata_;
};

}  // namespace otlpd::processors::resourcedetection
