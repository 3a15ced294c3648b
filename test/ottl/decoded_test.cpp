// A run of adjacent OTTL processors shares one decode (ottl/decoded.h): the
// run's output must equal what each processor gives alone, the original
// payload must pass on when nothing changed, and a run ending in a consumer
// of bytes must hand it a valid request.
#include "ottl/decoded.h"

#include <catch2/catch.hpp>

#include "config/loader.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "processors/filter/filter_processor.h"
#include "processors/transform/transform_processor.h"
#include "test/support/sink.h"

using namespace otlpd;
using opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;

namespace {

template <class Config>
std::shared_ptr<const Config> Decode(const std::string& yaml, const std::string& path) {
  config::Node node = config::ParseYaml(yaml, "test.yaml");
  config::MapDecoder d(node, path);
  return std::make_shared<const Config>(Config::Decode(d));
}

std::shared_ptr<const processors::filter::Config> Filter(const std::string& yaml) {
  return Decode<processors::filter::Config>(yaml, "processors.filter");
}
std::shared_ptr<const processors::transform::Config> Transform(const std::string& yaml) {
  return Decode<processors::transform::Config>(yaml, "processors.transform");
}

PayloadPtr Spans(int n) {
  ExportTraceServiceRequest req;
  auto* rs = req.add_resource_spans();
  auto* kv = rs->mutable_resource()->add_attributes();
  kv->set_key("service.name");
  kv->mutable_value()->set_string_value("checkout");
  auto* ss = rs->add_scope_spans();
  for (int i = 0; i < n; ++i) {
    auto* s = ss->add_spans();
    s->set_name("op-" + std::to_string(i));
    s->set_trace_id(std::string(16, static_cast<char>(i + 1)));
  }
  auto md = std::make_shared<const Metadata>(Metadata{{"x-tenant", "t1"}});
  return MakePayload(Signal::kTraces, req.SerializeAsString(), static_cast<std::uint64_t>(n), md);
}

const char* kFilter = "traces:\n  span:\n    - 'name == \"op-1\"'\n";
const char* kTransform =
    "trace_statements:\n  - set(span.attributes[\"svc\"], resource.attributes[\"service.name\"])\n";

}  // namespace

TEST_CASE("filter then transform: one decode gives what each run alone gives") {
  test::Sink sink;
  auto transform_config = Transform(kTransform);
  auto filter_config = Filter(kFilter);
  processors::transform::TransformProcessor transform(Signal::kTraces, transform_config, &sink);
  processors::filter::FilterProcessor filter(Signal::kTraces, filter_config, &transform, nullptr);
  PayloadPtr in = Spans(3);
  REQUIRE(filter.Consume(in).ok());
  REQUIRE(sink.payloads().size() == 1);
  PayloadPtr out = sink.payloads()[0];

  auto filtered = processors::filter::FilterRequest(Signal::kTraces, in->bytes, filter_config->groups[0]);
  REQUIRE(filtered.ok());
  REQUIRE(filtered->bytes);
  auto transformed =
      processors::transform::TransformRequest(Signal::kTraces, *filtered->bytes, transform_config->groups[0]);
  REQUIRE(transformed.ok());
  CHECK(out->bytes == *transformed);
  CHECK(out->items == 2);
  REQUIRE(out->metadata);
  CHECK(*out->metadata == *in->metadata);
}

TEST_CASE("a run that changes nothing passes the original payload on") {
  test::Sink sink;
  processors::filter::FilterProcessor second(
      Signal::kTraces, Filter("traces:\n  span:\n    - 'name == \"x\"'\n"), &sink, nullptr);
  processors::filter::FilterProcessor first(
      Signal::kTraces, Filter("traces:\n  span:\n    - 'name == \"y\"'\n"), &second, nullptr);
  PayloadPtr in = Spans(3);
  REQUIRE(first.Consume(in).ok());
  REQUIRE(sink.payloads().size() == 1);
  CHECK(sink.payloads()[0] == in);  // the same object: neither decoded twice nor re-serialized
}

TEST_CASE("a filter that empties the request ends the run: nothing is sent on") {
  test::Sink sink;
  processors::transform::TransformProcessor transform(Signal::kTraces, Transform(kTransform), &sink);
  processors::filter::FilterProcessor filter(Signal::kTraces, Filter("traces:\n  span:\n    - 'true'\n"),
                                             &transform, nullptr);
  REQUIRE(filter.Consume(Spans(2)).ok());
  CHECK(sink.payloads().empty());
}

TEST_CASE("malformed bytes are refused before the run") {
  test::Sink sink;
  processors::filter::FilterProcessor filter(Signal::kTraces, Filter(kFilter), &sink, nullptr);
  Status s = filter.Consume(MakePayload(Signal::kTraces, std::string("\x0a\xff", 2), 1));
  CHECK(s.code() == StatusCode::kInvalidArgument);
  CHECK(sink.payloads().empty());
}

TEST_CASE(
    "resource-only filter and transform work on the wire: items untouched, scope-less resources pruned") {
  ExportTraceServiceRequest req;
  for (const char* svc : {"checkout", "health", "empty"}) {
    auto* rs = req.add_resource_spans();
    rs->set_schema_url("s");
    auto* kv = rs->mutable_resource()->add_attributes();
    kv->set_key("service.name");
    kv->mutable_value()->set_string_value(svc);
    if (std::string(svc) == "empty") continue;  // no scope entry: otelcol's filter prunes it
    auto* ss = rs->add_scope_spans();
    ss->add_spans()->set_name(std::string(svc) + "-op");
    ss->add_spans()->set_name(std::string(svc) + "-op2");
  }
  PayloadPtr in = MakePayload(Signal::kTraces, req.SerializeAsString(), 4);

  test::Sink sink;
  processors::transform::TransformProcessor transform(
      Signal::kTraces,
      Transform(
          "trace_statements:\n  - context: resource\n    statements:\n"
          "      - set(attributes[\"env\"], \"prod\") where attributes[\"service.name\"] == \"checkout\"\n"),
      &sink);
  processors::filter::FilterProcessor filter(
      Signal::kTraces, Filter("traces:\n  resource:\n    - attributes[\"service.name\"] == \"health\"\n"),
      &transform, nullptr);
  REQUIRE(filter.Consume(in).ok());
  REQUIRE(sink.payloads().size() == 1);
  PayloadPtr out = sink.payloads()[0];
  CHECK(out->items == 2);
  ExportTraceServiceRequest got;
  REQUIRE(got.ParseFromString(out->bytes));
  REQUIRE(got.resource_spans_size() == 1);
  const auto& rs = got.resource_spans(0);
  CHECK(rs.schema_url() == "s");
  REQUIRE(rs.resource().attributes_size() == 2);
  CHECK(rs.resource().attributes(1).key() == "env");
  // The spans are the received bytes, unchanged.
  CHECK(rs.scope_spans(0).SerializeAsString() == req.resource_spans(0).scope_spans(0).SerializeAsString());

  // A resource statement that changes nothing passes the payload itself on.
  test::Sink plain;
  processors::transform::TransformProcessor noop(
      Signal::kTraces,
      Transform(
          "trace_statements:\n  - context: resource\n    statements:\n"
          "      - set(attributes[\"env\"], \"prod\") where attributes[\"service.name\"] == \"nobody\"\n"),
      &plain);
  REQUIRE(noop.Consume(in).ok());
  CHECK(plain.payloads()[0] == in);
}

TEST_CASE("filter: a request without any literal its conditions compare to passes undecoded") {
  const char* health =
      "traces:\n  span:\n    - attributes[\"http.route\"] == \"/healthz\"\n    - name == \"ping\"\n";
  ExportTraceServiceRequest req;
  auto* ss = req.add_resource_spans()->add_scope_spans();
  auto* span = ss->add_spans();
  span->set_name("GET /orders");
  auto* kv = span->add_attributes();
  kv->set_key("http.route");
  kv->mutable_value()->set_string_value("/orders");
  PayloadPtr without = MakePayload(Signal::kTraces, req.SerializeAsString(), 1);

  test::Sink sink;
  processors::filter::FilterProcessor filter(Signal::kTraces, Filter(health), &sink, nullptr);
  REQUIRE(filter.Consume(without).ok());
  CHECK(sink.payloads().back() == without);

  // The literal present: the request is decoded and the span dropped.
  auto* h = ss->add_spans();
  h->set_name("ping");
  PayloadPtr with = MakePayload(Signal::kTraces, req.SerializeAsString(), 2);
  REQUIRE(filter.Consume(with).ok());
  CHECK(sink.payloads().back()->items == 1);

  // No literal, but an empty scope otelcol's filter would prune: decoded, pruned.
  ExportTraceServiceRequest empty_scope;
  auto* rs = empty_scope.add_resource_spans();
  rs->add_scope_spans()->add_spans()->set_name("GET /orders");
  rs->add_scope_spans();
  REQUIRE(filter.Consume(MakePayload(Signal::kTraces, empty_scope.SerializeAsString(), 1)).ok());
  ExportTraceServiceRequest got;
  REQUIRE(got.ParseFromString(sink.payloads().back()->bytes));
  CHECK(got.resource_spans(0).scope_spans_size() == 1);

  // A condition without a literal gate always evaluates.
  test::Sink all;
  processors::filter::FilterProcessor regex(
      Signal::kTraces, Filter("traces:\n  span:\n    - IsMatch(name, \"^GET\")\n"), &all, nullptr);
  REQUIRE(regex.Consume(without).ok());
  CHECK(all.payloads().empty());  // its one span matched and the request emptied
}
