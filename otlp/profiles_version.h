#pragma once

#include <string_view>
#include <vector>

#include "internal/status.h"

namespace otlpd {

// The OTLP profiles development version a request declares, in gRPC metadata
// or an HTTP header of this name (case-insensitive). otlpd's receiver checks
// it; its otlp and otlphttp exporters send it with every profiles request, as
// pdata's clients do. pdata's rule: missing
// means "1"; exactly one value and exactly "1" is accepted (an exact match
// also refuses empty, zero-padded or comma-joined values).
inline constexpr std::string_view kProfilesVersionKey = "otlp-profiles-development-version";
inline constexpr std::string_view kProfilesVersion = "1";

inline Status CheckProfilesVersion(const std::vector<std::string_view>& values) {
  if (values.size() > 1) {
    return Status::InvalidArgument(std::string(kProfilesVersionKey) + " must contain exactly one value");
  }
  if (!values.empty() && values.front() != kProfilesVersion) {
    return Status::InvalidArgument("invalid or unsupported " + std::string(kProfilesVersionKey) +
                                   ": supported version is " + std::string(kProfilesVersion));
  }
  return Status::Ok();
}

}  // namespace otlpd
