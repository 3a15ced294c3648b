// k8sattributes on the bench's 100-span requests, with 1,000 pods known
// (listed from the stand-in API server): a request from a known pod's IP (its
// Resource is rewritten with six attributes and a label), from an unknown IP
// (passes as the same payload). Items/s are spans in.
//   ./bench_k8sattributes --benchmark_counters_tabular=true
#include <benchmark/benchmark.h>

#include <filesystem>

#include "component/consumer.h"
#include "config/loader.h"
#include "processors/k8sattributes/k8sattributes_processor.h"
#include "test/bench/request_builder.h"
#include "test/k8s/fake_api_server.h"

namespace {

using namespace otlpd;
using namespace otlpd::processors::k8sattributes;

constexpr std::uint32_t kSpans = 100;
constexpr int kPods = 1000;

class Discard : public Consumer {
 public:
  Status Consume(const PayloadPtr& payload) override {
    last_ = payload;
    return Status::Ok();
  }

 private:
  PayloadPtr last_;
};

std::string PodIp(int i) { return "10.1." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1); }

// One API server and processor for every benchmark of the run.
struct World {
  test::FakeApiServer server;
  std::filesystem::path dir = std::filesystem::temp_directory_path() / "otlpd-bench-k8s";
  std::shared_ptr<Kube> kube;
  Discard sink;
  std::unique_ptr<K8sAttributesProcessor> processor;

  World() {
    std::filesystem::create_directories(dir);
    server.Upsert("/apis/apps/v1/replicasets",
                  test::ReplicaSetJson("shop", "cart-7d9f8b6c5d", "rs-1", "cart", "d-1"));
    for (int i = 0; i < kPods; ++i) {
      test::FakePod p;
      p.name = "cart-7d9f8b6c5d-" + std::to_string(i);
      p.ns = "shop";
      p.uid = "uid-" + std::to_string(i);
      p.ip = PodIp(i);
      p.labels = {{"app.kubernetes.io/name", "cart"}};
      p.owner_kind = "ReplicaSet";
      p.owner_name = "cart-7d9f8b6c5d";
      p.owner_uid = "rs-1";
      server.Upsert("/api/v1/pods", p.Json());
    }
    const std::string yaml =
        "auth_type: kubeConfig\nkube_config_path: " + server.WriteKubeConfig(dir.string()) +
        "\nwait_for_metadata: true\nextract:\n  labels:\n    - {tag_name: app, key: "
        "app.kubernetes.io/name}\n";
    config::Node node = config::ParseYaml(yaml, "bench.yaml");
    config::MapDecoder d(node, "processors.k8sattributes");
    kube = std::make_shared<Kube>(Config::Decode(d), KubeOptions{});
    processor = std::make_unique<K8sAttributesProcessor>(Signal::kTraces, kube, &sink);
    if (!processor->Start().ok()) std::abort();
  }
  ~World() {
    processor->Shutdown(Clock::now());
    std::filesystem::remove_all(dir);
  }
};

World& TheWorld() {
  static World w;
  return w;
}

std::string Request() {
  static const std::string bytes =
      bench::RequestTemplate::Build(Signal::kTraces, kSpans).Instantiate(1, 1700000000000000000ull);
  return bytes;
}

void Run(benchmark::State& state, const std::string& client) {
  World& w = TheWorld();
  const PayloadPtr p = MakePayload(Signal::kTraces, Request(), kSpans, nullptr, client);
  for (auto _ : state) {
    if (!w.processor->Consume(p).ok()) state.SkipWithError("consume failed");
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * kSpans);
  state.counters["us_per_span"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * kSpans,
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_KnownPodByConnection(benchmark::State& state) { Run(state, PodIp(617)); }
void BM_UnknownClient(benchmark::State& state) { Run(state, "192.168.50.50"); }

BENCHMARK(BM_KnownPodByConnection)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_UnknownClient)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
