#pragma once

// Damaged copies of a valid byte stream, for tests that replay a client's
// conversation at a server with its bytes broken in the ways parsers trip on.

#include <cstddef>
#include <string>

namespace otlpd::test {

// One to three kinds of damage at random places at or after `from`: a byte
// overwritten, a run of 0x00 or 0xff (lengths, flags, ids), the end cut off,
// junk inserted, a slice repeated.
template <typename Rng>
std::string Damage(std::string bytes, std::size_t from, Rng& rng) {
  auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % (n == 0 ? 1 : n)); };
  for (int m = 0, count = 1 + static_cast<int>(rng() % 3); m < count && bytes.size() > from; ++m) {
    const std::size_t at = from + pick(bytes.size() - from);
    switch (rng() % 5) {
      case 0: bytes[at] = static_cast<char>(rng()); break;
      case 1:
        for (std::size_t k = at; k < bytes.size() && k < at + 1 + pick(4); ++k)
          bytes[k] = rng() % 2 ? '\xff' : '\0';
        break;
      case 2: bytes.resize(at); break;
      case 3: {
        std::string junk(1 + pick(32), '\0');
        for (char& ch : junk) ch = static_cast<char>(rng());
        bytes.insert(at, junk);
        break;
      }
      default: {
        const std::size_t len = std::min(bytes.size() - at, 1 + pick(200));
        bytes.insert(pick(bytes.size()), bytes.substr(at, len));
        break;
      }
    }
  }
  return bytes;
}

}  // namespace otlpd::test
