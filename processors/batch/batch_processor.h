#pragma once

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "component/buffer_pool.h"
#include "component/component.h"
#include "component/telemetry.h"
#include "otlp/wire/request_batch.h"
#include "processors/batch/config.h"

namespace otlpd::processors::batch {

// Batches by concatenating serialized requests (repeated fields concatenate)
// and splits at send_batch_max_size by cutting on wire boundaries: no payload
// is ever decoded. A batch leaves when it reaches send_batch_size items or
// when `timeout` has passed since its first item; on shutdown everything left
// is flushed. With metadata_keys, each combination of those client-metadata
// values has its own batch, and the batch carries just those keys on.
class BatchProcessor : public Processor {
 public:
  BatchProcessor(std::string id, Signal signal, Config config, Consumer* next, ComponentTelemetry* telemetry);
  ~BatchProcessor() override;

  Status Start() override;
  void Shutdown(Clock::time_point deadline) override;
  Status Consume(const PayloadPtr& payload) override;
  // A batch of requests that all kept their gzip carries the members joined.
  bool UsesGzip() const override { return next_->UsesGzip(); }

 private:
  struct Batch {
    explicit Batch(Signal signal) : requests(signal) {}
    wire::RequestBatch requests;
    Clock::time_point deadline;
    std::shared_ptr<const Metadata> metadata;
  };
  struct Out {
    std::string bytes;
    std::uint64_t items;
    std::shared_ptr<const Metadata> metadata;
    std::string gzip;  // Payload::gzip
  };

  // Moves what is ready out of `batch` into `out`; `all` empties it.
  void Cut(Batch& batch, bool all, std::vector<Out>& out);
  Status Send(std::vector<Out>& out);
  void TimerLoop();

  const std::string id_;
  const Signal signal_;
  const Config config_;
  const wire::BatchLimits limits_;
  Consumer* next_;
  ComponentTelemetry* telemetry_;

  // Full batches' buffers, reused so a new batch does not fault its pages in again.
  const std::shared_ptr<BufferPool> buffers_ = std::make_shared<BufferPool>();
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, Batch> batches_;
  bool stop_ = false;
  std::thread timer_;
};

}  // namespace otlpd::processors::batch
