#pragma once

#include <functional>
#include <string>

#include "processors/resourcedetection/config.h"
#include "processors/resourcedetection/detector.h"

namespace otlpd::processors::resourcedetection {

// Where the system detector reads the machine; tests point `root` at a
// directory holding etc/os-release, etc/machine-id and proc/cpuinfo.
struct SystemSources {
  std::string root = "/";
  // gethostname(2) by default.
  std::function<Result<std::string>()> hostname;
};

// `system`: host.name from the first of hostname_sources that answers
// (dns: the resolver's canonical name for the host name, as getaddrinfo
// with AI_CANONNAME gives it after /etc/hosts; os: gethostname; cname: the
// same canonical name without its trailing dot; lookup: the reverse DNS
// name of the host's first address that has one), os.type, and the optional
// host/os/cpu attributes from uname, /etc/os-release, /etc/machine-id,
// /proc/cpuinfo and the network interfaces.
class SystemDetector : public Detector {
 public:
  SystemDetector(SystemConfig config, SystemSources sources);
  Result<Detected> Detect(Clock::time_point deadline) override;

 private:
  Result<std::string> HostnameFrom(const std::string& source);
  const SystemConfig config_;
  SystemSources sources_;
};

// otelcol's schema URL for the system detector's attributes.
inline constexpr const char* kSystemSchemaUrl = "https://opentelemetry.io/schemas/1.6.1";

}  // namespace otlpd::processors::resourcedetection
