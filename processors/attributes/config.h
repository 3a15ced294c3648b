#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "component/component.h"
#include "config/decoder.h"
#include "processors/internal/attraction/config.h"

namespace re2 {
class RE2;
}

namespace otlpd::processors::attributes {

using attraction::Action;
using attraction::AnyValue;

enum class MatchType { kUnset, kStrict, kRegexp };

// One string to match: exactly (strict) or by an unanchored RE2 search (regexp).
struct StringMatcher {
  std::string text;
  std::shared_ptr<const re2::RE2> re;  // regexp only
};

// An `attributes`/`resources` entry: the key must exist; with a value, the
// value must match too (strict: same type and equal; regexp: a string pattern).
struct AttributeMatcher {
  std::string key;
  std::optional<AnyValue> value;       // strict
  std::shared_ptr<const re2::RE2> re;  // regexp
};

struct LibraryMatcher {
  StringMatcher name;
  std::optional<StringMatcher> version;
};

struct SeverityNumberMatcher {
  int min = 0;
  bool match_undefined = false;
};

// otelcol's filterconfig.MatchProperties, the `include`/`exclude` sections:
// OR within one list, AND across the lists that are set.
struct MatchProperties {
  MatchType match_type = MatchType::kUnset;
  std::vector<StringMatcher> services;
  std::vector<StringMatcher> span_names;
  std::vector<StringMatcher> span_kinds;
  std::vector<StringMatcher> log_bodies;
  std::vector<StringMatcher> log_severity_texts;
  std::optional<SeverityNumberMatcher> log_severity_number;
  std::vector<StringMatcher> metric_names;
  std::vector<AttributeMatcher> attributes;
  std::vector<AttributeMatcher> resources;
  std::vector<LibraryMatcher> libraries;
};

// The `attributes` processor's options: `actions` (required, non-empty) and
// optional `include`/`exclude`. Decoded per signal, because otelcol checks
// include/exclude against the signal of the pipeline the processor is in.
struct Config {
  std::vector<Action> actions;
  std::optional<MatchProperties> include;
  std::optional<MatchProperties> exclude;

  static Config Decode(config::MapDecoder& d, Signal signal);
};

}  // namespace otlpd::processors::attributes
