#include "processors/attributes/config.h"

#include <re2/re2.h>

#include <algorithm>

#include "config/error.h"

namespace otlpd::processors::attributes {
namespace {

std::shared_ptr<const re2::RE2> Compile(config::MapDecoder& d, std::string_view key,
                                        const std::string& pattern) {
  re2::RE2::Options options;
  options.set_log_errors(false);
  auto re = std::make_shared<const re2::RE2>(pattern, options);
  if (!re->ok()) d.Fail(key, "error parsing regexp: " + re->error() + ": `" + pattern + "`");
  return re;
}

// Errors about a section as a whole point at the section.
[[noreturn]] void FailSection(const config::MapDecoder& d, const std::string& message) {
  throw config::Error(d.node().mark(), d.path(), message);
}

// The match type a property list needs; otelcol fails only once something
// has to be matched by name or value, so a section with only attribute keys
// needs no match_type.
void RequireMatchType(config::MapDecoder& d, const std::string& raw, MatchType type) {
  if (type != MatchType::kUnset) return;
  d.Fail("match_type", "unrecognized match_type: '" + raw + "', valid types are: [regexp strict]");
}

std::vector<StringMatcher> DecodeStrings(config::MapDecoder& d, std::string_view key,
                                         const std::string& raw_type, MatchType type) {
  std::vector<std::string> texts;
  d.Optional(key, texts);
  std::vector<StringMatcher> out;
  if (texts.empty()) return out;
  RequireMatchType(d, raw_type, type);
  for (std::string& t : texts) {
    StringMatcher m;
    if (type == MatchType::kRegexp) m.re = Compile(d, key, t);
    m.text = std::move(t);
    out.push_back(std::move(m));
  }
  return out;
}

const char* TypeName(const AnyValue& v) {
  switch (v.value_case()) {
    case AnyValue::kStringValue: return "Str";
    case AnyValue::kBoolValue: return "Bool";
    case AnyValue::kIntValue: return "Int";
    case AnyValue::kDoubleValue: return "Double";
    case AnyValue::kArrayValue: return "Slice";
    case AnyValue::kKvlistValue: return "Map";
    case AnyValue::kBytesValue: return "Bytes";
    default: return "Empty";
  }
}

// `checked` false: read but never compiled nor checked, as otelcol does with
// `resources` for metrics (it validates them and then never matches on them).
std::vector<AttributeMatcher> DecodeAttributes(config::MapDecoder& d, std::string_view key,
                                               const std::string& raw_type, MatchType type,
                                               bool checked = true) {
  std::vector<AttributeMatcher> out;
  const config::Node* list = d.Take(key);
  if (list == nullptr || list->IsNull()) return out;
  const std::string path = d.KeyPath(key);
  if (!list->IsSequence()) throw config::Error(list->mark(), path, "expected a list of {key, value}");
  for (std::size_t i = 0; i < list->items().size(); ++i) {
    config::MapDecoder e(list->items()[i], path + "[" + std::to_string(i) + "]");
    AttributeMatcher m;
    e.Optional("key", m.key);
    std::optional<AnyValue> value;
    if (const config::Node* n = e.Take("value")) value = attraction::YamlValue(*n, e.KeyPath("value"));
    e.Finish();
    if (!checked) {
      out.push_back(std::move(m));
      continue;
    }
    if (m.key.empty()) e.Fail("key", "can't have empty key in the list of attributes");
    if (value) {
      RequireMatchType(d, raw_type, type);
      if (type == MatchType::kRegexp) {
        if (!value->has_string_value()) {
          e.Fail("value",
                 "match_type=regexp for \"" + m.key + "\" only supports Str, but found " + TypeName(*value));
        }
        m.re = Compile(e, "value", value->string_value());
      } else {
        m.value = std::move(value);
      }
    }
    out.push_back(std::move(m));
  }
  return out;
}

std::vector<LibraryMatcher> DecodeLibraries(config::MapDecoder& d, const std::string& raw_type,
                                            MatchType type) {
  std::vector<LibraryMatcher> out;
  const config::Node* list = d.Take("libraries");
  if (list == nullptr || list->IsNull()) return out;
  const std::string path = d.KeyPath("libraries");
  if (!list->IsSequence()) throw config::Error(list->mark(), path, "expected a list of {name, version}");
  if (!list->items().empty()) RequireMatchType(d, raw_type, type);
  for (std::size_t i = 0; i < list->items().size(); ++i) {
    config::MapDecoder e(list->items()[i], path + "[" + std::to_string(i) + "]");
    LibraryMatcher m;
    e.Optional("name", m.name.text);
    std::string version;
    if (e.Optional("version", version)) m.version = StringMatcher{version, nullptr};
    e.Finish();
    if (type == MatchType::kRegexp) {
      m.name.re = Compile(e, "name", m.name.text);
      if (m.version) m.version->re = Compile(e, "version", m.version->text);
    }
    out.push_back(std::move(m));
  }
  return out;
}

MatchProperties DecodeMatch(config::MapDecoder& d, Signal signal) {
  MatchProperties mp;
  std::string raw_type;
  d.Optional("match_type", raw_type);
  if (raw_type == "strict") mp.match_type = MatchType::kStrict;
  if (raw_type == "regexp") mp.match_type = MatchType::kRegexp;
  {
    // The regexp result cache changes speed only, never which items match.
    config::MapDecoder cache = d.Child("regexp");
    bool enabled = false;
    int entries = 0;
    cache.Optional("cacheenabled", enabled);
    cache.Optional("cachemaxnumentries", entries);
    cache.Finish();
  }
  mp.services = DecodeStrings(d, "services", raw_type, mp.match_type);
  mp.span_names = DecodeStrings(d, "span_names", raw_type, mp.match_type);
  mp.span_kinds = DecodeStrings(d, "span_kinds", raw_type, mp.match_type);
  mp.log_bodies = DecodeStrings(d, "log_bodies", raw_type, mp.match_type);
  mp.log_severity_texts = DecodeStrings(d, "log_severity_texts", raw_type, mp.match_type);
  mp.metric_names = DecodeStrings(d, "metric_names", raw_type, mp.match_type);
  if (d.Has("log_severity_number")) {
    config::MapDecoder sev = d.Child("log_severity_number");
    SeverityNumberMatcher s;
    sev.Optional("min", s.min);
    sev.Optional("match_undefined", s.match_undefined);
    sev.Finish();
    if (s.min < 0 || s.min > 24) sev.Fail("min", "invalid severity number " + std::to_string(s.min));
    mp.log_severity_number = s;
  }
  mp.attributes = DecodeAttributes(d, "attributes", raw_type, mp.match_type);
  mp.resources = DecodeAttributes(d, "resources", raw_type, mp.match_type, signal != Signal::kMetrics);
  mp.libraries = DecodeLibraries(d, raw_type, mp.match_type);
  if (d.Has("expressions")) d.Fail("expressions", "match_type expr is not supported by otlpd");
  d.Finish();

  // otelcol's ValidateForSpans / ValidateForLogs / filtermetric checks, in
  // their order and with their words.
  switch (signal) {
    case Signal::kTraces:
      if (!mp.log_bodies.empty()) d.Fail("log_bodies", "log_bodies should not be specified for trace spans");
      if (!mp.log_severity_texts.empty()) {
        d.Fail("log_severity_texts", "log_severity_texts should not be specified for trace spans");
      }
      if (mp.log_severity_number) {
        d.Fail("log_severity_number", "log_severity_number should not be specified for trace spans");
      }
      if (!mp.metric_names.empty())
        d.Fail("metric_names", "metric_names should not be specified for trace spans");
      if (mp.services.empty() && mp.span_names.empty() && mp.attributes.empty() && mp.libraries.empty() &&
          mp.resources.empty() && mp.span_kinds.empty()) {
        FailSection(
            d, "at least one of \"attributes\", \"libraries\",  or \"resources\" field must be specified");
      }
      if (mp.match_type == MatchType::kStrict) {
        static constexpr std::string_view kKinds[] = {"SPAN_KIND_CLIENT", "SPAN_KIND_CONSUMER",
                                                      "SPAN_KIND_INTERNAL", "SPAN_KIND_PRODUCER",
                                                      "SPAN_KIND_SERVER"};
        for (const StringMatcher& k : mp.span_kinds) {
          if (std::find(std::begin(kKinds), std::end(kKinds), k.text) == std::end(kKinds)) {
            // Go's message lists five empty strings first (a make() with a length).
            d.Fail("span_kinds",
                   "span_kinds string must match one of the standard span kinds when match_type=strict: "
                   "[     SPAN_KIND_CLIENT SPAN_KIND_CONSUMER SPAN_KIND_INTERNAL SPAN_KIND_PRODUCER "
                   "SPAN_KIND_SERVER]");
          }
        }
      }
      break;
    case Signal::kLogs:
      if (!mp.span_names.empty() || !mp.services.empty() || !mp.span_kinds.empty() ||
          !mp.metric_names.empty()) {
        FailSection(d, "services, span_names, span_kinds and metric_names are not valid for log records");
      }
      if (mp.attributes.empty() && mp.libraries.empty() && mp.resources.empty() && mp.log_bodies.empty() &&
          mp.log_severity_texts.empty() && !mp.log_severity_number && mp.span_kinds.empty()) {
        FailSection(
            d,
            "at least one of \"attributes\", \"libraries\", \"span_kinds\", \"resources\", \"log_bodies\", "
            "\"log_severity_texts\" or \"log_severity_number\" field must be specified");
      }
      break;
    case Signal::kMetrics:
      if (!mp.span_names.empty() || !mp.span_kinds.empty() || !mp.log_bodies.empty() ||
          !mp.log_severity_texts.empty() || mp.log_severity_number || !mp.services.empty() ||
          !mp.attributes.empty() || !mp.libraries.empty()) {
        FailSection(d,
                    "\"span_names\", \"span_kinds\", \"log_bodies\", \"log_severity_texts\", "
                    "\"log_severity_number\", "
                    "\"services\", \"attributes\" and \"libraries\" are not valid for metrics");
      }
      if (mp.metric_names.empty() && mp.resources.empty()) {
        FailSection(d, "at least one of \"metric_names\" or \"resources\" field must be specified");
      }
      break;
    case Signal::kProfiles: break;  // not a signal of this processor
  }
  return mp;
}

std::optional<MatchProperties> DecodeSection(config::MapDecoder& d, std::string_view key, Signal signal) {
  const config::Node* n = d.Take(key);
  if (n == nullptr || n->IsNull()) return std::nullopt;
  config::MapDecoder section(*n, d.KeyPath(key));
  return DecodeMatch(section, signal);
}

}  // namespace

Config Config::Decode(config::MapDecoder& d, Signal signal) {
  Config c;
  if (const config::Node* n = d.Take("actions"))
    c.actions = attraction::DecodeActions(*n, d.KeyPath("actions"));
  c.include = DecodeSection(d, "include", signal);
  c.exclude = DecodeSection(d, "exclude", signal);
  // For metrics otelcol keeps only a metric-name matcher, and none at all
  // without metric_names: such a section selects (include) or drops
  // (exclude) nothing.
  if (signal == Signal::kMetrics) {
    if (c.include && c.include->metric_names.empty()) c.include.reset();
    if (c.exclude && c.exclude->metric_names.empty()) c.exclude.reset();
  }
  d.Finish();
  if (c.actions.empty()) d.Fail("actions", "missing required field \"actions\"");
  return c;
}

}  // namespace otlpd::processors::attributes
