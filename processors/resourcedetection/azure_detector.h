#pragma once

#include "processors/resourcedetection/config.h"
#include "processors/resourcedetection/detector.h"
#include "processors/resourcedetection/metadata_http.h"

namespace otlpd::processors::resourcedetection {

// `azure`: the Azure Instance Metadata Service, as contrib's provider asks
// it: GET /metadata/instance/compute?api-version=2020-09-01&format=json with
// `Metadata: true`. No answer: not on Azure, nothing detected unless
// fail_on_missing_metadata. `tags` (regexes) select tagsList entries as
// azure.tag.<name>.
class AzureDetector : public Detector {
 public:
  AzureDetector(AzureConfig config, MetadataEndpoint endpoint, bool fail_on_missing_metadata);
  Result<Detected> Detect(Clock::time_point deadline) override;

 private:
  const AzureConfig config_;
  const MetadataEndpoint endpoint_;
  const bool fail_on_missing_metadata_;
};

}  // namespace otlpd::processors::resourcedetection
