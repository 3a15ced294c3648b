#include "service/telemetry/resource.h"

#include <cstdio>
#include <random>

namespace otlpd::selftelemetry {

std::string NewInstanceId() {
  std::random_device rd;
  unsigned char b[16];
  for (int i = 0; i < 16; i += 4) {
    const std::uint32_t r = rd();
    for (int k = 0; k < 4; ++k) b[i + k] = static_cast<unsigned char>(r >> (8 * k));
  }
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  char out[37];
  std::snprintf(out, sizeof out, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
                b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
                b[15]);
  return out;
}

Labels ResourceAttributes(const std::map<std::string, std::optional<std::string>>& resource,
                          std::string_view version, std::string_view instance_id) {
  std::map<std::string, std::string> attrs = {{"service.name", "otlpd"},
                                              {"service.instance.id", std::string(instance_id)},
                                              {"service.version", std::string(version)}};
  for (const auto& [k, v] : resource) {
    if (v)
      attrs[k] = *v;
    else
      attrs.erase(k);
  }
  return Labels(attrs.begin(), attrs.end());
}

Labels ResourceLabels(const std::map<std::string, std::optional<std::string>>& resource,
                      std::string_view version, std::string_view instance_id) {
  Labels out = ResourceAttributes(resource, version, instance_id);
  for (auto& [k, v] : out) k = SanitizeLabelName(k);
  return out;
}

}  // namespace otlpd::selftelemetry
