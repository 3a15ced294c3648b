#include "otlp/wire/wire_walker.h"

#include <google/protobuf/stubs/logging.h>

#include <catch2/catch.hpp>
#include <memory>
#include <random>
#include <string>

#include "otlp/wire/utf8.h"
#include "test/otlp/wire/otlp_test_data.h"

namespace otlpd::wire {
namespace {

using namespace testing;

std::string Len(std::uint32_t field, std::string_view payload) {
  std::string out;
  AppendLengthDelimited(out, field, payload);
  return out;
}

std::string VarintField(std::uint32_t field, std::uint64_t value) {
  std::string out;
  AppendTag(out, field, WireType::kVarint);
  AppendVarint(out, value);
  return out;
}

std::string Fixed64Field(std::uint32_t field, std::uint64_t value) {
  std::string out;
  AppendTag(out, field, WireType::kFixed64);
  out.append(reinterpret_cast<const char*>(&value), 8);
  return out;
}

// A request holding one span (traces), metric (metrics) or log record (logs) given as raw bytes.
std::string WrapItem(Signal /*signal*/, std::string_view item) { return Len(1, Len(2, Len(2, item))); }

// Validates a heap copy of exactly the given size, so ASan sees any over-read.
Result<std::uint64_t> ValidateCopy(Signal signal, std::string_view bytes) {
  std::unique_ptr<char[]> copy(new char[bytes.size() + 1]);
  std::memcpy(copy.get(), bytes.data(), bytes.size());
  return ValidateAndCount(signal, std::string_view(copy.get(), bytes.size()));
}

std::string ErrorOf(Signal signal, std::string_view bytes) {
  auto result = ValidateCopy(signal, bytes);
  REQUIRE_FALSE(result.ok());
  CHECK(result.status().code() == StatusCode::kInvalidArgument);
  return result.status().message();
}

// Whatever the walker accepts protobuf must parse, with the same item count.
void CheckAgreesWithProtobuf(Signal signal, std::string_view bytes, bool expect_same_verdict) {
  auto ours = ValidateCopy(signal, bytes);
  Parsed theirs = ParseWithProtobuf(signal, bytes);
  if (ours.ok()) {
    INFO("walker accepted bytes protobuf rejects");
    REQUIRE(theirs.ok);
    REQUIRE(*ours == theirs.items);
  }
  if (expect_same_verdict) REQUIRE(ours.ok() == theirs.ok);
}

std::string Sample(Signal signal) {
  switch (signal) {
    case Signal::kTraces: return MakeTraces(2, 2, 3).SerializeAsString();
    case Signal::kMetrics: return MakeMetrics(2, 2, 5, 2).SerializeAsString();
    case Signal::kLogs: return MakeLogs(2, 2, 4).SerializeAsString();
    case Signal::kProfiles: break;  // covered by test_profiles
  }
  return {};
}

TEST_CASE("counts spans, metric points and log records") {
  struct Case {
    Signal signal;
    std::string bytes;
    std::uint64_t items;
  };
  std::vector<Case> cases = {
      {Signal::kTraces, MakeTraces(3, 2, 4).SerializeAsString(), 24},
      {Signal::kMetrics, MakeMetrics(2, 2, 5, 3).SerializeAsString(), 60},
      {Signal::kLogs, MakeLogs(2, 3, 5).SerializeAsString(), 30},
      {Signal::kTraces, "", 0},
      {Signal::kMetrics, "", 0},
      {Signal::kLogs, "", 0},
      {Signal::kTraces, MakeTraces(2, 0, 0).SerializeAsString(), 0},
      {Signal::kMetrics, MakeMetrics(1, 2, 3, 0).SerializeAsString(), 0},  // metrics without points
      {Signal::kLogs, MakeLogs(1, 2, 0).SerializeAsString(), 0},
  };
  for (const Case& c : cases) {
    CAPTURE(SignalName(c.signal), c.items);
    auto result = ValidateAndCount(c.signal, c.bytes);
    REQUIRE(result.ok());
    CHECK(*result == c.items);
    CHECK(ParseWithProtobuf(c.signal, c.bytes).items == c.items);
  }
}

TEST_CASE("metric points follow protobuf's oneof rules") {
  auto points = [](std::uint32_t data_field, int n) {
    std::string data;
    for (int i = 0; i < n; ++i) data += Len(1, Fixed64Field(3, 1000 + i));
    return Len(data_field, data);
  };
  std::string name = Len(1, "m");
  struct Case {
    std::string metric;
    std::uint64_t items;
  };
  std::vector<Case> cases = {
      {name + points(5, 2) + points(7, 3), 3},                   // sum replaces gauge
      {name + points(5, 2) + points(5, 1), 3},                   // repeats merge
      {name + points(5, 2) + points(7, 3) + points(5, 1), 1},    // back to gauge: only the last one
      {points(9, 2) + name + points(10, 4) + points(11, 1), 1},  // histogram, exp histogram, summary
      {name, 0},
  };
  for (const Case& c : cases) {
    std::string req = WrapItem(Signal::kMetrics, c.metric);
    auto result = ValidateAndCount(Signal::kMetrics, req);
    REQUIRE(result.ok());
    CHECK(*result == c.items);
    CHECK(ParseWithProtobuf(Signal::kMetrics, req).items == c.items);
  }
}

TEST_CASE("repeated scalars may be packed or not") {
  // HistogramDataPoint: bucket_counts (6) unpacked fixed64, explicit_bounds (7) packed doubles.
  std::string hdp = Fixed64Field(6, 1) + Fixed64Field(6, 2) + Len(7, std::string(8, '\0'));
  // ExponentialHistogramDataPoint.positive: bucket_counts (2) unpacked varints, negative packed.
  std::string packed_varints;
  AppendVarint(packed_varints, 300);
  AppendVarint(packed_varints, 1);
  std::string ehdp = Len(8, VarintField(2, 7) + VarintField(2, 1u << 20)) + Len(9, Len(2, packed_varints));
  std::string metric = Len(9, Len(1, hdp));
  std::string metric2 = Len(10, Len(1, ehdp));
  for (const std::string& m : {metric, metric2}) {
    std::string req = WrapItem(Signal::kMetrics, m);
    auto result = ValidateAndCount(Signal::kMetrics, req);
    REQUIRE(result.ok());
    CHECK(*result == 1);
    CheckAgreesWithProtobuf(Signal::kMetrics, req, true);
  }
  // A packed fixed64 run must be whole 8-byte values; packed varints must be complete.
  CHECK_THAT(
      ErrorOf(Signal::kMetrics, WrapItem(Signal::kMetrics, Len(9, Len(1, Len(6, std::string(7, 'x')))))),
      Catch::Contains("packed fixed64 field 6"));
  CHECK_THAT(ErrorOf(Signal::kMetrics, WrapItem(Signal::kMetrics, Len(10, Len(1, Len(8, Len(2, "\x80")))))),
             Catch::Contains("malformed packed varint field 2"));
}

TEST_CASE("every truncated prefix is rejected unless it ends on a field boundary") {
  google::protobuf::LogSilencer quiet;  // cuts inside strings leave invalid UTF-8
  for (Signal signal : kAllSignals) {
    std::string bytes = Sample(signal);
    std::size_t accepted = 0;
    for (std::size_t len = 0; len < bytes.size(); ++len) {
      CAPTURE(SignalName(signal), len);
      std::string_view prefix(bytes.data(), len);
      CheckAgreesWithProtobuf(signal, prefix, true);
      if (ValidateCopy(signal, prefix).ok()) ++accepted;
    }
    // Only cuts between top-level resource entries leave a valid request.
    CHECK(accepted == 2);
  }
}

TEST_CASE("errors name the path and the field") {
  std::string good_span = Len(5, "ok");
  std::string bad_span = good_span + Len(9, std::string(20, 'a')).substr(0, 7);  // field 9 claims 20, has 5
  std::string scope0 = Len(2, good_span);
  std::string scope1 =
      Len(1, Len(1, "lib")) + Len(2, good_span) + Len(2, good_span) + Len(2, good_span) + Len(2, bad_span);
  std::string req = Len(1, Len(2, scope0) + Len(2, scope1));
  CHECK(ErrorOf(Signal::kTraces, req) ==
        "resource_spans[0].scope_spans[1].spans[3]: truncated length-delimited field 9 (attributes)");

  std::string kv = Len(1, "k") + Len(2, Len(6, Len(1, Len(1, "inner") + Len(2, VarintField(1, 5)))));
  CHECK(ErrorOf(Signal::kTraces, WrapItem(Signal::kTraces, Len(9, kv))) ==
        "resource_spans[0].scope_spans[0].spans[0].attributes[0].value.kvlist_value.values[0].value: "
        "wrong wire type 0 for field 1 (string_value)");

  CHECK(ErrorOf(Signal::kLogs, Len(1, Len(1, Len(1, VarintField(2, 1))))) ==
        "resource_logs[0].resource.attributes[0]: wrong wire type 0 for field 2 (value)");
  CHECK(ErrorOf(Signal::kMetrics, "\x0A\x05\x12") == "truncated length-delimited field 1 (resource_metrics)");
  CHECK(ErrorOf(Signal::kTraces, "\x0A") == "truncated length-delimited field 1 (resource_spans)");
  CHECK(ErrorOf(Signal::kTraces, "\x80") == "truncated tag");
}

TEST_CASE("known fields must have their schema's wire type") {
  struct Case {
    std::string span;
    const char* error;
  };
  std::vector<Case> cases = {
      {VarintField(5, 1), "wrong wire type 0 for field 5 (name)"},
      {VarintField(7, 1), "wrong wire type 0 for field 7 (start_time_unix_nano)"},
      {Len(6, "x"), "wrong wire type 2 for field 6 (kind)"},
      {Fixed64Field(16, 1), "wrong wire type 1 for field 16 (flags)"},
      {VarintField(9, 1), "wrong wire type 0 for field 9 (attributes)"},
      {std::string("\x7B\x7C", 2), "wrong wire type 3 for field 15 (status)"},  // status as a group
  };
  for (const Case& c : cases) {
    CHECK_THAT(ErrorOf(Signal::kTraces, WrapItem(Signal::kTraces, c.span)), Catch::EndsWith(c.error));
  }
  CHECK_THAT(ErrorOf(Signal::kTraces, Len(1, Len(1, Len(1, Len(2, VarintField(4, 1)))))),
             Catch::Contains("wrong wire type 0 for field 4 (double_value)"));
}

TEST_CASE("proto3 strings must be valid UTF-8") {
  google::protobuf::LogSilencer quiet;
  for (std::string bad : {std::string("\xC3\x28"), std::string("\xC0\xAF"), std::string("\xED\xA0\x80"),
                          std::string("\xF4\x90\x80\x80"), std::string("ok\xE2\x82"), std::string("\xFF")}) {
    std::string req = WrapItem(Signal::kTraces, Len(5, bad));
    CHECK(ErrorOf(Signal::kTraces, req) ==
          "resource_spans[0].scope_spans[0].spans[0]: invalid UTF-8 in string field 5 (name)");
    CHECK_FALSE(ParseWithProtobuf(Signal::kTraces, req).ok);
  }
  // Built by protobuf, patched afterwards: serializing invalid UTF-8 would log an error.
  TraceRequest traces = MakeTraces(1, 1, 2);
  traces.mutable_resource_spans(0)->mutable_scope_spans(0)->mutable_spans(1)->set_name("SPAN@NAME");
  std::string bytes = traces.SerializeAsString();
  bytes.replace(bytes.find("SPAN@NAME"), 9,
                "SPAN\xFF"
                "NAME");
  CHECK(ErrorOf(Signal::kTraces, bytes) ==
        "resource_spans[0].scope_spans[0].spans[1]: invalid UTF-8 in string field 5 (name)");
  // Keys, scope names and log bodies are strings too; bytes fields are not.
  CHECK_THAT(ErrorOf(Signal::kLogs, WrapItem(Signal::kLogs, Len(6, Len(1, "\xC3")))),
             Catch::EndsWith("log_records[0].attributes[0]: invalid UTF-8 in string field 1 (key)"));
  CHECK_THAT(ErrorOf(Signal::kLogs, WrapItem(Signal::kLogs, Len(5, Len(1, "\xC3")))),
             Catch::EndsWith("log_records[0].body: invalid UTF-8 in string field 1 (string_value)"));
  CHECK_THAT(ErrorOf(Signal::kTraces, Len(1, Len(2, Len(1, Len(1, "\x80"))))),
             Catch::EndsWith("scope_spans[0].scope: invalid UTF-8 in string field 1 (name)"));
  CHECK(ValidateAndCount(Signal::kLogs, WrapItem(Signal::kLogs, Len(5, Len(7, "\xFF\xC3")))).ok());
}

// n AnyValues nested through arrays (kvlist = false) or kvlists as a log body.
std::string NestedBody(int n, bool kvlist) {
  std::string value = VarintField(3, 42);
  for (int i = 1; i < n; ++i) {
    value = kvlist ? Len(6, Len(1, Len(1, "k") + Len(2, value))) : Len(5, Len(1, value));
  }
  return WrapItem(Signal::kLogs, Len(5, value));
}

TEST_CASE("nesting depth is bounded exactly where protobuf bounds it") {
  google::protobuf::LogSilencer quiet;
  for (bool kvlist : {false, true}) {
    int deepest_ok = 0;
    for (int n = 1; n < 70; ++n) {
      CAPTURE(kvlist, n);
      std::string req = NestedBody(n, kvlist);
      CheckAgreesWithProtobuf(Signal::kLogs, req, true);
      if (ValidateAndCount(Signal::kLogs, req).ok()) deepest_ok = n;
    }
    // log body at depth 4; each array level adds 2, each kvlist level 3; the limit is depth 100.
    CHECK(deepest_ok == (kvlist ? 33 : 49));
    CHECK_THAT(ErrorOf(Signal::kLogs, NestedBody(deepest_ok + 1, kvlist)),
               Catch::Contains("nested deeper than 100"));
  }
  // Far deeper input fails fast without exhausting the stack.
  std::string value = VarintField(3, 1);
  for (int i = 0; i < 3000; ++i) value = Len(5, Len(1, value));
  CHECK_THAT(ErrorOf(Signal::kLogs, WrapItem(Signal::kLogs, Len(5, value))),
             Catch::Contains("nested deeper"));
}

TEST_CASE("unknown fields are skipped, groups included") {
  google::protobuf::LogSilencer quiet;
  std::string group = std::string("\xA3\x06", 2) /* start group 100 */ + VarintField(1, 5) +
                      std::string("\xAB\x06", 2) /* start group 101 */ + Len(2, "x") +
                      std::string("\xAC\x06", 2) /* end 101 */ + std::string("\xA4\x06", 2) /* end 100 */;
  std::string unknowns = VarintField(99, 1) + Fixed64Field(98, 2) + Len(97, "\xFF\xFF") +
                         std::string("\x85\x06\x01\x02\x03\x04", 6) /* fixed32 field 96 */ + group;
  std::string span = Len(5, "s") + unknowns;
  std::string req = WrapItem(Signal::kTraces, span) + Len(1000, "reserved") + unknowns;
  auto result = ValidateAndCount(Signal::kTraces, req);
  REQUIRE(result.ok());
  CHECK(*result == 1);
  CheckAgreesWithProtobuf(Signal::kTraces, req, true);
  // Reserved numbers (Status 1, Metric 4, ResourceSpans 1000) are unknown too.
  CHECK(ValidateAndCount(Signal::kTraces, WrapItem(Signal::kTraces, Len(15, VarintField(1, 1)))).ok());

  struct Case {
    std::string bytes;
    const char* error;
  };
  std::vector<Case> bad = {
      {std::string("\xA3\x06", 2) + VarintField(1, 5), "malformed or too deep group field 100"},
      {std::string("\xA3\x06\xAC\x06", 4), "malformed or too deep group field 100"},  // wrong end number
      {std::string("\xA4\x06", 2), "unexpected end-group tag field 100"},
      {std::string("\x3E", 1), "invalid tag"},                      // wire type 6
      {std::string("\x00", 1), "invalid tag"},                      // field 0
      {std::string("\x85\x80\x80\x80\x80\x00", 6), "invalid tag"},  // 6-byte tag
  };
  for (const Case& c : bad) {
    std::string r = WrapItem(Signal::kTraces, Len(5, "s") + c.bytes);
    CHECK_THAT(ErrorOf(Signal::kTraces, r), Catch::Contains(c.error));
    CheckAgreesWithProtobuf(Signal::kTraces, r, true);
  }
  // Groups deeper than the nesting limit are refused like messages.
  std::string deep;
  for (int i = 0; i < 120; ++i) deep += "\xA3\x06";
  for (int i = 0; i < 120; ++i) deep += "\xA4\x06";
  CheckAgreesWithProtobuf(Signal::kTraces, WrapItem(Signal::kTraces, deep), true);
  CHECK_FALSE(ValidateAndCount(Signal::kTraces, WrapItem(Signal::kTraces, deep)).ok());
}

TEST_CASE("trace and span ids are empty or full length") {
  CHECK(ValidateAndCount(Signal::kTraces, WrapItem(Signal::kTraces, Len(1, "") + Len(2, ""))).ok());
  CHECK(ValidateAndCount(Signal::kTraces, WrapItem(Signal::kTraces, Len(1, Id(16, 1)) + Len(2, Id(8, 1))))
            .ok());
  CHECK_THAT(ErrorOf(Signal::kTraces, WrapItem(Signal::kTraces, Len(1, Id(15, 1)))),
             Catch::EndsWith("trace id field 1 is neither empty nor 16 bytes (trace_id)"));
  CHECK_THAT(ErrorOf(Signal::kTraces, WrapItem(Signal::kTraces, Len(4, Id(16, 1)))),
             Catch::EndsWith("span id field 4 is neither empty nor 8 bytes (parent_span_id)"));
  CHECK_THAT(ErrorOf(Signal::kTraces, WrapItem(Signal::kTraces, Len(13, Len(2, "x")))),
             Catch::EndsWith("links[0]: span id field 2 is neither empty nor 8 bytes (span_id)"));
  CHECK_THAT(ErrorOf(Signal::kLogs, WrapItem(Signal::kLogs, Len(9, "abc"))),
             Catch::Contains("trace id field 9"));
  CHECK_THAT(
      ErrorOf(Signal::kMetrics, WrapItem(Signal::kMetrics, Len(5, Len(1, Len(5, Len(4, "abc")))))),
      Catch::EndsWith(
          "gauge.data_points[0].exemplars[0]: span id field 4 is neither empty nor 8 bytes (span_id)"));
}

TEST_CASE("random mutations never crash and never accept what protobuf rejects") {
  google::protobuf::LogSilencer quiet;
  std::mt19937_64 rng(20240601);
  for (Signal signal : kAllSignals) {
    const std::string base = Sample(signal);
    int accepted = 0;
    for (int iter = 0; iter < 4000; ++iter) {
      std::string bytes = base;
      int flips = 1 + static_cast<int>(rng() % 4);
      for (int f = 0; f < flips; ++f) {
        std::size_t pos = rng() % bytes.size();
        switch (rng() % 4) {
          case 0: bytes[pos] = static_cast<char>(rng()); break;
          case 1: bytes[pos] = static_cast<char>(bytes[pos] ^ (1 << (rng() % 8))); break;
          case 2: bytes.erase(pos, 1 + rng() % 3); break;
          case 3: bytes.insert(pos, 1, static_cast<char>(rng())); break;
        }
        if (bytes.empty()) bytes = base;
      }
      CAPTURE(SignalName(signal), iter);
      CheckAgreesWithProtobuf(signal, bytes, false);
      if (ValidateCopy(signal, bytes).ok()) ++accepted;
    }
    CHECK(accepted > 0);  // some mutations only touch values
  }
}

TEST_CASE("other signals' bytes are judged by this signal's schema") {
  // A traces request read as logs: ScopeLogs.log_records are spans' bytes, whose
  // field 5 (name, a string) is LogRecord.body (an AnyValue message).
  std::string traces = MakeTraces(1, 1, 1).SerializeAsString();
  CHECK_FALSE(ValidateAndCount(Signal::kLogs, traces).ok());
}

}  // namespace
}  // namespace otlpd::wire

namespace otlpd::wire {
namespace {

TEST_CASE("attributes in every layout get protobuf's verdict, the plain fast path included") {
  google::protobuf::LogSilencer quiet;
  const std::string k = Len(1, "http.route");
  std::string dbl = Fixed64Field(4, 0x400921FB54442D18ull);
  const std::vector<std::pair<const char*, std::string>> cases = {
      {"string", k + Len(2, Len(1, "/api/v1"))},
      {"empty string", k + Len(2, Len(1, ""))},
      {"bool", k + Len(2, VarintField(2, 1))},
      {"int, 10-byte varint", k + Len(2, VarintField(3, ~0ull))},
      {"double", k + Len(2, dbl)},
      {"empty value", k + Len(2, "")},
      {"no value", k},
      {"no key", Len(2, Len(1, "v"))},
      {"value first", Len(2, Len(1, "v")) + k},
      {"key twice", k + k + Len(2, Len(1, "v"))},
      {"value twice", k + Len(2, Len(1, "a")) + Len(2, VarintField(3, 7))},
      {"two members in one value", k + Len(2, Len(1, "a") + VarintField(3, 7))},
      {"bytes value", k + Len(2, Len(7, "\xFF\x00"))},
      {"array value", k + Len(2, Len(5, Len(1, Len(1, "x"))))},
      {"kvlist value", k + Len(2, Len(6, Len(1, k + Len(2, VarintField(3, 1)))))},
      {"unknown field after", k + Len(2, Len(1, "v")) + VarintField(9, 1)},
      {"unknown field in value", k + Len(2, Len(1, "v") + VarintField(9, 1))},
      {"invalid UTF-8 key", Len(1, "k\xC3") + Len(2, Len(1, "v"))},
      {"invalid UTF-8 value", k + Len(2, Len(1, "v\xED\xA0\x80"))},
      {"non-ASCII key and value", Len(1, "cl\xC3\xA9") + Len(2, Len(1, "\xE2\x82\xAC 12"))},
      {"value cut short", k + Len(2, Len(1, "value")).substr(0, 5)},
      {"value length past the attribute", k + "\x12\x09" + Len(1, "v")},
      {"string length past the value", k + Len(2, std::string("\x0A\x09v"))},
      {"varint cut short", k + Len(2, std::string("\x18\xFF"))},
      {"double cut short", k + Len(2, dbl.substr(0, 6))},
  };
  for (const auto& [name, kv] : cases) {
    CAPTURE(name);
    // As a span attribute and as a resource attribute (another depth, other parents).
    CheckAgreesWithProtobuf(Signal::kTraces, WrapItem(Signal::kTraces, Len(9, kv)), true);
    CheckAgreesWithProtobuf(Signal::kTraces, Len(1, Len(1, Len(1, kv))), true);
  }
  // A known field with another wire type: refused, as Go's protobuf refuses it (C++ protobuf keeps
  // it as an unknown field).
  for (const std::string& kv : {k + Len(2, VarintField(1, 5)), k + Len(2, Fixed64Field(2, 1)),
                                VarintField(1, 3) + Len(2, Len(1, "v"))}) {
    CHECK_THAT(ErrorOf(Signal::kTraces, WrapItem(Signal::kTraces, Len(9, kv))),
               Catch::Contains("wrong wire type"));
  }
  // A bad attribute is named by its path whichever way it was checked.
  CHECK_THAT(ErrorOf(Signal::kTraces, WrapItem(Signal::kTraces, Len(9, k + Len(2, Len(1, "ok"))) +
                                                                    Len(9, k + Len(2, Len(1, "\xC3"))))),
             Catch::EndsWith("spans[0].attributes[1].value: invalid UTF-8 in string field 1 (string_value)"));
}

TEST_CASE("IsValidUtf8 finds a bad byte at any position of any length") {
  for (std::size_t n = 0; n <= 40; ++n) {
    const std::string ascii(n, 'a');
    CHECK(IsValidUtf8(ascii));
    for (std::size_t i = 0; i < n; ++i) {
      CAPTURE(n, i);
      std::string bad = ascii;
      bad[i] = '\xFF';
      CHECK_FALSE(IsValidUtf8(bad));
      std::string lead = ascii;  // a two-byte lead with no continuation
      lead[i] = '\xC3';
      CHECK_FALSE(IsValidUtf8(lead));
      if (i + 1 < n) {
        std::string good = ascii;  // U+00E9
        good[i] = '\xC3';
        good[i + 1] = '\xA9';
        CHECK(IsValidUtf8(good));
      }
    }
  }
}

}  // namespace
}  // namespace otlpd::wire
