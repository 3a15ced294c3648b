#include "processors/internal/attraction/config.h"

#include <re2/re2.h>

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <string_view>
#include <utility>

#include "config/error.h"
#include "config/yaml_scalar.h"
#include "internal/text.h"

namespace otlpd::processors::attraction {
namespace {

std::string Quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

// Types a plain scalar as Go's YAML decoder types a value decoded into `any`
// (which is what otelcol's `value` is): bool, int, float, else string. Quoted
// scalars are strings. The config decoder's number rules already mirror Go's.
AnyValue ScalarValue(const config::Node& node, const std::string& path) {
  AnyValue v;
  const std::string& s = node.scalar();
  if (node.quoted()) {
    v.set_string_value(s);
    return v;
  }
  static constexpr std::string_view kTrue[] = {"true", "True", "TRUE"};
  static constexpr std::string_view kFalse[] = {"false", "False", "FALSE"};
  if (std::find(std::begin(kTrue), std::end(kTrue), s) != std::end(kTrue)) {
    v.set_bool_value(true);
    return v;
  }
  if (std::find(std::begin(kFalse), std::end(kFalse), s) != std::end(kFalse)) {
    v.set_bool_value(false);
    return v;
  }
  // What Go's YAML decoder makes of it decides the type: an int stays an
  // int, a float a double (decoding 2.5 as an integer would cut it to 2).
  const std::optional<std::string_view> type = config::GoYamlScalarType(s);
  // Config time only: a failed decode just means "not that type" (an int
  // beyond int64 is a float to go-yaml).
  if (type == "int") {
    try {
      std::int64_t i = 0;
      config::DecodeValue(node, path, i);
      v.set_int_value(i);
      return v;
    } catch (const config::Error&) {
    }
  }
  if (type == "int" || type == "float64") {
    try {
      double d = 0;
      config::DecodeValue(node, path, d);
      v.set_double_value(d);
      return v;
    } catch (const config::Error&) {
    }
  }
  v.set_string_value(s);
  return v;
}

std::shared_ptr<const re2::RE2> CompilePattern(const std::string& pattern) {
  re2::RE2::Options options;
  options.set_log_errors(false);
  return std::make_shared<const re2::RE2>(pattern, options);
}

Action DecodeAction(const config::Node& node, const std::string& path, std::size_t index) {
  config::MapDecoder d(node, path);
  Action a;
  std::string action;
  std::string pattern;
  std::string converted_type;
  d.Optional("key", a.key);
  d.Optional("action", action);
  d.Optional("pattern", pattern);
  d.Optional("from_attribute", a.from_attribute);
  d.Optional("from_context", a.from_context);
  d.Optional("converted_type", converted_type);
  if (const config::Node* n = d.Take("value")) a.value = YamlValue(*n, d.KeyPath("value"));
  if (const config::Node* n = d.Take("default_value"))
    a.default_value = YamlValue(*n, d.KeyPath("default_value"));
  d.Finish();

  // otelcol's NewAttrProc checks, in its order and with its words; each
  // error is located at the key it is about.
  const std::string name = AsciiLower(action);
  const std::string at = std::to_string(index) + "-th action";
  const std::string with = "error with key " + Quote(a.key) + " (" + at + "): ";
  if (name == "delete" || name == "hash") {
    if (a.key.empty() && pattern.empty()) {
      d.Fail("key",
             "error creating AttrProc due to missing required field (at least one of \"key\" and \"pattern\" "
             "have "
             "to be used) at the " +
                 at);
    }
  } else if (a.key.empty()) {
    d.Fail("key", "error creating AttrProc due to missing required field \"key\" at the " + at);
  }
  static constexpr std::pair<std::string_view, ActionType> kActions[] = {
      {"insert", ActionType::kInsert},  {"update", ActionType::kUpdate}, {"upsert", ActionType::kUpsert},
      {"delete", ActionType::kDelete},  {"hash", ActionType::kHash},     {"extract", ActionType::kExtract},
      {"convert", ActionType::kConvert}};
  const auto* known =
      std::find_if(std::begin(kActions), std::end(kActions), [&](const auto& k) { return k.first == name; });
  if (known == std::end(kActions)) {
    d.Fail("action", with + "error creating AttrProc due to unsupported action " + Quote(name));
  }
  a.type = known->second;

  const int sources =
      (a.value ? 1 : 0) + (a.from_attribute.empty() ? 0 : 1) + (a.from_context.empty() ? 0 : 1);
  auto unused = [&](std::string_view key, bool present, const std::string& what) {
    if (present) {
      d.Fail(key, with + "error creating AttrProc. Action " + Quote(name) + " does not use " + what +
                      ". This must not be specified");
    }
  };
  auto invalid_pattern = [&] {
    d.Fail("pattern",
           with + "error creating AttrProc. Field \"pattern\" has invalid pattern: " + Quote(pattern));
  };
  switch (a.type) {
    case ActionType::kDelete:
    case ActionType::kHash:
      if (a.value || !a.from_attribute.empty()) {
        d.Fail(a.value ? "value" : "from_attribute",
               with + "error creating AttrProc. Action " + Quote(name) +
                   " does not use \"value\" or \"from_attribute\" field. These must not be specified");
      }
      if (!pattern.empty()) {
        a.pattern = CompilePattern(pattern);
        if (!a.pattern->ok()) invalid_pattern();
      }
      unused("converted_type", !converted_type.empty(), "the \"converted_type\" field");
      break;
    case ActionType::kInsert:
    case ActionType::kUpdate:
    case ActionType::kUpsert:
      if (sources == 0 && !a.default_value) {
        d.Fail("value",
               with +
                   "error creating AttrProc. Either field \"value\", \"from_attribute\", \"from_context\", "
                   "or \"default_value\" must be specified");
      }
      if (sources > 1) {
        d.Fail(a.value ? "value" : "from_attribute",
               with + "error creating AttrProc due to multiple value sources being set");
      }
      unused("pattern", !pattern.empty(), "the \"pattern\" field");
      unused("converted_type", !converted_type.empty(), "the \"converted_type\" field");
      // otlpd does not carry the peer address with a payload; refusing beats
      // a config that silently never matches.
      if (a.from_context == "client.address") {
        d.Fail("from_context", "\"client.address\" is not supported by otlpd (use metadata.<key>)");
      }
      break;
    case ActionType::kExtract: {
      if (sources > 0) {
        d.Fail(a.value                     ? "value"
               : !a.from_attribute.empty() ? "from_attribute"
                                           : "from_context",
               with + "error creating AttrProc. Action " + Quote(name) +
                   " does not use a value source field. These must not be specified");
      }
      if (pattern.empty()) {
        d.Fail("pattern",
               with + "error creating AttrProc due to missing required field \"pattern\" for action " +
                   Quote(name));
      }
      unused("converted_type", !converted_type.empty(), "the \"converted_type\" field");
      a.pattern = CompilePattern(pattern);
      if (!a.pattern->ok()) invalid_pattern();
      const int groups = a.pattern->NumberOfCapturingGroups();
      if (groups <= 0)
        d.Fail("pattern",
               with + "error creating AttrProc. Field \"pattern\" contains no named matcher groups");
      const std::map<int, std::string>& names = a.pattern->CapturingGroupNames();
      for (int i = 1; i <= groups; ++i) {
        auto it = names.find(i);
        if (it == names.end()) {
          d.Fail(
              "pattern",
              with +
                  "error creating AttrProc. Field \"pattern\" contains at least one unnamed matcher group");
        }
        a.group_names.push_back(it->second);
      }
      break;
    }
    case ActionType::kConvert:
      if (sources > 0 || !pattern.empty()) {
        d.Fail(!pattern.empty()            ? "pattern"
               : a.value                   ? "value"
               : !a.from_attribute.empty() ? "from_attribute"
                                           : "from_context",
               with + "error creating AttrProc. Action " + Quote(name) +
                   " does not use value sources or \"pattern\" field. These must not be specified");
      }
      if (converted_type == "string") {
        a.converted_type = ConvertedType::kString;
      } else if (converted_type == "int") {
        a.converted_type = ConvertedType::kInt;
      } else if (converted_type == "double") {
        a.converted_type = ConvertedType::kDouble;
      } else if (converted_type.empty()) {
        d.Fail("converted_type",
               with + "error creating AttrProc due to missing required field \"converted_type\" for action " +
                   Quote(name));
      } else {
        d.Fail("converted_type", with + "error creating AttrProc due to invalid value " +
                                     Quote(converted_type) + " in field \"converted_type\" for action " +
                                     Quote(name));
      }
      break;
  }
  return a;
}

}  // namespace

std::optional<AnyValue> YamlValue(const config::Node& node, const std::string& path) {
  switch (node.kind()) {
    case config::Node::Kind::kNull: return std::nullopt;
    case config::Node::Kind::kScalar: return ScalarValue(node, path);
    case config::Node::Kind::kSequence: {
      AnyValue v;
      auto* array = v.mutable_array_value();
      for (std::size_t i = 0; i < node.items().size(); ++i) {
        std::optional<AnyValue> item = YamlValue(node.items()[i], path + "[" + std::to_string(i) + "]");
        // A null inside a list is an empty value, as pcommon's FromRaw makes it.
        *array->add_values() = item ? std::move(*item) : AnyValue();
      }
      return v;
    }
    case config::Node::Kind::kMap: {
      AnyValue v;
      auto* kvlist = v.mutable_kvlist_value();
      for (const config::Node::Entry& e : node.entries()) {
        auto* kv = kvlist->add_values();
        kv->set_key(e.key);
        std::optional<AnyValue> item = YamlValue(e.value, path + "." + e.key);
        if (item) *kv->mutable_value() = std::move(*item);
      }
      return v;
    }
  }
  return std::nullopt;
}

std::vector<Action> DecodeActions(const config::Node& list, const std::string& path) {
  if (list.IsNull()) return {};
  if (!list.IsSequence()) {
    throw config::Error(list.mark(), path, "expected a list of actions, got " + std::string(list.KindName()));
  }
  std::vector<Action> actions;
  actions.reserve(list.items().size());
  for (std::size_t i = 0; i < list.items().size(); ++i) {
    actions.push_back(DecodeAction(list.items()[i], path + "[" + std::to_string(i) + "]", i));
  }
  return actions;
}

}  // namespace otlpd::processors::attraction
