#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "service/telemetry/prometheus_text.h"

namespace otlpd::selftelemetry {

// A random (version 4) UUID, otelcol's service.instance.id.
std::string NewInstanceId();

// The resource of otlpd's own telemetry with OTel attribute names, sorted:
// service.name "otlpd", service.instance.id, service.version, then
// service.telemetry.resource (which may override them, or remove one with a
// null). For OTLP; ResourceLabels is its Prometheus form.
Labels ResourceAttributes(const std::map<std::string, std::optional<std::string>>& resource,
                          std::string_view version, std::string_view instance_id);

// The labels every self-telemetry series carries: service_name "otlpd",
// service_instance_id, service_version, then service.telemetry.resource
// (which may override them, or remove one with a null), with names made
// valid Prometheus labels ("service.name" -> "service_name").
Labels ResourceLabels(const std::map<std::string, std::optional<std::string>>& resource,
                      std::string_view version, std::string_view instance_id);

}  // namespace otlpd::selftelemetry
