#include "service/service.h"

#include <set>
#include <thread>

#include <catch2/catch.hpp>

#include "config/decoder.h"
#include "config/error.h"
#include "config/loader.h"
#include "test/support/config_error.h"
#include "test/support/sink.h"

using namespace otlpd;
using Catch::Matchers::Contains;

namespace {

// A receiver the test pushes into by hand.
class HandReceiver : public Receiver {
 public:
  void SetConsumer(Signal s, Consumer* next) override { next_[SignalIndex(s)] = next; }
  Status Start() override { return Status::Ok(); }
  void Shutdown(Clock::time_point) override {}
  Consumer* next(Signal s) { return next_[SignalIndex(s)]; }

 private:
  std::array<Consumer*, kSignalCount> next_{};
};

// Adds a marker byte so tests can see the order processors ran in.
class TagProcessor : public Processor {
 public:
  TagProcessor(char tag, Consumer* next) : tag_(tag), next_(next) {}
  Status Start() override { return Status::Ok(); }
  void Shutdown(Clock::time_point) override {}
  Status Consume(const PayloadPtr& p) override {
    return next_->Consume(MakePayload(p->signal, p->bytes + tag_, p->items, p->metadata));
  }

 private:
  char tag_;
  Consumer* next_;
};

// A sink that records the threads that called it.
class ThreadSink : public test::Sink {
 public:
  Status Consume(const PayloadPtr& p) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      threads_.insert(std::this_thread::get_id());
    }
    return Sink::Consume(p);
  }
  std::set<std::thread::id> threads() const {
    std::lock_guard<std::mutex> lock(mu_);
    return threads_;
  }

 private:
  mutable std::mutex mu_;
  std::set<std::thread::id> threads_;
};

// An exporter that says its data is durable once taken (as one with a
// persistent sending queue does).
class DurableSink : public ThreadSink {
 public:
  bool durable() const override { return true; }
};

// An exporter whose Consume only enqueues (as one with an in-memory sending
// queue does).
class QuickSink : public ThreadSink {
 public:
  bool ConsumeReturnsAtOnce() const override { return true; }
};

struct Registry {
  std::map<std::string, HandReceiver*> receivers;
  std::map<std::string, test::Sink*> sinks;
  std::map<std::string, DurableSink*> durable;
  std::map<std::string, QuickSink*> quick;
  Components components;

  Registry() {
    components.receivers.push_back(ReceiverFactory{
        "hand", {Signal::kTraces, Signal::kLogs}, [this](const CreateContext& ctx, const config::Node& n) {
          config::MapDecoder d(n, ctx.path);
          d.Finish();
          auto r = std::make_unique<HandReceiver>();
          receivers[ctx.id.ToString()] = r.get();
          return std::unique_ptr<Receiver>(std::move(r));
        }});
    components.processors.push_back(
        ProcessorFactory{"tag",
                         {Signal::kTraces, Signal::kMetrics, Signal::kLogs},
                         [](const CreateContext& ctx, const config::Node& n, Signal, Consumer* next) {
                           config::MapDecoder d(n, ctx.path);
                           std::string tag = "x";
                           d.Optional("tag", tag);
                           d.Finish();
                           return std::unique_ptr<Processor>(std::make_unique<TagProcessor>(tag[0], next));
                         }});
    components.exporters.push_back(ExporterFactory{"sink",
                                                   {Signal::kTraces, Signal::kMetrics, Signal::kLogs},
                                                   [this](const CreateContext& ctx, const config::Node& n) {
                                                     config::MapDecoder d(n, ctx.path);
                                                     d.Finish();
                                                     auto s = std::make_unique<test::Sink>();
                                                     sinks[ctx.id.ToString()] = s.get();
                                                     return std::unique_ptr<Exporter>(std::move(s));
                                                   }});
    components.exporters.push_back(ExporterFactory{"quick",
                                                   {Signal::kTraces, Signal::kMetrics, Signal::kLogs},
                                                   [this](const CreateContext& ctx, const config::Node& n) {
                                                     config::MapDecoder d(n, ctx.path);
                                                     d.Finish();
                                                     auto s = std::make_unique<QuickSink>();
                                                     quick[ctx.id.ToString()] = s.get();
                                                     return std::unique_ptr<Exporter>(std::move(s));
                                                   }});
    components.exporters.push_back(ExporterFactory{"durable",
                                                   {Signal::kTraces, Signal::kMetrics, Signal::kLogs},
                                                   [this](const CreateContext& ctx, const config::Node& n) {
                                                     config::MapDecoder d(n, ctx.path);
                                                     d.Finish();
                                                     auto s = std::make_unique<DurableSink>();
                                                     durable[ctx.id.ToString()] = s.get();
                                                     return std::unique_ptr<Exporter>(std::move(s));
                                                   }});
  }
};

std::unique_ptr<Service> Build(Registry& reg, const std::string& yaml) {
  return Service::Build(config::ParseYaml(yaml, "test.yaml"), reg.components);
}

std::string BuildError(const std::string& yaml) {
  Registry reg;
  return test::ConfigError([&] { Build(reg, yaml); });
}

}  // namespace

TEST_CASE("Service wires receivers through processors to exporters, sharing instances") {
  Registry reg;
  auto svc = Build(reg, R"(
receivers:
  hand:
processors:
  tag/a: {tag: a}
  tag/b: {tag: b}
exporters:
  sink/1:
  sink/2:
service:
  pipelines:
    traces:
      receivers: [hand]
      processors: [tag/a, tag/b]
      exporters: [sink/1, sink/2]
    traces/other:
      receivers: [hand]
      exporters: [sink/2]
)");
  REQUIRE(svc->pipeline_count() == 2);
  REQUIRE(reg.receivers.size() == 1);
  REQUIRE(reg.sinks.size() == 2);
  REQUIRE(svc->Start().ok());
  Consumer* in = reg.receivers["hand"]->next(Signal::kTraces);
  REQUIRE(in != nullptr);
  CHECK(reg.receivers["hand"]->next(Signal::kLogs) == nullptr);
  REQUIRE(in->Consume(MakePayload(Signal::kTraces, "p", 4)).ok());
  REQUIRE(test::WaitFor([&] { return reg.sinks["sink/2"]->items() == 8; }));
  svc->Shutdown(Clock::now() + std::chrono::seconds(5));
  auto one = reg.sinks["sink/1"]->payloads();
  REQUIRE(one.size() == 1);
  CHECK(one[0]->bytes == "pab");  // processors ran in pipeline order
  CHECK(reg.sinks["sink/2"]->payloads().size() == 2);
}

TEST_CASE("Service rejects bad graphs naming file, line, column and key path") {
  const std::string base = R"(
receivers:
  hand:
exporters:
  sink:
)";
  SECTION("undefined exporter") {
    auto e = BuildError(base + R"(service:
  pipelines:
    traces:
      receivers: [hand]
      exporters: [sink, sink/missing]
)");
    CHECK_THAT(e, Contains("test.yaml:10:25") && Contains("service.pipelines.traces.exporters[1]") &&
                      Contains("\"sink/missing\" which is not configured"));
  }
  SECTION("undefined receiver") {
    auto e = BuildError(
        base + "service:\n  pipelines:\n    logs:\n      receivers: [nope]\n      exporters: [sink]\n");
    CHECK_THAT(e, Contains("test.yaml:9:") && Contains("service.pipelines.logs.receivers[0]") &&
                      Contains("receiver \"nope\""));
  }
  SECTION("receiver without the pipeline's signal") {
    auto e = BuildError(
        base + "service:\n  pipelines:\n    metrics:\n      receivers: [hand]\n      exporters: [sink]\n");
    CHECK_THAT(e, Contains("service.pipelines.metrics.receivers[0]") && Contains("does not support metrics"));
  }
  SECTION("profiles pipeline without the feature gate, then a component without profiles") {
    const std::string yaml =
        base + "service:\n  pipelines:\n    profiles:\n      receivers: [hand]\n      exporters: [sink]\n";
    CHECK_THAT(BuildError(yaml), Contains("test.yaml:8:5: service.pipelines.profiles: pipeline \"profiles\": "
                                          "profiling signal support is at alpha level"));
    Registry reg;
    config::FeatureGates gates;
    gates.profiles_support = true;
    std::string e;
    try {
      Service::Build(config::ParseYaml(yaml, "test.yaml"), reg.components, {}, gates);
    } catch (const config::Error& err) {
      e = err.what();
    }
    CHECK(e ==
          "test.yaml:9:19: service.pipelines.profiles.receivers[0]: failed to create \"hand\" receiver for "
          "data "
          "type \"profiles\": telemetry type is not supported");
  }
  SECTION("unknown component type") {
    auto e = BuildError(base +
                        "processors:\n  frobnicate/x:\nservice:\n  pipelines:\n    traces:\n      receivers: "
                        "[hand]\n      exporters: [sink]\n");
    CHECK_THAT(e, Contains("test.yaml:7:3") && Contains("processors.frobnicate/x") &&
                      Contains("unknown processor type \"frobnicate\"") && Contains("tag"));
  }
  SECTION("bad option inside a component") {
    auto e = BuildError(R"(
receivers:
  hand:
processors:
  tag:
    tag: a
    colour: red
exporters:
  sink:
service:
  pipelines:
    traces: {receivers: [hand], processors: [tag], exporters: [sink]}
)");
    CHECK_THAT(e, Contains("test.yaml:7:5") && Contains("processors.tag") && Contains("colour"));
  }
  SECTION("undefined processor") {
    auto e = BuildError(base +
                        "service:\n  pipelines:\n    traces:\n      receivers: [hand]\n      processors: "
                        "[tag]\n      exporters: [sink]\n");
    CHECK_THAT(e, Contains("service.pipelines.traces.processors[0]") && Contains("processor \"tag\""));
  }
}

TEST_CASE("A pipeline whose exporters are all durable runs synchronously; a mixed one stays queued") {
  Registry reg;
  auto svc = Build(reg, R"(
receivers:
  hand:
processors:
  tag/a: {tag: a}
exporters:
  durable/1:
  durable/2:
  durable/3:
  sink:
service:
  pipelines:
    traces/durable:
      receivers: [hand]
      processors: [tag/a]
      exporters: [durable/1, durable/2]
    traces/mixed:
      receivers: [hand]
      exporters: [durable/3, sink]
)");
  REQUIRE(svc->Start().ok());
  Consumer* in = reg.receivers["hand"]->next(Signal::kTraces);
  REQUIRE(in != nullptr);
  for (int i = 0; i < 10; ++i) {
    REQUIRE(in->Consume(MakePayload(Signal::kTraces, "p", 2)).ok());
    // Synchronous: both durable exporters hold it when the receiver is answered.
    CHECK(reg.durable["durable/1"]->items() == 2u * (i + 1));
    CHECK(reg.durable["durable/2"]->items() == 2u * (i + 1));
  }
  REQUIRE(test::WaitFor(
      [&] { return reg.durable["durable/3"]->items() == 20 && reg.sinks["sink"]->items() == 20; }));
  const std::set<std::thread::id> me{std::this_thread::get_id()};
  CHECK(reg.durable["durable/1"]->threads() == me);
  CHECK(reg.durable["durable/3"]->threads().count(std::this_thread::get_id()) == 0);  // the pipeline's worker
  CHECK(reg.durable["durable/1"]->payloads()[0]->bytes == "pa");                      // processors ran
  svc->Shutdown(Clock::now() + std::chrono::seconds(5));
  CHECK(in->Consume(MakePayload(Signal::kTraces, "p", 1)).code() == StatusCode::kUnavailable);
}

TEST_CASE("Asked to, a pipeline runs in the receiver's thread only when no exporter would hold it") {
  Registry reg;
  PipelineOptions options;
  options.run_inline = PipelineOptions::Inline::kAlways;
  auto svc = Service::Build(config::ParseYaml(R"(
receivers:
  hand:
processors:
  tag/a: {tag: a}
exporters:
  quick/1:
  quick/2:
  sink:
service:
  pipelines:
    traces/quick:
      receivers: [hand]
      processors: [tag/a]
      exporters: [quick/1]
    traces/mixed:
      receivers: [hand]
      exporters: [quick/2, sink]
)",
                                              "test.yaml"),
                            reg.components, options);
  REQUIRE(svc->Start().ok());
  Consumer* in = reg.receivers["hand"]->next(Signal::kTraces);
  REQUIRE(in != nullptr);
  for (int i = 0; i < 10; ++i) {
    REQUIRE(in->Consume(MakePayload(Signal::kTraces, "p", 2)).ok());
    CHECK(reg.quick["quick/1"]->items() == 2u * (i + 1));  // already there: run inline
  }
  REQUIRE(
      test::WaitFor([&] { return reg.quick["quick/2"]->items() == 20 && reg.sinks["sink"]->items() == 20; }));
  const std::set<std::thread::id> me{std::this_thread::get_id()};
  CHECK(reg.quick["quick/1"]->threads() == me);
  CHECK(reg.quick["quick/1"]->payloads()[0]->bytes == "pa");                      // processors ran
  CHECK(reg.quick["quick/2"]->threads().count(std::this_thread::get_id()) == 0);  // the pipeline's worker
  svc->Shutdown(Clock::now() + std::chrono::seconds(5));
}
