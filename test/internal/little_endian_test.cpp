#include "internal/little_endian.h"

#include <catch2/catch.hpp>
#include <string>

namespace otlpd {
namespace {

TEST_CASE("LoadLe32 and LoadLe24 read the low byte first, without sign extension") {
  const unsigned char bytes[] = {0x78, 0x56, 0x34, 0x12, 0xff, 0xfe, 0x80, 0x81};
  CHECK(LoadLe32(bytes) == 0x12345678u);
  CHECK(LoadLe32(bytes + 4) == 0x8180feffu);
  CHECK(LoadLe24(bytes) == 0x345678u);
  CHECK(LoadLe24(bytes + 5) == 0x8180feu);
  const char* unaligned = reinterpret_cast<const char*>(bytes) + 1;
  CHECK(LoadLe32(unaligned) == 0xff123456u);
}

TEST_CASE("AppendLe32 writes what LoadLe32 reads") {
  std::string out = "x";
  for (const std::uint32_t v : {0u, 1u, 0x80u, 0xdeadbeefu, 0xffffffffu}) {
    out.resize(1);
    AppendLe32(out, v);
    REQUIRE(out.size() == 5);
    CHECK(LoadLe32(out.data() + 1) == v);
  }
  out.clear();
  AppendLe32(out, 0x01020304u);
  CHECK(out == std::string("\x04\x03\x02\x01", 4));
}

}  // namespace
}  // namespace otlpd
