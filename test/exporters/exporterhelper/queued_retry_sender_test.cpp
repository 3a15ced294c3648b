#include "exporters/exporterhelper/queued_retry_sender.h"

#include <atomic>
#include <deque>
#include <future>
#include <set>

#include <catch2/catch.hpp>

#include "test/exporters/exporterhelper/manual_time_source.h"
#include "test/support/sink.h"

using namespace otlpd;
using namespace std::chrono_literals;
using exporters::exporterhelper::Config;
using exporters::exporterhelper::QueuedRetrySender;
using exporters::exporterhelper::SenderOptions;
using exporters::exporterhelper::SendResult;
using exporters::exporterhelper::Sizer;

namespace {

// A backend played by a function: answers from a script (then Ok), records
// every attempt, and can hold attempts at a gate until the test opens it.
class FakeBackend {
 public:
  SendResult Send(const PayloadPtr& payload, Clock::time_point deadline) {
    std::unique_lock<std::mutex> lock(mu_);
    ++attempts_;
    deadlines_.push_back(deadline);
    cv_.notify_all();
    cv_.wait(lock, [this] { return open_; });
    if (script_.empty()) {
      delivered_.push_back(payload);
      return always_ ? *always_ : SendResult::Ok();
    }
    SendResult r = std::move(script_.front());
    script_.pop_front();
    if (r.status.ok()) delivered_.push_back(payload);
    return r;
  }
  exporters::exporterhelper::SendFunc Func() {
    return [this](const PayloadPtr& p, Clock::time_point d) { return Send(p, d); };
  }

  void Script(std::vector<SendResult> results) {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& r : results) script_.push_back(std::move(r));
  }
  // Every attempt once the script is used up answers this (and counts as delivered if Ok).
  void Always(SendResult r) {
    std::lock_guard<std::mutex> lock(mu_);
    always_ = std::move(r);
  }
  void Close() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = false;
  }
  void Open() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  bool WaitAttempts(int n) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, 10s, [&] { return attempts_ >= n; });
  }
  int attempts() const {
    std::lock_guard<std::mutex> lock(mu_);
    return attempts_;
  }
  std::vector<PayloadPtr> delivered() const {
    std::lock_guard<std::mutex> lock(mu_);
    return delivered_;
  }
  std::vector<Clock::time_point> deadlines() const {
    std::lock_guard<std::mutex> lock(mu_);
    return deadlines_;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<SendResult> script_;
  std::optional<SendResult> always_;
  bool open_ = true;
  int attempts_ = 0;
  std::vector<Clock::time_point> deadlines_;
  std::vector<PayloadPtr> delivered_;
};

SendResult Retryable(std::chrono::milliseconds hint = 0ms) {
  return SendResult::Failed(Status::Unavailable("backend unavailable", hint));
}

PayloadPtr Items(std::uint64_t n, std::string bytes = "payload") {
  return MakePayload(Signal::kTraces, std::move(bytes), n);
}

// A synchronous sender (no queue) on a manual clock with jitter-free backoff:
// what a retry schedule test needs to read exact waits.
Config SyncConfig() {
  Config c;
  c.sending_queue.enabled = false;
  return c;
}

struct Harness {
  ComponentTelemetry telemetry;
  test::ManualTimeSource time;
  FakeBackend backend;
  std::unique_ptr<QueuedRetrySender> sender;

  bool manual;

  explicit Harness(Config config, bool manual_time = true) : manual(manual_time) {
    SenderOptions options;
    if (manual_time) options.time = &time;
    options.random = [] { return 0.5; };  // the midpoint: no jitter
    sender = std::make_unique<QueuedRetrySender>("otlp/test", config, backend.Func(), &telemetry, options);
    REQUIRE(sender->Start().ok());
  }
  ~Harness() { sender->Shutdown((manual ? time.Now() : Clock::now()) + 10s); }

  SignalCounters& counters() { return telemetry[Signal::kTraces]; }
};

std::vector<std::chrono::nanoseconds> Durations(std::initializer_list<double> seconds) {
  std::vector<std::chrono::nanoseconds> out;
  for (double s : seconds) out.emplace_back(static_cast<std::int64_t>(s * 1e9));
  return out;
}

}  // namespace

TEST_CASE("retryable failures are retried on the backoff schedule until they succeed") {
  Harness h(SyncConfig());
  h.backend.Script({Retryable(), Retryable(), Retryable(), Retryable(), Retryable(), Retryable()});
  REQUIRE(h.sender->Consume(Items(4)).ok());
  CHECK(h.backend.attempts() == 7);
  CHECK(h.time.sleeps() == Durations({5, 7.5, 11.25, 16.875, 25.3125, 30}));
  CHECK(h.counters().sent == 4);
  CHECK(h.counters().send_failed == 0);
}

TEST_CASE("each attempt gets the timeout as its deadline") {
  Config c = SyncConfig();
  c.timeout = 2s;
  Harness h(c);
  h.backend.Script({Retryable()});
  auto start = h.time.Now();
  REQUIRE(h.sender->Consume(Items(1)).ok());
  auto deadlines = h.backend.deadlines();
  REQUIRE(deadlines.size() == 2);
  CHECK(deadlines[0] == start + 2s);
  CHECK(deadlines[1] == start + 5s + 2s);  // after one 5s backoff

  c.timeout = 0s;  // no timeout
  Harness none(c);
  REQUIRE(none.sender->Consume(Items(1)).ok());
  CHECK(none.backend.deadlines().at(0) == Clock::time_point::max());
}

TEST_CASE("a server's throttle hint is the least wait before the next attempt") {
  Harness h(SyncConfig());
  h.backend.Script({Retryable(20s), Retryable(1s)});
  REQUIRE(h.sender->Consume(Items(1)).ok());
  // 20s beats the 5s backoff; 1s does not beat the 7.5s that follows.
  CHECK(h.time.sleeps() == Durations({20, 7.5}));
}

TEST_CASE("retries stop at max_elapsed_time and the data counts as failed") {
  Config c = SyncConfig();
  c.retry_on_failure.max_elapsed_time = 60s;
  Harness h(c);
  h.backend.Always(Retryable());
  Status s = h.sender->Consume(Items(3));
  // 5 + 7.5 + 11.25 + 16.875 = 40.625s waited; the next 25.3125s would pass 60s.
  CHECK(h.time.sleeps() == Durations({5, 7.5, 11.25, 16.875}));
  CHECK(h.backend.attempts() == 5);
  CHECK_FALSE(s.ok());
  CHECK_FALSE(s.retryable());  // counted and logged already: nobody must retry it again
  CHECK(h.counters().send_failed == 3);
  CHECK(h.counters().sent == 0);
}

TEST_CASE("a throttle hint that would pass max_elapsed_time ends the retries") {
  Config c = SyncConfig();
  c.retry_on_failure.max_elapsed_time = 60s;
  Harness h(c);
  h.backend.Script({Retryable(120s)});
  CHECK_FALSE(h.sender->Consume(Items(1)).ok());
  CHECK(h.backend.attempts() == 1);
  CHECK(h.counters().send_failed == 1);
}

TEST_CASE("max_elapsed_time 0 retries forever") {
  Config c = SyncConfig();
  c.retry_on_failure.max_elapsed_time = 0s;
  Harness h(c);
  h.backend.Script(std::vector<SendResult>(100, Retryable()));
  REQUIRE(h.sender->Consume(Items(1)).ok());
  CHECK(h.backend.attempts() == 101);
  CHECK(h.time.sleeps().back() == 30s);
  CHECK(h.counters().sent == 1);
}

TEST_CASE("permanent failures are not retried") {
  Harness h(SyncConfig());
  h.backend.Script({SendResult::Failed(Status::InvalidArgument("bad data"))});
  Status s = h.sender->Consume(Items(5));
  CHECK(s.code() == StatusCode::kInvalidArgument);
  CHECK(h.backend.attempts() == 1);
  CHECK(h.time.sleeps().empty());
  CHECK(h.counters().send_failed == 5);
  CHECK(h.counters().sent == 0);
}

TEST_CASE("with retry_on_failure disabled a retryable failure is final") {
  Config c = SyncConfig();
  c.retry_on_failure.enabled = false;
  Harness h(c);
  h.backend.Script({Retryable()});
  CHECK_FALSE(h.sender->Consume(Items(2)).ok());
  CHECK(h.backend.attempts() == 1);
  CHECK(h.counters().send_failed == 2);
}

TEST_CASE("partial success is counted and logged, never retried") {
  Harness h(SyncConfig());
  SendResult partial;
  partial.rejected_items = 3;
  partial.rejection_message = "3 spans had no name";
  h.backend.Script({partial});
  REQUIRE(h.sender->Consume(Items(10)).ok());
  CHECK(h.backend.attempts() == 1);
  CHECK(h.counters().sent == 7);
  CHECK(h.counters().send_failed == 3);
}

TEST_CASE("a full queue refuses with a retryable status, per sizer") {
  struct Case {
    Sizer sizer;
    std::int64_t capacity;
    PayloadPtr payload;
  };
  // Each case fits exactly two payloads.
  auto c = GENERATE(Case{Sizer::kRequests, 2, Items(100)}, Case{Sizer::kItems, 10, Items(5)},
                    Case{Sizer::kBytes, 20, Items(1, std::string(10, 'x'))});
  Config config;
  config.sending_queue.num_consumers = 1;
  config.sending_queue.sizer = c.sizer;
  config.sending_queue.queue_size = c.capacity;
  Harness h(config, /*manual_time=*/false);
  h.backend.Close();  // the consumer holds the first payload in flight
  REQUIRE(h.sender->Consume(c.payload).ok());
  REQUIRE(h.sender->Consume(c.payload).ok());
  CHECK(h.sender->queue_size() == static_cast<std::uint64_t>(c.capacity));
  CHECK(h.sender->queue_capacity() == static_cast<std::uint64_t>(c.capacity));
  CHECK(h.telemetry.queue_size() == static_cast<std::uint64_t>(c.capacity));
  Status refused = h.sender->Consume(c.payload);
  CHECK(refused.code() == StatusCode::kUnavailable);
  CHECK(refused.retryable());
  CHECK(h.counters().enqueue_failed == c.payload->items);
  h.backend.Open();
  REQUIRE(test::WaitFor([&] { return h.counters().sent == 2 * c.payload->items; }));
  CHECK(test::WaitFor([&] { return h.sender->queue_size() == 0; }));
  REQUIRE(h.sender->Consume(c.payload).ok());  // room again
}

TEST_CASE("a payload larger than the whole queue is let in when the queue is empty") {
  Config config;
  config.sending_queue.sizer = Sizer::kItems;
  config.sending_queue.queue_size = 10;
  config.sending_queue.num_consumers = 1;
  Harness h(config, false);
  h.backend.Close();
  REQUIRE(h.sender->Consume(Items(50)).ok());
  CHECK(h.sender->Consume(Items(1)).retryable());
  h.backend.Open();
  REQUIRE(test::WaitFor([&] { return h.counters().sent == 50; }));
}

TEST_CASE("block_on_overflow waits for room instead of refusing") {
  Config config;
  config.sending_queue.num_consumers = 1;
  config.sending_queue.queue_size = 1;
  config.sending_queue.block_on_overflow = true;
  Harness h(config, false);
  h.backend.Close();
  REQUIRE(h.sender->Consume(Items(1)).ok());
  auto blocked = std::async(std::launch::async, [&] { return h.sender->Consume(Items(1)); });
  CHECK(blocked.wait_for(50ms) == std::future_status::timeout);
  h.backend.Open();
  CHECK(blocked.get().ok());
  REQUIRE(test::WaitFor([&] { return h.counters().sent == 2; }));
  CHECK(h.counters().enqueue_failed == 0);
}

TEST_CASE("block_on_overflow gives up when shutdown starts") {
  Config config;
  config.sending_queue.num_consumers = 1;
  config.sending_queue.queue_size = 1;
  config.sending_queue.block_on_overflow = true;
  ComponentTelemetry telemetry;
  FakeBackend backend;
  QueuedRetrySender sender("otlp/test", config, backend.Func(), &telemetry);
  REQUIRE(sender.Start().ok());
  backend.Close();
  REQUIRE(sender.Consume(Items(1)).ok());
  auto blocked = std::async(std::launch::async, [&] { return sender.Consume(Items(1)); });
  REQUIRE(backend.WaitAttempts(1));
  auto shutdown = std::async(std::launch::async, [&] { sender.Shutdown(Clock::now() + 10s); });
  CHECK(blocked.get().retryable());
  backend.Open();
  shutdown.get();
  CHECK(telemetry[Signal::kTraces].sent == 1);
}

TEST_CASE("wait_for_result returns the export's outcome") {
  Config config;
  config.sending_queue.wait_for_result = true;
  Harness h(config);
  CHECK(h.sender->Consume(Items(1)).ok());
  h.backend.Script({SendResult::Failed(Status::InvalidArgument("rejected"))});
  CHECK(h.sender->Consume(Items(1)).code() == StatusCode::kInvalidArgument);
  CHECK(h.counters().sent == 1);
  CHECK(h.counters().send_failed == 1);
}

TEST_CASE("Consume is refused before Start and after Shutdown") {
  ComponentTelemetry telemetry;
  FakeBackend backend;
  QueuedRetrySender sender("otlp/test", Config{}, backend.Func(), &telemetry);
  CHECK(sender.Consume(Items(1)).retryable());
  REQUIRE(sender.Start().ok());
  REQUIRE(sender.Consume(Items(1)).ok());
  sender.Shutdown(Clock::now() + 10s);
  CHECK(sender.Consume(Items(1)).retryable());
  CHECK(telemetry[Signal::kTraces].sent == 1);
  CHECK(telemetry[Signal::kTraces].enqueue_failed == 2);
}

TEST_CASE("shutdown lets the consumers drain the queue") {
  Config config;
  config.sending_queue.num_consumers = 2;
  ComponentTelemetry telemetry;
  FakeBackend backend;
  QueuedRetrySender sender("otlp/test", config, backend.Func(), &telemetry);
  REQUIRE(sender.Start().ok());
  backend.Close();
  for (int i = 0; i < 50; ++i) REQUIRE(sender.Consume(Items(2)).ok());
  auto shutdown = std::async(std::launch::async, [&] { sender.Shutdown(Clock::now() + 30s); });
  backend.Open();
  shutdown.get();
  CHECK(backend.delivered().size() == 50);
  CHECK(telemetry[Signal::kTraces].sent == 100);
  CHECK(telemetry[Signal::kTraces].send_failed == 0);
  CHECK(sender.queue_size() == 0);
}

TEST_CASE("shutdown cuts retries short at the deadline and counts what is left as failed") {
  Config config;
  config.sending_queue.num_consumers = 1;
  config.retry_on_failure.initial_interval = 1h;  // a retry would be far after the deadline
  config.retry_on_failure.max_interval = 1h;
  config.retry_on_failure.max_elapsed_time = 0s;
  ComponentTelemetry telemetry;
  FakeBackend backend;
  backend.Always(Retryable());
  QueuedRetrySender sender("otlp/test", config, backend.Func(), &telemetry);
  REQUIRE(sender.Start().ok());
  for (int i = 0; i < 5; ++i) REQUIRE(sender.Consume(Items(3)).ok());
  REQUIRE(backend.WaitAttempts(1));
  sender.Shutdown(Clock::now() + 200ms);
  CHECK(telemetry[Signal::kTraces].send_failed == 15);
  CHECK(telemetry[Signal::kTraces].sent == 0);
  CHECK(sender.queue_size() == 0);
}

TEST_CASE("a synchronous sender retrying at shutdown gives up and returns") {
  Config config = SyncConfig();
  config.retry_on_failure.initial_interval = 1h;
  config.retry_on_failure.max_interval = 1h;
  config.retry_on_failure.max_elapsed_time = 0s;
  ComponentTelemetry telemetry;
  FakeBackend backend;
  backend.Always(Retryable());
  QueuedRetrySender sender("otlp/test", config, backend.Func(), &telemetry);
  REQUIRE(sender.Start().ok());
  auto consume = std::async(std::launch::async, [&] { return sender.Consume(Items(4)); });
  REQUIRE(backend.WaitAttempts(1));
  sender.Shutdown(Clock::now() + 10s);
  Status s = consume.get();
  CHECK_FALSE(s.ok());
  CHECK_FALSE(s.retryable());
  CHECK(telemetry[Signal::kTraces].send_failed == 4);
}

TEST_CASE("many consumers with flaky sends deliver every payload exactly once") {
  Config config;
  config.sending_queue.num_consumers = 8;
  config.sending_queue.queue_size = 100000;
  config.retry_on_failure.initial_interval = 1ms;
  config.retry_on_failure.max_interval = 2ms;
  config.retry_on_failure.max_elapsed_time = 0s;
  ComponentTelemetry telemetry;
  std::mutex mu;
  std::multiset<std::string> seen;
  std::atomic<int> calls{0};
  QueuedRetrySender sender(
      "otlp/test", config,
      [&](const PayloadPtr& p, Clock::time_point) {
        if (calls.fetch_add(1) % 3 == 0) return Retryable();
        std::lock_guard<std::mutex> lock(mu);
        seen.insert(p->bytes);
        return SendResult::Ok();
      },
      &telemetry);
  REQUIRE(sender.Start().ok());
  constexpr int kPayloads = 2000;
  for (int i = 0; i < kPayloads; ++i) REQUIRE(sender.Consume(Items(1, std::to_string(i))).ok());
  sender.Shutdown(Clock::now() + 30s);
  CHECK(seen.size() == kPayloads);
  std::set<std::string> unique(seen.begin(), seen.end());
  CHECK(unique.size() == kPayloads);
  CHECK(telemetry[Signal::kTraces].sent == kPayloads);
}

TEST_CASE("hand_off takes over data a retryable failure would drop, never a permanent one") {
  ComponentTelemetry telemetry;
  FakeBackend backend;
  std::mutex mu;
  std::vector<PayloadPtr> handed;
  SenderOptions options;
  options.hand_off = [&](const PayloadPtr& p) {
    std::lock_guard<std::mutex> lock(mu);
    handed.push_back(p);
    return true;
  };
  Config c = SyncConfig();
  c.retry_on_failure.enabled = false;
  QueuedRetrySender sender("otlp/test", c, backend.Func(), &telemetry, options);
  REQUIRE(sender.Start().ok());
  backend.Script({Retryable(), SendResult::Failed(Status::InvalidArgument("bad data"))});
  PayloadPtr first = Items(3);
  CHECK(sender.Consume(first).ok());  // handed on: the caller's data is in good hands
  CHECK_FALSE(sender.Consume(Items(2)).ok());
  {
    std::lock_guard<std::mutex> lock(mu);
    REQUIRE(handed.size() == 1);
    CHECK(handed[0] == first);
  }
  CHECK(telemetry[Signal::kTraces].send_failed == 2);  // only the permanent failure
  CHECK(telemetry[Signal::kTraces].sent == 0);
  sender.Shutdown(Clock::now() + 1s);
}

TEST_CASE("hand_off takes what is retried or still queued at the shutdown deadline") {
  ComponentTelemetry telemetry;
  FakeBackend backend;
  std::atomic<int> handed{0};
  SenderOptions options;
  options.hand_off = [&](const PayloadPtr&) {
    ++handed;
    return true;
  };
  Config c;
  c.sending_queue.num_consumers = 1;
  QueuedRetrySender sender("otlp/test", c, backend.Func(), &telemetry, options);
  REQUIRE(sender.Start().ok());
  backend.Always(Retryable());
  REQUIRE(sender.Consume(Items(1)).ok());
  REQUIRE(backend.WaitAttempts(1));  // the one consumer now waits 5s to retry it
  for (int i = 0; i < 3; ++i) REQUIRE(sender.Consume(Items(1)).ok());
  sender.Shutdown(Clock::now());
  CHECK(handed.load() == 4);  // the one being retried and the queued three
  CHECK(telemetry[Signal::kTraces].send_failed == 0);
}
