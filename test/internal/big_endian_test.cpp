#include "internal/big_endian.h"

#include <catch2/catch.hpp>
#include <string>

namespace otlpd {
namespace {

TEST_CASE("LoadBe32 reads the high byte first, without sign extension") {
  const unsigned char bytes[] = {0x12, 0x34, 0x56, 0x78, 0xff, 0xfe, 0x80, 0x81};
  CHECK(LoadBe32(bytes) == 0x12345678u);
  CHECK(LoadBe32(bytes + 4) == 0xfffe8081u);
  const char* unaligned = reinterpret_cast<const char*>(bytes) + 1;
  CHECK(LoadBe32(unaligned) == 0x345678ffu);
}

TEST_CASE("StoreBe32 writes what LoadBe32 reads") {
  unsigned char out[5] = {};
  for (const std::uint32_t v : {0u, 1u, 0x80u, 0xdeadbeefu, 0xffffffffu}) {
    StoreBe32(out + 1, v);  // unaligned
    CHECK(LoadBe32(out + 1) == v);
  }
  StoreBe32(out, 0x01020304u);
  CHECK(std::string(reinterpret_cast<const char*>(out), 4) == std::string("\x01\x02\x03\x04", 4));
}

}  // namespace
}  // namespace otlpd
