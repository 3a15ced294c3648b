#pragma once

#include "processors/resourcedetection/config.h"
#include "processors/resourcedetection/detector.h"
#include "processors/resourcedetection/metadata_http.h"

namespace otlpd::processors::resourcedetection {

// `docker`: the host otlpd's container runs on, from the Docker Engine API
// (DOCKER_HOST, default unix:///var/run/docker.sock): GET /info gives
// host.name (the daemon host's name) and os.type; container.name and
// container.image.name (off by default) come from inspecting the container
// whose id is this process's hostname, as Docker sets it.
class DockerDetector : public Detector {
 public:
  DockerDetector(DockerConfig config, MetadataEndpoint endpoint);
  Result<Detected> Detect(Clock::time_point deadline) override;

  // DOCKER_HOST as the Docker client reads it: unix:///path or tcp://host:port.
  static Result<MetadataEndpoint> EndpointFromEnv();

 private:
  const DockerConfig config_;
  const MetadataEndpoint endpoint_;
};

}  // namespace otlpd::processors::resourcedetection
