#include "processors/tail_sampling/config.h"

#include <re2/re2.h>

#include <set>
#include <utility>

#include "config/error.h"
#include "ottl/config.h"
#include "processors/tail_sampling/policy.h"

namespace otlpd::processors::tail_sampling {
namespace {

struct TypeName {
  std::string_view name;
  PolicyType type;
};

constexpr TypeName kTypes[] = {
    {"always_sample", PolicyType::kAlwaysSample},
    {"latency", PolicyType::kLatency},
    {"numeric_attribute", PolicyType::kNumericAttribute},
    {"probabilistic", PolicyType::kProbabilistic},
    {"status_code", PolicyType::kStatusCode},
    {"string_attribute", PolicyType::kStringAttribute},
    {"rate_limiting", PolicyType::kRateLimiting},
    {"bytes_limiting", PolicyType::kBytesLimiting},
    {"span_count", PolicyType::kSpanCount},
    {"trace_state", PolicyType::kTraceState},
    {"boolean_attribute", PolicyType::kBooleanAttribute},
    {"ottl_condition", PolicyType::kOttlCondition},
    {"trace_flags", PolicyType::kTraceFlags},
    {"and", PolicyType::kAnd},
    {"not", PolicyType::kNot},
    {"drop", PolicyType::kDrop},
    {"composite", PolicyType::kComposite},
};

bool Shared(PolicyType t) {
  return t != PolicyType::kAnd && t != PolicyType::kNot && t != PolicyType::kDrop &&
         t != PolicyType::kComposite;
}

// Where a policy config sits decides which keys it has and which types it
// may name (otelcol's PolicyCfg, CompositeSubPolicyCfg, AndSubPolicyCfg,
// NotSubPolicyCfg).
enum class Level { kTop, kComposite, kAndOrDrop, kNot };

bool TypeAllowed(Level level, PolicyType t) {
  if (Shared(t)) return true;
  switch (level) {
    case Level::kTop: return true;
    case Level::kComposite: return t == PolicyType::kAnd;
    case Level::kAndOrDrop: return t == PolicyType::kNot;
    case Level::kNot: return false;
  }
  return false;
}

// A policy evaluator that cannot be built: otelcol reports it when policies
// load; here it is a config error at the policy.
struct BuildError {
  std::string message;
  config::Mark mark{};
  std::string path{};
};

std::vector<std::string> Strings(config::MapDecoder& d, std::string_view key) {
  std::vector<std::string> out;
  d.Optional(key, out);
  return out;
}

PolicyConfig DecodePolicy(const config::Node& node, const std::string& path, Level level);

std::vector<PolicyConfig> DecodeList(const config::Node* list, const std::string& path, Level level) {
  std::vector<PolicyConfig> out;
  if (list == nullptr || list->IsNull()) return out;
  if (!list->IsSequence()) throw config::Error(list->mark(), path, "expected a list of policies");
  for (std::size_t i = 0; i < list->items().size(); ++i) {
    out.push_back(DecodePolicy(list->items()[i], path + "[" + std::to_string(i) + "]", level));
  }
  return out;
}

void DecodeShared(config::MapDecoder& d, PolicyConfig& p) {
  {
    config::MapDecoder c = d.Child("latency");
    c.Optional("threshold_ms", p.latency.threshold_ms);
    c.Optional("upper_threshold_ms", p.latency.upper_threshold_ms);
    c.Finish();
  }
  {
    config::MapDecoder c = d.Child("numeric_attribute");
    c.Optional("key", p.numeric_attribute.key);
    c.Optional("min_value", p.numeric_attribute.min_value);
    c.Optional("max_value", p.numeric_attribute.max_value);
    c.Optional("invert_match", p.numeric_attribute.invert_match);
    c.Finish();
  }
  {
    config::MapDecoder c = d.Child("probabilistic");
    c.Optional("hash_salt", p.probabilistic.hash_salt);
    c.Optional("sampling_percentage", p.probabilistic.sampling_percentage);
    c.Finish();
  }
  std::vector<std::string> status_codes;
  {
    config::MapDecoder c = d.Child("status_code");
    status_codes = Strings(c, "status_codes");
    c.Finish();
  }
  {
    config::MapDecoder c = d.Child("string_attribute");
    c.Optional("key", p.string_attribute.key);
    p.string_attribute.values = Strings(c, "values");
    c.Optional("enabled_regex_matching", p.string_attribute.enabled_regex_matching);
    c.Optional("cache_max_size", p.string_attribute.cache_max_size);
    c.Optional("invert_match", p.string_attribute.invert_match);
    c.Finish();
  }
  {
    config::MapDecoder c = d.Child("rate_limiting");
    c.Optional("spans_per_second", p.rate_limiting.spans_per_second);
    c.Optional("burst_capacity", p.rate_limiting.burst_capacity);
    c.Finish();
  }
  {
    config::MapDecoder c = d.Child("bytes_limiting");
    c.Optional("bytes_per_second", p.bytes_limiting.bytes_per_second);
    c.Optional("burst_capacity", p.bytes_limiting.burst_capacity);
    c.Finish();
  }
  {
    config::MapDecoder c = d.Child("span_count");
    int v = 0;
    if (c.Optional("min_spans", v)) p.span_count.min_spans = v;
    if (c.Optional("max_spans", v)) p.span_count.max_spans = v;
    c.Finish();
  }
  {
    config::MapDecoder c = d.Child("trace_state");
    c.Optional("key", p.trace_state.key);
    p.trace_state.values = Strings(c, "values");
    c.Finish();
  }
  {
    config::MapDecoder c = d.Child("boolean_attribute");
    c.Optional("key", p.boolean_attribute.key);
    c.Optional("value", p.boolean_attribute.value);
    c.Optional("invert_match", p.boolean_attribute.invert_match);
    c.Finish();
  }
  std::vector<ottl::LocatedText> span_conditions;
  std::vector<ottl::LocatedText> event_conditions;
  {
    config::MapDecoder c = d.Child("ottl_condition");
    if (auto mode = ottl::DecodeErrorMode(c, "error_mode")) p.ottl_condition.error_mode = *mode;
    if (const config::Node* n = c.Take("span")) span_conditions = ottl::DecodeTextList(*n, c.KeyPath("span"));
    if (const config::Node* n = c.Take("spanevent"))
      event_conditions = ottl::DecodeTextList(*n, c.KeyPath("spanevent"));
    c.Finish();
  }

  // What building the evaluator of `type` checks (only that type's).
  switch (p.type) {
    case PolicyType::kStatusCode:
      if (status_codes.empty()) throw BuildError{"expected at least one status code to filter on"};
      for (const std::string& s : status_codes) {
        if (s == "OK") {
          p.status_code.status_codes.push_back(SpanStatus::kOk);
        } else if (s == "ERROR") {
          p.status_code.status_codes.push_back(SpanStatus::kError);
        } else if (s == "UNSET") {
          p.status_code.status_codes.push_back(SpanStatus::kUnset);
        } else {
          throw BuildError{"unknown status code \"" + s + "\", supported: OK, ERROR, UNSET"};
        }
      }
      break;
    case PolicyType::kStringAttribute:
      if (p.string_attribute.enabled_regex_matching) {
        for (const std::string& v : p.string_attribute.values) {
          re2::RE2::Options options;
          options.set_log_errors(false);
          re2::RE2 re(v, options);
          if (!re.ok()) throw BuildError{"invalid regex `" + v + "`: " + re.error()};
        }
      }
      break;
    case PolicyType::kNumericAttribute:
      // otelcol logs "At least one of minValue or maxValue must be set" and
      // builds no evaluator, which panics at the first trace; refused here.
      if (p.numeric_attribute.min_value == 0 && p.numeric_attribute.max_value == 0) {
        throw BuildError{"At least one of minValue or maxValue must be set"};
      }
      break;
    case PolicyType::kOttlCondition:
      if (span_conditions.empty() && event_conditions.empty()) {
        throw BuildError{"expected at least one OTTL condition to filter on"};
      }
      for (const auto& t : span_conditions) {
        p.ottl_condition.span.push_back(
            std::make_shared<const ottl::Condition>(ottl::CompileConditionAt(t, ottl::ContextKind::kSpan)));
      }
      for (const auto& t : event_conditions) {
        p.ottl_condition.spanevent.push_back(std::make_shared<const ottl::Condition>(
            ottl::CompileConditionAt(t, ottl::ContextKind::kSpanEvent)));
      }
      break;
    default: break;
  }
}

PolicyConfig DecodePolicy(const config::Node& node, const std::string& path, Level level) {
  config::MapDecoder d(node, path);
  PolicyConfig p;
  p.path = path;
  d.Optional("name", p.name);
  std::string type;
  d.Optional("type", type);
  bool known = false;
  for (const TypeName& t : kTypes) {
    if (t.name == type && TypeAllowed(level, t.type)) {
      p.type = t.type;
      known = true;
    }
  }
  // The keys this level has; the ones of other types are decoded (and
  // checked for their own types) but only `type`'s is used.
  const config::Node* and_node = nullptr;
  const config::Node* not_node = nullptr;
  const config::Node* drop_node = nullptr;
  const config::Node* composite_node = nullptr;
  if (level == Level::kTop || level == Level::kComposite) and_node = d.Take("and");
  if (level == Level::kTop || level == Level::kAndOrDrop) not_node = d.Take("not");
  if (level == Level::kTop) {
    drop_node = d.Take("drop");
    composite_node = d.Take("composite");
  }
  try {
    if (!known) throw BuildError{"unknown sampling policy type " + type};
    DecodeShared(d, p);
    auto child = [&](const config::Node* n, const std::string& key) {
      static const config::Node kNull = config::Node::Null(config::Mark{});
      return config::MapDecoder(n != nullptr ? *n : kNull, d.KeyPath(key));
    };
    if (p.type == PolicyType::kAnd) {
      config::MapDecoder c = child(and_node, "and");
      p.sub_policies = DecodeList(c.Take("and_sub_policy"), c.KeyPath("and_sub_policy"), Level::kAndOrDrop);
      c.Finish();
    } else if (p.type == PolicyType::kDrop) {
      config::MapDecoder c = child(drop_node, "drop");
      p.sub_policies = DecodeList(c.Take("drop_sub_policy"), c.KeyPath("drop_sub_policy"), Level::kAndOrDrop);
      c.Finish();
    } else if (p.type == PolicyType::kNot) {
      config::MapDecoder c = child(not_node, "not");
      const config::Node* sub = c.Take("not_sub_policy");
      static const config::Node kNull = config::Node::Null(config::Mark{});
      p.sub_policies.push_back(
          DecodePolicy(sub != nullptr ? *sub : kNull, c.KeyPath("not_sub_policy"), Level::kNot));
      c.Finish();
    } else if (p.type == PolicyType::kComposite) {
      config::MapDecoder c = child(composite_node, "composite");
      c.Optional("max_total_spans_per_second", p.composite.max_total_spans_per_second);
      p.composite.policy_order = Strings(c, "policy_order");
      p.sub_policies =
          DecodeList(c.Take("composite_sub_policy"), c.KeyPath("composite_sub_policy"), Level::kComposite);
      if (const config::Node* ra = c.Take("rate_allocation"); ra != nullptr && !ra->IsNull()) {
        const std::string ra_path = c.KeyPath("rate_allocation");
        if (!ra->IsSequence())
          throw config::Error(ra->mark(), ra_path, "expected a list of {policy, percent}");
        for (std::size_t i = 0; i < ra->items().size(); ++i) {
          config::MapDecoder e(ra->items()[i], ra_path + "[" + std::to_string(i) + "]");
          PolicyConfig::Composite::RateAllocation a;
          e.Optional("policy", a.policy);
          e.Optional("percent", a.percent);
          e.Finish();
          p.composite.rate_allocation.push_back(std::move(a));
        }
      }
      c.Finish();
    }
  } catch (BuildError& e) {
    // Located at the innermost policy; the top level adds otelcol's prefix.
    if (e.path.empty()) {
      e.mark = node.mark();
      e.path = path;
    }
    throw;
  }
  d.Finish();
  return p;
}

}  // namespace

std::string_view PolicyTypeName(PolicyType type) {
  for (const TypeName& t : kTypes) {
    if (t.type == type) return t.name;
  }
  return "";
}

std::optional<config::Problem> Config::Validate() const {
  if (sampling_strategy != "trace-complete" && sampling_strategy != "span-ingest") {
    return config::Problem{"sampling_strategy",
                           "invalid sampling_strategy \"" + sampling_strategy +
                               "\", expected one of \"trace-complete\" or \"span-ingest\""};
  }
  if (num_shards > 256)
    return config::Problem{"num_shards",
                           "num_shards (" + std::to_string(num_shards) + ") must not exceed 256"};
  return std::nullopt;
}

Config Config::Decode(config::MapDecoder& d) {
  Config c;
  d.Optional("decision_wait", c.decision_wait);
  d.Optional("decision_wait_after_root_received", c.decision_wait_after_root_received);
  d.Optional("num_traces", c.num_traces);
  d.Optional("block_on_overflow", c.block_on_overflow);
  d.Optional("expected_new_traces_per_sec", c.expected_new_traces_per_sec);
  {
    config::MapDecoder cache = d.Child("decision_cache");
    cache.Optional("sampled_cache_size", c.sampled_cache_size);
    cache.Optional("non_sampled_cache_size", c.non_sampled_cache_size);
    cache.Finish();
  }
  d.Optional("sample_on_first_match", c.sample_on_first_match);
  d.Optional("sampling_strategy", c.sampling_strategy);
  d.Optional("drop_pending_traces_on_shutdown", c.drop_pending_traces_on_shutdown);
  d.Optional("maximum_trace_size_bytes", c.maximum_trace_size_bytes);
  d.Optional("num_shards", c.num_shards);
  const config::Node* tail_storage = d.Take("tail_storage");
  const config::Node* policies = d.Take("policies");

  if (std::optional<config::Problem> p = c.Validate()) d.Fail(p->key, p->message);
  if (tail_storage != nullptr && !tail_storage->IsNull()) {
    if (c.num_shards > 1)
      d.Fail("tail_storage", "num_shards greater than 1 is not supported with tail_storage");
    // otlpd has no feature gates; the storage extension is behind one in otelcol.
    d.Fail(
        "tail_storage",
        "'tail_storage' requires the \"processor.tailsamplingprocessor.tailstorageextension\" feature gate "
        "to be enabled, use --feature-gates=+processor.tailsamplingprocessor.tailstorageextension "
        "(otlpd has no tail storage extension)");
  }
  // otelcol's policy loading: names first, then each evaluator.
  const std::string list_path = d.KeyPath("policies");
  if (policies != nullptr && !policies->IsNull()) {
    if (!policies->IsSequence())
      throw config::Error(policies->mark(), list_path, "expected a list of policies");
    std::set<std::string> names;
    for (std::size_t i = 0; i < policies->items().size(); ++i) {
      const config::Node& item = policies->items()[i];
      const std::string path = list_path + "[" + std::to_string(i) + "]";
      std::string name;
      if (item.IsMap()) {
        if (const config::Node* n = item.Find("name")) DecodeValue(*n, path + ".name", name);
      }
      if (name.empty()) throw config::Error(item.mark(), path, "policy name cannot be empty");
      if (!names.insert(name).second) {
        throw config::Error(item.mark(), path, "duplicate policy name \"" + name + "\"");
      }
      try {
        c.policies.push_back(DecodePolicy(item, path, Level::kTop));
      } catch (const BuildError& e) {
        throw config::Error(e.mark, e.path,
                            "failed to create policy evaluator for \"" + name + "\": " + e.message);
      }
      if (c.sampling_strategy == "span-ingest" && MakeEvaluator(c.policies.back())->stateful()) {
        throw config::Error(
            item.mark(), path,
            "sampling_strategy \"span-ingest\" requires all policies to be stateless, but policy \"" + name +
                "\" is stateful");
      }
    }
  }
  d.Finish();
  return c;
}

}  // namespace otlpd::processors::tail_sampling
