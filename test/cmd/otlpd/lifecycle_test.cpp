// One lifecycle test for every component otlpd is built with (otelcol
// generates one per component): each factory in BuiltinComponents() is built
// into a real Service from a minimal config, started, fed one request of every
// signal it supports, and shut down. A component added to the list without an
// entry below fails here, so none goes untested.
#include <unistd.h>

#include <array>
#include <filesystem>
#include <map>
#include <string>
#include <thread>

#include <catch2/catch.hpp>

#include "cmd/otlpd/components.h"
#include "config/loader.h"
#include "opentelemetry/proto/collector/profiles/v1development/profiles_service.pb.h"
#include "service/service.h"
#include "test/receivers/otlp/requests.h"
#include "test/support/sink.h"

using namespace otlpd;
namespace fs = std::filesystem;

namespace {

// A receiver the test pushes into, and its factory ("hand").
class HandReceiver : public Receiver {
 public:
  void SetConsumer(Signal s, Consumer* next) override { next_[SignalIndex(s)] = next; }
  Status Start() override { return Status::Ok(); }
  void Shutdown(Clock::time_point) override {}
  Consumer* next(Signal s) { return next_[SignalIndex(s)]; }

 private:
  std::array<Consumer*, kSignalCount> next_{};
};

struct Harness {
  HandReceiver* hand = nullptr;
  test::Sink* sink = nullptr;   // valid while the service lives
  std::uint64_t delivered = 0;  // what the sink got, read at shutdown
};

Components WithTestParts(Harness& h) {
  Components c = BuiltinComponents();
  c.receivers.push_back({"hand",
                         {kSignalsWithProfiles.begin(), kSignalsWithProfiles.end()},
                         [&h](const CreateContext&, const config::Node&) {
                           auto r = std::make_unique<HandReceiver>();
                           h.hand = r.get();
                           return r;
                         }});
  c.exporters.push_back({"sink",
                         {kSignalsWithProfiles.begin(), kSignalsWithProfiles.end()},
                         [&h](const CreateContext&, const config::Node&) {
                           auto s = std::make_unique<test::Sink>();
                           h.sink = s.get();
                           return s;
                         }});
  return c;
}

PayloadPtr OneRequest(Signal s) {
  switch (s) {
    case Signal::kTraces: return MakePayload(s, test::TraceRequest(2).SerializeAsString(), 2);
    case Signal::kMetrics: return MakePayload(s, test::MetricsRequest(2).SerializeAsString(), 2);
    case Signal::kLogs: return MakePayload(s, test::LogsRequest(2).SerializeAsString(), 2);
    case Signal::kProfiles: {
      opentelemetry::proto::collector::profiles::v1development::ExportProfilesServiceRequest req;
      req.mutable_dictionary()->add_string_table("");
      auto* profile = req.add_resource_profiles()->add_scope_profiles()->add_profiles();
      profile->add_samples()->add_values(1);
      profile->add_samples()->add_values(2);
      return MakePayload(s, req.SerializeAsString(), 2);
    }
  }
  return nullptr;
}

// The smallest valid config of each component type, `DIR` standing for a
// fresh directory. Endpoints bind port 0 or point where nobody listens.
const std::map<std::string, std::string>& MinimalConfigs() {
  static const std::map<std::string, std::string> m = {
      {"receivers/otlp", "{protocols: {grpc: {endpoint: '127.0.0.1:0'}, http: {endpoint: '127.0.0.1:0'}}}"},
      {"processors/batch", "{}"},
      {"processors/memory_limiter", "{check_interval: 1s, limit_mib: 4000}"},
      // fail_closed: false, or log records without randomness (no trace id) are dropped, as in otelcol.
      {"processors/probabilistic_sampler", "{sampling_percentage: 100, fail_closed: false}"},
      {"processors/resource", "{attributes: [{key: k, value: v, action: upsert}]}"},
      {"processors/resourcedetection", "{detectors: [env, system], system: {hostname_sources: [os]}}"},
      // passthrough needs no API server (the watches are tested against the stand-in one).
      {"processors/k8sattributes", "{passthrough: true}"},
      {"processors/filter", "{}"},
      {"processors/transform", "{}"},
      {"processors/attributes", "{actions: [{key: k, value: v, action: upsert}]}"},
      // Pending traces are decided at shutdown (drop_pending_traces_on_shutdown: false).
      {"processors/tail_sampling", "{decision_wait: 1s, policies: [{name: all, type: always_sample}]}"},
      {"exporters/debug", "{verbosity: basic}"},
      {"exporters/file", "{path: 'DIR/out.json'}"},
      {"exporters/otlp",
       "{endpoint: '127.0.0.1:1', tls: {insecure: true}, retry_on_failure: {enabled: false}}"},
      {"exporters/otlp_grpc",
       "{endpoint: '127.0.0.1:1', tls: {insecure: true}, retry_on_failure: {enabled: false}}"},
      {"exporters/otlphttp", "{endpoint: 'http://127.0.0.1:1', retry_on_failure: {enabled: false}}"},
      {"exporters/otlp_http", "{endpoint: 'http://127.0.0.1:1', retry_on_failure: {enabled: false}}"},
      {"exporters/load_balancing",
       "{protocol: {otlp: {tls: {insecure: true}, retry_on_failure: {enabled: false}}}, "
       "resolver: {static: {hostnames: ['127.0.0.1:1']}}}"},
      {"exporters/loadbalancing",
       "{protocol: {otlp: {tls: {insecure: true}, retry_on_failure: {enabled: false}}}, "
       "resolver: {static: {hostnames: ['127.0.0.1:1']}}}"},
      {"extensions/health_check", "{endpoint: '127.0.0.1:0'}"},
      {"extensions/file_storage", "{directory: 'DIR'}"},
      {"connectors/forward", "{}"},
      {"connectors/spanmetrics", "{metrics_flush_interval: 50ms}"},
      {"connectors/routing", "{table: [{context: resource, condition: 'true', pipelines: [OUT]}]}"},
  };
  return m;
}

// `yaml` with every `DIR` standing for `dir`.
std::string WithDir(std::string yaml, const fs::path& dir) {
  for (std::size_t at; (at = yaml.find("DIR")) != std::string::npos;) yaml.replace(at, 3, dir.string());
  return yaml;
}

std::string Minimal(const std::string& kind, std::string_view type, const fs::path& dir) {
  const auto& m = MinimalConfigs();
  auto it = m.find(kind + "/" + std::string(type));
  if (it == m.end()) {
    FAIL("no minimal config for " << kind << " \"" << type << "\": add one to MinimalConfigs()");
  }
  return WithDir(it->second, dir);
}

struct TempDir {
  fs::path path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "otlpd-lifecycle-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

// Builds, starts, feeds every signal in `signals` through the hand receiver,
// and shuts down, twice.
// `settled`, when given, is polled (up to 20 s) before the shutdown: output a
// component emits on its own schedule.
// `inspect`, when given, sees the service after its shutdown.
void RunService(const std::string& yaml, Harness& h, const std::vector<Signal>& signals,
                const std::function<bool()>& settled = nullptr,
                const std::function<void(Service&)>& inspect = nullptr) {
  INFO(yaml);
  config::Node root = config::ParseYaml(yaml, "lifecycle.yaml");
  std::unique_ptr<Service> service;
  config::FeatureGates gates;
  gates.profiles_support = true;  // components that take profiles get them too
  REQUIRE_NOTHROW(service = Service::Build(root, WithTestParts(h), {}, gates));
  Status started = service->Start();
  INFO(started.message());
  REQUIRE(started.ok());
  REQUIRE(h.hand != nullptr);
  for (Signal s : signals) {
    Consumer* next = h.hand->next(s);
    REQUIRE(next != nullptr);
    // Taken, or refused with a status (an exporter whose backend is down);
    // never a crash or a hang.
    (void)next->Consume(OneRequest(s));
  }
  if (settled) {
    const auto deadline = Clock::now() + std::chrono::seconds(20);
    while (!settled() && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  service->Shutdown(Clock::now() + std::chrono::seconds(2));
  // A second shutdown, of the service and of each component, is harmless.
  service->Shutdown(Clock::now() + std::chrono::seconds(1));
  std::size_t components = 0;
  service->ForEachStarted([&](Component& c) {
    c.Shutdown(Clock::now() + std::chrono::seconds(1));
    ++components;
  });
  CHECK(components > 0);
  if (h.sink != nullptr) h.delivered = h.sink->items();
  // Every component reports its telemetry under its own id.
  CHECK_FALSE(service->telemetry().All().empty());
  if (inspect) inspect(*service);
}

std::string Pipelines(const std::vector<Signal>& signals, const std::string& receivers,
                      const std::string& processors, const std::string& exporters) {
  std::string out;
  for (Signal s : signals) {
    out += "    " + std::string(SignalName(s)) + ":\n      receivers: [" + receivers +
           "]\n      processors: [" + processors + "]\n      exporters: [" + exporters + "]\n";
  }
  return out;
}

}  // namespace

TEST_CASE("every receiver starts, serves and shuts down") {
  for (const ReceiverFactory& f : BuiltinComponents().receivers) {
    DYNAMIC_SECTION("receiver " << f.type) {
      TempDir dir;
      Harness h;
      const std::string type(f.type);
      // The receiver under test feeds a sink; the hand receiver shares the
      // pipelines so the test has a way in as well.
      const std::string yaml = "receivers:\n  hand: {}\n  " + type + ": " +
                               Minimal("receivers", f.type, dir.path) +
                               "\nexporters:\n  sink: {}\nservice:\n  pipelines:\n" +
                               Pipelines(f.signals, "hand, " + type, "", "sink");
      RunService(yaml, h, f.signals);
    }
  }
}

TEST_CASE("every processor starts, passes data on and shuts down") {
  for (const ProcessorFactory& f : BuiltinComponents().processors) {
    DYNAMIC_SECTION("processor " << f.type) {
      TempDir dir;
      Harness h;
      const std::string type(f.type);
      const std::string yaml =
          "receivers:\n  hand: {}\nprocessors:\n  " + type + ": " + Minimal("processors", f.type, dir.path) +
          "\nexporters:\n  sink: {}\nservice:\n  pipelines:\n" + Pipelines(f.signals, "hand", type, "sink");
      // Items in and out of the processor, as otelcol_processor_incoming_items /
      // outgoing_items report them, whatever the processor (counted by the service).
      std::map<Signal, std::pair<std::uint64_t, std::uint64_t>> counted;
      RunService(yaml, h, f.signals, nullptr, [&](Service& service) {
        for (const ComponentTelemetry* c : service.telemetry().All()) {
          if (c->kind != "processor" || c->id != type) continue;
          for (Signal s : f.signals) {
            counted[s].first += c->signals[SignalIndex(s)].accepted.load();
            counted[s].second += c->signals[SignalIndex(s)].sent.load();
          }
        }
      });
      // A minimal config keeps everything: each signal's request arrives.
      CHECK(h.delivered == 2 * f.signals.size());
      for (Signal s : f.signals) {
        INFO(SignalName(s));
        CHECK(counted[s].first == 2);
        CHECK(counted[s].second == 2);
      }
    }
  }
}

TEST_CASE("every exporter starts, takes or refuses data, and shuts down") {
  for (const ExporterFactory& f : BuiltinComponents().exporters) {
    DYNAMIC_SECTION("exporter " << f.type) {
      TempDir dir;
      Harness h;
      const std::string type(f.type);
      const std::string yaml = "receivers:\n  hand: {}\nexporters:\n  " + type + ": " +
                               Minimal("exporters", f.type, dir.path) + "\nservice:\n  pipelines:\n" +
                               Pipelines(f.signals, "hand", "", type);
      RunService(yaml, h, f.signals);
    }
  }
}

TEST_CASE("every extension starts and shuts down") {
  for (const ExtensionFactory& f : BuiltinComponents().extensions) {
    DYNAMIC_SECTION("extension " << f.type) {
      TempDir dir;
      Harness h;
      const std::string type(f.type);
      const std::string yaml = "receivers:\n  hand: {}\nexporters:\n  sink: {}\nextensions:\n  " + type +
                               ": " + Minimal("extensions", f.type, dir.path) +
                               "\nservice:\n  extensions: [" + type + "]\n  pipelines:\n" +
                               Pipelines({Signal::kTraces}, "hand", "", "sink");
      RunService(yaml, h, {Signal::kTraces});
      CHECK(h.delivered == 2);
    }
  }
}

TEST_CASE("every connector joins two pipelines, passes data on and shuts down") {
  for (const ConnectorFactory& f : BuiltinComponents().connectors) {
    for (const auto& [in, out] : f.pairs) {
      DYNAMIC_SECTION("connector " << f.type << " " << SignalName(in) << " -> " << SignalName(out)) {
        TempDir dir;
        Harness h;
        const std::string type(f.type);
        const std::string out_id = std::string(SignalName(out)) + "/out";
        std::string cfg = Minimal("connectors", f.type, dir.path);
        for (std::size_t at; (at = cfg.find("OUT")) != std::string::npos;) cfg.replace(at, 3, out_id);
        const std::string yaml = "receivers:\n  hand: {}\nexporters:\n  sink: {}\nconnectors:\n  " + type +
                                 ": " + cfg + "\nservice:\n  pipelines:\n    " + std::string(SignalName(in)) +
                                 "/in:\n      receivers: [hand]\n      exporters: [" + type + "]\n    " +
                                 out_id + ":\n      receivers: [" + type + "]\n      exporters: [sink]\n";
        RunService(yaml, h, {in}, [&h] { return h.sink != nullptr && h.sink->items() > 0; });
        // A connector emits what it derives: forward and routing the request,
        // spanmetrics its metrics (at its flush interval).
        CHECK(h.delivered > 0);
      }
    }
  }
}

TEST_CASE("a receiver keeps its clients' gzip only when a pipeline it feeds sends gzip") {
  // UsesGzip() of what the receiver pushes into, for a traces pipeline with
  // `processors` and `exporters` (and `more` config: extensions, pipelines).
  auto uses_gzip = [](const std::string& components, const std::string& processors,
                      const std::string& exporters, const std::string& more_pipelines = "") {
    TempDir dir;
    Harness h;
    const std::string yaml = WithDir(
        "receivers:\n  hand: {}\n" + components + "service:\n" +
            (components.find("file_storage") != std::string::npos ? "  extensions: [file_storage]\n" : "") +
            "  pipelines:\n" + Pipelines({Signal::kTraces}, "hand", processors, exporters) + more_pipelines,
        dir.path);
    INFO(yaml);
    std::unique_ptr<Service> service;
    REQUIRE_NOTHROW(service = Service::Build(config::ParseYaml(yaml, "gzip.yaml"), WithTestParts(h)));
    REQUIRE(h.hand != nullptr);
    return UsesGzip(h.hand->next(Signal::kTraces));
  };
  const std::string otlp = "  otlp:\n    endpoint: 127.0.0.1:1\n    tls: {insecure: true}\n";
  const std::string exporters = "exporters:\n" + otlp;
  const std::string batch =
      "processors:\n  batch: {}\n  memory_limiter: {check_interval: 1s, limit_mib: 4000}\n";
  // otlp's default compression is gzip; batching and memory_limiter carry payloads as they are.
  CHECK(uses_gzip(batch + exporters, "memory_limiter, batch", "otlp"));
  CHECK_FALSE(uses_gzip(batch + "exporters:\n" + otlp + "    compression: none\n", "batch", "otlp"));
  // A processor that writes new bytes drops the sender's gzip.
  CHECK_FALSE(
      uses_gzip("processors:\n  resource: {attributes: [{key: k, value: v, action: upsert}]}\n" + exporters,
                "resource", "otlp"));
  CHECK_FALSE(uses_gzip("exporters:\n  debug: {}\n", "", "debug"));
  CHECK(uses_gzip("exporters:\n  debug: {}\n" + otlp, "", "debug, otlp"));
  // otlphttp: gzip by default, but a JSON body is not the client's bytes.
  CHECK(uses_gzip("exporters:\n  otlphttp: {endpoint: 'http://127.0.0.1:1'}\n", "", "otlphttp"));
  CHECK_FALSE(uses_gzip("exporters:\n  otlphttp: {endpoint: 'http://127.0.0.1:1', encoding: json}\n", "",
                        "otlphttp"));
  // A persistent sending queue stores the bytes only.
  CHECK_FALSE(uses_gzip("extensions:\n  file_storage: {directory: 'DIR'}\nexporters:\n" + otlp +
                            "    sending_queue: {storage: file_storage}\n",
                        "", "otlp"));
  // Through a forward connector into a pipeline that sends gzip.
  CHECK(uses_gzip("connectors:\n  forward: {}\n" + exporters, "", "forward",
                  "    traces/out:\n      receivers: [forward]\n      exporters: [otlp]\n"));
}
