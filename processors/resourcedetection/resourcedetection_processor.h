#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "component/component.h"
#include "processors/internal/attraction/config.h"
#include "processors/resourcedetection/config.h"
#include "processors/resourcedetection/detector.h"

namespace otlpd::processors::resourcedetection {

struct NamedDetector {
  std::string name;  // "env", "system", ...
  std::unique_ptr<Detector> detector;
};

// What a detection round produced: the merged attributes (first detector
// wins per key) as the insert/upsert actions that merge them into a
// resource, and every detector's error.
struct Detection {
  Detected merged;
  std::vector<attraction::Action> actions;
  std::string errors;  // "; "-joined "<detector>: <message>", empty when all succeeded
  int successes = 0;
};

// Runs the detectors (each in its own thread, retried per `retry`, all of it
// before `timeout`), merges their results in list order, and keeps the
// current snapshot for the data path. With refresh_interval > 0 a thread
// detects again periodically; a failed refresh keeps the last good snapshot.
// One provider serves every pipeline's instance of a processor id, as
// otelcol's factory shares it: the first Start detects, the others get its
// outcome, and the last Shutdown stops the refresh.
class ResourceProvider {
 public:
  ResourceProvider(Config config, std::vector<NamedDetector> detectors);
  ~ResourceProvider();

  const Config& config() const { return config_; }
  // The first call detects and starts refreshing; later ones return its outcome.
  Status Acquire(const std::string& id);
  // Once per successful Acquire; the last one stops the refresh thread.
  void Release();

  // One detection round; the result becomes the snapshot unless it failed
  // while a good snapshot exists.
  Detection Refresh();
  void StartRefreshing();
  void Stop();

  std::shared_ptr<const Detection> snapshot() const;

 private:
  Result<Detected> DetectWithRetry(Detector& detector, Clock::time_point deadline);
  // Waits until `until` or Stop(); false when stopped.
  bool WaitUntil(Clock::time_point until);

  const Config config_;
  std::vector<NamedDetector> detectors_;
  std::mutex start_mu_;  // serialises Acquire: one detection at start
  bool started_ = false;
  Status start_status_;
  int users_ = 0;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::shared_ptr<const Detection> snapshot_;
  std::thread refresher_;
};

// otelcol's `resourcedetection` processor: detects the resource of the
// place otlpd runs in (env, system, clouds) at Start and merges it into the
// Resource of every resource entry of every request, on the wire, with the
// `resource` processor's rewriter. `override: true` lets detected values
// replace existing ones; false keeps what the sender set.
class ResourceDetectionProcessor : public Processor {
 public:
  ResourceDetectionProcessor(std::string id, Signal signal, std::shared_ptr<ResourceProvider> provider,
                             Consumer* next);

  Status Start() override;
  void Shutdown(Clock::time_point deadline) override;
  Status Consume(const PayloadPtr& payload) override;

 private:
  const std::string id_;
  const Signal signal_;
  std::shared_ptr<ResourceProvider> provider_;
  Consumer* next_;
  bool acquired_ = false;
};

}  // namespace otlpd::processors::resourcedetection
