#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "component/component.h"
#include "component/consumer.h"

namespace otlpd::test {

// Records what it is given, like otelcol's consumertest.Sink. `refuse` makes it
// answer with a status instead (to play a full or failing exporter).
class Sink : public Exporter {
 public:
  Status Start() override { return Status::Ok(); }
  void Shutdown(Clock::time_point) override {}

  Status Consume(const PayloadPtr& payload) override {
    std::lock_guard<std::mutex> lock(mu_);
    ++calls_;
    if (refuse_) {
      Status s = refuse_();
      if (!s.ok()) return s;
    }
    payloads_.push_back(payload);
    items_ += payload->items;
    return Status::Ok();
  }

  // Stands for an exporter that sends gzip (receivers keep clients' gzip
  // members for it) unless told otherwise before the receiver starts.
  bool UsesGzip() const override { return uses_gzip_; }
  void SetUsesGzip(bool uses) { uses_gzip_ = uses; }

  void SetRefuse(std::function<Status()> refuse) {
    std::lock_guard<std::mutex> lock(mu_);
    refuse_ = std::move(refuse);
  }
  std::vector<PayloadPtr> payloads() const {
    std::lock_guard<std::mutex> lock(mu_);
    return payloads_;
  }
  // The payloads received so far, no longer held by the sink.
  std::vector<PayloadPtr> TakePayloads() {
    std::lock_guard<std::mutex> lock(mu_);
    return std::exchange(payloads_, {});
  }
  std::uint64_t items() const {
    std::lock_guard<std::mutex> lock(mu_);
    return items_;
  }
  int calls() const {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_;
  }

 private:
  mutable std::mutex mu_;
  std::function<Status()> refuse_;
  std::atomic<bool> uses_gzip_{true};
  std::vector<PayloadPtr> payloads_;
  std::uint64_t items_ = 0;
  int calls_ = 0;
};

// Polls `cond` until it holds or `timeout` passes; tests wait on conditions, never on sleeps.
inline bool WaitFor(const std::function<bool()>& cond,
                    std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return cond();
}

}  // namespace otlpd::test
