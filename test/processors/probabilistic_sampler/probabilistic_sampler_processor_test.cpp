// Test vectors for the probabilistic_sampler, derived from the documented
// algorithm (otel-compat C.5) and from otelcol-contrib v0.165's own test
// tables (tracesprocessor_test.go, logsprocessor_test.go), whose expected
// values are what the Go processor produces. Every case goes through the
// wire-level sampler and the output is parsed back with protobuf.
#include <catch2/catch.hpp>
#include <cmath>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <variant>

#include "config/error.h"
#include "config/loader.h"
#include "opentelemetry/proto/collector/logs/v1/logs_service.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "processors/probabilistic_sampler/config.h"
#include "processors/probabilistic_sampler/probabilistic_sampler_processor.h"
#include "processors/probabilistic_sampler/sampler.h"
#include "processors/probabilistic_sampler/sampling.h"
#include "processors/probabilistic_sampler/tracestate.h"
#include "test/support/sink.h"

// The case tables leave trailing members at their defaults on purpose.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

using namespace otlpd;
using namespace otlpd::processors::probabilistic_sampler;
using opentelemetry::proto::collector::logs::v1::ExportLogsServiceRequest;
using opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;
using opentelemetry::proto::common::v1::AnyValue;
using opentelemetry::proto::logs::v1::LogRecord;
using opentelemetry::proto::trace::v1::Span;

namespace {

constexpr std::uint32_t kDefaultHashSeed = 4312;  // otelcol's tests use it

std::string Tid(std::string_view hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    out += static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16));
  return out;
}

// A Config as Go's zero value `&Config{}` (the Go tests build configs that
// way, bypassing the factory defaults): fail open, precision 0 (= 14 digits),
// no attribute source.
Config GoConfig(float pct, Mode mode = Mode::kUnset) {
  Config c;
  c.sampling_percentage = pct;
  c.mode = mode;
  c.fail_closed = false;
  c.sampling_precision = 0;
  c.attribute_source = "";
  return c;
}

AnyValue IntValue(std::int64_t v) {
  AnyValue a;
  a.set_int_value(v);
  return a;
}
AnyValue DoubleValue(double v) {
  AnyValue a;
  a.set_double_value(v);
  return a;
}
AnyValue StrValue(std::string v) {
  AnyValue a;
  a.set_string_value(std::move(v));
  return a;
}
AnyValue BytesValue(std::string v) {
  AnyValue a;
  a.set_bytes_value(std::move(v));
  return a;
}

std::string SpanId(std::uint64_t v) {
  std::string s(8, '\0');
  for (int i = 7; i >= 0; --i) {
    s[static_cast<std::size_t>(i)] = static_cast<char>(v & 0xFF);
    v >>= 8;
  }
  return s;
}

ExportTraceServiceRequest SingleSpan(const std::string& tid, const std::string& ts,
                                     const std::string& key = "", const AnyValue& value = AnyValue()) {
  ExportTraceServiceRequest req;
  Span* s = req.add_resource_spans()->add_scope_spans()->add_spans();
  s->set_trace_id(tid);
  s->set_span_id(SpanId(0xfefefefe));
  s->set_trace_state(ts);
  if (!key.empty()) {
    auto* kv = s->add_attributes();
    kv->set_key(key);
    *kv->mutable_value() = value;
  }
  return req;
}

// Runs the sampler over a request; the spans it forwards (none when it forwards nothing).
std::optional<ExportTraceServiceRequest> SampleTraces(const Config& cfg,
                                                      const ExportTraceServiceRequest& in) {
  Sampler sampler(cfg, Signal::kTraces);
  std::string bytes = in.SerializeAsString();
  SampledRequest out;
  REQUIRE(SampleRequest(sampler, Signal::kTraces, bytes, out).ok());
  if (out.outcome == SampledRequest::Outcome::kEmpty) return std::nullopt;
  ExportTraceServiceRequest got;
  REQUIRE(got.ParseFromString(out.outcome == SampledRequest::Outcome::kUnchanged ? bytes : out.bytes));
  return got;
}

std::optional<ExportLogsServiceRequest> SampleLogs(const Config& cfg, const ExportLogsServiceRequest& in) {
  Sampler sampler(cfg, Signal::kLogs);
  std::string bytes = in.SerializeAsString();
  SampledRequest out;
  REQUIRE(SampleRequest(sampler, Signal::kLogs, bytes, out).ok());
  if (out.outcome == SampledRequest::Outcome::kEmpty) return std::nullopt;
  ExportLogsServiceRequest got;
  REQUIRE(got.ParseFromString(out.outcome == SampledRequest::Outcome::kUnchanged ? bytes : out.bytes));
  return got;
}

int CountSpans(const std::optional<ExportTraceServiceRequest>& r) {
  if (!r) return 0;
  int n = 0;
  for (const auto& rs : r->resource_spans())
    for (const auto& ss : rs.scope_spans()) n += ss.spans_size();
  return n;
}

int CountLogs(const std::optional<ExportLogsServiceRequest>& r) {
  if (!r) return 0;
  int n = 0;
  for (const auto& rl : r->resource_logs())
    for (const auto& sl : rl.scope_logs()) n += sl.log_records_size();
  return n;
}

// A log record's attributes as a map of their values' debug strings.
std::map<std::string, std::string> Attrs(const LogRecord& r) {
  std::map<std::string, std::string> m;
  for (const auto& kv : r.attributes()) {
    const AnyValue& v = kv.value();
    std::string s;
    if (v.has_string_value())
      s = "s:" + v.string_value();
    else if (v.has_int_value())
      s = "i:" + std::to_string(v.int_value());
    else if (v.has_double_value())
      s = "d:" + std::to_string(v.double_value());
    else
      s = "?";
    m[kv.key()] = s;
  }
  return m;
}

double AdjustedCount(std::string_view tracestate) {
  W3CTraceState ts;
  REQUIRE(ParseW3CTraceState(tracestate, ts));
  if (ts.otel.tvalue.empty()) return 0;
  return 1.0 / Probability(ts.otel.threshold);
}

}  // namespace

// ---------------------------------------------------------------------------
// The arithmetic

TEST_CASE("hash_seed FNV buckets match otelcol's TestEmptyHashFunction") {
  CHECK((HashSeedFnv("", 0) & 0x3FFF) == 0x3515);
  CHECK((HashSeedFnv(std::string(16, '\0'), 0) & 0x3FFF) == 0x2455);
  // FNV-1a 32 reference values: the seed goes first as 4 little-endian bytes.
  CHECK(HashSeedFnv("", 0) == 0x4b95f515u);  // FNV-1a of "\0\0\0\0"
}

TEST_CASE("hash_seed randomness re-expresses the bucket as OTEP 235 randomness") {
  std::string tid = Tid("474a03c76d75951a4b4c537ced8f1122");
  std::uint32_t h = HashSeedFnv(tid, 653);
  std::uint64_t bucket = h & 0x3FFF;
  std::uint64_t u = h >> 18;
  Randomness r = HashSeedRandomness(tid, 653);
  CHECK(r.value == (((16383 - bucket) << 42) | ((u ^ (u << 10)) << 14) | bucket));
  CHECK(r.value < kMaxAdjustedCount);
  // "bucket < scaled" and "threshold <= randomness" agree for every scaled rate.
  for (std::uint64_t scaled = 1; scaled <= 16384; scaled += 97) {
    Threshold t{(16384 - scaled) << 42};
    CHECK((bucket < scaled) == ShouldSample(t, r));
  }
}

TEST_CASE("hash_seed 50% decisions match otelcol's TestHashingFunction table") {
  struct Case {
    std::uint32_t seed;
    const char* tid;
    bool sampled;
  };
  const Case cases[] = {
      {653, "474a03c76d75951a4b4c537ced8f1122", true},  {563, "53a518291e91307e43cd8467bb06f986", true},
      {142, "a56a02f843b9bc6ee0b13889249e90e6", true},  {904, "4e40762d3ee97a1c0932e4fa584f89a8", false},
      {445, "5224507db93db513f0ea2a4b4e0578c8", true},  {38, "0c8717ced36216037af657e9d7f8b35b", true},
      {561, "2a8aa76c18d08e1e8be935541f9318c7", false}, {757, "9e3d0f9481dc422cb613ea550897ae71", false},
      {22, "66a66c516ac22054673e5da5e6492545", false},  {172, "84a1ce7bcea3e66194e72b4aa2694e31", true},
      {552, "a811a7def34ca4b98d8e320afd115fad", false}, {546, "e3a345cc8dbb6f014bfa1edad3981820", true},
      {315, "a71effb50e28d27cbdc9892f3765b8c2", false}, {510, "55ee665a3fa22f8ea1b744ce15a7339d", false},
      {230, "7a5006be4d0ce7b542d59f83cd6f1c41", false}, {544, "825b8fb9cfd45867794f4cd8a5a699bd", false},
      {790, "7629ecbea89398bfd9752a2f51c2c137", true},  {555, "de6cdfb44d69e211f886c57120d7bda0", true},
      {147, "a8a5c3bb9205883fae17ead6675b2450", false}, {238, "937e6cb3332dbe87062fa3997f48f425", false},
      {122, "5a357e150995e005847816c431ba502d", false}, {963, "20cb3dcebe2cf8abe6102f4a2e548245", false},
      {141, "1b0afbd09abaaf7996cd26f8f6533795", false}, {666, "3ee60b013303bcfda06be89071b90bd1", true},
      {305, "c90c7cf3471bbc3a804a8a831633705b", true},  {270, "18dda74dfca45a7b0261510f385fb4de", true},
      {381, "600cf70c7bb4918e54aefd78c84f3996", true},  {35, "855f493c5b5b1e2fcbc9993f8061eac8", false},
      {839, "89bc498feb21d969cf0eabf916aa621a", false}, {561, "0a0af00f63e098a39883705a423b0aa8", true},
      {667, "0c38553d71f54dfc37155c22cc8bf243", false}, {603, "49493809d1a49ea879e6aba37afde958", true},
      {92, "eb60d98b8f8fe22d8970f44f0e2b6bad", true},   {70, "19c386ee7a9f2d56ff9ab2e6374540af", false},
      {567, "2a033c15405f1c7a311f653719ed47b7", false}, {936, "62dda24e4be24f5198e4d8dd4010c811", true},
      {210, "bb134e26ee92e282e29cabdb1d00d333", true},  {835, "6c77db08bbded7bdd5c99c6e2fea41d2", false},
      {864, "99f6a7e7b50845b4fb64b7c2ee49f53c", true},  {775, "e908cb91224bee8fd4b5f3632f65717f", true},
      {687, "45a5ace7234d92d9983b4f3858bc0b8e", false}, {761, "8c8a25d232fd4d3a37a5f70ccb82d752", false},
      {400, "54156d7434a894ef07f2a80dbf0f1138", true},  {741, "67e3bfb02b0526dbb79420468d7b83dd", false},
      {871, "f6ea221283dcb42f89bfb15fa33398d2", false}, {244, "b663ca45004decf8123a19fb5d7f7115", true},
      {885, "d0e299d54d6dc6469276fd4e48301d73", true},  {607, "03240c2748aa67a185909a9345d84aba", false},
      {434, "b00de72ba67e6fe0ed661decac911f7e", true},  {889, "20fff68a7cc715b30e4e6d69d53e0f60", false},
      {810, "6bf2bb105e594f6220803da5253551af", false}, {494, "54fbb1d3ebe3883b0a01bbf2c9a2bf3e", true},
      {413, "a8a2ecba129d8537e360cf54de9d7460", false}, {215, "2df034262b775136f2a313fdcc09738a", true},
      {557, "e3c1b943d9c1199d1108a69aa32a4587", false}, {662, "1975d5f5640bac1064d53c2c21e02aae", false},
      {482, "6e4f16727dec3c09539b5f50d35d2c13", false}, {223, "63a088446ef0ed60a9cace4698ede026", false},
      {261, "9b662cd6f67a4e3d1f904b4c5d4275b1", true},  {112, "a2db788dbadc402b8c466b93b8749a6c", true},
      {6, "d6a68b47c66d1f94eed46b8ddc72faf4", false},   {575, "e8a83c42f4515568d0942ec4472c9d2c", true},
      {568, "030e14c2954e3f08134b355f33414ba9", false}, {965, "022315846d42a38322d6fd26250444b3", true},
      {512, "b3ba1ed226288dede87ac1f2ba88de2b", true},  {108, "c57d0dcf43d5b154ef04c7953c94cd12", true},
      {248, "a835fe521d9cbfcfb724b603f87c7403", false}, {46, "eda867e6df95e74abefac336c7f4cd1a", false},
      {879, "09e9e67a261ea3e00d817105b57ffd4e", false}, {853, "6a780cf250cb3d2b699394042e6723a8", false},
      {639, "4c99d7f14c66b3123caf57980f8e2a31", false}, {111, "79dc8d7a54bc3e8ef513b9cd8d830564", true},
      {135, "9c2e5d9d713e5219b0f9e5b884835e69", false}, {209, "3ccb300bf7b983229979e0c46db267b0", true},
      {629, "0bb7b9da64da250c3934bb39130dc990", true},  {910, "b25713ca4cea377871eaa334bc2dd382", true},
      {667, "69afc041003851cec60f41db97e005a9", true},  {449, "c844b5428abe0cf82eaf02566781870a", true},
      {16, "2533c732bed8c1ba4721c25a1205f06c", false},  {936, "ecc770b4be885dfc8d6fa135bc2c93bb", true},
      {595, "63b67cbb42de52e9916241ad94fcd5e8", true},  {83, "fc4998bc53ccd42a5b8e7c86a93d4c88", false},
      {878, "59f0677dffe1a0a8c5895cb263e3a019", false}, {206, "eb897eff9e7c7363e063b340a0c6b315", true},
      {710, "89e4c7e6af305be6cd139abcae953db5", true},  {650, "97563d45ee254231e1ace05fb746bcce", false},
      {233, "3f580864f295ff13f179c3c907032ea9", true},  {836, "e9b78e03706265a6936bff2a41530104", false},
      {568, "c458603ee921fa8711085c15b871b245", false}, {816, "4bbfffab5b5975c1b007ebc518bf416d", false},
      {397, "61a1a65746287d78a431c6848ed1ffb3", false}, {847, "53eee02f4672a72e93369b2c2ecf36eb", false},
      {354, "6ea23c3068a2c304488c8e67a072db97", false}, {961, "eed247645e510ded87bd9afcf1d3e237", false},
      {799, "092af4ff2fdea5bb1c708b2169bdfd95", false}, {99, "497f02db51c898ac441aae18a8b7ced9", false},
      {773, "988481445600bb91bbe23e3103034bcd", true},  {928, "f1813835ac0f456721ef3aac39c0269a", true},
      {235, "1999920085682c007eb3a6984d2a7f05", true},  {460, "60c3b9a2dde734d71ba5cca7eb164bce", true},
  };
  for (const Case& c : cases) {
    Config cfg = GoConfig(50);
    cfg.hash_seed = c.seed;
    ExportTraceServiceRequest req;
    req.add_resource_spans()->add_scope_spans()->add_spans()->set_trace_id(Tid(c.tid));
    INFO(c.seed << " " << c.tid);
    CHECK((CountSpans(SampleTraces(cfg, req)) == 1) == c.sampled);
  }
}

TEST_CASE("hash_seed rounds the float32 rate down (TestHashSeedRoundingDown)") {
  // 75% of the smallest 14-bit probability: truncates to 0 -> never samples.
  Config cfg = GoConfig(static_cast<float>(0x3p-16 * 100), Mode::kHashSeed);
  cfg.hash_seed = kDefaultHashSeed;
  CHECK(Sampler(cfg, Signal::kTraces).kind() == Sampler::Kind::kNever);
  CHECK(Sampler(cfg, Signal::kLogs).kind() == Sampler::Kind::kNever);
  // float32(25) * float32(163.84) rounds to exactly 4096: 25%.
  Config quarter = GoConfig(25, Mode::kHashSeed);
  CHECK(Sampler(quarter, Signal::kTraces).threshold().value == std::uint64_t{16384 - 4096} << 42);
  // 10%: float32 product 1638.4 truncates to 1638, the "e668" of otelcol's tests.
  CHECK(ThresholdHex(Sampler(GoConfig(10, Mode::kHashSeed), Signal::kTraces).threshold()).view() == "e668");
}

TEST_CASE("thresholds and randomness encode as pkg/sampling does") {
  CHECK(ThresholdHex(kAlwaysSample).view() == "0");
  CHECK(ThresholdHex(kNeverSample).view().empty());
  CHECK(ThresholdHex(Threshold{0x80000000000000}).view() == "8");
  CHECK(ThresholdHex(Threshold{0xfd70a3d70a3d71}).view() == "fd70a3d70a3d71");
  CHECK(ParseThreshold("8")->value == 0x80000000000000);
  CHECK(ParseThreshold("80000000000000")->value == 0x80000000000000);
  CHECK_FALSE(ParseThreshold(""));
  CHECK_FALSE(ParseThreshold("abababababababab"));  // 16 digits
  CHECK_FALSE(ParseThreshold("-1"));
  CHECK_FALSE(ParseThreshold("0x8"));
  CHECK(ParseRandomness("FD70A3D70A3D71")->value == 0xfd70a3d70a3d71);
  CHECK_FALSE(ParseRandomness("fd70a3d70a3d7"));
  CHECK(RandomnessHex(Randomness{0xaabbccddeeff}).view() == "00aabbccddeeff");
  CHECK(TraceIdRandomness(Tid("fefefefefefefefefe80000000000000")).value == 0x80000000000000);

  // ProbabilityToThresholdWithPrecision, including the extra digits near 0 and 1.
  CHECK(ThresholdHex(*ProbabilityToThreshold(0.25, 4)).view() == "c");
  CHECK(ThresholdHex(*ProbabilityToThreshold(0.01, 4)).view() == "fd70a");
  CHECK(ThresholdHex(*ProbabilityToThreshold(0.01, 3)).view() == "fd71");
  CHECK(ThresholdHex(*ProbabilityToThreshold(0.01, 0)).view() == "fd70a3d70a3d71");
  CHECK(ThresholdHex(*ProbabilityToThreshold(0.4, 3)).view() == "99a");
  CHECK(ThresholdHex(*ProbabilityToThreshold(0.4 * 0.5, 6)).view() == "cccccd");
  CHECK(ProbabilityToThreshold(1.0, 4) == kAlwaysSample);
  CHECK_FALSE(ProbabilityToThreshold(0, 4));
  CHECK_FALSE(ProbabilityToThreshold(1.5, 4));
  CHECK_FALSE(ProbabilityToThreshold(std::nan(""), 4));
  CHECK_FALSE(ProbabilityToThreshold(0x1p-57, 4));
}

TEST_CASE("tracestate parsing and serialization follow pkg/sampling") {
  W3CTraceState ts;
  std::string out;
  auto roundtrip = [&](std::string_view in) {
    out.clear();
    REQUIRE(ParseW3CTraceState(in, ts));
    SerializeW3CTraceState(ts, out);
    return out;
  };
  CHECK(roundtrip("") == "");
  CHECK(roundtrip("ot=th:8;rv:90000000000000") == "ot=rv:90000000000000;th:8");
  CHECK(roundtrip("a=1 , ot=x:y;th:c ,,b@c=2") == "ot=th:c;x:y,a=1,b@c=2");
  CHECK(roundtrip("ot=rv:FD70A3D70A3D71") == "ot=rv:FD70A3D70A3D71");  // case kept

  CHECK_FALSE(ParseW3CTraceState("ot=rv:abababababababab", ts));
  CHECK_FALSE(ParseW3CTraceState("ot=th:abababababababab", ts));
  CHECK_FALSE(ParseW3CTraceState("ot=th:-1", ts));
  CHECK_FALSE(ParseW3CTraceState("ot=th:", ts));    // empty t-value
  CHECK_FALSE(ParseW3CTraceState("ot=th:8;", ts));  // trailing ;
  CHECK_FALSE(ParseW3CTraceState("ot=foo", ts));    // not key:value
  CHECK_FALSE(ParseW3CTraceState("Ab=1", ts));      // upper-case key
  CHECK(ParseW3CTraceState("a=1 2 ", ts));          // inner space is fine
  CHECK_FALSE(ParseW3CTraceState("a=1,b", ts));
  CHECK_FALSE(ParseW3CTraceState(std::string(1025, 'a'), ts));
  std::string many;
  for (int i = 0; i < 31; ++i) many += "k" + std::to_string(i) + "=v,";
  CHECK(ParseW3CTraceState(many.substr(0, many.size() - 1), ts));  // 31 members
  CHECK_FALSE(ParseW3CTraceState(many + "z=1", ts));               // 32: pkg/sampling refuses
  // After a failed `ot` member, what was read is kept (used when failing open).
  CHECK_FALSE(ParseW3CTraceState("ot=rv:12;th:8,x=1", ts));
  CHECK(ts.otel.tvalue.view() == "8");
  CHECK(ts.otel.rvalue.empty());
  CHECK(ts.extras.size() == 1);
}

// ---------------------------------------------------------------------------
// Traces, in the consistent modes (Test_tracesamplerprocessor_TraceState)

TEST_CASE("proportional and equalizing tracestate handling matches otelcol's table") {
  const std::string default_tid = Tid("fefefefefefefefefe80000000000000");
  const std::string improbable = Tid("111111111111111111ffffffffffffff");
  struct Expect {
    bool sampled = false;
    double adjusted = 0;
    std::string ts;
  };
  struct Case {
    std::string name;
    float pct;
    int precision = 0;
    bool fail_closed = false;
    std::string tid;
    std::string ts;
    std::string key;
    AnyValue value;
    Expect equalizing;
    Expect proportional;
  };
  auto both = [](Expect e) { return std::pair<Expect, Expect>(e, e); };
  std::vector<Case> cases;
  auto add = [&](Case c, std::pair<Expect, Expect> e) {
    c.equalizing = e.first;
    c.proportional = e.second;
    cases.push_back(std::move(c));
  };
  add({"100 percent", 100}, both({true, 1, "ot=th:0"}));
  add({"50 percent sampled", 50}, both({true, 2, "ot=th:8"}));
  add({"25 percent sampled", 25, 0, false, Tid("ddddddddddddddddddc0000000000000")},
      both({true, 4, "ot=th:c"}));
  add({"25 percent unsampled", 25, 0, false, Tid("ddddddddddddddddddb0000000000000")}, both({}));
  add({"1 percent sampled", 1, 0, false, "", "ot=rv:FD70A3D70A3D71"},
      both({true, 100, "ot=rv:FD70A3D70A3D71;th:fd70a3d70a3d71"}));
  add({"1 percent sampled with rvalue and precision 4", 1, 4, false, "", "ot=rv:FD70A3D70A3D71"},
      both({true, 100, "ot=rv:FD70A3D70A3D71;th:fd70a"}));
  add({"1 percent sampled with rvalue and precision 3", 1, 3, false, "", "ot=rv:FD70A3D70A3D71"}, both({}));
  add({"1 percent not sampled with rvalue", 1, 0, false, "", "ot=rv:FD70A3D70A3D70"}, both({}));
  add({"49 percent not sampled with default tid", 49}, both({}));
  add({"1 percent sampled with rvalue", 1, 0, false, "", "ot=rv:fd70B000000000"},
      both({true, 100, "ot=rv:fd70B000000000;th:fd70a3d70a3d71"}));
  add({"1 percent sampled with tid", 1, 4, false, Tid("a0a0a0a0a0a0a0a0a0fe000000000000")},
      both({true, 100, "ot=th:fd70a"}));
  add({"sampled by priority", 1, 0, false, "", "", "sampling.priority", IntValue(2)},
      both({true, 1, "ot=th:0"}));
  add({"not sampled by priority", 99, 0, false, "", "", "sampling.priority", IntValue(0)}, both({}));
  add({"incoming 50 percent with rvalue", 50, 0, false, "", "ot=rv:90000000000000;th:80000000000000"},
      {{true, 2, "ot=rv:90000000000000;th:8"}, {}});
  add({"incoming 50 percent at 25 percent not sampled", 25, 0, false, "", "ot=th:8"}, both({}));
  add({"incoming 50 percent at 25 percent sampled", 25, 0, false, Tid("ffffffffffffffffffffffffffffffff"),
       "ot=th:8"},
      {{true, 4, "ot=th:c"}, {true, 8, "ot=th:e"}});
  add({"equalizing vs proportional", 50, 0, false, "", "ot=rv:c0000000000000;th:8"},
      {{true, 2, "ot=rv:c0000000000000;th:8"}, {true, 4, "ot=rv:c0000000000000;th:c"}});
  add({"inconsistent arriving threshold", 100, 0, false, "", "ot=rv:40000000000000;th:8"},
      both({true, 1, "ot=rv:40000000000000;th:0"}));
  add({"inconsistent arriving threshold not sampled", 1, 0, true, "", "ot=rv:40000000000000;th:8"}, both({}));
  add({"40 percent precision 3 with rvalue", 40, 3, false, "", "ot=rv:a0000000000000"},
      both({true, 2.5, "ot=rv:a0000000000000;th:99a"}));
  add({"arriving 50 percent sampled at 40 percent precision 6 with tid", 40, 6, false,
       Tid("a0a0a0a0a0a0a0a0a0d0000000000000"), "ot=th:8"},
      {{true, 2.5, "ot=th:99999a"}, {true, 5, "ot=th:cccccd"}});
  add({"arriving 50 percent sampled at 40 percent partly sampled", 40, 3, false,
       Tid("a0a0a0a0a0a0a0a0a0b0000000000000"), "ot=th:8"},
      {{true, 2.5, "ot=th:99a"}, {}});
  add({"arriving 50 percent sampled at 40 percent not sampled", 40, 3, false,
       Tid("a0a0a0a0a0a0a0a0a080000000000000"), "ot=th:8"},
      both({}));
  add({"200 percent equals 100 percent", 200}, both({true, 1, "ot=th:0"}));
  add({"tiny probability rounding", static_cast<float>(100 * 0x1p-14), 0, false, improbable, "ot=th:fffc"},
      {{true, 1 << 14, "ot=th:fffc"}, {true, 1 << 28, "ot=th:fffffff"}});
  add({"almost 100pct sampling", static_cast<float>((1 - 8e-7) * 100), 10, false, improbable},
      both({true, 1 / (1 - 8e-7), "ot=th:00000cccccccd"}));
  add({"probability underflow", static_cast<float>(0x1p-4), 0, false, improbable, "ot=th:fffffffffffff8"},
      {{true, static_cast<double>(std::uint64_t{1} << 53), "ot=th:fffffffffffff8"}, {}});

  for (const Case& c : cases) {
    for (Mode mode : {Mode::kEqualizing, Mode::kProportional}) {
      const Expect& want = mode == Mode::kEqualizing ? c.equalizing : c.proportional;
      Config cfg = GoConfig(c.pct, mode);
      cfg.hash_seed = kDefaultHashSeed;
      cfg.sampling_precision = c.precision;
      cfg.fail_closed = c.fail_closed;
      INFO(c.name << (mode == Mode::kEqualizing ? " equalizing" : " proportional"));
      auto got = SampleTraces(cfg, SingleSpan(c.tid.empty() ? default_tid : c.tid, c.ts, c.key, c.value));
      REQUIRE(CountSpans(got) == (want.sampled ? 1 : 0));
      if (!want.sampled) continue;
      const Span& span = got->resource_spans(0).scope_spans(0).spans(0);
      CHECK(span.trace_state() == want.ts);
      double adjusted = AdjustedCount(span.trace_state());
      if (want.adjusted == 0) {
        CHECK(adjusted == 0);
      } else {
        CHECK(adjusted == Approx(want.adjusted).epsilon(c.precision == 0 ? 1e-9 : 1e-3));
      }
    }
  }
}

TEST_CASE("fail_closed drops spans with bad sampling information (TraceStateErrors)") {
  const std::string default_tid = Tid("fefefefefefefefefe80000000000000");
  struct Case {
    std::string tid;
    std::string ts;
  };
  const Case cases[] = {
      {std::string(16, '\0'), ""},                           // missing randomness
      {default_tid, "ot=rv:abababababababab"},               // r-value too long
      {default_tid, "ot=th:abababababababab"},               // t-value too long
      {default_tid, "ot=th:-1"},                             // t-value syntax
      {Tid("ffffffffffffffffff70000000000000"), "ot=th:8"},  // inconsistent with trace id
      {default_tid, "ot=th:8;rv:70000000000000"},            // inconsistent with rv
  };
  for (const Case& c : cases) {
    for (Mode mode : {Mode::kEqualizing, Mode::kProportional}) {
      Config cfg = GoConfig(100, mode);
      cfg.fail_closed = true;
      INFO(c.ts);
      CHECK(CountSpans(SampleTraces(cfg, SingleSpan(c.tid, c.ts))) == 0);
      cfg.fail_closed = false;  // failing open keeps them
      CHECK(CountSpans(SampleTraces(cfg, SingleSpan(c.tid, c.ts))) == 1);
    }
  }
}

TEST_CASE("zero trace ids: missing randomness in hash_seed mode (MissingRandomness)") {
  struct Case {
    float pct;
    bool fail_closed;
    bool sampled;
  };
  for (Case c : {Case{0, true, false}, Case{62, true, false}, Case{100, true, false}, Case{0, false, false},
                 Case{62, false, true}, Case{100, false, true}}) {
    Config cfg = GoConfig(c.pct);
    cfg.hash_seed = kDefaultHashSeed;
    cfg.fail_closed = c.fail_closed;
    ExportTraceServiceRequest req = SingleSpan(std::string(16, '\0'), "");
    auto got = SampleTraces(cfg, req);
    CHECK(CountSpans(got) == (c.sampled ? 1 : 0));
    if (c.sampled) {
      // otelcol writes the "missing" randomness out as rv:ffffffffffffff.
      CHECK(got->resource_spans(0).scope_spans(0).spans(0).trace_state() == "ot=rv:ffffffffffffff;th:0");
    }
  }
}

TEST_CASE("hash_seed mode writes th and the derived rv (HashSeedTraceState)") {
  struct Case {
    float pct;
    const char* th;
  };
  std::mt19937_64 rng(42);
  for (Case c : {Case{100, "0"}, Case{75, "4"}, Case{50, "8"}, Case{25, "c"}, Case{10, "e668"},
                 Case{100.0f / 3, "aaac"}}) {
    Config cfg = GoConfig(c.pct, Mode::kHashSeed);
    cfg.hash_seed = kDefaultHashSeed;
    cfg.sampling_precision = 4;
    int found = 0;
    while (found < 10) {
      std::string tid = SpanId(rng()) + SpanId(rng());
      auto got = SampleTraces(cfg, SingleSpan(tid, ""));
      if (CountSpans(got) == 0) continue;
      const std::string& ts = got->resource_spans(0).scope_spans(0).spans(0).trace_state();
      W3CTraceState parsed;
      REQUIRE(ParseW3CTraceState(ts, parsed));
      CHECK(parsed.otel.tvalue.view() == c.th);
      REQUIRE(!parsed.otel.rvalue.empty());
      CHECK(parsed.otel.randomness == HashSeedRandomness(tid, kDefaultHashSeed));
      CHECK(ShouldSample(parsed.otel.threshold, parsed.otel.randomness));
      ++found;
    }
  }
  // Spans that already carry OTel sampling state are an error in hash_seed mode.
  Config cfg = GoConfig(100, Mode::kHashSeed);
  cfg.fail_closed = true;
  CHECK(CountSpans(SampleTraces(cfg, SingleSpan(Tid("fefefefefefefefefe80000000000000"), "ot=th:8"))) == 0);
  CHECK(CountSpans(SampleTraces(
            cfg, SingleSpan(Tid("fefefefefefefefefe80000000000000"), "ot=rv:80000000000000"))) == 0);
  cfg.fail_closed = false;  // failing open passes them through untouched
  auto got = SampleTraces(cfg, SingleSpan(Tid("fefefefefefefefefe80000000000000"), "ot=th:8, x=1"));
  REQUIRE(CountSpans(got) == 1);
  CHECK(got->resource_spans(0).scope_spans(0).spans(0).trace_state() == "ot=th:8, x=1");
}

TEST_CASE("sampling.priority overrides the decision in every mode (SpanSamplingPriority)") {
  struct Case {
    float pct;
    std::string key;
    AnyValue value;
    bool sampled;
  };
  const Case cases[] = {
      {0, "sampling.priority", IntValue(2), true},       {0, "sampling.priority", DoubleValue(1), true},
      {0, "sampling.priority", StrValue("1"), true},     {100, "sampling.priority", IntValue(0), false},
      {100, "sampling.priority", DoubleValue(0), false}, {100, "sampling.priority", StrValue("0"), false},
      {0, "no.sampling.priority", IntValue(2), false},   {100, "no.sampling.priority", IntValue(2), true},
  };
  for (Mode mode : {Mode::kHashSeed, Mode::kEqualizing, Mode::kProportional}) {
    for (const Case& c : cases) {
      Config cfg = GoConfig(c.pct, mode);
      cfg.hash_seed = kDefaultHashSeed;
      // A trace id whose W3C randomness is 0: sampled only at 100%.
      CHECK(CountSpans(SampleTraces(cfg, SingleSpan(Tid("01000000000000000000000000000000"), "", c.key,
                                                    c.value))) == (c.sampled ? 1 : 0));
    }
  }
}

TEST_CASE("sampling.priority strings are read with Go's ParseFloat") {
  // kind: 1 = must sample, 0 = do not sample, -1 = defer (as parseSpanSamplingPriority).
  struct Case {
    const char* text;
    int kind;
  };
  const Case cases[] = {{"0.0", 0},    {"0.5", 1},        {"-0.5", -1},  {"NaN", -1}, {"1_000", 1},
                        {"1e-400", 0}, {"1e400", -1},     {"0x1p-2", 1}, {"0x1", -1}, {"+1", 1},
                        {"+inf", 1},   {"-Infinity", -1}, {" 1", -1},    {"1.", 1},   {".5", 1},
                        {"1__0", -1},  {"_1", -1},        {"1_", -1},    {"0_1", 1},  {"0x_1p0", 1},
                        {"-0", 0},     {"+nan", -1},      {"1e", -1},    {"0b1", -1}, {"00.5e+0_1", 1},
                        {"", -1},      {"true", -1}};
  for (const Case& c : cases) {
    INFO(c.text);
    Config must = GoConfig(0, Mode::kProportional);
    Config dont = GoConfig(100, Mode::kProportional);
    auto req = SingleSpan(Tid("ffffffffffffffffffffffffffffffff"), "", "sampling.priority", StrValue(c.text));
    bool kept_at_0 = CountSpans(SampleTraces(must, req)) == 1;
    bool kept_at_100 = CountSpans(SampleTraces(dont, req)) == 1;
    int kind = kept_at_0 ? 1 : (!kept_at_100 ? 0 : -1);
    CHECK(kind == c.kind);
  }
}

// ---------------------------------------------------------------------------
// Logs

namespace {

// otelcol's TestLogsSampling data: 100 records, trace id 0..0 + 8 x byte(i),
// "rando" = int(computeHash(traceID, 123)), even records carry "foo" (the id
// as bytes) and "bar" (its TraceID.String()), every 4th record priority 100.0.
ExportLogsServiceRequest HundredLogs() {
  ExportLogsServiceRequest req;
  auto* lr = req.add_resource_logs()->add_scope_logs();
  for (int i = 0; i < 100; ++i) {
    LogRecord* r = lr->add_log_records();
    r->set_time_unix_nano(1649400860);
    r->set_severity_number(opentelemetry::proto::logs::v1::SEVERITY_NUMBER_DEBUG);
    std::string tid(8, '\0');
    tid += std::string(8, static_cast<char>(i));
    r->set_trace_id(tid);
    auto put = [&](const std::string& k, AnyValue v) {
      auto* kv = r->add_attributes();
      kv->set_key(k);
      *kv->mutable_value() = std::move(v);
    };
    put("rando", IntValue(static_cast<std::int64_t>(HashSeedFnv(tid, 123))));
    if (i % 2 == 0) {
      put("foo", BytesValue(tid));
      static constexpr char kHex[] = "0123456789abcdef";
      std::string hex;
      for (char ch : tid) {
        hex += kHex[static_cast<std::uint8_t>(ch) >> 4];
        hex += kHex[static_cast<std::uint8_t>(ch) & 0xF];
      }
      put("bar", StrValue(i == 0 ? "" : hex));  // pdata's TraceID.String() of the zero id is ""
    }
    if (i % 4 == 0) put("priority", DoubleValue(100));
  }
  return req;
}

}  // namespace

TEST_CASE("log sampling counts match otelcol's TestLogsSampling") {
  struct Case {
    const char* name;
    float pct;
    Mode mode = Mode::kUnset;
    const char* source = "";
    const char* from = "";
    const char* priority = "";
    bool fail_closed = false;
    int received;
  };
  const Case cases[] = {
      {"happy_path", 100, Mode::kUnset, "", "", "", false, 100},
      {"nothing", 0, Mode::kUnset, "", "", "", true, 0},
      {"roughly half", 50, Mode::kHashSeed, "traceID", "", "", true, 45},
      {"sampling_source no sampling", 0, Mode::kUnset, "record", "foo", "", false, 0},
      {"sampling_source all sampling", 100, Mode::kUnset, "record", "foo", "", false, 100},
      {"sampling_source sampling", 50, Mode::kUnset, "record", "foo", "", true, 23},
      {"sampling_source sampling as string", 50, Mode::kUnset, "record", "bar", "", true, 29},
      {"sampling_priority_0_record", 0, Mode::kUnset, "record", "rando", "priority", false, 25},
      {"sampling_priority_50_record", 50, Mode::kUnset, "record", "rando", "priority", false, 64},
      {"sampling_priority_100_record", 100, Mode::kUnset, "record", "rando", "priority", false, 100},
      {"sampling_priority_0_traceid", 0, Mode::kUnset, "traceID", "", "priority", false, 25},
      {"sampling_priority_50_traceid", 50, Mode::kUnset, "traceID", "", "priority", false, 57},
      {"sampling_priority_100_traceid", 100, Mode::kUnset, "traceID", "", "priority", false, 100},
      {"sampling_priority with sampling field", 0, Mode::kUnset, "record", "foo", "priority", false, 25},
  };
  ExportLogsServiceRequest req = HundredLogs();
  for (const Case& c : cases) {
    Config cfg = GoConfig(c.pct, c.mode);
    cfg.attribute_source = c.source;
    cfg.from_attribute = c.from;
    cfg.sampling_priority = c.priority;
    cfg.fail_closed = c.fail_closed;
    INFO(c.name);
    CHECK(CountLogs(SampleLogs(cfg, req)) == c.received);
  }
}

TEST_CASE("log records carry sampling.threshold / sampling.randomness as otelcol writes them") {
  const std::string default_tid = Tid("fefefefefefefefefe80000000000000");
  struct Case {
    const char* name;
    Config cfg;
    std::string tid;
    std::vector<std::pair<std::string, AnyValue>> attrs;
    bool sampled;
    std::map<std::string, std::string> expect;
  };
  auto cfg = [](float pct, Mode mode, const char* source) {
    Config c = GoConfig(pct, mode);
    c.attribute_source = source;
    return c;
  };
  std::vector<Case> cases;
  cases.push_back({"100 percent traceID",
                   cfg(100, Mode::kProportional, "traceID"),
                   default_tid,
                   {{"ignored", StrValue("value")}},
                   true,
                   {{"sampling.threshold", "s:0"}, {"ignored", "s:value"}}});
  {
    Config c = cfg(100, Mode::kHashSeed, "traceID");
    c.hash_seed = 22;
    cases.push_back({"100 percent traceID hash_seed",
                     c,
                     default_tid,
                     {{"K", StrValue("V")}},
                     true,
                     {{"K", "s:V"},
                      {"sampling.threshold", "s:0"},
                      {"sampling.randomness",
                       "s:" + std::string(RandomnessHex(HashSeedRandomness(default_tid, 22)).view())}}});
  }
  {
    Config c = cfg(100, Mode::kUnset, "record");
    c.from_attribute = "veryrandom";
    c.hash_seed = 49;
    cases.push_back(
        {"100 percent attribute",
         c,
         "",
         {{"veryrandom", StrValue("1234")}},
         true,
         {{"sampling.threshold", "s:0"},
          {"sampling.randomness", "s:" + std::string(RandomnessHex(HashSeedRandomness("1234", 49)).view())},
          {"veryrandom", "s:1234"}}});
  }
  cases.push_back({"0 percent traceID", cfg(0, Mode::kUnset, "traceID"), default_tid, {}, false, {}});
  {
    Config c = cfg(0, Mode::kUnset, "traceID");
    c.sampling_priority = "veryrandom";
    c.sampling_precision = 6;
    cases.push_back(
        {"10 percent priority sampled incoming randomness",
         c,
         default_tid,
         {{"sampling.randomness", StrValue("e6147c00000000")}, {"veryrandom", DoubleValue(10.125)}},
         true,
         {{"sampling.randomness", "s:e6147c00000000"},
          {"sampling.threshold", "s:e6147b"},
          {"veryrandom", "d:" + std::to_string(10.125)}}});
  }
  cases.push_back({"25 percent incoming",
                   cfg(50, Mode::kProportional, "traceID"),
                   Tid("fefefefefefefefefef0000000000000"),
                   {{"sampling.threshold", StrValue("c")}},
                   true,
                   {{"sampling.threshold", "s:e"}}});
  {
    Config c = cfg(50, Mode::kEqualizing, "traceID");
    c.fail_closed = true;
    cases.push_back({"25 percent arriving inconsistent",
                     c,
                     Tid("fefefefefefefefefeb0000000000000"),
                     {{"sampling.threshold", StrValue("c")}},
                     false,
                     {}});
  }
  {
    Config c = cfg(50, Mode::kEqualizing, "traceID");
    c.sampling_priority = "prio";
    cases.push_back({"25 percent arriving equalizing",
                     c,
                     Tid("fefefefefefefefefefefefefefefefe"),
                     {{"sampling.threshold", StrValue("c")}, {"prio", IntValue(37)}},
                     true,
                     {{"sampling.threshold", "s:c"}, {"prio", "i:37"}}});
  }
  cases.push_back({"hash_seed with spec randomness",
                   cfg(100, Mode::kHashSeed, "traceID"),
                   default_tid,
                   {{"sampling.randomness", StrValue("f2341234123412")}},
                   true,
                   {{"sampling.randomness", "s:f2341234123412"}}});

  for (const Case& c : cases) {
    INFO(c.name);
    ExportLogsServiceRequest req;
    LogRecord* r = req.add_resource_logs()->add_scope_logs()->add_log_records();
    r->set_time_unix_nano(1649400860);
    r->set_trace_id(c.tid);
    for (const auto& [k, v] : c.attrs) {
      auto* kv = r->add_attributes();
      kv->set_key(k);
      *kv->mutable_value() = v;
    }
    auto got = SampleLogs(c.cfg, req);
    REQUIRE(CountLogs(got) == (c.sampled ? 1 : 0));
    if (c.sampled) CHECK(Attrs(got->resource_logs(0).scope_logs(0).log_records(0)) == c.expect);
  }
}

TEST_CASE("log records without randomness (LogsMissingRandomness)") {
  struct Case {
    float pct;
    const char* source;
    bool fail_closed;
    bool sampled;
  };
  const Case cases[] = {
      {0, "record", true, false},   {50, "record", true, false},  {100, "record", true, false},
      {0, "record", false, false},  {50, "record", false, true},  {100, "record", false, true},
      {0, "traceID", true, false},  {50, "traceID", true, false}, {100, "traceID", true, false},
      {0, "traceID", false, false}, {50, "traceID", false, true}, {100, "traceID", false, true},
  };
  for (Mode mode : {Mode::kHashSeed, Mode::kEqualizing, Mode::kProportional}) {
    for (const Case& c : cases) {
      Config cfg = GoConfig(c.pct, mode);
      cfg.hash_seed = kDefaultHashSeed;
      cfg.fail_closed = c.fail_closed;
      cfg.attribute_source = c.source;
      cfg.from_attribute = "unused";
      ExportLogsServiceRequest req;
      LogRecord* r = req.add_resource_logs()->add_scope_logs()->add_log_records();
      r->set_trace_id(std::string(16, '\0'));
      auto* kv = r->add_attributes();
      kv->set_key("unused");
      kv->mutable_value()->set_string_value("");
      CHECK(CountLogs(SampleLogs(cfg, req)) == (c.sampled ? 1 : 0));
    }
  }
}

// ---------------------------------------------------------------------------
// Requests, traces and the processor

TEST_CASE("a trace's spans share one decision across resources, scopes and requests") {
  std::mt19937_64 rng(7);
  for (Mode mode : {Mode::kHashSeed, Mode::kEqualizing, Mode::kProportional}) {
    Config cfg = GoConfig(30, mode);
    cfg.hash_seed = 99;
    std::map<std::string, std::set<bool>> decisions;
    for (int request = 0; request < 20; ++request) {
      ExportTraceServiceRequest req;
      std::vector<std::string> tids;
      for (int t = 0; t < 10; ++t)
        tids.push_back(SpanId(rng() % 50) + SpanId(0xabcdef));  // ids recur across requests
      std::uint64_t next_span = 1;
      for (int r = 0; r < 3; ++r) {
        auto* rs = req.add_resource_spans();
        for (int s = 0; s < 2; ++s) {
          auto* ss = rs->add_scope_spans();
          for (const std::string& tid : tids) {
            Span* span = ss->add_spans();
            span->set_trace_id(tid);
            span->set_span_id(SpanId(next_span++));
          }
        }
      }
      auto got = SampleTraces(cfg, req);
      std::set<std::string> kept;
      if (got) {
        for (const auto& rs : got->resource_spans())
          for (const auto& ss : rs.scope_spans())
            for (const auto& s : ss.spans()) kept.insert(s.trace_id());
      }
      for (const std::string& tid : tids) decisions[tid].insert(kept.count(tid) > 0);
      // Every span of a kept trace is there: 6 per trace id occurrence.
      if (got) {
        std::map<std::string, int> per_trace;
        for (const auto& rs : got->resource_spans())
          for (const auto& ss : rs.scope_spans())
            for (const auto& s : ss.spans()) ++per_trace[s.trace_id()];
        std::map<std::string, int> sent;
        for (const std::string& tid : tids) sent[tid] += 6;
        for (const auto& [tid, n] : per_trace) CHECK(n == sent[tid]);
      }
    }
    for (const auto& [tid, d] : decisions) CHECK(d.size() == 1);
  }
}

TEST_CASE("25% sampling keeps 22-28% of 4000 traces in every mode") {
  for (Mode mode : {Mode::kUnset, Mode::kEqualizing, Mode::kProportional}) {
    Config cfg;  // factory defaults
    cfg.sampling_percentage = 25;
    cfg.mode = mode;
    std::mt19937_64 rng(2024);
    ExportTraceServiceRequest req;
    auto* ss = req.add_resource_spans()->add_scope_spans();
    for (int t = 0; t < 4000; ++t) {
      std::string tid = SpanId(rng()) + SpanId(rng());
      for (int s = 0; s < 3; ++s) {
        Span* span = ss->add_spans();
        span->set_trace_id(tid);
        span->set_span_id(SpanId(static_cast<std::uint64_t>(t * 3 + s + 1)));
      }
    }
    auto got = SampleTraces(cfg, req);
    std::set<std::string> kept;
    for (const auto& s : got->resource_spans(0).scope_spans(0).spans()) kept.insert(s.trace_id());
    double fraction = static_cast<double>(kept.size()) / 4000;
    INFO(static_cast<int>(mode) << " kept " << fraction);
    CHECK(fraction >= 0.22);
    CHECK(fraction <= 0.28);
    CHECK(CountSpans(got) == static_cast<int>(kept.size()) * 3);
  }
}

TEST_CASE("the rebuilt request keeps headers, drops emptied scopes and resources") {
  ExportTraceServiceRequest req;
  const std::string keep = Tid("00000000000000000000000000000001");
  Config cfg = GoConfig(100, Mode::kProportional);
  auto add_resource = [&](const std::string& name,
                          std::vector<std::vector<std::pair<std::string, AnyValue>>> scopes) {
    auto* rs = req.add_resource_spans();
    rs->set_schema_url("https://schema/" + name);
    auto* kv = rs->mutable_resource()->add_attributes();
    kv->set_key("service.name");
    kv->mutable_value()->set_string_value(name);
    int n = 0;
    for (const auto& spans : scopes) {
      auto* ss = rs->add_scope_spans();
      ss->mutable_scope()->set_name(name + "-scope" + std::to_string(n++));
      ss->set_schema_url("scope-schema");
      for (const auto& [span_name, prio] : spans) {
        Span* s = ss->add_spans();
        s->set_trace_id(keep);
        s->set_span_id(SpanId(1));
        s->set_name(span_name);
        auto* a = s->add_attributes();
        a->set_key("sampling.priority");
        *a->mutable_value() = prio;
      }
    }
  };
  AnyValue keep_it = IntValue(1), drop_it = IntValue(0);
  add_resource("a", {{{"a1", keep_it}, {"a2", drop_it}}, {{"a3", drop_it}}});
  add_resource("b", {{{"b1", drop_it}}});
  add_resource("c", {{}, {{"c1", keep_it}}});
  auto got = SampleTraces(cfg, req);
  REQUIRE(got);
  REQUIRE(got->resource_spans_size() == 2);
  const auto& a = got->resource_spans(0);
  CHECK(a.schema_url() == "https://schema/a");
  CHECK(a.resource().attributes(0).value().string_value() == "a");
  REQUIRE(a.scope_spans_size() == 1);
  CHECK(a.scope_spans(0).scope().name() == "a-scope0");
  CHECK(a.scope_spans(0).schema_url() == "scope-schema");
  REQUIRE(a.scope_spans(0).spans_size() == 1);
  CHECK(a.scope_spans(0).spans(0).name() == "a1");
  CHECK(a.scope_spans(0).spans(0).trace_state() == "ot=th:0");
  const auto& c = got->resource_spans(1);
  REQUIRE(c.scope_spans_size() == 1);  // the empty scope goes, as in otelcol
  CHECK(c.scope_spans(0).scope().name() == "c-scope1");
  CHECK(c.scope_spans(0).spans(0).name() == "c1");
}

TEST_CASE("rewritten spans serialize exactly as protobuf would (field order kept)") {
  ExportTraceServiceRequest req = SingleSpan(Tid("fefefefefefefefefe80000000000000"), "");
  Span* s = req.mutable_resource_spans(0)->mutable_scope_spans(0)->mutable_spans(0);
  s->set_parent_span_id(SpanId(3));
  s->set_name("op");
  s->set_start_time_unix_nano(5);
  s->set_flags(0x301);
  Config cfg = GoConfig(50, Mode::kProportional);
  Sampler sampler(cfg, Signal::kTraces);
  std::string bytes = req.SerializeAsString();
  SampledRequest out;
  REQUIRE(SampleRequest(sampler, Signal::kTraces, bytes, out).ok());
  REQUIRE(out.outcome == SampledRequest::Outcome::kRebuilt);
  s->set_trace_state("ot=th:8");
  CHECK(out.bytes == req.SerializeAsString());
}

TEST_CASE("the processor forwards untouched requests as they are and counts drops") {
  test::Sink sink;
  Telemetry telemetry;
  ComponentTelemetry* t = telemetry.Register("processor", "probabilistic_sampler");
  Config cfg;
  cfg.sampling_percentage = 100;
  cfg.mode = Mode::kProportional;
  ProbabilisticSamplerProcessor p(Signal::kTraces, cfg, &sink, t);
  // Already at th:0 with nothing to change: the very same payload goes on.
  PayloadPtr same = MakePayload(
      Signal::kTraces, SingleSpan(Tid("fefefefefefefefefe80000000000000"), "ot=th:0").SerializeAsString(), 1);
  REQUIRE(p.Consume(same).ok());
  REQUIRE(sink.payloads().size() == 1);
  CHECK(sink.payloads()[0].get() == same.get());

  Config none;
  none.sampling_percentage = 0;
  ProbabilisticSamplerProcessor drop(Signal::kTraces, none, &sink, t);
  REQUIRE(drop.Consume(same).ok());
  CHECK(sink.payloads().size() == 1);  // nothing forwarded
  CHECK((*t)[Signal::kTraces].dropped.load() == 1);

  PayloadPtr bad = MakePayload(Signal::kTraces, std::string("\x0a\x05\x12", 3), 1);
  CHECK(p.Consume(bad).code() == StatusCode::kInvalidArgument);
}

TEST_CASE("config decoding: otelcol defaults, validation messages and key paths") {
  auto decode = [](const std::string& yaml) {
    auto node = config::ParseYaml(yaml, "sampler.yaml");
    config::MapDecoder d(node, "processors.probabilistic_sampler");
    return Config::Decode(d);
  };
  auto error = [&](const std::string& yaml) {
    try {
      decode(yaml);
    } catch (const config::Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  Config d = decode("{}");
  CHECK(d.sampling_percentage == 0);
  CHECK(d.hash_seed == 0);
  CHECK(d.mode == Mode::kUnset);
  CHECK(d.fail_closed);
  CHECK(d.sampling_precision == 4);
  CHECK(d.attribute_source == "traceID");
  Config c = decode(
      "sampling_percentage: 15.3\nhash_seed: 22\nmode: equalizing\nfail_closed: false\nsampling_precision: "
      "7\n"
      "attribute_source: record\nfrom_attribute: foo\nsampling_priority: prio\n");
  CHECK(c.sampling_percentage == 15.3f);
  CHECK(c.hash_seed == 22);
  CHECK(c.mode == Mode::kEqualizing);
  CHECK_FALSE(c.fail_closed);
  CHECK(c.sampling_precision == 7);
  CHECK(c.attribute_source == "record");
  CHECK(c.from_attribute == "foo");
  CHECK(c.sampling_priority == "prio");

  CHECK_THAT(error("mode: fast\n"), Catch::Contains("processors.probabilistic_sampler.mode") &&
                                        Catch::Contains("unsupported sampler mode \"fast\""));
  CHECK_THAT(error("sampling_percentage: -15\n"),
             Catch::Contains("processors.probabilistic_sampler.sampling_percentage") &&
                 Catch::Contains("sampling rate is negative: -15.000000%"));
  CHECK_THAT(error("sampling_percentage: .inf\n"), Catch::Contains("sampling rate is invalid"));
  CHECK_THAT(error("sampling_percentage: 1e-15\n"), Catch::Contains("sampling rate is too small"));
  CHECK_THAT(error("sampling_precision: 0\n"), Catch::Contains("invalid sampling precision: 0"));
  CHECK_THAT(error("sampling_precision: 15\n"),
             Catch::Contains("sampling precision is too great, should be <= 14: 15"));
  CHECK_THAT(error("attribute_source: span\n"),
             Catch::Contains("processors.probabilistic_sampler.attribute_source") &&
                 Catch::Contains("invalid attribute source: span. Expected: traceID or record"));
  CHECK_THAT(error("hash_seed: -1\n"), Catch::Contains("processors.probabilistic_sampler.hash_seed"));
  CHECK_THAT(error("sampling_percentag: 1\n"), Catch::Contains("sampling_percentag"));
  CHECK(error("sampling_percentage: 250\n").empty());  // over 100 means 100
}
