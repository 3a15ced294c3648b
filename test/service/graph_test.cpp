// The service graph with connectors: wiring (fan-in, fan-out, signal pairs),
// otelcol's graph errors (located), lifecycle order and back-pressure across
// a connector. Uses the real forward connector and a test traces->logs one.
#include <catch2/catch.hpp>

#include "config/decoder.h"
#include "config/error.h"
#include "config/loader.h"
#include "connectors/forward/factory.h"
#include "service/service.h"
#include "test/support/config_error.h"
#include "test/support/sink.h"

using namespace otlpd;
using Catch::Matchers::Contains;

namespace {

std::vector<std::string>* g_events = nullptr;  // lifecycle log of the current test

class HandReceiver : public Receiver {
 public:
  explicit HandReceiver(std::string id) : id_(std::move(id)) {}
  void SetConsumer(Signal s, Consumer* next) override { next_[SignalIndex(s)] = next; }
  Status Start() override {
    if (g_events) g_events->push_back("start " + id_);
    return Status::Ok();
  }
  void Shutdown(Clock::time_point) override {
    if (g_events) g_events->push_back("stop " + id_);
  }
  Consumer* next(Signal s) { return next_[SignalIndex(s)]; }

 private:
  std::string id_;
  std::array<Consumer*, kSignalCount> next_{};
};

class LoggedSink : public test::Sink {
 public:
  explicit LoggedSink(std::string id) : id_(std::move(id)) {}
  Status Start() override {
    if (g_events) g_events->push_back("start " + id_);
    return Status::Ok();
  }
  void Shutdown(Clock::time_point) override {
    if (g_events) g_events->push_back("stop " + id_);
  }

 private:
  std::string id_;
};

// traces -> logs: one "log" payload per traces payload, bytes prefixed.
class ToLogs : public Connector {
 public:
  ToLogs(std::string id, Consumer* next) : id_(std::move(id)), next_(next) {}
  Status Start() override {
    if (g_events) g_events->push_back("start " + id_);
    return Status::Ok();
  }
  void Shutdown(Clock::time_point) override {
    if (g_events) g_events->push_back("stop " + id_);
  }
  Status Consume(const PayloadPtr& p) override {
    return next_->Consume(MakePayload(Signal::kLogs, "log:" + p->bytes, p->items));
  }

 private:
  std::string id_;
  Consumer* next_;
};

struct Registry {
  std::map<std::string, HandReceiver*> receivers;
  std::map<std::string, LoggedSink*> sinks;
  Components components;

  Registry() {
    components.receivers.push_back(ReceiverFactory{"hand",
                                                   {Signal::kTraces, Signal::kMetrics, Signal::kLogs},
                                                   [this](const CreateContext& ctx, const config::Node&) {
                                                     auto r =
                                                         std::make_unique<HandReceiver>(ctx.id.ToString());
                                                     receivers[ctx.id.ToString()] = r.get();
                                                     return std::unique_ptr<Receiver>(std::move(r));
                                                   }});
    components.exporters.push_back(ExporterFactory{"sink",
                                                   {Signal::kTraces, Signal::kMetrics, Signal::kLogs},
                                                   [this](const CreateContext& ctx, const config::Node&) {
                                                     auto s = std::make_unique<LoggedSink>(ctx.id.ToString());
                                                     sinks[ctx.id.ToString()] = s.get();
                                                     return std::unique_ptr<Exporter>(std::move(s));
                                                   }});
    components.connectors.push_back(connectors::forward::ForwardConnectorFactory());
    components.connectors.push_back(ConnectorFactory{
        "tologs",
        {{Signal::kTraces, Signal::kLogs}},
        [](const CreateContext&, const config::Node&) {},
        [](const CreateContext& ctx, const config::Node&, Signal, const ConnectorOutput& out) {
          return std::unique_ptr<Connector>(std::make_unique<ToLogs>(ctx.id.ToString(), out.all));
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

const char* kHeader = R"(
receivers:
  hand:
  hand/2:
exporters:
  sink:
  sink/2:
connectors:
  forward:
  forward/b:
  tologs:
)";

}  // namespace

TEST_CASE("forward joins pipelines: fan-in, fan-out, same bytes") {
  Registry reg;
  auto svc = Build(reg, std::string(kHeader) + R"(
service:
  pipelines:
    traces/a:
      receivers: [hand]
      exporters: [forward]
    traces/b:
      receivers: [hand/2]
      exporters: [forward, sink/2]
    traces/out:
      receivers: [forward]
      exporters: [sink]
    traces/out2:
      receivers: [forward]
      exporters: [sink/2]
)");
  REQUIRE(svc->Start().ok());
  PayloadPtr p = MakePayload(Signal::kTraces, "abc", 2);
  REQUIRE(reg.receivers["hand"]->next(Signal::kTraces)->Consume(p).ok());
  REQUIRE(
      reg.receivers["hand/2"]->next(Signal::kTraces)->Consume(MakePayload(Signal::kTraces, "de", 1)).ok());
  // sink gets both (fan-in); sink/2 gets both through forward plus "de" directly (fan-out).
  REQUIRE(
      test::WaitFor([&] { return reg.sinks["sink"]->items() == 3 && reg.sinks["sink/2"]->items() == 4; }));
  svc->Shutdown(Clock::now() + std::chrono::seconds(5));
  bool same = false;
  for (const auto& q : reg.sinks["sink"]->payloads()) same = same || q == p;
  CHECK(same);  // the very payload: no copy, no re-encoding
}

TEST_CASE("a connector may change signal; lifecycle starts downstream first and drains upstream first") {
  std::vector<std::string> events;
  g_events = &events;
  Registry reg;
  auto svc = Build(reg, std::string(kHeader) + R"(
service:
  pipelines:
    logs/out:
      receivers: [tologs]
      exporters: [sink]
    traces/in:
      receivers: [hand]
      exporters: [tologs]
)");
  REQUIRE(svc->Start().ok());
  REQUIRE(reg.receivers["hand"]->next(Signal::kTraces)->Consume(MakePayload(Signal::kTraces, "t", 1)).ok());
  REQUIRE(test::WaitFor([&] { return reg.sinks["sink"]->items() == 1; }));
  CHECK(reg.sinks["sink"]->payloads()[0]->signal == Signal::kLogs);
  CHECK(reg.sinks["sink"]->payloads()[0]->bytes == "log:t");
  svc->Shutdown(Clock::now() + std::chrono::seconds(5));
  g_events = nullptr;
  CHECK(events == std::vector<std::string>{"start sink", "start tologs", "start hand", "stop hand",
                                           "stop tologs", "stop sink"});
}

TEST_CASE("back-pressure crosses a connector: nothing taken is lost") {
  Registry reg;
  auto svc = Build(reg, std::string(kHeader) + R"(
service:
  pipelines:
    traces/in:
      receivers: [hand]
      exporters: [forward]
    traces/out:
      receivers: [forward]
      exporters: [sink]
)");
  std::atomic<int> refusals{20};
  REQUIRE(svc->Start().ok());
  reg.sinks["sink"]->SetRefuse(
      [&] { return refusals.fetch_sub(1) > 0 ? Status::Unavailable("full") : Status::Ok(); });
  for (int i = 0; i < 5; ++i)
    REQUIRE(reg.receivers["hand"]->next(Signal::kTraces)->Consume(MakePayload(Signal::kTraces, "x", 1)).ok());
  REQUIRE(test::WaitFor([&] { return reg.sinks["sink"]->items() == 5; }));
  svc->Shutdown(Clock::now() + std::chrono::seconds(5));
  CHECK(reg.sinks["sink"]->items() == 5);
}

TEST_CASE("graph errors are otelcol's, located") {
  CHECK_THAT(BuildError(std::string(kHeader) + R"(
service:
  pipelines:
    traces:
      receivers: [hand]
      exporters: [forward]
)"),
             Contains("test.yaml:17:19: service.pipelines.traces.exporters[0]: connector \"forward\" used as "
                      "exporter in [traces] pipeline but not used in any supported receiver pipeline"));
  CHECK_THAT(
      BuildError(std::string(kHeader) + R"(
service:
  pipelines:
    traces:
      receivers: [hand]
      exporters: [sink]
    logs/x:
      receivers: [forward]
      exporters: [sink]
)"),
      Contains("service.pipelines.logs/x.receivers[0]: connector \"forward\" used as receiver in [logs/x] "
               "pipeline but not used in any supported exporter pipeline"));
  // tologs used traces -> traces only: an unsupported pair.
  CHECK_THAT(
      BuildError(std::string(kHeader) + R"(
service:
  pipelines:
    traces:
      receivers: [hand]
      exporters: [tologs]
    traces/2:
      receivers: [tologs]
      exporters: [sink]
)"),
      Contains("connector \"tologs\" used as exporter in [traces] pipeline but not used in any supported "
               "receiver pipeline"));
  CHECK_THAT(
      BuildError(std::string(kHeader) + R"(
service:
  pipelines:
    traces/a:
      receivers: [hand, forward/b]
      exporters: [forward]
    traces/b:
      receivers: [forward]
      exporters: [forward/b, sink]
)"),
      Contains("test.yaml:17:19: service.pipelines.traces/a.exporters[0]: cycle detected: connector "
               "\"forward\" (traces to traces) -> connector \"forward/b\" (traces to traces) -> connector "
               "\"forward\" (traces to traces)"));
  {
    Registry reg;
    ExporterFactory clash = reg.components.exporters[0];
    clash.type = "forward";
    reg.components.exporters.push_back(clash);
    std::string error;
    try {
      Build(reg, R"(
receivers:
  hand:
exporters:
  sink:
  forward:
connectors:
  forward:
service:
  pipelines:
    traces:
      receivers: [hand]
      exporters: [sink]
)");
    } catch (const config::Error& e) {
      error = e.what();
    }
    CHECK_THAT(error,
               Contains("connectors.forward: ambiguous ID: Found both \"forward\" exporter and \"forward\" "
                        "connector"));
  }
  CHECK_THAT(BuildError(R"(
receivers:
  hand:
exporters:
  sink:
connectors:
  forward:
    unknown: 1
service:
  pipelines:
    traces:
      receivers: [hand]
      exporters: [sink]
)"),
             Contains("connectors.forward"));  // an unused connector is still validated
  CHECK_THAT(BuildError(std::string(kHeader) + R"(
service:
  pipelines:
    traces:
      receivers: [hand]
      exporters: [nope]
)"),
             Contains("references exporter \"nope\" which is not configured"));
}

TEST_CASE("an unused connector is accepted and not created, as in otelcol") {
  Registry reg;
  auto svc = Build(reg, std::string(kHeader) + R"(
service:
  pipelines:
    traces:
      receivers: [hand]
      exporters: [sink]
)");
  REQUIRE(svc->Start().ok());
  svc->Shutdown(Clock::now() + std::chrono::seconds(5));
}
