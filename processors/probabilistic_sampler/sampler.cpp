#include "processors/probabilistic_sampler/sampler.h"

#include <algorithm>
#include <optional>

#include "internal/go_parse.h"
#include "otlp/wire/any_value.h"
#include "otlp/wire/field_numbers.h"
#include "otlp/wire/wire_format.h"

namespace otlpd::processors::probabilistic_sampler {
namespace {

using wire::AnyValueAsString;
using wire::AnyValueView;
using wire::AppendStringKeyValue;
using wire::Field;
using wire::KeyValueKey;
using wire::ParseAnyValue;
using wire::ParseKeyValue;
using wire::Reader;
using wire::ValueType;
using wire::WireType;

constexpr std::string_view kSpanPriorityKey = "sampling.priority";
constexpr std::string_view kThresholdKey = "sampling.threshold";
constexpr std::string_view kRandomnessKey = "sampling.randomness";

// pdata's TraceID.IsEmpty() is false only for 16 bytes, not all zero.
bool HasTraceId(std::string_view id) {
  return id.size() == 16 && std::any_of(id.begin(), id.end(), [](char c) { return c != 0; });
}

// The randomness an item carries; "missing" samples at every threshold but
// fails the consistency check (otelcol's missingRandomnessMethod).
struct Rnd {
  Randomness value = kAllProbabilitiesRandomness;
  bool missing = true;

  static Rnd Of(Randomness r) { return Rnd{r, false}; }
};

// Where a span keeps sampling state: its W3C tracestate.
struct SpanCarrier {
  W3CTraceState* state;

  std::optional<Threshold> threshold() const {
    if (state->otel.tvalue.empty()) return std::nullopt;
    return state->otel.threshold;
  }
  void ClearThreshold() {
    state->otel.tvalue = HexValue();
    state->otel.threshold = Threshold{};
  }
  // Never raises the sampling probability of an item (pkg/sampling's
  // UpdateTValueWithSampling refuses and leaves it as it was).
  void UpdateThreshold(Threshold t) {
    if (!state->otel.tvalue.empty() && state->otel.threshold.value > t.value) return;
    state->otel.threshold = t;
    state->otel.tvalue = ThresholdHex(t);
  }
};

// Where a log record keeps sampling state: the sampling.threshold and
// sampling.randomness string attributes. Changes are recorded, then applied
// if the record is kept.
struct LogCarrier {
  HexValue tvalue;
  Threshold threshold;
  HexValue rvalue;
  Randomness randomness;

  bool remove_threshold = false;
  std::optional<HexValue> put_threshold;
  std::optional<HexValue> put_randomness;

  std::optional<Threshold> get_threshold() const {
    if (tvalue.empty()) return std::nullopt;
    return threshold;
  }
  void ClearThreshold() {
    threshold = kNeverSample;
    tvalue = HexValue();
    remove_threshold = true;
  }
  void UpdateThreshold(Threshold t) {
    if (!tvalue.empty() && t.value < threshold.value) return;
    put_threshold = ThresholdHex(t);
  }
  void SetExplicitRandomness(Randomness r) {
    randomness = r;
    rvalue = RandomnessHex(r);
    put_randomness = rvalue;
  }
  bool changed() const { return remove_threshold || put_threshold || put_randomness; }
};

std::optional<Threshold> CarrierThreshold(const SpanCarrier* c) { return c->threshold(); }
std::optional<Threshold> CarrierThreshold(const LogCarrier* c) { return c->get_threshold(); }

// The span's first sampling.priority attribute, read as otelcol does.
enum class SpanPriority : std::uint8_t { kDefer, kMustSample, kDoNotSample };

SpanPriority ParseSpanPriority(const AnyValueView& v) {
  std::optional<double> value;
  switch (v.type) {
    case ValueType::kInt:
      if (v.int_value == 0) return SpanPriority::kDoNotSample;
      return v.int_value > 0 ? SpanPriority::kMustSample : SpanPriority::kDefer;
    case ValueType::kDouble: value = v.double_value; break;
    case ValueType::kStr: value = GoParseFloat(v.bytes); break;
    default: return SpanPriority::kDefer;
  }
  if (!value) return SpanPriority::kDefer;
  if (*value == 0) return SpanPriority::kDoNotSample;
  return *value > 0 ? SpanPriority::kMustSample : SpanPriority::kDefer;
}

// otelcol's commonShouldSampleLogic: consistency check, the mode's (or
// fail_closed's) threshold, the priority override, then the threshold written
// into a kept item. `carrier` is null where otelcol drops it (parse errors,
// hash_seed on items that already carry OTel sampling state).
template <class Carrier, class Decide, class Priority>
bool SampleItem(const Rnd& rnd, Carrier* carrier, bool err, bool fail_closed, Decide&& decide,
                Priority&& priority) {
  if (!err) {
    if (rnd.missing) {
      err = true;
    } else if (carrier != nullptr) {
      // An arriving threshold the randomness does not pass is a lie: clear it.
      std::optional<Threshold> th = CarrierThreshold(carrier);
      if (th && !ShouldSample(*th, rnd.value)) {
        carrier->ClearThreshold();
        err = true;
      }
    }
  }
  Threshold threshold = err ? (fail_closed ? kNeverSample : kAlwaysSample) : decide(carrier);
  threshold = priority(threshold);
  bool sampled = ShouldSample(threshold, rnd.value);
  if (sampled && carrier != nullptr) carrier->UpdateThreshold(threshold);
  return sampled;
}

// Re-emits a span with `trace_state` in place of its field 3, where field 3
// goes in field-number order, so canonically ordered input stays canonical.
void RewriteSpan(std::string_view span, std::string_view trace_state, std::string& out) {
  std::size_t start = out.size();
  out.reserve(start + span.size() + trace_state.size() + 4);
  bool placed = trace_state.empty();
  auto place = [&] {
    wire::AppendLengthDelimited(out, wire::kSpanTraceState, trace_state);
    placed = true;
  };
  Reader r(span);
  Field f;
  while (!r.AtEnd() && r.ReadField(f)) {
    if (!placed && f.number >= wire::kSpanTraceState) place();
    if (f.number == wire::kSpanTraceState && f.type == WireType::kLen) continue;
    out.append(f.raw);
  }
  if (!placed) place();
}

}  // namespace

Sampler::Sampler(const Config& config, Signal signal)
    : precision_(config.sampling_precision),
      hash_seed_(config.hash_seed),
      fail_closed_(config.fail_closed),
      logs_trace_id_enabled_(config.attribute_source == "traceID"),
      priority_attribute_(signal == Signal::kLogs ? config.sampling_priority : std::string()) {
  float pct = config.sampling_percentage;
  if (pct > 100) pct = 100;
  // Unset means hash_seed, whatever hash_seed or attribute_source say (v0.165).
  Mode mode = config.mode == Mode::kUnset ? Mode::kHashSeed : config.mode;
  if (pct == 0) return;  // kNever
  double ratio = static_cast<double>(pct) / 100;
  ratio = std::max(ratio, kMinSamplingProbability);
  switch (mode) {
    case Mode::kEqualizing:
      kind_ = Kind::kEqualizing;
      threshold_ = ProbabilityToThreshold(ratio, precision_).value_or(kAlwaysSample);
      break;
    case Mode::kProportional:
      kind_ = Kind::kProportional;
      ratio_ = ratio;
      break;
    case Mode::kUnset:
    case Mode::kHashSeed: {
      // The legacy arithmetic, kept bit for bit: float32 product, truncated.
      float product = pct * (static_cast<float>(kNumHashBuckets) / 100.0f);
      auto scaled = static_cast<std::uint32_t>(product);
      if (scaled == 0) return;  // kNever
      kind_ = Kind::kHashSeed;
      threshold_ = Threshold{static_cast<std::uint64_t>(kNumHashBuckets - scaled) << 42};
      from_attribute_ = config.from_attribute;
      break;
    }
  }
}

template <class Carrier>
Threshold Sampler::Decide(const Carrier* carrier) const {
  switch (kind_) {
    case Kind::kNever: return kNeverSample;
    case Kind::kHashSeed: return threshold_;
    case Kind::kEqualizing: {
      std::optional<Threshold> th = carrier ? CarrierThreshold(carrier) : std::nullopt;
      return th && threshold_.value < th->value ? *th : threshold_;
    }
    case Kind::kProportional: {
      std::optional<Threshold> th = carrier ? CarrierThreshold(carrier) : std::nullopt;
      double incoming = th ? Probability(*th) : 1.0;
      // Below 2^-56 the product simply never samples.
      return ProbabilityToThreshold(incoming * ratio_, precision_).value_or(kNeverSample);
    }
  }
  return kNeverSample;
}

Verdict Sampler::DecideSpan(std::string_view span, Scratch& scratch, std::string& out) const {
  std::string_view trace_id;
  std::string_view trace_state;
  SpanPriority priority = SpanPriority::kDefer;
  bool priority_seen = false;
  Reader r(span);
  Field f;
  while (!r.AtEnd()) {
    if (!r.ReadField(f)) return Verdict::kMalformed;
    if (f.type != WireType::kLen) continue;
    if (f.number == wire::kSpanTraceId) {
      trace_id = f.payload;
    } else if (f.number == wire::kSpanTraceState) {
      trace_state = f.payload;
    } else if (f.number == wire::kSpanAttributes && !priority_seen) {
      std::string_view key;
      if (!KeyValueKey(f.payload, key)) return Verdict::kMalformed;
      if (key == kSpanPriorityKey) {
        std::string_view value;
        ParseKeyValue(f.payload, key, value);
        priority_seen = true;
        priority = ParseSpanPriority(ParseAnyValue(value));
      }
    }
  }

  W3CTraceState& ts = scratch.trace_state;
  bool parsed = ParseW3CTraceState(trace_state, ts);
  SpanCarrier span_carrier{&ts};
  SpanCarrier* carrier = &span_carrier;
  Rnd rnd;
  bool err = false;
  bool set_rvalue = false;
  switch (kind_) {
    case Kind::kNever:
      // The randomness is never looked at; the carrier survives a parse error.
      rnd = Rnd::Of(kAllProbabilitiesRandomness);
      err = !parsed;
      break;
    case Kind::kHashSeed:
      if (HasTraceId(trace_id)) rnd = Rnd::Of(HashSeedRandomness(trace_id, hash_seed_));
      if (!parsed || !ts.otel.rvalue.empty() || !ts.otel.tvalue.empty()) {
        // Items already carrying OTel sampling state are left alone.
        err = true;
        carrier = nullptr;
      } else {
        // The derived rv is written into kept spans only; see below.
        set_rvalue = true;
      }
      break;
    case Kind::kEqualizing:
    case Kind::kProportional:
      if (!parsed) {
        err = true;
        carrier = nullptr;
      } else if (!ts.otel.rvalue.empty()) {
        rnd = Rnd::Of(ts.otel.randomness);
      } else if (HasTraceId(trace_id)) {
        rnd = Rnd::Of(TraceIdRandomness(trace_id));
      }
      break;
  }

  bool sampled = SampleItem(
      rnd, carrier, err, fail_closed_, [this](const SpanCarrier* c) { return Decide(c); },
      [priority](Threshold t) {
        switch (priority) {
          case SpanPriority::kDoNotSample: return kNeverSample;
          case SpanPriority::kMustSample: return kAlwaysSample;
          case SpanPriority::kDefer: break;
        }
        return t;
      });
  if (!sampled) return Verdict::kDrop;
  if (carrier == nullptr) return Verdict::kKeep;
  if (set_rvalue) {
    // (otelcol sets it before deciding; nothing reads it in between.)
    ts.otel.randomness = rnd.value;
    ts.otel.rvalue = RandomnessHex(rnd.value);
  }
  scratch.text.clear();
  SerializeW3CTraceState(ts, scratch.text);
  if (scratch.text == trace_state) return Verdict::kKeep;
  RewriteSpan(span, scratch.text, out);
  return Verdict::kRewrite;
}

Verdict Sampler::DecideLogRecord(std::string_view record, Scratch& /*scratch*/, std::string& out) const {
  std::string_view trace_id;
  // First occurrence of each attribute of interest (pdata's Map.Get).
  struct Attr {
    std::string_view raw;  // the whole field, to find it again when rewriting
    AnyValueView value;
    bool found = false;
  };
  Attr threshold_attr, randomness_attr, source_attr, priority_attr;
  std::string_view last_attribute;
  Reader r(record);
  Field f;
  while (!r.AtEnd()) {
    if (!r.ReadField(f)) return Verdict::kMalformed;
    if (f.type != WireType::kLen) continue;
    if (f.number == wire::kLogTraceId) {
      trace_id = f.payload;
    } else if (f.number == wire::kLogAttributes) {
      last_attribute = f.raw;
      std::string_view key;
      if (!KeyValueKey(f.payload, key)) return Verdict::kMalformed;
      auto take = [&](Attr& a) {
        if (a.found) return;
        std::string_view value;
        ParseKeyValue(f.payload, key, value);
        a.found = true;
        a.raw = f.raw;
        a.value = ParseAnyValue(value);
      };
      if (key == kThresholdKey) take(threshold_attr);
      if (key == kRandomnessKey) take(randomness_attr);
      if (!from_attribute_.empty() && key == from_attribute_) take(source_attr);
      if (!priority_attribute_.empty() && key == priority_attribute_) take(priority_attr);
    }
  }

  // otelcol's newLogRecordCarrier: only non-empty string values count.
  LogCarrier c;
  bool parse_error = false;
  if (threshold_attr.found && threshold_attr.value.type == ValueType::kStr &&
      !threshold_attr.value.bytes.empty()) {
    if (auto t = ParseThreshold(threshold_attr.value.bytes)) {
      c.tvalue = HexValue(threshold_attr.value.bytes);
      c.threshold = *t;
    } else {
      parse_error = true;
    }
  }
  if (randomness_attr.found && randomness_attr.value.type == ValueType::kStr &&
      !randomness_attr.value.bytes.empty()) {
    if (auto rv = ParseRandomness(randomness_attr.value.bytes)) {
      c.rvalue = HexValue(randomness_attr.value.bytes);
      c.randomness = *rv;
    } else {
      parse_error = true;
    }
  }

  LogCarrier* carrier = &c;
  Rnd rnd;
  bool err = false;
  switch (kind_) {
    case Kind::kNever:
      rnd = Rnd::Of(kAllProbabilitiesRandomness);
      err = parse_error;
      break;
    case Kind::kHashSeed:
      if (logs_trace_id_enabled_ && HasTraceId(trace_id))
        rnd = Rnd::Of(HashSeedRandomness(trace_id, hash_seed_));
      if (rnd.missing && source_attr.found) {
        std::string text;
        std::string_view bytes = source_attr.value.bytes;
        if (source_attr.value.type != ValueType::kBytes) {
          text = AnyValueAsString(source_attr.value);
          bytes = text;
        }
        if (!bytes.empty()) rnd = Rnd::Of(HashSeedRandomness(bytes, hash_seed_));
      }
      if (parse_error || !c.rvalue.empty() || !c.tvalue.empty()) {
        err = true;
        carrier = nullptr;
      } else if (!rnd.missing) {
        c.SetExplicitRandomness(rnd.value);
      }
      break;
    case Kind::kEqualizing:
    case Kind::kProportional:
      if (parse_error) {
        err = true;
        carrier = nullptr;
      } else if (!c.rvalue.empty()) {
        rnd = Rnd::Of(c.randomness);
      } else if (HasTraceId(trace_id)) {
        rnd = Rnd::Of(TraceIdRandomness(trace_id));
      }
      break;
  }

  bool sampled = SampleItem(
      rnd, carrier, err, fail_closed_, [this](const LogCarrier* lc) { return Decide(lc); },
      [&](Threshold t) {
        // In logs the priority attribute is a sampling percentage.
        if (!priority_attr.found) return t;
        double min_prob = 0;
        if (priority_attr.value.type == ValueType::kDouble)
          min_prob = priority_attr.value.double_value / 100.0;
        if (priority_attr.value.type == ValueType::kInt) {
          min_prob = static_cast<double>(priority_attr.value.int_value) / 100.0;
        }
        if (min_prob != 0) {
          if (auto th = ProbabilityToThreshold(min_prob, precision_)) return *th;
        }
        return t;
      });
  if (!sampled) return Verdict::kDrop;
  if (carrier == nullptr || !c.changed()) return Verdict::kKeep;

  // Re-emit with the attribute changes: in place where the key exists (as
  // PutStr does), appended after the last attribute otherwise; a removed
  // threshold that is set again goes last too.
  std::size_t start = out.size();
  out.reserve(start + record.size() + 64);
  bool appended = false;
  auto append_new = [&] {
    appended = true;
    if (c.put_randomness && !randomness_attr.found) {
      AppendStringKeyValue(out, wire::kLogAttributes, kRandomnessKey, c.put_randomness->view());
    }
    if (c.put_threshold && (!threshold_attr.found || c.remove_threshold)) {
      AppendStringKeyValue(out, wire::kLogAttributes, kThresholdKey, c.put_threshold->view());
    }
  };
  Reader w(record);
  while (!w.AtEnd() && w.ReadField(f)) {
    if (!appended && last_attribute.empty() && f.number > wire::kLogAttributes) append_new();
    bool is_randomness = randomness_attr.found && f.raw.data() == randomness_attr.raw.data();
    bool is_threshold = threshold_attr.found && f.raw.data() == threshold_attr.raw.data();
    if (is_randomness && c.put_randomness) {
      AppendStringKeyValue(out, wire::kLogAttributes, kRandomnessKey, c.put_randomness->view());
    } else if (is_threshold && c.remove_threshold) {
      // dropped
    } else if (is_threshold && c.put_threshold) {
      AppendStringKeyValue(out, wire::kLogAttributes, kThresholdKey, c.put_threshold->view());
    } else {
      out.append(f.raw);
    }
    if (!appended && f.raw.data() == last_attribute.data()) append_new();
  }
  if (!appended) append_new();
  return Verdict::kRewrite;
}

}  // namespace otlpd::processors::probabilistic_sampler
