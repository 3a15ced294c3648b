#include "processors/batch/batch_processor.h"

#include <catch2/catch.hpp>
#include <map>
#include <set>

#include "component/buffer_pool.h"
#include "config/error.h"
#include "config/loader.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "test/support/config_error.h"
#include "test/support/sink.h"

using namespace otlpd;
using namespace otlpd::processors::batch;
using opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;

namespace {

std::uint32_t g_next_span = 1;

// A request with `resources` resources of `per_resource` spans, unique span ids.
PayloadPtr Spans(int per_resource, int resources = 1, std::shared_ptr<const Metadata> md = nullptr) {
  ExportTraceServiceRequest req;
  for (int r = 0; r < resources; ++r) {
    auto* rs = req.add_resource_spans();
    auto* kv = rs->mutable_resource()->add_attributes();
    kv->set_key("service.name");
    kv->mutable_value()->set_string_value("svc-" + std::to_string(r));
    auto* ss = rs->add_scope_spans();
    ss->mutable_scope()->set_name("lib");
    for (int i = 0; i < per_resource; ++i) {
      auto* s = ss->add_spans();
      s->set_trace_id(std::string(16, '\x07'));
      std::uint32_t id = g_next_span++;
      s->set_span_id(std::string(reinterpret_cast<const char*>(&id), 4) + std::string(4, '\0'));
      s->set_name("op");
    }
  }
  return MakePayload(Signal::kTraces, req.SerializeAsString(),
                     static_cast<std::uint64_t>(per_resource * resources), std::move(md));
}

// Every span id in what the sink got, checking each payload parses and its count is right.
std::multiset<std::string> SpanIds(const test::Sink& sink) {
  std::multiset<std::string> ids;
  for (const auto& p : sink.payloads()) {
    ExportTraceServiceRequest req;
    REQUIRE(req.ParseFromString(p->bytes));
    std::uint64_t n = 0;
    for (const auto& rs : req.resource_spans()) {
      CHECK(rs.resource().attributes_size() == 1);  // resource kept in every piece
      for (const auto& ss : rs.scope_spans()) {
        CHECK(ss.scope().name() == "lib");
        for (const auto& s : ss.spans()) {
          ids.insert(s.span_id());
          ++n;
        }
      }
    }
    CHECK(n == p->items);
  }
  return ids;
}

struct Fixture {
  test::Sink sink;
  Telemetry telemetry;
  std::unique_ptr<BatchProcessor> batch;

  explicit Fixture(const std::string& yaml) {
    auto node = config::ParseYaml(yaml, "batch.yaml");
    config::MapDecoder d(node, "processors.batch");
    batch = std::make_unique<BatchProcessor>("batch", Signal::kTraces, Config::Decode(d), &sink,
                                             telemetry.Register("processor", "batch"));
    REQUIRE(batch->Start().ok());
  }
  void Stop() { batch->Shutdown(Clock::now() + std::chrono::seconds(5)); }
};

std::string DecodeError(const std::string& yaml) {
  auto node = config::ParseYaml(yaml, "batch.yaml");
  return test::ConfigError([&] {
    config::MapDecoder d(node, "processors.batch");
    Config::Decode(d);
  });
}

}  // namespace

TEST_CASE("350 one-span requests leave batch 100/100 as few full requests, none lost or duplicated") {
  Fixture f("send_batch_size: 100\nsend_batch_max_size: 100\ntimeout: 10s\n");
  std::set<std::string> sent;
  for (int i = 0; i < 350; ++i) {
    PayloadPtr p = Spans(1);
    REQUIRE(f.batch->Consume(p).ok());
  }
  CHECK(f.sink.payloads().size() == 3);  // the 50 left wait for the timeout or shutdown
  f.Stop();
  auto got = f.sink.payloads();
  CHECK(got.size() <= 8);
  REQUIRE(got.size() == 4);
  CHECK(got[0]->items == 100);
  CHECK(got[3]->items == 50);
  auto ids = SpanIds(f.sink);
  CHECK(ids.size() == 350);
  CHECK(std::set<std::string>(ids.begin(), ids.end()).size() == 350);
}

TEST_CASE("batch splits a request larger than send_batch_max_size on wire boundaries") {
  Fixture f("send_batch_size: 100\nsend_batch_max_size: 100\ntimeout: 10s\n");
  REQUIRE(f.batch->Consume(Spans(90, 3)).ok());  // 270 spans in 3 resources
  auto got = f.sink.payloads();
  REQUIRE(got.size() == 2);
  CHECK(got[0]->items == 100);
  CHECK(got[1]->items == 100);
  f.Stop();
  got = f.sink.payloads();
  REQUIRE(got.size() == 3);
  CHECK(got[2]->items == 70);
  CHECK(SpanIds(f.sink).size() == 270);
}

TEST_CASE("batch sends a partial batch when the timeout passes") {
  Fixture f("send_batch_size: 1000\ntimeout: 20ms\n");
  REQUIRE(f.batch->Consume(Spans(5)).ok());
  REQUIRE(f.batch->Consume(Spans(3)).ok());
  REQUIRE(test::WaitFor([&] { return f.sink.items() == 8; }));
  CHECK(f.sink.payloads().size() == 1);  // both requests, concatenated
  REQUIRE(f.batch->Consume(Spans(2)).ok());
  REQUIRE(test::WaitFor([&] { return f.sink.items() == 10; }));
  f.Stop();
  CHECK(SpanIds(f.sink).size() == 10);
}

TEST_CASE("batch with timeout 0 sends at once, still splitting") {
  Fixture f("timeout: 0s\nsend_batch_size: 10\nsend_batch_max_size: 10\n");
  REQUIRE(f.batch->Consume(Spans(25)).ok());
  auto got = f.sink.payloads();
  REQUIRE(got.size() == 3);
  CHECK(got[2]->items == 5);
  f.Stop();
}

TEST_CASE("batch keeps one batch per metadata_keys combination and carries the keys on") {
  Fixture f("send_batch_size: 4\ntimeout: 10s\nmetadata_keys: [X-Tenant]\nmetadata_cardinality_limit: 2\n");
  auto tenant = [](const std::string& t) {
    return std::make_shared<const Metadata>(Metadata{{"x-tenant", t}, {"other", "dropped"}});
  };
  REQUIRE(f.batch->Consume(Spans(2, 1, tenant("a"))).ok());
  REQUIRE(f.batch->Consume(Spans(2, 1, tenant("b"))).ok());
  CHECK(f.sink.payloads().empty());
  REQUIRE(f.batch->Consume(Spans(2, 1, tenant("a"))).ok());
  auto got = f.sink.payloads();
  REQUIRE(got.size() == 1);
  CHECK(got[0]->items == 4);
  REQUIRE(got[0]->metadata != nullptr);
  CHECK(*got[0]->metadata == Metadata{{"x-tenant", "a"}});
  // A third combination is over the limit.
  Status s = f.batch->Consume(Spans(1, 1, tenant("c")));
  CHECK(s.code() == StatusCode::kResourceExhausted);
  f.Stop();
  got = f.sink.payloads();
  REQUIRE(got.size() == 2);
  CHECK(*got[1]->metadata == Metadata{{"x-tenant", "b"}});
}

TEST_CASE("batch reuses a sent batch's buffer once the exporter lets it go") {
  Fixture f("send_batch_size: 50000\ntimeout: 10s\n");
  for (int i = 0; i < 50; ++i) REQUIRE(f.batch->Consume(Spans(1000)).ok());
  std::vector<PayloadPtr> first = f.sink.TakePayloads();
  REQUIRE(first.size() == 1);
  REQUIRE(first[0]->items == 50000);
  REQUIRE(first[0]->bytes.capacity() >= BufferPool::kMinBytes);
  const char* buffer = first[0]->bytes.data();
  first.clear();  // sent: the exporter lets go
  for (int i = 0; i < 50; ++i) REQUIRE(f.batch->Consume(Spans(1000)).ok());
  std::vector<PayloadPtr> second = f.sink.TakePayloads();
  REQUIRE(second.size() == 1);
  CHECK(second[0]->items == 50000);
  CHECK(second[0]->bytes.data() == buffer);  // the same memory, no new pages
  // While a batch is still held, the next one gets a buffer of its own.
  for (int i = 0; i < 50; ++i) REQUIRE(f.batch->Consume(Spans(1000)).ok());
  std::vector<PayloadPtr> third = f.sink.TakePayloads();
  REQUIRE(third.size() == 1);
  CHECK(third[0]->bytes.data() != second[0]->bytes.data());
  ExportTraceServiceRequest req;
  REQUIRE(req.ParseFromString(third[0]->bytes));
  CHECK(req.resource_spans_size() == 50);
  f.Stop();
}

TEST_CASE("batch config is checked with key paths") {
  CHECK_THAT(DecodeError("send_batch_size: 100\nsend_batch_max_size: 10\n"),
             Catch::Matchers::Contains("processors.batch.send_batch_max_size"));
  CHECK_THAT(DecodeError("timeout: fast\n"), Catch::Matchers::Contains("batch.yaml:1:10") &&
                                                 Catch::Matchers::Contains("processors.batch.timeout"));
  CHECK_THAT(DecodeError("send_batch_size: -1\n"),
             Catch::Matchers::Contains("processors.batch.send_batch_size"));
  CHECK_THAT(DecodeError("metadata_keys: [a, A]\n"), Catch::Matchers::Contains("duplicate"));
  CHECK_THAT(DecodeError("send_batch_sise: 5\n"), Catch::Matchers::Contains("send_batch_sise"));
  CHECK(DecodeError("") == "");
}
