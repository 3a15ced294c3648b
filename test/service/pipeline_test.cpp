#include "service/pipeline.h"

#include <future>
#include <set>

#include <catch2/catch.hpp>

#include "test/support/sink.h"

using namespace otlpd;
using otlpd::test::Sink;
using otlpd::test::WaitFor;

namespace {
PayloadPtr Spans(std::uint64_t n) { return MakePayload(Signal::kTraces, std::string(n * 10, 's'), n); }
// Always through the queue and the workers, whatever CPUs the test has.
PipelineOptions Queued() { return PipelineOptions{.run_inline = PipelineOptions::Inline::kNever}; }
PipelineOptions Inline() { return PipelineOptions{.run_inline = PipelineOptions::Inline::kAlways}; }
}  // namespace

TEST_CASE("FanOut gives every exporter the same payload without copying") {
  Sink a, b;
  FanOut fan({&a, &b});
  PayloadPtr p = Spans(3);
  REQUIRE(fan.Consume(p).ok());
  REQUIRE(a.payloads().size() == 1);
  REQUIRE(b.payloads().size() == 1);
  CHECK(a.payloads()[0].get() == p.get());
  CHECK(b.payloads()[0].get() == p.get());
}

TEST_CASE("FanOut retries only the exporter that refused") {
  Sink fast, slow;
  std::atomic<int> refusals{3};
  slow.SetRefuse(
      [&] { return refusals.fetch_sub(1) > 0 ? Status::Unavailable("queue full") : Status::Ok(); });
  FanOut fan({&fast, &slow});
  REQUIRE(fan.Consume(Spans(5)).ok());
  CHECK(fast.calls() == 1);  // never sees it twice
  CHECK(fast.items() == 5);
  CHECK(slow.calls() == 4);
  CHECK(slow.items() == 5);
}

TEST_CASE("FanOut gives up at the shutdown deadline and says so") {
  Sink stuck;
  stuck.SetRefuse([] { return Status::Unavailable("down"); });
  FanOut fan({&stuck});
  fan.SetDeadline(Clock::now() + std::chrono::milliseconds(30));
  Status s = fan.Consume(Spans(1));
  CHECK_FALSE(s.ok());
  CHECK(stuck.items() == 0);
}

TEST_CASE("FanOut does not retry a permanent refusal") {
  Sink bad, good;
  bad.SetRefuse([] { return Status::InvalidArgument("bad data"); });
  FanOut fan({&bad, &good});
  Status s = fan.Consume(Spans(2));
  CHECK(s.code() == StatusCode::kInvalidArgument);
  CHECK(bad.calls() == 1);
  CHECK(good.items() == 2);
}

TEST_CASE("PipelinesEntry is all or nothing across pipelines") {
  PipelineOptions small{.queue_max_items = 10,
                        .queue_max_bytes = 1 << 20,
                        .workers = 1,
                        .run_inline = PipelineOptions::Inline::kNever};
  Telemetry t;
  Pipeline p1("traces/a", Signal::kTraces, small, t.Register("pipeline", "traces/a"));
  Pipeline p2(
      "traces/b", Signal::kTraces,
      PipelineOptions{
          .queue_max_items = 4, .queue_max_bytes = 1 << 20, .run_inline = PipelineOptions::Inline::kNever},
      t.Register("pipeline", "traces/b"));
  PipelinesEntry entry({&p1, &p2});
  REQUIRE(entry.Consume(Spans(3)).ok());
  Status s = entry.Consume(Spans(3));  // p2 would hold 6 > 4
  CHECK(s.code() == StatusCode::kUnavailable);
  CHECK(s.retryable());
  CHECK(s.retry_after().count() > 0);
  CHECK(p1.queue().items() == 3);  // the reservation in p1 was undone
  CHECK(p2.queue().items() == 3);
}

TEST_CASE("Pipeline workers deliver everything queued, and drain on shutdown") {
  Sink sink;
  FanOut fan({&sink});
  Telemetry t;
  Pipeline p("traces", Signal::kTraces, Queued(), t.Register("pipeline", "traces"));
  p.SetHead(&fan);
  PipelinesEntry entry({&p});
  p.Start();
  std::uint64_t sent = 0;
  for (int i = 0; i < 500; ++i) {
    REQUIRE(entry.Consume(Spans(i % 7 + 1)).ok());
    sent += i % 7 + 1;
  }
  p.Drain(Clock::now() + std::chrono::seconds(10));
  CHECK(sink.items() == sent);
  CHECK(p.queue().depth() == 0);
  // After draining, new data is refused with a retryable status.
  Status s = entry.Consume(Spans(1));
  CHECK(s.code() == StatusCode::kUnavailable);
}

TEST_CASE("A slow exporter back-pressures the pipeline instead of losing data") {
  Sink sink;
  std::atomic<bool> blocked{true};
  sink.SetRefuse([&] { return blocked.load() ? Status::Unavailable("full") : Status::Ok(); });
  FanOut fan({&sink});
  Telemetry t;
  Pipeline p(
      "traces", Signal::kTraces,
      PipelineOptions{
          .queue_max_items = 20, .queue_max_bytes = 1 << 20, .run_inline = PipelineOptions::Inline::kNever},
      t.Register("pipeline", "traces"));
  p.SetHead(&fan);
  PipelinesEntry entry({&p});
  p.Start();
  std::uint64_t accepted = 0, refused = 0;
  for (int i = 0; i < 100; ++i) {
    if (entry.Consume(Spans(2)).ok()) {
      accepted += 2;
    } else {
      refused += 2;
    }
  }
  CHECK(refused > 0);
  CHECK(accepted <= 22);  // queue (20) + the one payload the worker holds
  blocked = false;
  REQUIRE(WaitFor([&] { return sink.items() == accepted; }));
  p.Drain(Clock::now() + std::chrono::seconds(5));
  CHECK(sink.items() == accepted);
  CHECK(accepted + refused == 200);
}

namespace {

// A Sink that remembers which threads called it.
class ThreadSink : public Sink {
 public:
  Status Consume(const PayloadPtr& payload) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      threads_.insert(std::this_thread::get_id());
    }
    return Sink::Consume(payload);
  }
  std::set<std::thread::id> threads() const {
    std::lock_guard<std::mutex> lock(mu_);
    return threads_;
  }

 private:
  mutable std::mutex mu_;
  std::set<std::thread::id> threads_;
};

PipelineOptions Synchronous() {
  PipelineOptions o;
  o.synchronous = true;
  return o;
}

// A pipeline with its fan-out, started; drained at scope end.
struct Running {
  Telemetry telemetry;
  FanOut fan;
  Pipeline pipeline;

  Running(std::string id, std::vector<Consumer*> exporters, PipelineOptions options)
      : fan(std::move(exporters)),
        pipeline(id, Signal::kTraces, options, telemetry.Register("pipeline", id)) {
    fan.SetPipeline(&pipeline);
    pipeline.SetHead(&fan);
    pipeline.Start();
  }
  ~Running() { pipeline.Drain(Clock::now() + std::chrono::seconds(5)); }
  SignalCounters& counters() { return (*pipeline.telemetry())[Signal::kTraces]; }
};

}  // namespace

TEST_CASE("A synchronous pipeline runs its exporters in the caller's thread and answers after them") {
  ThreadSink a, b;
  Running r("traces", {&a, &b}, Synchronous());
  PipelinesEntry entry({&r.pipeline});
  std::uint64_t sent = 0;
  for (int i = 1; i <= 20; ++i) {
    REQUIRE(entry.Consume(Spans(i)).ok());
    sent += i;
    // Already there when the answer comes: no queue in between.
    CHECK(a.items() == sent);
    CHECK(b.items() == sent);
  }
  CHECK(a.threads() == std::set<std::thread::id>{std::this_thread::get_id()});
  CHECK(b.threads() == std::set<std::thread::id>{std::this_thread::get_id()});
  CHECK(r.counters().accepted == sent);
  CHECK(r.pipeline.queue().items() == 0);
}

TEST_CASE("A queued pipeline still hands data to its own workers") {
  ThreadSink a;
  Running r("traces", {&a}, Queued());
  PipelinesEntry entry({&r.pipeline});
  REQUIRE(entry.Consume(Spans(3)).ok());
  REQUIRE(WaitFor([&] { return a.items() == 3; }));
  CHECK(a.threads().count(std::this_thread::get_id()) == 0);
}

TEST_CASE("A synchronous pipeline does not retry a refusing exporter: the client gets the status") {
  Sink ok, full;
  full.SetRefuse([] { return Status::Unavailable("sending queue is full"); });
  Running r("traces", {&ok, &full}, Synchronous());
  PipelinesEntry entry({&r.pipeline});
  Status s = entry.Consume(Spans(4));
  CHECK(s.code() == StatusCode::kUnavailable);
  CHECK(s.retry_after().count() > 0);  // the receiver sends a retry hint
  CHECK(full.calls() == 1);
  CHECK(ok.calls() == 1);  // took it: sees it again when the client retries
  CHECK(r.counters().refused == 4);
  CHECK(r.counters().accepted == 0);

  full.SetRefuse([] { return Status::ResourceExhausted("too large"); });
  CHECK(entry.Consume(Spans(2)).code() == StatusCode::kResourceExhausted);
  CHECK(full.calls() == 2);
}

TEST_CASE("Synchronous and queued pipelines behind one entry") {
  Sink disk, memory;
  Running sync("traces/disk", {&disk}, Synchronous());
  Running queued("traces/memory", {&memory},
                 PipelineOptions{.queue_max_items = 10,
                                 .queue_max_bytes = 1 << 20,
                                 .workers = 1,
                                 .run_inline = PipelineOptions::Inline::kNever});
  PipelinesEntry entry({&queued.pipeline, &sync.pipeline});

  SECTION("both take it") {
    REQUIRE(entry.Consume(Spans(2)).ok());
    CHECK(disk.items() == 2);
    REQUIRE(WaitFor([&] { return memory.items() == 2; }));
  }
  SECTION("a retryable refusal of the synchronous one leaves nothing in the queued one") {
    disk.SetRefuse([] { return Status::Unavailable("disk full"); });
    CHECK(entry.Consume(Spans(2)).retryable());
    CHECK(queued.pipeline.queue().items() == 0);
    CHECK(queued.pipeline.queue().depth() == 0);
    CHECK(queued.counters().refused == 2);
    CHECK(queued.counters().accepted == 0);
    disk.SetRefuse(nullptr);
    REQUIRE(entry.Consume(Spans(3)).ok());
    REQUIRE(WaitFor([&] { return memory.items() == 3; }));
    CHECK(memory.payloads().size() == 1);
  }
  SECTION("a permanent refusal goes back, and the queued one keeps the data") {
    disk.SetRefuse([] { return Status::InvalidArgument("bad"); });
    CHECK(entry.Consume(Spans(2)).code() == StatusCode::kInvalidArgument);
    REQUIRE(WaitFor([&] { return memory.items() == 2; }));
  }
  SECTION("a full queued pipeline refuses before the synchronous one runs") {
    // Shared, not a local: the pipeline's worker may still call the refuse
    // function after this section's scope ends.
    auto blocked = std::make_shared<std::atomic<bool>>(true);
    memory.SetRefuse([blocked] { return blocked->load() ? Status::Unavailable("full") : Status::Ok(); });
    Status s;
    int accepted = 0;
    for (int i = 0; i < 40 && (s = entry.Consume(Spans(1))).ok(); ++i) ++accepted;
    CHECK(s.retryable());
    CHECK(disk.calls() == accepted);  // the refused request never reached it
    *blocked = false;
  }
}

TEST_CASE("Drain waits for a synchronous call in flight, then refuses new data") {
  Sink slow;
  std::mutex mu;
  std::condition_variable cv;
  bool entered = false, release = false;
  slow.SetRefuse([&] {
    std::unique_lock<std::mutex> lock(mu);
    entered = true;
    cv.notify_all();
    cv.wait(lock, [&] { return release; });
    return Status::Ok();
  });
  Telemetry t;
  FanOut fan({&slow});
  Pipeline p("traces", Signal::kTraces, Synchronous(), t.Register("pipeline", "traces"));
  p.SetHead(&fan);
  p.Start();
  PipelinesEntry entry({&p});
  auto call = std::async(std::launch::async, [&] { return entry.Consume(Spans(5)); });
  {
    std::unique_lock<std::mutex> lock(mu);
    REQUIRE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return entered; }));
  }
  std::atomic<bool> drained{false};
  auto drain = std::async(std::launch::async, [&] {
    p.Drain(Clock::now() + std::chrono::seconds(30));
    drained = true;
  });
  REQUIRE(WaitFor([&] { return !p.accepting(); }));
  CHECK_FALSE(drained.load());  // the call inside holds it
  {
    std::lock_guard<std::mutex> lock(mu);
    release = true;
    cv.notify_all();
  }
  CHECK(call.get().ok());
  drain.get();
  CHECK(slow.items() == 5);
  CHECK(entry.Consume(Spans(1)).code() == StatusCode::kUnavailable);
}

TEST_CASE("Drain past the deadline counts what is left as dropped and stops every worker") {
  Sink stuck;
  std::atomic<bool> blocked{true};
  stuck.SetRefuse([&] { return blocked.load() ? Status::Unavailable("down") : Status::Ok(); });
  Telemetry t;
  FanOut fan({&stuck});
  Pipeline p("traces", Signal::kTraces,
             PipelineOptions{.workers = 4, .run_inline = PipelineOptions::Inline::kNever},
             t.Register("pipeline", "traces"));
  p.SetHead(&fan);
  p.Start();
  PipelinesEntry entry({&p});
  for (int i = 0; i < 50; ++i) REQUIRE(entry.Consume(Spans(1)).ok());
  const auto deadline = Clock::now() + std::chrono::milliseconds(100);
  fan.SetDeadline(deadline);
  p.Drain(deadline);
  CHECK(stuck.items() == 0);
  CHECK((*p.telemetry())[Signal::kTraces].dropped == 50);
  CHECK(p.queue().items() == 0);
}

TEST_CASE("Many workers all stop at shutdown, idle or busy") {
  const int workers = GENERATE(1, 2, 8);
  Sink sink;
  Telemetry t;
  FanOut fan({&sink});
  Pipeline p("traces", Signal::kTraces,
             PipelineOptions{.workers = workers, .run_inline = PipelineOptions::Inline::kNever},
             t.Register("pipeline", "traces"));
  p.SetHead(&fan);
  p.Start();
  PipelinesEntry entry({&p});
  std::uint64_t sent = 0;
  for (int i = 0; i < 200; ++i) {
    REQUIRE(entry.Consume(Spans(2)).ok());
    sent += 2;
  }
  p.Drain(Clock::now() + std::chrono::seconds(10));
  CHECK(sink.items() == sent);
  CHECK((*p.telemetry())[Signal::kTraces].dropped == 0);
}

TEST_CASE("An inline pipeline runs in the receiver's thread while its queue is empty") {
  ThreadSink a, b;
  Running r("traces", {&a, &b}, Inline());
  REQUIRE(r.pipeline.runs_inline());
  PipelinesEntry entry({&r.pipeline});
  std::uint64_t sent = 0;
  for (int i = 1; i <= 20; ++i) {
    REQUIRE(entry.Consume(Spans(i)).ok());
    sent += i;
    CHECK(a.items() == sent);  // no worker in between
    CHECK(b.items() == sent);
    CHECK(r.pipeline.queue().items() == 0);  // the reservation was given back
  }
  CHECK(a.threads() == std::set<std::thread::id>{std::this_thread::get_id()});
  CHECK(r.counters().accepted == sent);
  CHECK(r.counters().dropped == 0);
}

TEST_CASE("A synchronous pipeline never runs inline, and a queued one only when asked") {
  Telemetry t;
  PipelineOptions sync = Synchronous();
  sync.run_inline = PipelineOptions::Inline::kAlways;
  CHECK_FALSE(Pipeline("a", Signal::kTraces, sync, t.Register("pipeline", "a")).runs_inline());
  CHECK_FALSE(Pipeline("b", Signal::kTraces, Queued(), t.Register("pipeline", "b")).runs_inline());
  CHECK(Pipeline("c", Signal::kTraces, Inline(), t.Register("pipeline", "c")).runs_inline());
}

TEST_CASE("Inline, a refusing exporter is retried by the worker and new data queues behind it") {
  ThreadSink fast, slow;
  auto blocked = std::make_shared<std::atomic<bool>>(true);
  slow.SetRefuse([blocked] { return blocked->load() ? Status::Unavailable("full") : Status::Ok(); });
  PipelineOptions options = Inline();
  options.queue_max_items = 20;
  Running r("traces", {&fast, &slow}, options);
  PipelinesEntry entry({&r.pipeline});

  // Answered at once: the retry waits in the worker, not here.
  REQUIRE(entry.Consume(Spans(2)).ok());
  CHECK(fast.items() == 2);
  CHECK(slow.items() == 0);
  // Nothing more runs inline while that retry waits: the queue fills and
  // refuses, as it does without inlining.
  std::uint64_t accepted = 2, refused = 0;
  for (int i = 0; i < 100; ++i) {
    if (entry.Consume(Spans(2)).ok()) {
      accepted += 2;
    } else {
      refused += 2;
    }
  }
  CHECK(refused > 0);
  CHECK(accepted <= 2 + 20);
  CHECK(fast.items() == 2);  // the queued ones wait behind the retry
  *blocked = false;
  REQUIRE(WaitFor([&] { return slow.items() == accepted && fast.items() == accepted; }));
  CHECK(fast.payloads().size() == accepted / 2);                 // each exactly once
  CHECK(slow.threads().count(std::this_thread::get_id()) == 1);  // the first attempt was inline
  CHECK(slow.threads().size() == 2);                             // the retry was not
  // The queue is empty and nothing waits: inline again.
  REQUIRE(WaitFor([&] { return r.pipeline.queue().depth() == 0; }));
  REQUIRE(entry.Consume(Spans(1)).ok());
  CHECK(fast.items() == accepted + 1);
  CHECK(r.counters().dropped == 0);
}

TEST_CASE("Inline, a retry still waiting at the shutdown deadline is counted as dropped") {
  Sink stuck;
  stuck.SetRefuse([] { return Status::Unavailable("down"); });
  Telemetry t;
  FanOut fan({&stuck});
  Pipeline p("traces", Signal::kTraces, Inline(), t.Register("pipeline", "traces"));
  fan.SetPipeline(&p);
  p.SetHead(&fan);
  p.Start();
  PipelinesEntry entry({&p});
  REQUIRE(entry.Consume(Spans(3)).ok());
  for (int i = 0; i < 5; ++i) REQUIRE(entry.Consume(Spans(1)).ok());
  const auto deadline = Clock::now() + std::chrono::milliseconds(100);
  fan.SetDeadline(deadline);
  p.Drain(deadline);
  CHECK(stuck.items() == 0);
  CHECK((*p.telemetry())[Signal::kTraces].dropped == 8);
  CHECK(p.queue().items() == 0);
}
