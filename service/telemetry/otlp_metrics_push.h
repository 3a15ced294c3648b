#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "component/component.h"
#include "internal/status.h"
#include "service/telemetry/config.h"
#include "service/telemetry/otlp_sender.h"
#include "service/telemetry/prometheus_text.h"
#include "service/telemetry/resource.h"

namespace opentelemetry::proto::resource::v1 {
class Resource;
}  // namespace opentelemetry::proto::resource::v1
namespace opentelemetry::proto::common::v1 {
class InstrumentationScope;
}  // namespace opentelemetry::proto::common::v1

namespace otlpd::selftelemetry {

using Attributes = std::vector<std::pair<std::string, std::string>>;

// Where every OTLP request of otlpd's own telemetry (metrics and logs) comes
// from: `resource` as the string attributes of its Resource, and the scope
// "otlpd".
void SetOwnOrigin(opentelemetry::proto::resource::v1::Resource& resource_out,
                  opentelemetry::proto::common::v1::InstrumentationScope& scope_out,
                  const Attributes& resource);

// Turns collected families (otelcol's metric names, the Prometheus model of
// prometheus_text.h) into one OTLP ExportMetricsServiceRequest: counters as
// monotonic sums, gauges as gauges, histograms as explicit-bucket histograms.
// With delta temporality (delta and lowmemory: otlpd has no up-down counters)
// sums and histograms carry what changed since the previous call.
class OtlpMetricsEncoder {
 public:
  OtlpMetricsEncoder(OtlpPushTarget::Temporality temporality, Clock::time_point process_start);
  std::string Encode(const std::vector<Family>& families, const Attributes& resource);

 private:
  bool delta_;
  std::uint64_t start_ns_;
  std::uint64_t last_ns_;
  std::map<std::string, double> previous_;  // series key -> last cumulative value (delta)
};

// A `periodic` reader with an `otlp` exporter: every `interval` collects
// otlpd's metrics and exports them over OTLP/gRPC or OTLP/HTTP (protobuf),
// each export bounded by the exporter's `timeout`. A failed export is logged
// (once per failure streak) and the next interval tries again, as the SDK.
// Stop() makes one last export, as the SDK's reader does at shutdown.
class MetricsPusher {
 public:
  using Collect = std::function<std::vector<Family>()>;
  using Resource = std::function<Attributes()>;

  MetricsPusher(OtlpPushTarget reader, Collect collect, Resource resource);
  ~MetricsPusher();

  void Start();
  void Stop();
  // One collection and export now (tests, shutdown).
  Status ExportOnce();
  const OtlpPushTarget& reader() const { return reader_; }

 private:
  void Loop();

  const OtlpPushTarget reader_;
  Collect collect_;
  Resource resource_;
  std::mutex encode_mu_;
  OtlpMetricsEncoder encoder_;
  OtlpSender sender_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool failing_ = false;
  std::thread thread_;
};

}  // namespace otlpd::selftelemetry
