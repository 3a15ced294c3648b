#include "processors/tail_sampling/policy.h"

#include <re2/re2.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <set>
#include <unordered_set>
#include <utility>
#include <vector>

#include "ottl/context.h"
#include "ottl/value.h"

namespace otlpd::processors::tail_sampling {
namespace {

namespace tracepb = opentelemetry::proto::trace::v1;
using opentelemetry::proto::common::v1::AnyValue;
using opentelemetry::proto::common::v1::KeyValue;
using opentelemetry::proto::resource::v1::Resource;
using Attributes = google::protobuf::RepeatedPtrField<KeyValue>;

// pcommon.Map.Get: the first entry with the key.
const AnyValue* Get(const Attributes& attrs, const std::string& key) {
  for (const KeyValue& kv : attrs) {
    if (kv.key() == key) return &kv.value();
  }
  return nullptr;
}

// pcommon.Value's typed getters: the zero value for another type.
std::int64_t IntOf(const AnyValue& v) { return v.value_case() == AnyValue::kIntValue ? v.int_value() : 0; }
std::string_view StrOf(const AnyValue& v) {
  return v.value_case() == AnyValue::kStringValue ? std::string_view(v.string_value()) : std::string_view();
}
bool BoolOf(const AnyValue& v) { return v.value_case() == AnyValue::kBoolValue && v.bool_value(); }

using ResourcePred = std::function<bool(const Resource&)>;
using SpanPred = std::function<bool(const tracepb::Span&)>;

// util.go hasInstrumentationLibrarySpanWithCondition: invert=false, any span
// true; invert=true, every span true.
bool ScopesWith(const tracepb::ResourceSpans& rs, const SpanPred& check, bool invert) {
  for (const auto& ss : rs.scope_spans()) {
    for (const auto& span : ss.spans()) {
      const bool r = check(span);
      if (r != invert) return r;
    }
  }
  return invert;
}

Decision HasResourceOrSpanWith(const TracesRequest& td, const ResourcePred& resource, const SpanPred& span) {
  for (const auto& rs : td.resource_spans()) {
    if (resource(rs.resource())) return Decision::kSampled;
    if (ScopesWith(rs, span, false)) return Decision::kSampled;
  }
  return Decision::kNotSampled;
}

Decision InvertHasResourceOrSpanWith(const TracesRequest& td, const ResourcePred& resource,
                                     const SpanPred& span) {
  for (const auto& rs : td.resource_spans()) {
    if (!resource(rs.resource())) return Decision::kNotSampled;
    if (!ScopesWith(rs, span, true)) return Decision::kNotSampled;
  }
  return Decision::kSampled;
}

Decision HasSpanWith(const TracesRequest& td, const SpanPred& span) {
  for (const auto& rs : td.resource_spans()) {
    if (ScopesWith(rs, span, false)) return Decision::kSampled;
  }
  return Decision::kNotSampled;
}

class AlwaysSample : public Evaluator {
 public:
  Result<Decision> Evaluate(TraceData&, const PolicyClock&) override { return Decision::kSampled; }
};

class TraceFlags : public Evaluator {
 public:
  Result<Decision> Evaluate(TraceData& t, const PolicyClock&) override {
    return HasSpanWith(*t.spans, [](const tracepb::Span& s) { return (s.flags() & 0x01u) != 0; });
  }
};

// time.Time.Sub of two pcommon timestamps (int64 nanoseconds), saturating.
std::int64_t SubNanos(std::uint64_t a, std::uint64_t b) {
  const __int128 d = static_cast<__int128>(static_cast<std::int64_t>(a)) - static_cast<std::int64_t>(b);
  if (d > std::numeric_limits<std::int64_t>::max()) return std::numeric_limits<std::int64_t>::max();
  if (d < std::numeric_limits<std::int64_t>::min()) return std::numeric_limits<std::int64_t>::min();
  return static_cast<std::int64_t>(d);
}

class Latency : public Evaluator {
 public:
  explicit Latency(const PolicyConfig::Latency& c)
      : threshold_(c.threshold_ms), upper_(c.upper_threshold_ms) {}
  Result<Decision> Evaluate(TraceData& t, const PolicyClock&) override {
    std::uint64_t min_time = 0;
    std::uint64_t max_time = 0;
    return HasSpanWith(*t.spans, [&](const tracepb::Span& s) {
      if (min_time == 0 || s.start_time_unix_nano() < min_time) min_time = s.start_time_unix_nano();
      if (max_time == 0 || s.end_time_unix_nano() > max_time) max_time = s.end_time_unix_nano();
      const std::int64_t ms = SubNanos(max_time, min_time) / 1000000;
      if (upper_ == 0) return ms > threshold_;
      return threshold_ < ms && ms <= upper_;
    });
  }
  bool stateful() const override { return upper_ > 0; }

 private:
  std::int64_t threshold_;
  std::int64_t upper_;
};

class NumericAttribute : public Evaluator {
 public:
  explicit NumericAttribute(const PolicyConfig::NumericAttribute& c)
      : key_(c.key),
        min_(c.min_value != 0 ? c.min_value : std::numeric_limits<std::int64_t>::min()),
        max_(c.max_value != 0 ? c.max_value : std::numeric_limits<std::int64_t>::max()),
        invert_(c.invert_match) {}
  Result<Decision> Evaluate(TraceData& t, const PolicyClock&) override {
    auto in_range = [&](const Attributes& attrs) {
      const AnyValue* v = Get(attrs, key_);
      if (v == nullptr) return false;
      const std::int64_t x = IntOf(*v);
      return x >= min_ && x <= max_;
    };
    if (invert_) {
      return InvertHasResourceOrSpanWith(
          *t.spans, [&](const Resource& r) { return !in_range(r.attributes()); },
          [&](const tracepb::Span& s) { return !in_range(s.attributes()); });
    }
    return HasResourceOrSpanWith(
        *t.spans, [&](const Resource& r) { return in_range(r.attributes()); },
        [&](const tracepb::Span& s) { return in_range(s.attributes()); });
  }

 private:
  std::string key_;
  std::int64_t min_;
  std::int64_t max_;
  bool invert_;
};

class Probabilistic : public Evaluator {
 public:
  explicit Probabilistic(const PolicyConfig::Probabilistic& c)
      : salt_(c.hash_salt.empty() ? "default-hash-seed" : c.hash_salt),
        threshold_(ProbabilisticThreshold(c.sampling_percentage / 100)) {}
  Result<Decision> Evaluate(TraceData& t, const PolicyClock&) override {
    return HashTraceId(salt_, t.id) <= threshold_ ? Decision::kSampled : Decision::kNotSampled;
  }

 private:
  std::string salt_;
  std::uint64_t threshold_;
};

class StatusCodeFilter : public Evaluator {
 public:
  explicit StatusCodeFilter(const PolicyConfig::StatusCodes& c) : codes_(c.status_codes) {}
  Result<Decision> Evaluate(TraceData& t, const PolicyClock&) override {
    return HasSpanWith(*t.spans, [&](const tracepb::Span& s) {
      const int code = s.status().code();
      return std::any_of(codes_.begin(), codes_.end(),
                         [&](SpanStatus c) { return static_cast<int>(c) == code; });
    });
  }

 private:
  std::vector<SpanStatus> codes_;
};

class StringAttribute : public Evaluator {
 public:
  explicit StringAttribute(const PolicyConfig::StringAttribute& c) : key_(c.key), invert_(c.invert_match) {
    if (c.enabled_regex_matching) {
      re2::RE2::Options options;
      options.set_log_errors(false);
      for (const std::string& v : c.values) regexes_.push_back(std::make_unique<re2::RE2>(v, options));
    } else {
      for (const std::string& v : c.values) {
        if (!v.empty()) values_.insert(v);
      }
    }
  }
  Result<Decision> Evaluate(TraceData& t, const PolicyClock&) override {
    // Resources match on any string (even ""); spans skip empty strings.
    auto resource_match = [&](const Resource& r) {
      const AnyValue* v = Get(r.attributes(), key_);
      return v != nullptr && Match(StrOf(*v));
    };
    auto span_match = [&](const tracepb::Span& s) {
      const AnyValue* v = Get(s.attributes(), key_);
      if (v == nullptr) return false;
      const std::string_view str = StrOf(*v);
      return !str.empty() && Match(str);
    };
    if (invert_) {
      return InvertHasResourceOrSpanWith(
          *t.spans, [&](const Resource& r) { return !resource_match(r); },
          [&](const tracepb::Span& s) { return !span_match(s); });
    }
    return HasResourceOrSpanWith(*t.spans, resource_match, span_match);
  }

 private:
  bool Match(std::string_view s) const {
    if (!regexes_.empty()) {
      return std::any_of(regexes_.begin(), regexes_.end(),
                         [&](const std::unique_ptr<re2::RE2>& re) { return re2::RE2::PartialMatch(s, *re); });
    }
    return values_.count(std::string(s)) != 0;
  }

  std::string key_;
  bool invert_;
  std::vector<std::unique_ptr<re2::RE2>> regexes_;
  std::set<std::string> values_;
};

// `rate_limiting` and `bytes_limiting`: a token bucket filling at `rate` a
// second up to `burst` (0 or less: twice the rate), from which each trace
// draws its cost (its spans, or its serialized bytes).
class TokenLimiting : public Evaluator {
 public:
  using Cost = std::int64_t (*)(const TraceData&);
  TokenLimiting(std::int64_t rate, std::int64_t burst, Cost cost)
      : bucket_(static_cast<double>(rate), burst > 0 ? burst : rate * 2), cost_(cost) {}
  Result<Decision> Evaluate(TraceData& t, const PolicyClock& clock) override {
    return bucket_.AllowN(clock.now, cost_(t)) ? Decision::kSampled : Decision::kNotSampled;
  }
  bool stateful() const override { return true; }

 private:
  TokenBucket bucket_;
  Cost cost_;
};

class SpanCount : public Evaluator {
 public:
  explicit SpanCount(const PolicyConfig::SpanCount& c) : min_(c.min_spans), max_(c.max_spans) {}
  Result<Decision> Evaluate(TraceData& t, const PolicyClock&) override {
    const std::int64_t n = t.span_count;
    if (max_ == 0 && n >= min_) return Decision::kSampled;
    if (n >= min_ && n <= max_) return Decision::kSampled;
    return Decision::kNotSampled;
  }
  bool stateful() const override { return max_ > 0; }

 private:
  std::int64_t min_;
  std::int64_t max_;
};

class TraceStateFilter : public Evaluator {
 public:
  explicit TraceStateFilter(const PolicyConfig::TraceState& c) : key_(c.key) {
    for (const std::string& v : c.values) {
      if (!v.empty() && c.key.size() + v.size() < 256) values_.insert(v);
    }
  }
  Result<Decision> Evaluate(TraceData& t, const PolicyClock&) override {
    return HasSpanWith(*t.spans, [&](const tracepb::Span& s) {
      return values_.count(std::string(TraceStateGet(s.trace_state(), key_))) != 0;
    });
  }

 private:
  std::string key_;
  std::set<std::string> values_;
};

class BooleanAttribute : public Evaluator {
 public:
  explicit BooleanAttribute(const PolicyConfig::BooleanAttribute& c)
      : key_(c.key), value_(c.value), invert_(c.invert_match) {}
  Result<Decision> Evaluate(TraceData& t, const PolicyClock&) override {
    auto matches = [&](const Attributes& attrs) {
      const AnyValue* v = Get(attrs, key_);
      return v != nullptr && BoolOf(*v) == value_;
    };
    auto differs = [&](const Attributes& attrs) {
      const AnyValue* v = Get(attrs, key_);
      return v == nullptr || BoolOf(*v) != value_;
    };
    if (invert_) {
      return InvertHasResourceOrSpanWith(
          *t.spans, [&](const Resource& r) { return differs(r.attributes()); },
          [&](const tracepb::Span& s) { return differs(s.attributes()); });
    }
    return HasResourceOrSpanWith(
        *t.spans, [&](const Resource& r) { return matches(r.attributes()); },
        [&](const tracepb::Span& s) { return matches(s.attributes()); });
  }

 private:
  std::string key_;
  bool value_;
  bool invert_;
};

// ottl.go: per span, the span conditions then each event's; the first true
// samples; an error under propagate ends the evaluation with Error. Other
// modes skip the failing condition (ConditionSequence semantics: OR).
class OttlCondition : public Evaluator {
 public:
  explicit OttlCondition(const PolicyConfig::OttlCondition& c)
      : mode_(c.error_mode), span_(c.span), event_(c.spanevent) {}

  Result<Decision> Evaluate(TraceData& t, const PolicyClock& clock) override {
    ottl::Attrs cache;
    ottl::EvalContext ctx;
    ctx.now_ns = clock.unix_nanos;
    for (auto& rs : *t.spans->mutable_resource_spans()) {
      ctx.resource = rs.mutable_resource();
      ctx.resource_schema_url = rs.mutable_schema_url();
      for (auto& ss : *rs.mutable_scope_spans()) {
        ctx.scope = ss.mutable_scope();
        ctx.scope_schema_url = ss.mutable_schema_url();
        for (auto& span : *ss.mutable_spans()) {
          ctx.span = &span;
          ctx.event = nullptr;
          if (!span_.empty()) {
            Result<bool> r = Any(span_, ctx, cache);
            if (!r.ok()) return r.status();
            if (*r) return Decision::kSampled;
          }
          if (!event_.empty()) {
            std::int64_t index = 0;
            for (auto& ev : *span.mutable_events()) {
              ctx.event = &ev;
              ctx.event_index = index++;
              Result<bool> r = Any(event_, ctx, cache);
              if (!r.ok()) return r.status();
              if (*r) return Decision::kSampled;
            }
          }
        }
      }
    }
    return Decision::kNotSampled;
  }

 private:
  Result<bool> Any(const std::vector<std::shared_ptr<const ottl::Condition>>& conditions,
                   ottl::EvalContext& ctx, ottl::Attrs& cache) {
    cache.Clear();
    ctx.cache = &cache;
    for (const auto& c : conditions) {
      Result<bool> r = c->Eval(ctx);
      if (!r.ok()) {
        if (mode_ == ottl::ErrorMode::kPropagate) {
          return Status::InvalidArgument("failed to eval condition: " + c->text() + ", " +
                                         r.status().message());
        }
        continue;
      }
      if (*r) return true;
    }
    return false;
  }

  ottl::ErrorMode mode_;
  std::vector<std::shared_ptr<const ottl::Condition>> span_;
  std::vector<std::shared_ptr<const ottl::Condition>> event_;
};

// `and` and `drop`: every sub-policy must sample (an error or a not-sampled
// ends the walk); then the trace gets `all_sampled` (kSampled for `and`,
// kDropped for `drop`).
class AllSampled : public Evaluator {
 public:
  AllSampled(std::vector<std::unique_ptr<Evaluator>> subs, Decision all_sampled)
      : subs_(std::move(subs)), all_sampled_(all_sampled) {}
  Result<Decision> Evaluate(TraceData& t, const PolicyClock& clock) override {
    for (auto& sub : subs_) {
      Result<Decision> d = sub->Evaluate(t, clock);
      if (!d.ok()) return d;
      if (*d == Decision::kNotSampled || *d == Decision::kInvertNotSampled) return Decision::kNotSampled;
    }
    return all_sampled_;
  }
  bool stateful() const override {
    return std::any_of(subs_.begin(), subs_.end(), [](const auto& s) { return s->stateful(); });
  }

 private:
  std::vector<std::unique_ptr<Evaluator>> subs_;
  Decision all_sampled_;
};

class Not : public Evaluator {
 public:
  explicit Not(std::unique_ptr<Evaluator> sub) : sub_(std::move(sub)) {}
  Result<Decision> Evaluate(TraceData& t, const PolicyClock& clock) override {
    Result<Decision> d = sub_->Evaluate(t, clock);
    if (!d.ok()) return d;
    if (*d == Decision::kSampled) return Decision::kNotSampled;
    if (*d == Decision::kNotSampled) return Decision::kSampled;
    return d;
  }
  bool stateful() const override { return sub_->stateful(); }

 private:
  std::unique_ptr<Evaluator> sub_;
};

class Composite : public Evaluator {
 public:
  struct Sub {
    std::unique_ptr<Evaluator> evaluator;
    std::int64_t allocated = 0;
    std::int64_t sampled = 0;
  };
  Composite(std::int64_t max_total, std::vector<Sub> subs) : max_total_(max_total), subs_(std::move(subs)) {}

  Result<Decision> Evaluate(TraceData& t, const PolicyClock& clock) override {
    if (current_second_ != clock.unix_second) {
      current_second_ = clock.unix_second;
      for (Sub& s : subs_) s.sampled = 0;
    }
    for (Sub& s : subs_) {
      Result<Decision> d = s.evaluator->Evaluate(t, clock);
      if (!d.ok()) return d;
      if (*d == Decision::kSampled || *d == Decision::kInvertSampled) {
        const std::int64_t if_sampled = s.sampled + t.span_count;
        if (if_sampled <= s.allocated && if_sampled <= max_total_) {
          s.sampled = if_sampled;
          return Decision::kSampled;
        }
        return Decision::kNotSampled;
      }
    }
    return Decision::kNotSampled;
  }
  bool stateful() const override {
    return std::any_of(subs_.begin(), subs_.end(), [](const Sub& s) { return s.evaluator->stateful(); });
  }

 private:
  std::int64_t max_total_;
  std::vector<Sub> subs_;
  std::int64_t current_second_ = 0;
};

std::vector<std::unique_ptr<Evaluator>> MakeAll(const std::vector<PolicyConfig>& configs) {
  std::vector<std::unique_ptr<Evaluator>> out;
  for (const PolicyConfig& c : configs) out.push_back(MakeEvaluator(c));
  return out;
}

std::unique_ptr<Evaluator> MakeComposite(const PolicyConfig& c) {
  // composite_helper.go getRateAllocationMap: percent of the total, or an
  // equal share for a sub-policy without a positive percentage.
  const double max_total = static_cast<double>(c.composite.max_total_spans_per_second);
  const double default_sps = max_total / static_cast<double>(c.sub_policies.size());
  std::vector<Composite::Sub> subs;
  for (const PolicyConfig& sub : c.sub_policies) {
    double sps = default_sps;
    std::int64_t percent = 0;
    bool found = false;
    for (const auto& a : c.composite.rate_allocation) {
      if (a.policy == sub.name) {
        percent = a.percent;  // the last one listed wins, as a Go map fill does
        found = true;
      }
    }
    if (found && percent > 0) sps = (static_cast<double>(percent) / 100) * max_total;
    subs.push_back(Composite::Sub{MakeEvaluator(sub), static_cast<std::int64_t>(sps), 0});
  }
  return std::make_unique<Composite>(c.composite.max_total_spans_per_second, std::move(subs));
}

// Go trace state key/value rules (go.opentelemetry.io/otel/trace/tracestate.go).
bool LcAlpha(char c) { return c >= 'a' && c <= 'z'; }
bool KeyChar(char c) {
  return LcAlpha(c) || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '*' || c == '/';
}
bool CheckKeyPart(std::string_view s, std::size_t max, bool digit_first) {
  if (s.empty() || s.size() > max) return false;
  if (!LcAlpha(s[0]) && !(digit_first && s[0] >= '0' && s[0] <= '9')) return false;
  return std::all_of(s.begin() + 1, s.end(), KeyChar);
}
bool CheckKey(std::string_view key) {
  const auto at = key.find('@');
  if (at == std::string_view::npos) return CheckKeyPart(key, 256, false);
  return CheckKeyPart(key.substr(0, at), 241, true) && CheckKeyPart(key.substr(at + 1), 14, false);
}
bool CheckValue(std::string_view v) {
  if (v.empty() || v.size() > 256) return false;
  for (std::size_t i = 0; i + 1 < v.size(); ++i) {
    const char c = v[i];
    if (c < 0x20 || c > 0x7e || c == ',' || c == '=') return false;
  }
  const char last = v.back();
  return last > 0x20 && last <= 0x7e && last != ',' && last != '=';
}

}  // namespace

std::unique_ptr<Evaluator> MakeEvaluator(const PolicyConfig& c) {
  switch (c.type) {
    case PolicyType::kAlwaysSample: return std::make_unique<AlwaysSample>();
    case PolicyType::kLatency: return std::make_unique<Latency>(c.latency);
    case PolicyType::kNumericAttribute: return std::make_unique<NumericAttribute>(c.numeric_attribute);
    case PolicyType::kProbabilistic: return std::make_unique<Probabilistic>(c.probabilistic);
    case PolicyType::kStatusCode: return std::make_unique<StatusCodeFilter>(c.status_code);
    case PolicyType::kStringAttribute: return std::make_unique<StringAttribute>(c.string_attribute);
    case PolicyType::kRateLimiting:
      return std::make_unique<TokenLimiting>(c.rate_limiting.spans_per_second, c.rate_limiting.burst_capacity,
                                             [](const TraceData& t) { return t.span_count; });
    case PolicyType::kBytesLimiting:
      return std::make_unique<TokenLimiting>(
          c.bytes_limiting.bytes_per_second, c.bytes_limiting.burst_capacity,
          [](const TraceData& t) { return static_cast<std::int64_t>(t.request_bytes); });
    case PolicyType::kSpanCount: return std::make_unique<SpanCount>(c.span_count);
    case PolicyType::kTraceState: return std::make_unique<TraceStateFilter>(c.trace_state);
    case PolicyType::kBooleanAttribute: return std::make_unique<BooleanAttribute>(c.boolean_attribute);
    case PolicyType::kOttlCondition: return std::make_unique<OttlCondition>(c.ottl_condition);
    case PolicyType::kTraceFlags: return std::make_unique<TraceFlags>();
    case PolicyType::kAnd: return std::make_unique<AllSampled>(MakeAll(c.sub_policies), Decision::kSampled);
    case PolicyType::kNot: return std::make_unique<Not>(MakeEvaluator(c.sub_policies.at(0)));
    case PolicyType::kDrop: return std::make_unique<AllSampled>(MakeAll(c.sub_policies), Decision::kDropped);
    case PolicyType::kComposite: return MakeComposite(c);
  }
  return std::make_unique<AlwaysSample>();
}

std::uint64_t HashTraceId(std::string_view salt, const TraceId& id) {
  std::uint64_t h = 14695981039346656037ull;
  auto mix = [&](unsigned char b) {
    h ^= b;
    h *= 1099511628211ull;
  };
  for (char c : salt) mix(static_cast<unsigned char>(c));
  for (unsigned char b : id) mix(b);
  return h;
}

std::uint64_t ProbabilisticThreshold(double ratio) {
  static_assert(std::numeric_limits<long double>::digits >= 64, "needs x87 extended precision");
  if (std::isnan(ratio) || ratio <= 0) return 0;
  // 2^64-1 is exact in a 64-bit mantissa; the product rounds to nearest even
  // at 64 bits, as big.Float does at the operands' larger precision (64).
  const long double product =
      static_cast<long double>(std::numeric_limits<std::uint64_t>::max()) * static_cast<long double>(ratio);
  if (product >= 18446744073709551616.0L) return std::numeric_limits<std::uint64_t>::max();
  return static_cast<std::uint64_t>(product);  // truncation, as big.Float.Uint64
}

std::string_view TraceStateGet(std::string_view ts, std::string_view key) {
  std::string_view found;
  std::vector<std::string_view> keys;
  while (!ts.empty()) {
    const auto comma = ts.find(',');
    std::string_view member = ts.substr(0, comma);
    ts = comma == std::string_view::npos ? std::string_view() : ts.substr(comma + 1);
    if (member.empty()) continue;
    const auto eq = member.find('=');
    if (eq == std::string_view::npos) return {};
    std::string_view k = member.substr(0, eq);
    std::string_view v = member.substr(eq + 1);
    while (!k.empty() && (k.front() == ' ' || k.front() == '\t')) k.remove_prefix(1);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
    if (!CheckKey(k) || !CheckValue(v)) return {};
    if (std::find(keys.begin(), keys.end(), k) != keys.end()) return {};
    keys.push_back(k);
    if (keys.size() > 32) return {};
    if (k == key) found = v;
  }
  return found;
}

bool TokenBucket::AllowN(std::chrono::steady_clock::time_point now, std::int64_t n) {
  if (limit_ == 0) {
    if (burst_ >= n) {
      burst_ -= n;
      return true;
    }
    return false;
  }
  double tokens = tokens_;
  if (started_) {
    const auto last = now < last_ ? now : last_;
    const double elapsed = std::chrono::duration<double>(now - last).count();
    tokens += elapsed * limit_;
    if (tokens > static_cast<double>(burst_)) tokens = static_cast<double>(burst_);
  }
  tokens -= static_cast<double>(n);
  const bool ok = n <= burst_ && tokens >= 0;
  if (ok) {
    tokens_ = tokens;
    last_ = now;
    started_ = true;
  }
  return ok;
}

}  // namespace otlpd::processors::tail_sampling
