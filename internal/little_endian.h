// Little-endian integers in byte buffers (gzip trailers, snappy frames, CRC
// words, size prefixes): one home for the byte order, whatever the host's.
#pragma once

#include <cstdint>
#include <string>

namespace otlpd {

inline std::uint32_t LoadLe32(const void* data) {
  const auto* p = static_cast<const unsigned char*>(data);
  return std::uint32_t{p[0]} | std::uint32_t{p[1]} << 8 | std::uint32_t{p[2]} << 16 |
         std::uint32_t{p[3]} << 24;
}

// The low three bytes (snappy's chunk lengths).
inline std::uint32_t LoadLe24(const void* data) {
  const auto* p = static_cast<const unsigned char*>(data);
  return std::uint32_t{p[0]} | std::uint32_t{p[1]} << 8 | std::uint32_t{p[2]} << 16;
}

inline void AppendLe32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

}  // namespace otlpd
