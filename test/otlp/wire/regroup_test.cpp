#include "otlp/wire/regroup.h"

#include <catch2/catch.hpp>

#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "otlp/wire/wire_walker.h"

using namespace otlpd;
using opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;

TEST_CASE(
    "Regrouper: items split across groups keep their resource and scope headers, written once per group") {
  ExportTraceServiceRequest req;
  for (const char* svc : {"a", "b"}) {
    auto* rs = req.add_resource_spans();
    rs->set_schema_url(std::string("s-") + svc);
    auto* kv = rs->mutable_resource()->add_attributes();
    kv->set_key("service.name");
    kv->mutable_value()->set_string_value(svc);
    for (const char* lib : {"x", "y"}) {
      auto* ss = rs->add_scope_spans();
      ss->mutable_scope()->set_name(lib);
      ss->set_schema_url(std::string("t-") + lib);
      for (int i = 0; i < 3; ++i) ss->add_spans()->set_name(std::string(svc) + lib + std::to_string(i));
    }
  }
  const std::string bytes = req.SerializeAsString();

  // Resource a: spans alternate between groups 0 and 1; resource b goes whole to group 1.
  wire::Regrouper g;
  int n = 0;
  for (const wire::Entry& r : wire::Resources(Signal::kTraces, bytes)) {
    if (n++ == 1) {
      g.AddResource(1, r.field, r.items);
      continue;
    }
    g.BeginResource(r.message);
    int k = 0;
    for (const wire::Entry& s : wire::Scopes(Signal::kTraces, r.message)) {
      g.BeginScope(s.message);
      for (const wire::Entry& item : wire::Items(Signal::kTraces, s.message))
        g.AddItem(k++ % 2, item.field, item.items);
      g.EndScope();
    }
    g.EndResource();
  }
  REQUIRE(g.size() == 2);
  CHECK(g.items(0) == 3);
  CHECK(g.items(1) == 9);

  ExportTraceServiceRequest zero, one;
  REQUIRE(zero.ParseFromString(g.request(0)));
  REQUIRE(one.ParseFromString(g.request(1)));
  REQUIRE(zero.resource_spans_size() == 1);
  CHECK(zero.resource_spans(0).schema_url() == "s-a");
  REQUIRE(zero.resource_spans(0).scope_spans_size() == 2);
  CHECK(zero.resource_spans(0).scope_spans(0).schema_url() == "t-x");
  CHECK(zero.resource_spans(0).scope_spans(0).spans(0).name() == "ax0");
  CHECK(zero.resource_spans(0).scope_spans(0).spans(1).name() == "ax2");
  CHECK(zero.resource_spans(0).scope_spans(1).spans(0).name() == "ay1");

  REQUIRE(one.resource_spans_size() == 2);
  CHECK(one.resource_spans(0).resource().attributes(0).value().string_value() == "a");
  CHECK(one.resource_spans(1).SerializeAsString() == req.resource_spans(1).SerializeAsString());
}
