#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/decoder.h"
#include "config/problem.h"
#include "ottl/compiler.h"

namespace otlpd::processors::tail_sampling {

// otelcol-contrib's tailsamplingprocessor PolicyType names (v0.161.0).
enum class PolicyType : std::uint8_t {
  kAlwaysSample,
  kLatency,
  kNumericAttribute,
  kProbabilistic,
  kStatusCode,
  kStringAttribute,
  kRateLimiting,
  kBytesLimiting,
  kSpanCount,
  kTraceState,
  kBooleanAttribute,
  kOttlCondition,
  kTraceFlags,
  kAnd,
  kNot,
  kDrop,
  kComposite,
};

enum class SpanStatus : std::uint8_t { kUnset = 0, kOk = 1, kError = 2 };  // the OTLP enum values

// One policy (an item of `policies`, or a sub-policy of and/not/drop/composite).
// Every type's sub-config is its own key named after the type, as otelcol's
// squashed mapstructure config has it; only the one `type` names is used.
struct PolicyConfig {
  std::string name;
  PolicyType type = PolicyType::kAlwaysSample;
  std::string path;  // config key path of the item, for messages

  struct Latency {
    std::int64_t threshold_ms = 0;
    std::int64_t upper_threshold_ms = 0;  // 0: no upper bound
  } latency;
  struct NumericAttribute {
    std::string key;
    std::int64_t min_value = 0;  // 0 means unset, as in otelcol
    std::int64_t max_value = 0;
    bool invert_match = false;
  } numeric_attribute;
  struct Probabilistic {
    std::string hash_salt;  // "" means "default-hash-seed"
    double sampling_percentage = 0;
  } probabilistic;
  struct StatusCodes {
    std::vector<SpanStatus> status_codes;
  } status_code;
  struct StringAttribute {
    std::string key;
    std::vector<std::string> values;
    bool enabled_regex_matching = false;
    int cache_max_size = 0;  // 0: 128
    bool invert_match = false;
  } string_attribute;
  struct RateLimiting {
    std::int64_t spans_per_second = 0;
    std::int64_t burst_capacity = 0;  // <= 0: 2 x spans_per_second
  } rate_limiting;
  struct BytesLimiting {
    std::int64_t bytes_per_second = 0;
    std::int64_t burst_capacity = 0;  // <= 0: 2 x bytes_per_second
  } bytes_limiting;
  struct SpanCount {
    std::int32_t min_spans = 0;
    std::int32_t max_spans = 0;  // 0: unbounded
  } span_count;
  struct TraceState {
    std::string key;
    std::vector<std::string> values;
  } trace_state;
  struct BooleanAttribute {
    std::string key;
    bool value = false;
    bool invert_match = false;
  } boolean_attribute;
  struct OttlCondition {
    // otelcol's zero value "" neither propagates nor logs: like silent.
    ottl::ErrorMode error_mode = ottl::ErrorMode::kSilent;
    std::vector<std::shared_ptr<const ottl::Condition>> span;
    std::vector<std::shared_ptr<const ottl::Condition>> spanevent;
  } ottl_condition;
  // and.and_sub_policy / drop.drop_sub_policy / composite.composite_sub_policy
  // / not.not_sub_policy (one element).
  std::vector<PolicyConfig> sub_policies;
  struct Composite {
    std::int64_t max_total_spans_per_second = 0;
    std::vector<std::string> policy_order;  // parsed, unused (as in otelcol)
    struct RateAllocation {
      std::string policy;
      std::int64_t percent = 0;
    };
    std::vector<RateAllocation> rate_allocation;
  } composite;
};

// The `tail_sampling` processor's options (contrib v0.161.0, §5.1 of
// otel-compat-t2.md), with otelcol's defaults.
struct Config {
  std::chrono::nanoseconds decision_wait = std::chrono::seconds(30);
  std::chrono::nanoseconds decision_wait_after_root_received{0};  // 0: off
  std::uint64_t num_traces = 50000;
  bool block_on_overflow = false;
  std::uint64_t expected_new_traces_per_sec = 0;  // capacity hint only
  std::vector<PolicyConfig> policies;
  int sampled_cache_size = 0;      // decision_cache.sampled_cache_size; 0: no cache
  int non_sampled_cache_size = 0;  // decision_cache.non_sampled_cache_size
  bool sample_on_first_match = false;
  std::string sampling_strategy = "trace-complete";
  bool drop_pending_traces_on_shutdown = false;
  std::uint64_t maximum_trace_size_bytes = 0;  // 0: no cap
  std::uint32_t num_shards = 1;

  // Decodes, validates (Validate() and otelcol's policy loading checks) and
  // compiles the OTTL conditions; throws config::Error at the offending key.
  static Config Decode(config::MapDecoder& d);

  // otelcol's Config.Validate(): the first problem, if any.
  std::optional<config::Problem> Validate() const;
};

// "always_sample", ... ; the type names otelcol accepts.
std::string_view PolicyTypeName(PolicyType type);

}  // namespace otlpd::processors::tail_sampling
