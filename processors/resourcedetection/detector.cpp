#include "processors/resourcedetection/detector.h"

namespace otlpd::processors::resourcedetection {

void Detected::Put(std::string key, std::string value) {
  AnyValue v;
  v.set_string_value(std::move(value));
  for (auto& [k, old] : attributes) {
    if (k == key) {
      old = std::move(v);
      return;
    }
  }
  attributes.emplace_back(std::move(key), std::move(v));
}

const AnyValue* Detected::Find(std::string_view key) const {
  for (const auto& [k, v] : attributes) {
    if (k == key) return &v;
  }
  return nullptr;
}

AttributeSwitches::AttributeSwitches(std::initializer_list<std::pair<const char*, bool>> defaults) {
  for (const auto& [name, on] : defaults) switches_.emplace_back(name, on);
}

void AttributeSwitches::Decode(config::MapDecoder& section) {
  if (!section.Has("resource_attributes")) return;
  config::MapDecoder attrs = section.Child("resource_attributes");
  for (auto& [name, on] : switches_) {
    if (!attrs.Has(name)) continue;
    config::MapDecoder one = attrs.Child(name);
    one.Optional("enabled", on);
    one.Finish();
  }
  attrs.Finish();
}

bool AttributeSwitches::enabled(std::string_view attr) const {
  for (const auto& [name, on] : switches_) {
    if (name == attr) return on;
  }
  return false;
}

}  // namespace otlpd::processors::resourcedetection
