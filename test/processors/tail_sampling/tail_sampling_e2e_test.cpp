// The real otlpd binary with tail_sampling between its OTLP receiver (gRPC on
// port 0, the bound port read from its log) and a file exporter. 300 traces,
// each split over two requests and two resources; policies keep error traces
// and "vip" tenants, and a drop policy removes health checks even when they
// would be kept. The first half is decided by the 1 s ticker while otlpd runs
// (and a late span of a kept trace follows its decision), the second half by
// the decision of every pending trace at shutdown. Exactly the selected traces
// must arrive, each whole.
#include <grpcpp/grpcpp.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <cstring>
#include <map>
#include <random>
#include <regex>
#include <set>
#include <sstream>

#include "opentelemetry/proto/collector/trace/v1/trace_service.grpc.pb.h"
#include "test/service/telemetry/http_get.h"
#include "test/support/process.h"
#include "test/support/proto_file.h"
#include "test/support/sink.h"

using namespace otlpd::test;
namespace tracepb = opentelemetry::proto::collector::trace::v1;

namespace {

struct TraceSpec {
  std::string id;
  bool error = false;
  bool vip = false;
  bool health = false;
  bool selected() const { return !health && (error || vip); }
};

void Str(opentelemetry::proto::common::v1::KeyValue* kv, const std::string& k, const std::string& v) {
  kv->set_key(k);
  kv->mutable_value()->set_string_value(v);
}

// Span `part` (0 or 1) of each trace; part 0 is the root, in resource "front",
// part 1 its child in resource "back" carrying the attributes.
tracepb::ExportTraceServiceRequest Part(const std::vector<TraceSpec>& traces, int part) {
  tracepb::ExportTraceServiceRequest req;
  auto* rs = req.add_resource_spans();
  Str(rs->mutable_resource()->add_attributes(), "service.name", part == 0 ? "front" : "back");
  auto* ss = rs->add_scope_spans();
  ss->mutable_scope()->set_name("e2e");
  for (const TraceSpec& t : traces) {
    auto* s = ss->add_spans();
    s->set_trace_id(t.id);
    s->set_span_id(std::string(7, '\0') + static_cast<char>(part + 1));
    if (part == 1) s->set_parent_span_id(std::string(7, '\0') + '\1');
    s->set_name(part == 0 ? "GET" : "db");
    if (part == 1) {
      if (t.error) s->mutable_status()->set_code(opentelemetry::proto::trace::v1::Status::STATUS_CODE_ERROR);
      Str(s->add_attributes(), "tenant", t.vip ? "vip" : "basic");
      Str(s->add_attributes(), "http.route", t.health ? "/health" : "/api");
    }
  }
  return req;
}

// Spans per trace id in the file exporter's output so far.
std::map<std::string, int> Exported(const std::filesystem::path& file) {
  std::map<std::string, int> out;
  if (!std::filesystem::exists(file)) return out;
  int bad = 0;
  for (const auto& req :
       ParseProtoRecords<tracepb::ExportTraceServiceRequest>(ReadProtoRecords(file), &bad)) {
    for (const auto& rs : req.resource_spans())
      for (const auto& ss : rs.scope_spans())
        for (const auto& s : ss.spans()) ++out[s.trace_id()];
  }
  return out;
}

}  // namespace

TEST_CASE("otlpd's tail_sampling keeps exactly the selected traces, whole") {
  TempDir dir;
  const auto out = dir / "spans.pb";
  WriteFile(dir / "c.yaml", R"(receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 127.0.0.1:0
processors:
  tail_sampling:
    decision_wait: 1s
    policies:
      - {name: errors, type: status_code, status_code: {status_codes: [ERROR]}}
      - {name: vip, type: string_attribute, string_attribute: {key: tenant, values: [vip]}}
      - name: no-health
        type: drop
        drop:
          drop_sub_policy:
            - {name: health, type: string_attribute, string_attribute: {key: http.route, values: [/health]}}
exporters:
  file:
    path: )" + out.string() + R"(
    format: proto
    flush_interval: 50ms
service:
  telemetry:
    metrics:
      readers:
        - pull:
            exporter:
              prometheus:
                host: 127.0.0.1
                port: 0
  pipelines:
    traces:
      receivers: [otlp]
      processors: [tail_sampling]
      exporters: [file]
)");
  Process otlpd({OTLPD_BINARY, "--config", (dir / "c.yaml").string()}, dir / "otlpd.log");
  // The receiver binds port 0; its log line names the port.
  const int port = LoggedPort(otlpd, "OTLP/gRPC listening on");
  INFO(otlpd.Output());
  REQUIRE(port != 0);
  const int metrics_port = LoggedPort(otlpd, "serving internal metrics on");
  REQUIRE(metrics_port != 0);
  // A series of the scrape, or -1.
  auto metric = [&](const std::string& name, const std::string& labels) {
    std::istringstream page(HttpGet(metrics_port, "/metrics").body);
    for (std::string line; std::getline(page, line);) {
      if (line.rfind(name + "{", 0) == 0 && line.find(labels) != std::string::npos)
        return std::stod(line.substr(line.rfind(' ') + 1));
    }
    return -1.0;
  };

  std::mt19937_64 rng(14);
  auto make = [&](int n) {
    std::vector<TraceSpec> v;
    for (int i = 0; i < n; ++i) {
      TraceSpec t;
      t.id.resize(16);
      for (char& c : t.id) c = static_cast<char>(rng());
      t.error = rng() % 5 == 0;
      t.vip = rng() % 7 == 0;
      t.health = rng() % 6 == 0;
      v.push_back(t);
    }
    return v;
  };
  const std::vector<TraceSpec> first = make(150);
  const std::vector<TraceSpec> second = make(150);

  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials());
  auto stub = tracepb::TraceService::NewStub(channel);
  auto send = [&](const tracepb::ExportTraceServiceRequest& req) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    tracepb::ExportTraceServiceResponse resp;
    return stub->Export(&ctx, req, &resp).ok();
  };

  std::set<std::string> want_first;
  for (const TraceSpec& t : first) {
    if (t.selected()) want_first.insert(t.id);
  }
  REQUIRE(!want_first.empty());
  REQUIRE(send(Part(first, 0)));
  REQUIRE(send(Part(first, 1)));
  // The ticker decides them within decision_wait + 1 s; wait for all kept ones.
  REQUIRE(WaitFor([&] { return Exported(out).size() >= want_first.size(); }, std::chrono::seconds(20)));

  // A late span of a kept trace follows its decision; one of a dropped trace does not.
  std::string kept_id = *want_first.begin();
  std::string dropped_id;
  for (const TraceSpec& t : first) {
    if (!t.selected()) dropped_id = t.id;
  }
  REQUIRE(!dropped_id.empty());
  std::vector<TraceSpec> late = {TraceSpec{kept_id}, TraceSpec{dropped_id}};
  REQUIRE(send(Part(late, 0)));
  REQUIRE(WaitFor([&] { return Exported(out)[kept_id] == 3; }));

  // otelcol's tail sampling metrics for what the ticker decided.
  std::size_t dropped_first = 0;
  for (const TraceSpec& t : first) dropped_first += t.health ? 1 : 0;
  CHECK(metric("otelcol_processor_tail_sampling_global_count_traces_sampled", "decision=\"sampled\"") ==
        static_cast<double>(want_first.size()));
  CHECK(metric("otelcol_processor_tail_sampling_global_count_traces_sampled", "decision=\"dropped\"") ==
        static_cast<double>(dropped_first));
  CHECK(
      metric(
          "otelcol_processor_tail_sampling_count_traces_sampled",
          "decision=\"dropped\",otelcol_component_id=\"tail_sampling\",otelcol_component_kind=\"processor\","
          "policy=\"no-health\"") == static_cast<double>(dropped_first));
  CHECK(metric("otelcol_processor_tail_sampling_new_trace_id_received", "tail_sampling") == 150);
  CHECK(metric("otelcol_processor_tail_sampling_sampling_traces_on_memory", "tail_sampling") == 150);

  REQUIRE(send(Part(second, 0)));
  REQUIRE(send(Part(second, 1)));
  otlpd.Signal(SIGTERM);
  const auto code = otlpd.Wait(std::chrono::seconds(30));
  INFO(otlpd.Output());
  REQUIRE(code == 0);

  std::map<std::string, int> want;
  for (const auto& id : want_first) want[id] = 2;
  want[kept_id] = 3;
  for (const TraceSpec& t : second) {
    if (t.selected()) want[t.id] = 2;
  }
  const std::map<std::string, int> got = Exported(out);
  CHECK(got.size() == want.size());
  CHECK(got == want);
}
