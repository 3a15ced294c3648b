// The sampling policies of otelcol-contrib's tailsamplingprocessor
// (internal/sampling, v0.161.0), evaluated over one trace's spans decoded
// once at decision time. Each evaluator keeps otelcol's quirks where they
// change a decision (numeric 0 bounds mean unset, invert_match needs every
// resource and span to miss, composite counts per wall second, ...).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "internal/status.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "processors/tail_sampling/config.h"

namespace otlpd::processors::tail_sampling {

using TracesRequest = opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;
using TraceId = std::array<unsigned char, 16>;

enum class Decision : std::uint8_t {
  kUnspecified,
  kPending,
  kSampled,
  kNotSampled,
  kDropped,
  kError,
  kInvertSampled,
  kInvertNotSampled,
};

// What a policy sees of one trace.
struct TraceData {
  TraceId id{};
  TracesRequest* spans = nullptr;  // every span received so far (mutable for OTTL contexts)
  std::int64_t span_count = 0;
  std::uint64_t request_bytes = 0;  // serialized size of `spans` (bytes_limiting's cost)
};

// Time as policies see it: a monotonic now (token buckets) and the wall
// clock second (composite's per-second budgets), both injectable.
struct PolicyClock {
  std::chrono::steady_clock::time_point now{};
  std::int64_t unix_second = 0;
  std::int64_t unix_nanos = 0;  // OTTL's Now()
};

class Evaluator {
 public:
  virtual ~Evaluator() = default;
  // A failed evaluation (an OTTL condition error under propagate) is an
  // error status: counted and ignored by the processor.
  virtual Result<Decision> Evaluate(TraceData& trace, const PolicyClock& clock) = 0;
  virtual bool stateful() const { return false; }
};

// Builds the evaluator of a decoded (already validated) policy config.
std::unique_ptr<Evaluator> MakeEvaluator(const PolicyConfig& config);

// FNV-1a 64 over `salt` then the trace id, as the probabilistic policy hashes.
std::uint64_t HashTraceId(std::string_view salt, const TraceId& id);
// floor((2^64-1) x ratio) computed as Go's big.Float (64-bit mantissa,
// round to nearest even) then truncated and clamped to [0, 2^64-1].
std::uint64_t ProbabilisticThreshold(double ratio);

// go.opentelemetry.io/otel/trace.ParseTraceState + Get(key): the value of
// `key` in a W3C tracestate, or "" when absent or the tracestate is invalid.
std::string_view TraceStateGet(std::string_view tracestate, std::string_view key);

// golang.org/x/time/rate.Limiter's AllowN (token bucket, starts full).
class TokenBucket {
 public:
  TokenBucket(double per_second, std::int64_t burst) : limit_(per_second), burst_(burst) {
    tokens_ = static_cast<double>(burst);
  }
  bool AllowN(std::chrono::steady_clock::time_point now, std::int64_t n);

 private:
  double limit_;
  std::int64_t burst_;
  double tokens_;
  std::chrono::steady_clock::time_point last_{};
  bool started_ = false;
};

}  // namespace otlpd::processors::tail_sampling
