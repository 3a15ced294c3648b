// XXH64 (seed 0), as github.com/cespare/xxhash/v2's Sum64: contrib hashes
// attribute maps with it (pdatautil.MapHash), and routing that must land
// where otelcol's does has to hash the same way.
#pragma once

#include <cstdint>
#include <string_view>

namespace otlpd {

std::uint64_t XxHash64(std::string_view data);

}  // namespace otlpd
