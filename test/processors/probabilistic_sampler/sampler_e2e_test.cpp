// The real otlpd binary with the probabilistic_sampler between its OTLP
// receiver and a file exporter: 4000 traces of 3 spans each, in requests that
// split traces across resources and requests, at 25%.
#include <grpcpp/grpcpp.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <map>
#include <random>
#include <set>

#include "opentelemetry/proto/collector/trace/v1/trace_service.grpc.pb.h"
#include "processors/probabilistic_sampler/sampling.h"
#include "processors/probabilistic_sampler/tracestate.h"
#include "test/support/process.h"
#include "test/support/proto_file.h"
#include "test/support/sink.h"

using namespace otlpd::test;
namespace tracepb = opentelemetry::proto::collector::trace::v1;
namespace ps = otlpd::processors::probabilistic_sampler;

TEST_CASE("otlpd samples 25% of 4000 traces, whole traces, with th written") {
  for (std::string mode : {"hash_seed", "proportional"}) {
    TempDir dir;
    auto out = dir / "spans.pb";
    WriteFile(dir / "c.yaml",
              "receivers:\n  otlp:\n    protocols:\n      grpc:\n        endpoint: "
              "127.0.0.1:0\nprocessors:\n  probabilistic_sampler:\n    sampling_percentage: 25\n    mode: " +
                  mode + "\nexporters:\n  file:\n    path: " + out.string() +
                  "\n    format: proto\n    flush_interval: 50ms\n"
                  "service:\n  pipelines:\n    traces:\n      receivers: [otlp]\n"
                  "      processors: [probabilistic_sampler]\n      exporters: [file]\n");
    Process otlpd({OTLPD_BINARY, "--config", (dir / "c.yaml").string()}, dir / "otlpd.log");
    const int port = LoggedPort(otlpd, "OTLP/gRPC listening on");
    INFO(otlpd.Output());
    REQUIRE(port != 0);

    auto channel =
        grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials());
    auto stub = tracepb::TraceService::NewStub(channel);
    std::mt19937_64 rng(mode == "hash_seed" ? 11 : 12);
    std::vector<std::string> traces;
    for (int t = 0; t < 4000; ++t) {
      std::string id(16, '\0');
      for (auto& c : id) c = static_cast<char>(rng());
      traces.push_back(id);
    }
    // Span k of every trace goes out in round k, so a trace's spans arrive in
    // three different requests, each in its own resource.
    std::uint64_t next_span = 1;
    for (int round = 0; round < 3; ++round) {
      for (std::size_t first = 0; first < traces.size(); first += 500) {
        tracepb::ExportTraceServiceRequest req;
        for (int r = 0; r < 2; ++r) {
          auto* rs = req.add_resource_spans();
          auto* kv = rs->mutable_resource()->add_attributes();
          kv->set_key("service.name");
          kv->mutable_value()->set_string_value("svc" + std::to_string(r));
          auto* ss = rs->add_scope_spans();
          for (std::size_t t = first + static_cast<std::size_t>(r); t < first + 500; t += 2) {
            auto* s = ss->add_spans();
            s->set_trace_id(traces[t]);
            std::string span_id(8, '\0');
            std::memcpy(span_id.data(), &next_span, 8);
            ++next_span;
            s->set_span_id(span_id);
            s->set_name("op" + std::to_string(round));
          }
        }
        grpc::ClientContext ctx;
        ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
        tracepb::ExportTraceServiceResponse resp;
        REQUIRE(stub->Export(&ctx, req, &resp).ok());
      }
    }
    otlpd.Signal(SIGTERM);
    auto code = otlpd.Wait(std::chrono::seconds(30));
    INFO(otlpd.Output());
    REQUIRE(code == 0);

    std::map<std::string, int> spans_per_trace;
    std::size_t without_th = 0;
    const ProtoRecords file = ReadProtoRecords(out);
    int bad = 0;
    const auto requests = ParseProtoRecords<tracepb::ExportTraceServiceRequest>(file, &bad);
    REQUIRE(bad == 0);
    CHECK(file.complete);
    for (const auto& req : requests) {
      for (const auto& rs : req.resource_spans()) {
        for (const auto& ss : rs.scope_spans()) {
          for (const auto& s : ss.spans()) {
            ++spans_per_trace[s.trace_id()];
            ps::W3CTraceState ts;
            REQUIRE(ps::ParseW3CTraceState(s.trace_state(), ts));
            if (ts.otel.tvalue.view() != "c") ++without_th;
            if (mode == "hash_seed") CHECK(!ts.otel.rvalue.empty());
          }
        }
      }
    }
    double fraction = static_cast<double>(spans_per_trace.size()) / 4000;
    INFO(mode << ": kept " << spans_per_trace.size() << " traces (" << fraction * 100 << "%)");
    CHECK(fraction >= 0.22);
    CHECK(fraction <= 0.28);
    for (const auto& [id, n] : spans_per_trace) CHECK(n == 3);  // kept whole
    CHECK(without_th == 0);
  }
}
