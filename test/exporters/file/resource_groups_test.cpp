#include "exporters/file/resource_groups.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "test/exporters/file/test_requests.h"

namespace otlpd::exporters::file {
namespace {

using testing::Contents;
using testing::MakeRequest;
using testing::ReadContents;
using testing::ResourceSpec;

TEST_CASE("resources are grouped by the attribute's string value, byte for byte", "[file][group_by]") {
  const Signal signal = GENERATE(Signal::kTraces, Signal::kMetrics, Signal::kLogs);
  PayloadPtr p = MakeRequest(signal, {{"a", 2}, {"b", 1}, {std::nullopt, 4}, {"a", 3}, {"", 1}}, "t");

  Result<GroupedRequest> r = GroupByResourceAttribute(signal, p->bytes, testing::kGroupAttribute);
  REQUIRE(r.ok());
  REQUIRE(r->groups.size() == 3);
  CHECK(r->dropped_resources == 1);
  CHECK(r->dropped_items == 4);

  CHECK(r->groups[0].value == "a");
  CHECK(r->groups[0].items == 5);
  Contents a;
  REQUIRE(ReadContents(signal, r->groups[0].request, a));
  CHECK(a.names == std::vector<std::string>{"t/0/0", "t/0/1", "t/3/0", "t/3/1", "t/3/2"});
  CHECK(a.values == std::vector<std::string>(5, "a"));

  CHECK(r->groups[1].value == "b");
  CHECK(r->groups[1].items == 1);
  Contents b;
  REQUIRE(ReadContents(signal, r->groups[1].request, b));
  CHECK(b.names == std::vector<std::string>{"t/1/0"});

  // An empty string is a value like any other (otelcol writes it too).
  CHECK(r->groups[2].value == "");
  CHECK(r->groups[2].items == 1);

  // The pieces are the original entries: together they are the original
  // request less the dropped resource.
  CHECK(r->groups[0].request.size() + r->groups[1].request.size() + r->groups[2].request.size() <
        p->bytes.size());
}

TEST_CASE("the attribute is read as pdata reads it", "[file][group_by]") {
  testing::LogsRequest req;
  auto add = [&](auto fill) {
    auto* rl = req.add_resource_logs();
    fill(rl->mutable_resource());
    rl->add_scope_logs()->add_log_records()->mutable_body()->set_string_value(
        std::to_string(req.resource_logs_size()));
  };
  auto kv = [](opentelemetry::proto::resource::v1::Resource* r, const std::string& key) {
    auto* a = r->add_attributes();
    a->set_key(key);
    return a->mutable_value();
  };
  // 1: not a string: dropped.
  add([&](auto* r) { kv(r, testing::kGroupAttribute)->set_int_value(7); });
  // 2: the first of two attributes with the key counts.
  add([&](auto* r) {
    kv(r, testing::kGroupAttribute)->set_string_value("first");
    kv(r, testing::kGroupAttribute)->set_string_value("second");
  });
  // 3: another key that only starts the same.
  add([&](auto* r) { kv(r, std::string(testing::kGroupAttribute) + "x")->set_string_value("no"); });
  std::string bytes = req.SerializeAsString();

  // 4: two `resource` occurrences merge; a second `value` occurrence of the
  // KeyValue replaces the oneof member (int, then string: a string).
  {
    opentelemetry::proto::resource::v1::Resource r1, r2;
    kv(&r1, "other")->set_string_value("x");
    auto* a = r2.add_attributes();
    a->set_key(testing::kGroupAttribute);
    a->mutable_value()->set_int_value(1);
    std::string kv_bytes = a->SerializeAsString();
    opentelemetry::proto::common::v1::AnyValue later;
    later.set_string_value("merged");
    // KeyValue.value is field 2: append a second occurrence by hand.
    kv_bytes += std::string("\x12", 1) + static_cast<char>(later.ByteSizeLong()) + later.SerializeAsString();
    r2.clear_attributes();
    opentelemetry::proto::logs::v1::ResourceLogs rl;
    rl.add_scope_logs()->add_log_records()->mutable_body()->set_string_value("4");
    std::string resource2 = std::string("\x0a", 1) + static_cast<char>(kv_bytes.size()) + kv_bytes;
    std::string entry = std::string("\x0a", 1) + static_cast<char>(r1.ByteSizeLong()) +
                        r1.SerializeAsString() + std::string("\x0a", 1) +
                        static_cast<char>(resource2.size()) + resource2 + rl.SerializeAsString();
    bytes += std::string("\x0a", 1) + static_cast<char>(entry.size()) + entry;
    // Protobuf agrees on what that entry means.
    testing::LogsRequest check;
    REQUIRE(check.ParseFromString(bytes));
    REQUIRE(check.resource_logs(3).resource().attributes_size() == 2);
    REQUIRE(check.resource_logs(3).resource().attributes(1).value().string_value() == "merged");
  }

  Result<GroupedRequest> r = GroupByResourceAttribute(Signal::kLogs, bytes, testing::kGroupAttribute);
  REQUIRE(r.ok());
  CHECK(r->dropped_resources == 2);
  REQUIRE(r->groups.size() == 2);
  CHECK(r->groups[0].value == "first");
  CHECK(r->groups[1].value == "merged");
  testing::LogsRequest merged;
  REQUIRE(merged.ParseFromString(r->groups[1].request));
  CHECK(merged.resource_logs(0).scope_logs(0).log_records(0).body().string_value() == "4");
}

TEST_CASE("malformed requests are refused, not crashed on", "[file][group_by]") {
  PayloadPtr p = MakeRequest(Signal::kTraces, {{"a", 3}}, "t");
  for (std::size_t cut = 1; cut < p->bytes.size(); cut += 7) {
    Result<GroupedRequest> r = GroupByResourceAttribute(
        Signal::kTraces, std::string_view(p->bytes).substr(0, cut), "fileexporter.path_segment");
    CHECK_FALSE(r.ok());
  }
  CHECK_FALSE(
      GroupByResourceAttribute(Signal::kTraces, std::string("\x0a\x05\x0a\x03\x0a\x09", 6), "k").ok());
}

}  // namespace
}  // namespace otlpd::exporters::file
