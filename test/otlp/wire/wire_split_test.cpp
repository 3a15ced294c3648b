#include <catch2/catch.hpp>
#include <map>
#include <string>
#include <vector>

#include "otlp/wire/wire_walker.h"
#include "test/otlp/wire/otlp_test_data.h"

namespace otlpd::wire {
namespace {

using namespace testing;

std::string Len(std::uint32_t field, std::string_view payload) {
  std::string out;
  AppendLengthDelimited(out, field, payload);
  return out;
}

std::uint64_t MustCount(Signal signal, std::string_view bytes) {
  auto result = ValidateAndCount(signal, bytes);
  INFO(result.status().message());
  REQUIRE(result.ok());
  return *result;
}

std::vector<Piece> MustSplit(Signal signal, std::string_view bytes, std::uint64_t max_items,
                             SplitPolicy policy = SplitPolicy::kFill) {
  auto result = Split(signal, bytes, max_items, policy);
  INFO(result.status().message());
  REQUIRE(result.ok());
  return std::move(result).value();
}

// Every span / log record / metric in the pieces sits under the same resource
// and scope (header fields included) as in the original, and metrics keep
// their name, unit, metadata and temporality.
void CheckHeaders(Signal signal, const std::string& original, const std::vector<Piece>& pieces) {
  std::map<std::string, std::string> parents;  // item id -> serialized resource + scope headers
  auto record = [&](const std::string& id, std::string header, bool compare) {
    if (!compare) {
      parents[id] = std::move(header);
    } else {
      REQUIRE(parents.count(id) == 1);
      CHECK(parents[id] == header);
    }
  };
  auto visit = [&](const std::string& bytes, bool compare) {
    switch (signal) {
      case Signal::kTraces: {
        TraceRequest req;
        REQUIRE(req.ParseFromString(bytes));
        for (const auto& rs : req.resource_spans()) {
          if (compare) CHECK(rs.scope_spans_size() > 0);  // no empty resource made by a cut
          for (const auto& ss : rs.scope_spans()) {
            if (compare) CHECK(ss.spans_size() > 0);
            std::string header = rs.resource().SerializeAsString() + "|" + rs.schema_url() + "|" +
                                 ss.scope().SerializeAsString() + "|" + ss.schema_url();
            for (const auto& span : ss.spans()) record(span.name(), header, compare);
          }
        }
        break;
      }
      case Signal::kMetrics: {
        MetricsRequest req;
        REQUIRE(req.ParseFromString(bytes));
        for (const auto& rm : req.resource_metrics()) {
          if (compare) CHECK(rm.scope_metrics_size() > 0);
          for (const auto& sm : rm.scope_metrics()) {
            if (compare) CHECK(sm.metrics_size() > 0);
            std::string header = rm.resource().SerializeAsString() + "|" + rm.schema_url() + "|" +
                                 sm.scope().SerializeAsString() + "|" + sm.schema_url();
            for (const auto& m : sm.metrics()) {
              if (compare) CHECK(PointCount(m) > 0);
              metrics::Metric shell = m;  // the metric without its points
              switch (m.data_case()) {
                case metrics::Metric::kGauge: shell.mutable_gauge()->clear_data_points(); break;
                case metrics::Metric::kSum: shell.mutable_sum()->clear_data_points(); break;
                case metrics::Metric::kHistogram: shell.mutable_histogram()->clear_data_points(); break;
                case metrics::Metric::kExponentialHistogram:
                  shell.mutable_exponential_histogram()->clear_data_points();
                  break;
                case metrics::Metric::kSummary: shell.mutable_summary()->clear_data_points(); break;
                case metrics::Metric::DATA_NOT_SET: break;
              }
              record(m.name(), header + "|" + shell.SerializeAsString(), compare);
            }
          }
        }
        break;
      }
      case Signal::kLogs: {
        LogsRequest req;
        REQUIRE(req.ParseFromString(bytes));
        for (const auto& rl : req.resource_logs()) {
          if (compare) CHECK(rl.scope_logs_size() > 0);
          for (const auto& sl : rl.scope_logs()) {
            if (compare) CHECK(sl.log_records_size() > 0);
            std::string header = rl.resource().SerializeAsString() + "|" + sl.scope().SerializeAsString() +
                                 "|" + sl.schema_url();
            for (const auto& rec : sl.log_records()) record(rec.severity_text(), header, compare);
          }
        }
        break;
      }
      case Signal::kProfiles: break;  // covered by test_profiles
    }
  };
  visit(original, false);
  for (const Piece& piece : pieces) visit(piece.bytes, true);
}

// The invariants of any split: valid pieces, counts right and within the
// limit, the original items in the original order.
void CheckSplit(Signal signal, const std::string& original, std::uint64_t max_items, SplitPolicy policy) {
  CAPTURE(SignalName(signal), max_items, static_cast<int>(policy));
  std::uint64_t total = MustCount(signal, original);
  std::vector<Piece> pieces = MustSplit(signal, original, max_items, policy);
  REQUIRE_FALSE(pieces.empty());
  std::vector<std::string> ids;
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    const Piece& piece = pieces[i];
    CAPTURE(i);
    CHECK(MustCount(signal, piece.bytes) == piece.items);
    CHECK(piece.items <= max_items);
    CHECK(piece.items > 0);
    Parsed parsed = ParseWithProtobuf(signal, piece.bytes);
    REQUIRE(parsed.ok);
    CHECK(parsed.items == piece.items);
    ids.insert(ids.end(), parsed.ids.begin(), parsed.ids.end());
    if (policy == SplitPolicy::kFill && i + 1 < pieces.size()) CHECK(piece.items == max_items);
  }
  CHECK(ids == ParseWithProtobuf(signal, original).ids);
  CHECK(ids.size() == total);
  if (policy == SplitPolicy::kFill) CHECK(pieces.size() == (total + max_items - 1) / max_items);
  CheckHeaders(signal, original, pieces);
}

TEST_CASE("Split keeps every item, in order, under its resource and scope") {
  struct Case {
    Signal signal;
    std::string bytes;
  };
  std::vector<Case> cases = {
      {Signal::kTraces, MakeTraces(3, 3, 5).SerializeAsString()},        // 45 spans
      {Signal::kTraces, MakeTraces(1, 1, 17).SerializeAsString()},       // one big scope
      {Signal::kMetrics, MakeMetrics(2, 2, 5, 3).SerializeAsString()},   // 60 points in metrics of 3
      {Signal::kMetrics, MakeMetrics(1, 1, 2, 11).SerializeAsString()},  // big metrics
      {Signal::kLogs, MakeLogs(3, 2, 6).SerializeAsString()},            // 36 records
  };
  for (const Case& c : cases) {
    std::uint64_t total = MustCount(c.signal, c.bytes);
    for (std::uint64_t max_items : std::vector<std::uint64_t>{1, 2, 3, 4, 7, 10, 11, 16, total - 1}) {
      for (SplitPolicy policy : {SplitPolicy::kFill, SplitPolicy::kPreferBoundaries}) {
        CheckSplit(c.signal, c.bytes, max_items, policy);
      }
    }
  }
}

TEST_CASE("SplitBytes cuts into pieces of at most max_bytes, keeping every item in order") {
  struct Case {
    Signal signal;
    std::string bytes;
  };
  std::vector<Case> cases = {
      {Signal::kTraces, MakeTraces(3, 3, 5).SerializeAsString()},
      {Signal::kTraces, MakeTraces(1, 1, 17).SerializeAsString()},
      {Signal::kMetrics, MakeMetrics(2, 2, 5, 3).SerializeAsString()},
      {Signal::kMetrics, MakeMetrics(1, 1, 2, 11).SerializeAsString()},
      {Signal::kLogs, MakeLogs(3, 2, 6).SerializeAsString()},
  };
  for (const Case& c : cases) {
    const std::uint64_t total = MustCount(c.signal, c.bytes);
    // The largest single item bounds the smallest limit every piece can keep.
    std::uint64_t largest_leaf = 0;
    for (const auto& r : Resources(c.signal, c.bytes)) {
      for (const auto& s : Scopes(c.signal, r.message)) {
        for (const auto& i : Items(c.signal, s.message)) {
          largest_leaf = std::max<std::uint64_t>(largest_leaf, i.field.size());
        }
      }
    }
    for (std::uint64_t max_bytes : std::vector<std::uint64_t>{64, 300, 1000, 4000, c.bytes.size() - 1}) {
      for (SplitPolicy policy : {SplitPolicy::kFill, SplitPolicy::kPreferBoundaries}) {
        CAPTURE(SignalName(c.signal), max_bytes, static_cast<int>(policy), c.bytes.size());
        auto result = SplitBytes(c.signal, c.bytes, max_bytes, policy);
        REQUIRE(result.ok());
        std::vector<std::string> ids;
        std::uint64_t items = 0;
        for (const Piece& piece : *result) {
          CHECK(MustCount(c.signal, piece.bytes) == piece.items);
          // A metric is cut per data point, so only a single span / log record
          // (or a metric's header with one point) may exceed the limit.
          if (max_bytes >= largest_leaf + 200) CHECK(piece.bytes.size() <= max_bytes);
          Parsed parsed = ParseWithProtobuf(c.signal, piece.bytes);
          REQUIRE(parsed.ok);
          ids.insert(ids.end(), parsed.ids.begin(), parsed.ids.end());
          items += piece.items;
        }
        CHECK(items == total);
        if (c.signal != Signal::kMetrics) CHECK(ids == ParseWithProtobuf(c.signal, c.bytes).ids);
        if (max_bytes >= c.bytes.size() / 2) CHECK(result->size() <= 3);
        CheckHeaders(c.signal, c.bytes, *result);
      }
    }
  }
  auto whole = SplitBytes(Signal::kLogs, MakeLogs(1, 1, 3).SerializeAsString(), 0);
  REQUIRE(whole.ok());
  CHECK(whole->size() == 1);
}

TEST_CASE("Split returns a request that fits as one piece, unchanged") {
  std::string bytes = MakeTraces(2, 2, 2).SerializeAsString();
  for (std::uint64_t max_items : {0ull, 8ull, 1000ull}) {
    std::vector<Piece> pieces = MustSplit(Signal::kTraces, bytes, max_items);
    REQUIRE(pieces.size() == 1);
    CHECK(pieces[0].bytes == bytes);
    CHECK(pieces[0].items == 8);
  }
  std::vector<Piece> empty = MustSplit(Signal::kLogs, "", 5);
  REQUIRE(empty.size() == 1);
  CHECK(empty[0].items == 0);
}

TEST_CASE("Split cuts at resource boundaries when they line up") {
  // 3 resources of 4 spans: max 8 makes the first piece two whole resources,
  // copied byte for byte.
  TraceRequest req = MakeTraces(3, 2, 2);
  std::string bytes = req.SerializeAsString();
  std::vector<Piece> pieces = MustSplit(Signal::kTraces, bytes, 8);
  REQUIRE(pieces.size() == 2);
  TraceRequest first_two;
  *first_two.add_resource_spans() = req.resource_spans(0);
  *first_two.add_resource_spans() = req.resource_spans(1);
  CHECK(pieces[0].bytes == first_two.SerializeAsString());
}

TEST_CASE("SplitPolicy::kPreferBoundaries keeps resources whole when they fit a piece") {
  std::string bytes = MakeTraces(4, 2, 3).SerializeAsString();  // resources of 6 spans
  std::vector<Piece> fill = MustSplit(Signal::kTraces, bytes, 10, SplitPolicy::kFill);
  std::vector<Piece> whole = MustSplit(Signal::kTraces, bytes, 10, SplitPolicy::kPreferBoundaries);
  CHECK(fill.size() == 3);     // 10, 10, 4
  REQUIRE(whole.size() == 4);  // 6, 6, 6, 6
  for (const Piece& piece : whole) {
    TraceRequest req;
    REQUIRE(req.ParseFromString(piece.bytes));
    CHECK(req.resource_spans_size() == 1);
    CHECK(piece.items == 6);
  }
  // A resource larger than a piece is still cut, preferring whole scopes.
  std::string big = MakeTraces(1, 3, 4).SerializeAsString();  // scopes of 4
  std::vector<Piece> scopes = MustSplit(Signal::kTraces, big, 6, SplitPolicy::kPreferBoundaries);
  REQUIRE(scopes.size() == 3);
  for (const Piece& piece : scopes) CHECK(piece.items == 4);
}

TEST_CASE("Split cuts one metric across pieces, re-writing its header") {
  MetricsRequest req;
  auto* rm = req.add_resource_metrics();
  FillResource(rm->mutable_resource(), 7);
  auto* sm = rm->add_scope_metrics();
  FillScope(sm->mutable_scope(), 7, 1);
  auto* m = sm->add_metrics();
  m->set_name("requests");
  m->set_unit("1");
  m->set_description("count of requests");
  auto* sum = m->mutable_sum();
  sum->set_aggregation_temporality(metrics::AGGREGATION_TEMPORALITY_CUMULATIVE);
  sum->set_is_monotonic(true);
  for (int i = 0; i < 10; ++i) sum->add_data_points()->set_time_unix_nano(100 + i);
  std::string bytes = req.SerializeAsString();

  std::vector<Piece> pieces = MustSplit(Signal::kMetrics, bytes, 3);
  REQUIRE(pieces.size() == 4);
  std::uint64_t next_time = 100;
  for (const Piece& piece : pieces) {
    MetricsRequest got;
    REQUIRE(got.ParseFromString(piece.bytes));
    REQUIRE(got.resource_metrics_size() == 1);
    CHECK(got.resource_metrics(0).resource().SerializeAsString() == rm->resource().SerializeAsString());
    REQUIRE(got.resource_metrics(0).scope_metrics_size() == 1);
    const auto& metric = got.resource_metrics(0).scope_metrics(0).metrics(0);
    CHECK(metric.name() == "requests");
    CHECK(metric.unit() == "1");
    REQUIRE(metric.has_sum());
    CHECK(metric.sum().aggregation_temporality() == metrics::AGGREGATION_TEMPORALITY_CUMULATIVE);
    CHECK(metric.sum().is_monotonic());
    for (const auto& dp : metric.sum().data_points()) CHECK(dp.time_unix_nano() == next_time++);
  }
  CHECK(next_time == 110);
  CheckSplit(Signal::kMetrics, bytes, 3, SplitPolicy::kFill);
}

TEST_CASE("Split follows the metric oneof: data protobuf would drop stays dropped") {
  auto points = [](std::uint32_t data_field, int n, int first) {
    std::string data;
    for (int i = 0; i < n; ++i) {
      std::string dp;
      AppendTag(dp, 3, WireType::kFixed64);
      std::uint64_t t = static_cast<std::uint64_t>(first + i);
      dp.append(reinterpret_cast<const char*>(&t), 8);
      data += Len(1, dp);
    }
    return Len(data_field, data);
  };
  // gauge{1,2} sum{3,4,5} gauge{6} gauge{7,8}: protobuf keeps gauge{6,7,8}.
  std::string metric = Len(1, "m") + points(5, 2, 1) + points(7, 3, 3) + points(5, 1, 6) + points(5, 2, 7);
  std::string bytes = Len(1, Len(2, Len(2, metric) + Len(2, Len(1, "other") + points(11, 2, 20))));
  CHECK(MustCount(Signal::kMetrics, bytes) == 5);
  for (std::uint64_t max_items : {1ull, 2ull, 4ull})
    CheckSplit(Signal::kMetrics, bytes, max_items, SplitPolicy::kFill);
}

TEST_CASE("Split keeps entries without items and header fields wherever they sit") {
  // A resource with no scopes, a scope with no spans, unknown fields and a
  // schema_url written before the children.
  std::string span_a = Len(5, "a");
  std::string span_b = Len(5, "b");
  std::string span_c = Len(5, "c");
  std::string scope1 = Len(3, "scope-url") + Len(2, span_a) + Len(1, Len(1, "lib")) + Len(2, span_b) +
                       Len(2, span_c) + Len(99, "unknown");
  std::string empty_scope = Len(1, Len(1, "idle"));
  std::string resource =
      Len(3, "res-url") + Len(2, empty_scope) + Len(2, scope1) + Len(1, std::string("\x10\x05", 2));
  std::string bytes = Len(1, Len(3, "only-a-url")) + Len(1, resource) + Len(1, Len(3, "trailing"));
  REQUIRE(MustCount(Signal::kTraces, bytes) == 3);
  std::vector<Piece> pieces = MustSplit(Signal::kTraces, bytes, 2);
  REQUIRE(pieces.size() == 2);
  TraceRequest first, second;
  REQUIRE(first.ParseFromString(pieces[0].bytes));
  REQUIRE(second.ParseFromString(pieces[1].bytes));
  // Piece 1: the empty resource, then the resource cut after "b" (empty scope included).
  REQUIRE(first.resource_spans_size() == 2);
  CHECK(first.resource_spans(0).schema_url() == "only-a-url");
  const auto& r1 = first.resource_spans(1);
  CHECK(r1.schema_url() == "res-url");
  CHECK(r1.resource().dropped_attributes_count() == 5);
  REQUIRE(r1.scope_spans_size() == 2);
  CHECK(r1.scope_spans(0).scope().name() == "idle");
  CHECK(r1.scope_spans(1).scope().name() == "lib");
  CHECK(r1.scope_spans(1).schema_url() == "scope-url");
  CHECK(pieces[0].bytes.find("unknown") != std::string::npos);  // scope header field 99 copied
  REQUIRE(r1.scope_spans(1).spans_size() == 2);
  // Piece 2: "c" with the same headers, then the trailing empty resource.
  REQUIRE(second.resource_spans_size() == 2);
  const auto& r2 = second.resource_spans(0);
  CHECK(r2.schema_url() == "res-url");
  CHECK(r2.resource().dropped_attributes_count() == 5);
  REQUIRE(r2.scope_spans_size() == 1);
  CHECK(r2.scope_spans(0).scope().name() == "lib");
  CHECK(r2.scope_spans(0).schema_url() == "scope-url");
  REQUIRE(r2.scope_spans(0).spans_size() == 1);
  CHECK(r2.scope_spans(0).spans(0).name() == "c");
  CHECK(second.resource_spans(1).schema_url() == "trailing");
  CHECK(pieces[1].bytes.find("unknown") != std::string::npos);
}

TEST_CASE("Split refuses malformed requests") {
  std::string bytes = MakeTraces(2, 1, 3).SerializeAsString();
  auto result = Split(Signal::kTraces, std::string_view(bytes.data(), bytes.size() - 1), 2);
  REQUIRE_FALSE(result.ok());
  CHECK(result.status().code() == StatusCode::kInvalidArgument);
}

TEST_CASE("Resources, Scopes and Items iterate entries with their item counts") {
  MetricsRequest req = MakeMetrics(3, 2, 5, 2);
  std::string bytes = req.SerializeAsString();
  std::uint64_t total = 0;
  int r = 0;
  std::string rebuilt;
  for (const Entry& resource : Resources(Signal::kMetrics, bytes)) {
    CHECK(resource.items == 20);
    CHECK(resource.message == req.resource_metrics(r).SerializeAsString());
    AppendRequest(rebuilt, resource.field);
    int s = 0;
    std::uint64_t in_scopes = 0;
    for (const Entry& scope : Scopes(Signal::kMetrics, resource.message)) {
      CHECK(scope.message == req.resource_metrics(r).scope_metrics(s).SerializeAsString());
      std::uint64_t in_items = 0;
      int m = 0;
      for (const Entry& metric : Items(Signal::kMetrics, scope.message)) {
        CHECK(metric.items == PointCount(req.resource_metrics(r).scope_metrics(s).metrics(m)));
        in_items += metric.items;
        ++m;
      }
      CHECK(m == 5);
      CHECK(in_items == scope.items);
      in_scopes += scope.items;
      ++s;
    }
    CHECK(s == 2);
    CHECK(in_scopes == resource.items);
    total += resource.items;
    ++r;
  }
  CHECK(r == 3);
  CHECK(total == MustCount(Signal::kMetrics, bytes));
  CHECK(rebuilt == bytes);

  // Spans and log records are one item each; Next() works without range-for.
  std::string traces = MakeTraces(1, 1, 4).SerializeAsString();
  EntryRange resources = Resources(Signal::kTraces, traces);
  Entry resource;
  REQUIRE(resources.Next(resource));
  Entry scope;
  REQUIRE(Scopes(Signal::kTraces, resource.message).Next(scope));
  int spans = 0;
  for (const Entry& span : Items(Signal::kTraces, scope.message)) {
    CHECK(span.items == 1);
    ++spans;
  }
  CHECK(spans == 4);
  CHECK_FALSE(resources.Next(resource));
  CHECK_FALSE(resources.malformed());

  // Malformed bytes end the iteration and say so.
  EntryRange broken = Resources(Signal::kLogs, std::string_view(traces.data(), traces.size() - 3));
  int seen = 0;
  for (const Entry& e : broken) {
    (void)e;
    ++seen;
  }
  CHECK(seen == 0);
  CHECK(broken.malformed());
}

TEST_CASE("AppendRequest concatenates requests into one") {
  std::string a = MakeLogs(1, 1, 3).SerializeAsString();
  std::string b = MakeLogs(2, 1, 2).SerializeAsString();
  std::string batch = a;
  AppendRequest(batch, b);
  CHECK(MustCount(Signal::kLogs, batch) == 7);
  LogsRequest req;
  REQUIRE(req.ParseFromString(batch));
  CHECK(req.resource_logs_size() == 3);
}

}  // namespace
}  // namespace otlpd::wire
