#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace otlpd {

// CRC-32C (Castagnoli): the checksum of every record of file_storage's segment
// log and of the snappy framing format's chunks. Chosen for the log over zlib's
// crc32 because x86-64 computes it in hardware (SSE4.2),
// several times faster on large records (see test/bench/segment_log_bench.cpp);
// other CPUs get a table-driven fallback with the same result.
// `crc` continues an earlier call: Crc32c(b, Crc32c(a)) == Crc32c(a + b).
std::uint32_t Crc32c(const void* data, std::size_t size, std::uint32_t crc = 0);
inline std::uint32_t Crc32c(std::string_view data, std::uint32_t crc = 0) {
  return Crc32c(data.data(), data.size(), crc);
}

// The snappy framing format's chunk checksum: the CRC-32C "masked" (rotated
// and offset), as the format specifies.
inline std::uint32_t SnappyMaskedCrc32c(std::string_view data) {
  const std::uint32_t crc = Crc32c(data);
  return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
}

// The portable implementation alone, so tests and the benchmark can compare it
// with the hardware one.
std::uint32_t Crc32cPortable(const void* data, std::size_t size, std::uint32_t crc = 0);
// Whether Crc32c uses the CPU's crc32 instruction.
bool Crc32cHardware();

}  // namespace otlpd
