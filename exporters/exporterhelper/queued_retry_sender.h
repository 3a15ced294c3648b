#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "component/component.h"
#include "component/payload.h"
#include "component/storage.h"
#include "component/telemetry.h"
#include "exporters/exporterhelper/config.h"
#include "exporters/exporterhelper/queue_batcher.h"
#include "exporters/exporterhelper/time_source.h"
#include "internal/status.h"

namespace otlpd::exporters::exporterhelper {

// What one send attempt came to.
struct SendResult {
  // Ok; a retryable status (Unavailable or DeadlineExceeded; retry_after() is
  // the server's throttle hint, RetryInfo or Retry-After, zero when none); or
  // a permanent one (anything else), which is never retried.
  Status status;
  // partial_success: the backend took the request but dropped this many
  // items. Counted and logged, never retried (the OTLP spec forbids it).
  std::uint64_t rejected_items = 0;
  std::string rejection_message;  // partial_success.error_message (may be a warning alone)

  static SendResult Ok() { return {}; }
  static SendResult Failed(Status status) { return {std::move(status), 0, {}}; }
};

// One attempt to deliver a payload, done before `deadline` (now + `timeout`,
// cut short by shutdown; time_point::max() when neither applies). Called from
// `num_consumers` threads at once.
using SendFunc = std::function<SendResult(const PayloadPtr& payload, Clock::time_point deadline)>;

struct SenderOptions {
  TimeSource* time = nullptr;      // null: the steady clock (tests inject a manual one)
  std::function<double()> random;  // uniform [0, 1) for backoff jitter; null: a seeded PRNG
  // sending_queue.storage resolved (ResolveStorage): the queue lives in a
  // QueueStorage opened from it at Start; null: in memory.
  StorageExtension* storage = nullptr;
  // Where data goes instead of being dropped when this exporter cannot
  // deliver it (retries of a retryable failure used up, or still queued at
  // the shutdown deadline of an in-memory queue): the loadbalancing exporter
  // re-routes it to another backend. Returning true takes the payload over:
  // it is then counted neither as sent nor as failed here. Called from
  // consumer threads, from Consume() (queue disabled) and from Shutdown().
  std::function<bool(const PayloadPtr& payload)> hand_off;
  // Cuts the exporter's sends in flight (cancels its calls or requests).
  // Shutdown calls it when its deadline passes while a consumer is still
  // sending, so that an attempt whose own timeout lies further out (or that
  // has none) cannot hold shutdown. Null: nothing to cut.
  std::function<void()> cancel_in_flight;
};

// `options` with `cancel` as its cancel_in_flight: for an exporter's
// constructor, whose member initializers build the sender.
inline SenderOptions WithCancel(SenderOptions options, std::function<void()> cancel) {
  options.cancel_in_flight = std::move(cancel);
  return options;
}

// The part of otelcol's exporterhelper every exporter shares: a bounded
// sending queue with `num_consumers` sender threads, per-attempt timeout,
// retry with exponential backoff, and the exporter counters (sent,
// send_failed, enqueue_failed, queue size/capacity).
//
// An exporter implements only its SendFunc and forwards its Component and
// Consumer calls here:
//
//   Status Start() override { /* connect */ return sender_.Start(); }
//   Status Consume(const PayloadPtr& p) override { return sender_.Consume(p); }
//   void Shutdown(Clock::time_point d) override { sender_.Shutdown(d); /* disconnect */ }
//
// Consume() returning Ok means the sender owns delivery from then on; a full
// queue answers with a retryable Unavailable so the pipeline holds the
// payload and applies back-pressure: data is never dropped silently. Data is
// only given up when the backend refuses it permanently, when retries run
// past max_elapsed_time, or at the shutdown deadline, and each of these is
// logged and counted as send_failed.
//
// With SenderOptions::storage (and the queue enabled) the queue is
// persistent: Consume() returns Ok only once the payload is appended to a
// QueueStorage, a record is removed only when its export is over (success,
// permanent failure, max_elapsed_time), and shutdown leaves what is still
// queued or being retried on disk for the next start instead of dropping it.
// The records an earlier run left are loaded in the background after Start,
// as room allows; while that backlog waits for room, new data is refused.
class QueuedRetrySender {
 public:
  QueuedRetrySender(std::string exporter_id, Config config, SendFunc send, ComponentTelemetry* telemetry,
                    SenderOptions options = {});
  ~QueuedRetrySender();

  QueuedRetrySender(const QueuedRetrySender&) = delete;
  QueuedRetrySender& operator=(const QueuedRetrySender&) = delete;

  // Starts the consumer threads; with storage, first opens the persistent
  // queue (PersistentQueueName) and then starts loading its backlog. Consume()
  // before Start() is refused (retryable).
  Status Start();

  // Queue enabled: enqueues and returns Ok, or refuses with Unavailable when
  // the queue is full (after waiting for room with block_on_overflow) or
  // shutting down. With wait_for_result, waits for the export's outcome too.
  // Queue disabled: sends in the caller's thread, retries included.
  // After Ok, or a permanent status, the payload is the sender's concern; a
  // failed export (not an enqueue) is returned as a permanent status, since
  // it has been counted and logged already.
  Status Consume(const PayloadPtr& payload);

  // Stops accepting, lets the consumers drain the queue until `deadline`
  // (a retry that would fall after it is given up), joins them, and counts
  // what is still queued as send_failed. Called once; the destructor calls it
  // with an immediate deadline if nobody did.
  // Persistent: consumers take nothing new, sends in flight finish or are
  // cut at `deadline`, retry waits end at once, and whatever was not
  // delivered stays on disk (logged, not counted as failed); the queue is
  // closed, releasing its lock for the next holder.
  void Shutdown(Clock::time_point deadline);

  // Shutdown is coming by `deadline` (Exporter::BeginShutdown): from now on
  // sends are cut at it and a retry that would fall after it is given up (or,
  // persistent, kept), while the queue still takes what the pipelines drain.
  void BeginShutdown(Clock::time_point deadline);

  // Current occupancy and capacity in `sizer` units (queued plus in flight).
  std::uint64_t queue_size() const;
  std::uint64_t queue_capacity() const;
  bool persistent() const { return persistent_; }
  // Consume() only enqueues or refuses: it neither sends, waits nor writes
  // to disk (Exporter::ConsumeReturnsAtOnce).
  bool ConsumeReturnsAtOnce() const {
    const QueueConfig& q = config_.sending_queue;
    return q.enabled && !q.block_on_overflow && !q.wait_for_result && !persistent_;
  }
  // Backlog records that could not be decoded as payloads (dropped).
  std::uint64_t undecodable_records() const { return undecodable_.load(std::memory_order_relaxed); }

 private:
  struct Outcome;  // wait_for_result: where a consumer posts the result
  struct Item {
    PayloadPtr payload;
    std::uint64_t size = 0;
    std::shared_ptr<Outcome> outcome;
    std::uint64_t record = 0;  // persistent: the storage id to remove when done
  };

  // sending_queue.batch (queued_retry_sender_batch.cpp): consumers merge
  // what they take from the queue into batches and deliver those; a flusher
  // thread sends batches whose flush_timeout passed.
  using Batcher = QueueBatcher<Item>;
  static void SetOutcome(Outcome& outcome, Status status);
  void BatchingConsumerLoop();
  void FlushLoop();
  // Delivers one batch and settles the entries it finishes; `lock` is held
  // on entry and on return.
  void DeliverBatch(Batcher::Output out, std::unique_lock<std::mutex>& lock);
  // Shutdown: what the batcher still holds, with `lock` held.
  void ShutdownBatcher(std::uint64_t& left_requests, std::uint64_t& left_items);

  std::uint64_t SizeOf(const Payload& payload) const;
  Status Enqueue(const PayloadPtr& payload, std::unique_lock<std::mutex>& lock);
  Status Persist(const PayloadPtr& payload, std::uint64_t size, std::unique_lock<std::mutex>& lock);
  void ConsumerLoop();
  void LoadBacklog();
  // Attempts until success, a permanent error, max_elapsed_time or the
  // shutdown deadline; counts and logs the outcome. With `kept` (persistent
  // mode), a delivery cut short by shutdown is neither counted nor logged as
  // failed: *kept is set and the record stays for the next start.
  Status Deliver(const PayloadPtr& payload, bool* kept = nullptr);
  Status GiveUp(const PayloadPtr& payload, int attempts, const Status& last, std::string_view why);
  Clock::time_point Deadline() const;
  SignalCounters& Counters(Signal signal);

  const std::string id_;
  const Config config_;
  const SendFunc send_;
  ComponentTelemetry* telemetry_;
  std::unique_ptr<TimeSource> own_time_;
  TimeSource* time_;
  std::function<double()> random_;
  StorageExtension* const storage_extension_;
  const std::function<bool(const PayloadPtr&)> hand_off_;
  const std::function<void()> cancel_in_flight_;
  const bool persistent_;
  std::unique_ptr<QueueStorage> storage_;  // open between Start and Shutdown

  mutable std::mutex mu_;
  std::condition_variable not_empty_;
  std::condition_variable not_full_;
  std::condition_variable idle_;  // the last caller left Consume()
  std::deque<Item> queue_;
  std::uint64_t used_ = 0;  // queued + in flight, in sizer units
  bool started_ = false;
  bool stopping_ = false;
  bool shut_down_ = false;
  int callers_ = 0;              // threads inside Consume()
  bool loader_waiting_ = false;  // the backlog loader waits for room: it goes first
  // Persistent: deliveries cut short by shutdown (left on disk), and whether
  // the loader read the whole backlog.
  std::uint64_t kept_requests_ = 0;
  std::uint64_t kept_items_ = 0;
  bool backlog_loaded_ = false;
  std::vector<std::thread> consumers_;
  std::thread loader_;
  std::unique_ptr<Batcher> batcher_;  // sending_queue.batch set; guarded by mu_
  std::condition_variable flush_cv_;  // the flusher's next deadline may have moved
  std::thread flusher_;
  std::atomic<bool> abandon_waits_{false};  // persistent shutdown: retry waits end now
  std::atomic<std::uint64_t> undecodable_{0};
  std::atomic<bool> append_failing_{false};  // logs a disk-full episode once

  std::atomic<Clock::rep> deadline_{Clock::time_point::max().time_since_epoch().count()};
};

// The name of the persistent queue an exporter opens in its storage
// extension, built like otelcol's storage clients: kind_type_name, so
// "otlp/backend" -> "exporter_otlp_backend" and "otlp" -> "exporter_otlp_".
std::string PersistentQueueName(std::string_view exporter_id);

}  // namespace otlpd::exporters::exporterhelper
