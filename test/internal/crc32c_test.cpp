#include "internal/crc32c.h"

#include <catch2/catch.hpp>
#include <random>
#include <string>

using namespace otlpd;

TEST_CASE("crc32c: the Castagnoli check values") {
  // RFC 3720 (iSCSI) B.4 and the common "123456789" check value.
  CHECK(Crc32c("123456789") == 0xE3069283u);
  CHECK(Crc32cPortable("123456789", 9) == 0xE3069283u);
  CHECK(Crc32c(std::string(32, '\0')) == 0x8A9136AAu);
  CHECK(Crc32c(std::string(32, '\xFF')) == 0x62A8AB43u);
  std::string ascending;
  for (int i = 0; i < 32; ++i) ascending += static_cast<char>(i);
  CHECK(Crc32c(ascending) == 0x46DD794Eu);
  CHECK(Crc32c("") == 0u);
}

TEST_CASE("crc32c: hardware and portable agree at every length, alignment and split") {
  std::mt19937 rng(42);
  std::string data(4096 + 7, '\0');
  for (auto& c : data) c = static_cast<char>(rng());
  for (std::size_t offset = 0; offset < 8; ++offset) {
    for (std::size_t len : {0u, 1u, 7u, 8u, 9u, 63u, 64u, 65u, 1000u, 4096u}) {
      const char* p = data.data() + offset;
      const std::uint32_t whole = Crc32cPortable(p, len);
      CHECK(Crc32c(p, len) == whole);
      const std::size_t cut = len / 3;
      CHECK(Crc32c(p + cut, len - cut, Crc32c(p, cut)) == whole);
      CHECK(Crc32cPortable(p + cut, len - cut, Crc32cPortable(p, cut)) == whole);
    }
  }
}
