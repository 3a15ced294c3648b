// Big-endian (network order) integers in byte buffers: the gRPC message
// prefix's length, the file exporter's record lengths. The little-endian
// counterparts are in little_endian.h.
#pragma once

#include <cstdint>

namespace otlpd {

inline std::uint32_t LoadBe32(const void* data) {
  const auto* p = static_cast<const unsigned char*>(data);
  return std::uint32_t{p[0]} << 24 | std::uint32_t{p[1]} << 16 | std::uint32_t{p[2]} << 8 |
         std::uint32_t{p[3]};
}

inline void StoreBe32(void* data, std::uint32_t v) {
  auto* p = static_cast<unsigned char*>(data);
  p[0] = static_cast<unsigned char>(v >> 24);
  p[1] = static_cast<unsigned char>(v >> 16);
  p[2] = static_cast<unsigned char>(v >> 8);
  p[3] = static_cast<unsigned char>(v);
}

}  // namespace otlpd
