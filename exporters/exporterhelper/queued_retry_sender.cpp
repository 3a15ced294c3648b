#include "exporters/exporterhelper/queued_retry_sender.h"

#include <algorithm>
#include <optional>
#include <random>

#include <spdlog/spdlog.h>

#include "exporters/exporterhelper/backoff.h"

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

namespace {

double DefaultRandom() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

std::string Seconds(std::chrono::nanoseconds d) {
  return fmt::format("{:.3f}s", std::chrono::duration<double>(d).count());
}

}  // namespace

QueuedRetrySender::QueuedRetrySender(std::string exporter_id, Config config, SendFunc send,
                                     ComponentTelemetry* telemetry, SenderOptions options)
    : id_(std::move(exporter_id)),
      config_(std::move(config)),
      send_(std::move(send)),
      telemetry_(telemetry),
      time_(options.time),
      random_(options.random ? std::move(options.random) : DefaultRandom) {
  if (time_ == nullptr) {
    own_time_ = std::make_unique<SteadyTimeSource>();
    time_ = own_time_.get();
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
  started_ = true;
  if (config_.sending_queue.enabled) {
    for (int i = 0; i < config_.sending_queue.num_consumers; ++i) {
      consumers_.emplace_back([this] { ConsumerLoop(); });
    }
  }
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

  const QueueConfig& q = config_.sending_queue;
  const std::uint64_t size = SizeOf(*payload);
  const auto capacity = static_cast<std::uint64_t>(q.queue_size);
  // A payload larger than the whole queue is let in when the queue is empty,
  // so that it cannot be refused forever.
  auto fits = [&] { return used_ == 0 || used_ + size <= capacity; };
  if (!fits()) {
    if (q.block_on_overflow) not_full_.wait(lock, [&] { return stopping_ || fits(); });
    if (stopping_ || !fits()) {
      SignalCounters::Add(counters.enqueue_failed, payload->items);
      if (stopping_) return Status::Unavailable("exporter " + id_ + " is shutting down");
      return Status::Unavailable(fmt::format("exporter {}: sending queue is full ({} of {} {})", id_, used_,
                                             capacity, SizerName(q.sizer)));
    }
  }
  std::shared_ptr<Outcome> outcome = q.wait_for_result ? std::make_shared<Outcome>() : nullptr;
  queue_.push_back(Item{payload, size, outcome});
  used_ += size;
  not_empty_.notify_one();
  if (outcome == nullptr) return Status::Ok();
  lock.unlock();
  return outcome->Wait();
}

void QueuedRetrySender::ConsumerLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    not_empty_.wait(lock, [this] { return !queue_.empty() || stopping_; });
    if (queue_.empty()) return;
    // Past the shutdown deadline what is left stays queued; Shutdown() counts it.
    if (stopping_ && time_->Now() >= Deadline()) return;
    Item item = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    Status s = Deliver(item.payload);
    if (item.outcome) item.outcome->Set(std::move(s));
    item.payload.reset();
    lock.lock();
    // In-flight items hold their room until done, as in otelcol, so
    // queue_size bounds all the memory the exporter holds.
    used_ -= item.size;
    not_full_.notify_all();
  }
}

Status QueuedRetrySender::Deliver(const PayloadPtr& payload) {
  const RetryConfig& retry = config_.retry_on_failure;
  SignalCounters& counters = Counters(payload->signal);
  ExponentialBackoff backoff(retry, random_);
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
    auto interrupted = [&] { return Deadline() < wake; };
    while (time_->Now() < wake) {
      if (interrupted()) {
        return GiveUp(payload, attempt, r.status, "the next retry would fall after the shutdown deadline");
      }
      time_->SleepUntil(wake, interrupted);
    }
  }
}

Status QueuedRetrySender::GiveUp(const PayloadPtr& payload, int attempts, const Status& last,
                                 std::string_view why) {
  SignalCounters::Add(Counters(payload->signal).send_failed, payload->items);
  spdlog::error("exporter {}: dropping {} {} after {} attempt(s): {}: {}", id_, payload->items,
                ItemNoun(payload->signal), attempts, why, last.message());
  if (!last.retryable()) return last;
  // Retryable for the backend, final for us: it has been counted as failed,
  // so the caller must not try again.
  return Status::Internal("exporter " + id_ + ": " + std::string(why) + ": " + last.message());
}

void QueuedRetrySender::Shutdown(Clock::time_point deadline) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (shut_down_) return;
    shut_down_ = true;
    stopping_ = true;
    deadline_.store(deadline.time_since_epoch().count(), std::memory_order_release);
  }
  time_->Interrupt();
  not_empty_.notify_all();
  not_full_.notify_all();
  for (auto& t : consumers_) t.join();
  consumers_.clear();

  std::unique_lock<std::mutex> lock(mu_);
  std::uint64_t left_items = 0;
  std::size_t left_requests = queue_.size();
  for (Item& item : queue_) {
    left_items += item.payload->items;
    SignalCounters::Add(Counters(item.payload->signal).send_failed, item.payload->items);
    if (item.outcome) {
      item.outcome->Set(Status::Internal("exporter " + id_ + ": dropped at the shutdown deadline"));
    }
    used_ -= item.size;
  }
  queue_.clear();
  if (left_requests > 0) {
    spdlog::error("exporter {}: shutdown deadline passed with {} request(s) ({} items) still queued; dropped",
                  id_, left_requests, left_items);
  }
  // Callers still inside Consume() (synchronous sends, waits for room or for
  // a result) have been woken and finish promptly.
  idle_.wait(lock, [this] { return callers_ == 0; });
}

}  // namespace otlpd::exporters::exporterhelper
