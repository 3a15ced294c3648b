#include "pipeline/pipeline.h"

#include <catch2/catch.hpp>

#include "test/support/sink.h"

using namespace otlpd;
using otlpd::test::Sink;
using otlpd::test::WaitFor;

namespace {
PayloadPtr Spans(std::uint64_t n) { return MakePayload(Signal::kTraces, std::string(n * 10, 's'), n); }
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
  PipelineOptions small{.queue_max_items = 10, .queue_max_bytes = 1 << 20, .workers = 1};
  Telemetry t;
  Pipeline p1("traces/a", Signal::kTraces, small, t.Register("pipeline", "traces/a"));
  Pipeline p2("traces/b", Signal::kTraces, PipelineOptions{.queue_max_items = 4, .queue_max_bytes = 1 << 20},
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
  Pipeline p("traces", Signal::kTraces, PipelineOptions{}, t.Register("pipeline", "traces"));
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
  Pipeline p("traces", Signal::kTraces, PipelineOptions{.queue_max_items = 20, .queue_max_bytes = 1 << 20},
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
