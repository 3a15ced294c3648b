// OTTL's Time(): strptime-style formats (contrib's ctimefmt) parsed as Go's
// time.Parse parses the layout ctimefmt translates them to. Only the
// directives listed in CompileTimeFormat are supported; any other one is a
// config error rather than a silent mismatch.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "internal/status.h"

namespace otlpd::ottl {

struct TimeLayout {
  struct Item {
    char directive = 0;  // 0: literal text
    std::string literal;
  };
  std::vector<Item> items;
};

// Directives: %Y %y %m %d %e %H %I %l %M %S %L %f %s %p %b %h %B %a %A %j
// %z %Z %T %F %D %R %% (fractions %L %f %s after '.' or ',').
std::optional<TimeLayout> CompileTimeFormat(const std::string& format, std::string* error);

// Fixed-offset locations only: "", "UTC", "Etc/UTC", "GMT" (offset 0).
// IANA zones with daylight saving are refused (no tz database is read).
std::optional<std::int32_t> LoadLocation(const std::string& name, std::string* error);

// Nanoseconds since the epoch.
Result<std::int64_t> ParseTime(const TimeLayout& layout, std::int32_t offset_seconds,
                               const std::string& input);

}  // namespace otlpd::ottl
