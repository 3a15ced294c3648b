// Numbers read from text as Go's strconv reads them. Components whose
// verdicts must match otelcol's (OTTL's Int and Double, the sampler's
// attribute source) accept and refuse exactly the strings Go does.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace otlpd {

// strconv.ParseInt(s, 10, 64): optional sign, decimal digits only, no
// underscores; nullopt on bad syntax or out of range.
std::optional<std::int64_t> GoParseInt(std::string_view s);

// strconv.ParseFloat(s, 64): its syntax (signs, inf/infinity/nan, hexadecimal
// with p exponent, `_` between digits), nullopt where Go errs (bad syntax or
// overflow to infinity).
std::optional<double> GoParseFloat(std::string_view s);

}  // namespace otlpd
