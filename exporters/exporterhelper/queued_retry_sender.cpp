#include "exporters/exporterhelper/queued_retry_sender.h"

#include <algorithm>
#include <condition_variable>
#include <optional>
#include <random>
#include <thread>

#include <spdlog/spdlog.h>

#include "config/retry/retry_config.h"
#include "exporters/exporterhelper/payload_codec.h"

namespace otlpd::exporters::exporterhelper {

// wait_for_result: the consumer that finishes an item posts its outcome here
// for the Consume() call waiting on it.
struct QueuedRetrySender::Outcome {
  std::mutex mu;
  std::condition_variable cv;
  std::optional<Status> status;

  void Set(Status s) {
    std::lock_guard<std::mutex> lock(mu);
    status = std::move(s);
    cv.notify_all();
  }
  Status Wait() {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [this] { return status.has_value(); });
    return *status;
  }
};

void QueuedRetrySender::SetOutcome(Outcome& outcome, Status status) { outcome.Set(std::move(status)); }

namespace {

double DefaultRandom() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

std::string Seconds(std::chrono::nanoseconds d) {
  return fmt::format("{:.3f}s", std::chrono::duration<double>(d).count());
}

}  // namespace

std::string PersistentQueueName(std::string_view exporter_id) {
  const auto slash = exporter_id.find('/');
  const std::string_view type = exporter_id.substr(0, slash);
  const std::string_view name = slash == std::string_view::npos ? "" : exporter_id.substr(slash + 1);
  return "exporter_" + std::string(type) + "_" + std::string(name);
}

QueuedRetrySender::QueuedRetrySender(std::string exporter_id, Config config, SendFunc send,
                                     ComponentTelemetry* telemetry, SenderOptions options)
    : id_(std::move(exporter_id)),
      config_(std::move(config)),
      send_(std::move(send)),
      telemetry_(telemetry),
      time_(options.time),
      random_(options.random ? std::move(options.random) : DefaultRandom),
      storage_extension_(options.storage),
      hand_off_(std::move(options.hand_off)),
      cancel_in_flight_(std::move(options.cancel_in_flight)),
      persistent_(options.storage != nullptr && config_.sending_queue.enabled) {
  if (time_ == nullptr) {
    own_time_ = std::make_unique<SteadyTimeSource>();
    time_ = own_time_.get();
  }
  if (config_.sending_queue.enabled && config_.sending_queue.batch) {
    batcher_ = std::make_unique<Batcher>(*config_.sending_queue.batch);
  }
  if (telemetry_ != nullptr) {
    telemetry_->queue_size = [this] { return queue_size(); };
    telemetry_->queue_capacity = [this] { return queue_capacity(); };
  }
}

QueuedRetrySender::~QueuedRetrySender() { Shutdown(time_->Now()); }

SignalCounters& QueuedRetrySender::Counters(Signal signal) {
  static ComponentTelemetry unused;  // counts nobody reads when no telemetry was given
  return telemetry_ != nullptr ? (*telemetry_)[signal] : unused[signal];
}

std::uint64_t QueuedRetrySender::SizeOf(const Payload& payload) const {
  switch (config_.sending_queue.sizer) {
    case Sizer::kRequests: return 1;
    case Sizer::kItems: return payload.items;
    case Sizer::kBytes: return payload.bytes.size();
  }
  return 1;
}

std::uint64_t QueuedRetrySender::queue_size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return used_;
}

std::uint64_t QueuedRetrySender::queue_capacity() const {
  return config_.sending_queue.enabled ? static_cast<std::uint64_t>(config_.sending_queue.queue_size) : 0;
}

Clock::time_point QueuedRetrySender::Deadline() const {
  return Clock::time_point(Clock::duration(deadline_.load(std::memory_order_acquire)));
}

Status QueuedRetrySender::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (shut_down_) return Status::Unavailable("exporter " + id_ + " is shut down");
  if (started_) return Status::Ok();
  if (persistent_) {
    const std::string name = PersistentQueueName(id_);
    auto opened = storage_extension_->OpenQueue(name);
    if (!opened.ok()) {
      const Status& s = opened.status();
      return Status::Unavailable("exporter " + id_ + ": cannot open its persistent queue \"" + name +
                                 "\": " + s.message());
    }
    storage_ = std::move(opened).value();
    spdlog::info("exporter {}: persistent sending queue \"{}\" ({} {})", id_, name,
                 config_.sending_queue.queue_size, SizerName(config_.sending_queue.sizer));
  }
  started_ = true;
  if (config_.sending_queue.enabled) {
    for (int i = 0; i < config_.sending_queue.num_consumers; ++i) {
      consumers_.emplace_back([this] { ConsumerLoop(); });
    }
  }
  if (persistent_) loader_ = std::thread([this] { LoadBacklog(); });
  if (batcher_) flusher_ = std::thread([this] { FlushLoop(); });
  return Status::Ok();
}

Status QueuedRetrySender::Consume(const PayloadPtr& payload) {
  SignalCounters& counters = Counters(payload->signal);
  std::unique_lock<std::mutex> lock(mu_);
  if (!started_ || stopping_) {
    SignalCounters::Add(counters.enqueue_failed, payload->items);
    return Status::Unavailable("exporter " + id_ + (stopping_ ? " is shutting down" : " is not started"));
  }
  // Every caller inside Consume() is counted so Shutdown() can wait until
  // none is left before the sender goes away.
  ++callers_;
  struct Leave {
    QueuedRetrySender* self;
    std::unique_lock<std::mutex>& lock;
    ~Leave() {
      if (!lock.owns_lock()) lock.lock();
      if (--self->callers_ == 0) self->idle_.notify_all();
    }
  } leave{this, lock};

  if (!config_.sending_queue.enabled) {
    lock.unlock();
    return Deliver(payload);
  }
  return Enqueue(payload, lock);
}

Status QueuedRetrySender::Enqueue(const PayloadPtr& payload, std::unique_lock<std::mutex>& lock) {
  SignalCounters& counters = Counters(payload->signal);
  const QueueConfig& q = config_.sending_queue;
  const std::uint64_t size = SizeOf(*payload);
  const auto capacity = static_cast<std::uint64_t>(q.queue_size);
  // A payload larger than the whole queue is let in when the queue is empty,
  // so that it cannot be refused forever. Room the backlog loader waits for
  // is its own: older data goes first.
  auto fits = [&] { return !loader_waiting_ && (used_ == 0 || used_ + size <= capacity); };
  if (!fits()) {
    if (q.block_on_overflow) not_full_.wait(lock, [&] { return stopping_ || fits(); });
    if (stopping_ || !fits()) {
      SignalCounters::Add(counters.enqueue_failed, payload->items);
      if (stopping_) return Status::Unavailable("exporter " + id_ + " is shutting down");
      return Status::Unavailable(fmt::format("exporter {}: sending queue is full ({} of {} {})", id_, used_,
                                             capacity, SizerName(q.sizer)));
    }
  }
  if (persistent_) return Persist(payload, size, lock);
  std::shared_ptr<Outcome> outcome = q.wait_for_result ? std::make_shared<Outcome>() : nullptr;
  queue_.push_back(Item{payload, size, outcome});
  used_ += size;
  not_empty_.notify_one();
  if (outcome == nullptr) return Status::Ok();
  lock.unlock();
  return outcome->Wait();
}

Status QueuedRetrySender::Persist(const PayloadPtr& payload, std::uint64_t size,
                                  std::unique_lock<std::mutex>& lock) {
  // The room is taken before the append, which is slow (fsync) and done
  // without the lock, so that concurrent callers cannot overshoot capacity.
  used_ += size;
  lock.unlock();
  Result<std::uint64_t> id = storage_->Append(EncodePayloadRecord(*payload));
  lock.lock();
  if (!id.ok()) {
    used_ -= size;
    not_full_.notify_all();
    SignalCounters::Add(Counters(payload->signal).enqueue_failed, payload->items);
    const std::string message = "exporter " + id_ + ": cannot persist " + std::to_string(payload->items) +
                                " " + std::string(ItemNoun(payload->signal)) + ": " + id.status().message();
    // Once per episode: a full disk refuses every request until it clears.
    if (!append_failing_.exchange(true))
      spdlog::warn("{} (refusing data until appends succeed again)", message);
    // A record the storage can never take (too large) is refused for good;
    // anything else (disk full, I/O error) may pass later: back-pressure.
    if (id.status().code() == StatusCode::kResourceExhausted) return Status::ResourceExhausted(message);
    return Status::Unavailable(message);
  }
  if (append_failing_.load(std::memory_order_relaxed) && append_failing_.exchange(false))
    spdlog::info("exporter {}: persistent queue appends succeed again", id_);
  // Appended during shutdown: the consumers may be gone, and Shutdown()
  // leaves it on disk with the rest of the queue.
  queue_.push_back(Item{payload, size, nullptr, *id});
  not_empty_.notify_one();
  return Status::Ok();
}

void QueuedRetrySender::LoadBacklog() {
  const auto capacity = static_cast<std::uint64_t>(config_.sending_queue.queue_size);
  std::uint64_t loaded = 0, loaded_items = 0;
  std::uint64_t id = 0;
  std::string record;
  while (true) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) break;
    }
    // Disk reads without the lock: Consume() and the consumers go on meanwhile.
    if (!storage_->NextBacklog(id, record)) {
      std::lock_guard<std::mutex> lock(mu_);
      backlog_loaded_ = true;
      break;
    }
    Result<PayloadPtr> decoded = DecodePayloadRecord(record);
    record.clear();
    if (!decoded.ok()) {
      undecodable_.fetch_add(1, std::memory_order_relaxed);
      spdlog::error("exporter {}: dropping persistent queue record {}: {}", id_, id,
                    decoded.status().message());
      if (Status s = storage_->Remove(id); !s.ok()) {
        spdlog::warn("exporter {}: cannot remove record {}: {}", id_, id, s.message());
      }
      continue;
    }
    PayloadPtr payload = std::move(decoded).value();
    const std::uint64_t size = SizeOf(*payload);
    std::unique_lock<std::mutex> lock(mu_);
    loader_waiting_ = true;
    not_full_.wait(lock, [&] { return stopping_ || used_ == 0 || used_ + size <= capacity; });
    loader_waiting_ = false;
    // Callers blocked on overflow were held back by the loader; let them re-check.
    not_full_.notify_all();
    if (stopping_) break;  // the record stays on disk
    queue_.push_back(Item{payload, size, nullptr, id});
    used_ += size;
    ++loaded;
    loaded_items += payload->items;
    not_empty_.notify_one();
  }
  if (loaded > 0) {
    spdlog::info("exporter {}: loaded {} request(s) ({} items) left by an earlier run", id_, loaded,
                 loaded_items);
  }
  if (const std::uint64_t damaged = storage_->corrupt_records(); damaged > 0) {
    spdlog::error("exporter {}: {} damaged record(s) in the persistent queue were skipped (lost)", id_,
                  damaged);
  }
}

void QueuedRetrySender::ConsumerLoop() {
  if (batcher_) {
    BatchingConsumerLoop();
    return;
  }
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    not_empty_.wait(lock, [this] { return !queue_.empty() || stopping_; });
    if (queue_.empty()) return;
    // Past the shutdown deadline what is left stays queued; Shutdown() counts
    // it. A persistent queue keeps what is queued for the next start instead
    // of draining it.
    if (stopping_ && (persistent_ || time_->Now() >= Deadline())) return;
    Item item = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    bool kept = false;
    Status s = Deliver(item.payload, persistent_ ? &kept : nullptr);
    if (persistent_ && !kept) {
      // Only now is the record not needed: a crash before this replays it.
      if (Status r = storage_->Remove(item.record); !r.ok()) {
        spdlog::warn(
            "exporter {}: cannot remove delivered record {} (it may be sent again after a restart): {}", id_,
            item.record, r.message());
      }
    }
    if (item.outcome) item.outcome->Set(std::move(s));
    const std::uint64_t items = item.payload->items;
    item.payload.reset();
    lock.lock();
    // In-flight items hold their room until done, as in otelcol, so
    // queue_size bounds all the memory the exporter holds.
    used_ -= item.size;
    if (kept) {
      ++kept_requests_;
      kept_items_ += items;
    }
    not_full_.notify_all();
  }
}

Status QueuedRetrySender::Deliver(const PayloadPtr& payload, bool* kept) {
  const config::RetryConfig& retry = config_.retry_on_failure;
  SignalCounters& counters = Counters(payload->signal);
  config::ExponentialBackoff backoff(retry, random_);
  const Clock::time_point start = time_->Now();
  for (int attempt = 1;; ++attempt) {
    Clock::time_point attempt_deadline = Deadline();
    if (config_.timeout.count() > 0)
      attempt_deadline = std::min(attempt_deadline, time_->Now() + config_.timeout);
    SendResult r = send_(payload, attempt_deadline);
    if (r.status.ok()) {
      const std::uint64_t rejected = std::min(r.rejected_items, payload->items);
      SignalCounters::Add(counters.sent, payload->items - rejected);
      if (rejected > 0 || !r.rejection_message.empty()) {
        // partial_success must not be retried: the rest was accepted.
        SignalCounters::Add(counters.send_failed, rejected);
        spdlog::warn("exporter {}: partial success: backend rejected {} of {} {}: {}", id_, rejected,
                     payload->items, ItemNoun(payload->signal), r.rejection_message);
      }
      return Status::Ok();
    }
    if (!r.status.retryable()) return GiveUp(payload, attempt, r.status, "permanent error");
    auto keep = [&] {
      *kept = true;
      spdlog::debug("exporter {}: shutting down after {} attempt(s) ({}); {} {} stay in the persistent queue",
                    id_, attempt, r.status.message(), payload->items, ItemNoun(payload->signal));
      return Status::Unavailable("exporter " + id_ + " is shutting down; kept for the next start");
    };
    // The record is safe on disk: a failure while shutting down is not a
    // reason to give it up, whatever the retry settings.
    if (kept != nullptr && abandon_waits_.load(std::memory_order_acquire)) return keep();
    if (!retry.enabled) return GiveUp(payload, attempt, r.status, "retry_on_failure is disabled");

    // The server's throttle hint is a floor under our own backoff.
    const std::chrono::nanoseconds delay =
        std::max<std::chrono::nanoseconds>(backoff.Next(), r.status.retry_after());
    const Clock::time_point now = time_->Now();
    if (retry.max_elapsed_time.count() > 0 && (now - start) + delay > retry.max_elapsed_time) {
      return GiveUp(payload, attempt, r.status,
                    "max_elapsed_time " + Seconds(retry.max_elapsed_time) + " reached");
    }
    const Clock::time_point wake = now + delay;
    spdlog::debug("exporter {}: attempt {} failed ({}), retrying in {}", id_, attempt, r.status.message(),
                  Seconds(delay));
    auto interrupted = [&] { return Deadline() < wake || abandon_waits_.load(std::memory_order_acquire); };
    while (time_->Now() < wake) {
      if (interrupted()) {
        if (kept != nullptr) return keep();
        return GiveUp(payload, attempt, r.status, "the next retry would fall after the shutdown deadline");
      }
      time_->SleepUntil(wake, interrupted);
    }
  }
}

Status QueuedRetrySender::GiveUp(const PayloadPtr& payload, int attempts, const Status& last,
                                 std::string_view why) {
  if (last.retryable() && hand_off_ && hand_off_(payload)) {
    spdlog::warn("exporter {}: handing {} {} on after {} attempt(s): {}: {}", id_, payload->items,
                 ItemNoun(payload->signal), attempts, why, last.message());
    return Status::Ok();
  }
  SignalCounters::Add(Counters(payload->signal).send_failed, payload->items);
  spdlog::error("exporter {}: dropping {} {} after {} attempt(s): {}: {}", id_, payload->items,
                ItemNoun(payload->signal), attempts, why, last.message());
  if (!last.retryable()) return last;
  // Retryable for the backend, final for us: it has been counted as failed,
  // so the caller must not try again.
  return Status::Internal("exporter " + id_ + ": " + std::string(why) + ": " + last.message());
}

void QueuedRetrySender::BeginShutdown(Clock::time_point deadline) {
  Clock::rep current = deadline_.load(std::memory_order_acquire);
  const Clock::rep wanted = deadline.time_since_epoch().count();
  while (wanted < current && !deadline_.compare_exchange_weak(current, wanted, std::memory_order_acq_rel)) {
  }
  time_->Interrupt();  // retry waits re-check the deadline
}

void QueuedRetrySender::Shutdown(Clock::time_point deadline) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (shut_down_) return;
    shut_down_ = true;
    stopping_ = true;
    deadline_.store(deadline.time_since_epoch().count(), std::memory_order_release);
    if (persistent_) abandon_waits_.store(true, std::memory_order_release);
  }
  time_->Interrupt();
  not_empty_.notify_all();
  not_full_.notify_all();
  flush_cv_.notify_all();
  {
    // Consumers stop at the deadline; a send still in flight then is cut.
    std::mutex watch_mu;
    std::condition_variable watch_cv;
    bool joined = false;
    std::thread watchdog;
    if (cancel_in_flight_) {
      watchdog = std::thread([&] {
        std::unique_lock<std::mutex> lock(watch_mu);
        if (!watch_cv.wait_until(lock, deadline, [&] { return joined; })) cancel_in_flight_();
      });
    }
    if (flusher_.joinable()) flusher_.join();
    for (auto& t : consumers_) t.join();
    consumers_.clear();
    if (loader_.joinable()) loader_.join();
    {
      std::lock_guard<std::mutex> lock(watch_mu);
      joined = true;
    }
    watch_cv.notify_one();
    if (watchdog.joinable()) watchdog.join();
  }

  std::unique_lock<std::mutex> lock(mu_);
  if (persistent_) {
    // Appends still running finish first: what they write stays with the rest.
    idle_.wait(lock, [this] { return callers_ == 0; });
    std::uint64_t left_items = kept_items_;
    std::uint64_t left_requests = queue_.size() + kept_requests_;
    if (batcher_) ShutdownBatcher(left_requests, left_items);
    for (Item& item : queue_) {
      left_items += item.payload->items;
      used_ -= item.size;
    }
    queue_.clear();
    if (storage_ != nullptr && (left_requests > 0 || !backlog_loaded_)) {
      spdlog::info(
          "exporter {}: {} request(s) ({} items){} not yet delivered stay in the persistent queue for the "
          "next start",
          id_, left_requests, left_items, backlog_loaded_ ? "" : " and the backlog not yet loaded");
    }
    // Closing the queue releases its lock for the next holder (a reload).
    storage_.reset();
    return;
  }
  std::uint64_t left_items = 0;
  std::uint64_t left_requests = queue_.size();
  if (batcher_) ShutdownBatcher(left_requests, left_items);
  std::uint64_t handed_off = 0;
  for (Item& item : queue_) {
    used_ -= item.size;
    if (hand_off_ && !item.outcome && hand_off_(item.payload)) {
      ++handed_off;
      continue;
    }
    left_items += item.payload->items;
    SignalCounters::Add(Counters(item.payload->signal).send_failed, item.payload->items);
    if (item.outcome) {
      item.outcome->Set(Status::Internal("exporter " + id_ + ": dropped at the shutdown deadline"));
    }
  }
  queue_.clear();
  left_requests -= handed_off;
  if (handed_off > 0) spdlog::info("exporter {}: {} request(s) still queued handed on", id_, handed_off);
  if (left_requests > 0) {
    spdlog::error("exporter {}: shutdown deadline passed with {} request(s) ({} items) still queued; dropped",
                  id_, left_requests, left_items);
  }
  // Callers still inside Consume() (synchronous sends, waits for room or for
  // a result) have been woken and finish promptly.
  idle_.wait(lock, [this] { return callers_ == 0; });
}

}  // namespace otlpd::exporters::exporterhelper
