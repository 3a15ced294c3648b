#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/decoder.h"
#include "opentelemetry/proto/common/v1/common.pb.h"

namespace re2 {
class RE2;
}

namespace otlpd::processors::attraction {

using AnyValue = opentelemetry::proto::common::v1::AnyValue;

enum class ActionType { kInsert, kUpdate, kUpsert, kDelete, kHash, kExtract, kConvert };
enum class ConvertedType { kNone, kString, kInt, kDouble };

// One entry of an otelcol attribute action list (contrib's coreinternal
// attraction package, shared by the `resource` and `attributes` processors).
// Decoded and checked once at config time, so applying it never fails.
struct Action {
  ActionType type = ActionType::kInsert;
  std::string key;
  // Exactly one value source for insert/update/upsert (or only default_value).
  std::optional<AnyValue> value;
  std::string from_attribute;
  std::string from_context;               // "metadata.<key>", "auth.<attr>" or a bare metadata key
  std::optional<AnyValue> default_value;  // used when from_attribute/from_context finds nothing
  // delete/hash: attribute names to match (unanchored, Go/RE2 syntax);
  // extract: the regex whose named groups become attributes.
  std::shared_ptr<const re2::RE2> pattern;
  std::vector<std::string> group_names;  // extract: the name of capture group i+1
  ConvertedType converted_type = ConvertedType::kNone;
};

// A YAML value as an attribute value, typed as Go types a value decoded into
// `any`; nullopt for YAML null (an absent value).
std::optional<AnyValue> YamlValue(const config::Node& node, const std::string& path);

// Decodes a list of actions at `path` ("processors.resource.attributes" or "processors.attributes.actions"),
// with otelcol's rules on which keys each action takes. Throws config::Error
// naming the entry and key ("processors.resource.attributes[1].action").
std::vector<Action> DecodeActions(const config::Node& list, const std::string& path);

}  // namespace otlpd::processors::attraction
