#include "internal/resident.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <string>
#include <string_view>

namespace otlpd {
namespace {

// A table of pointers: in a position-independent executable it lives in
// relocated read-only data (RELRO), written by the dynamic linker at start.
// Dropping those pages would bring back the file's unrelocated bytes.
const char* const kWords[] = {"alpha", "beta", "gamma"};
// Written at run time: a private, anonymous copy of a file page.
int g_written = 0;

long StatusKib(std::string_view key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with(key)) return std::stol(line.substr(key.size()));
  }
  return -1;
}

}  // namespace

TEST_CASE("ReleaseFilePages drops clean file pages and keeps what was written") {
  g_written = 42;
  const char* const* volatile words = kWords;
  const long before = StatusKib("RssFile:");
  REQUIRE(before > 0);

  const ReleasedPages released = ReleaseFilePages();
  const long after = StatusKib("RssFile:");

  CHECK(released.ranges > 0);
  CHECK(released.bytes > 0);
  // Only what this test touched since comes back: far less than start-up did.
  CHECK(after < before);
  CHECK(g_written == 42);
  CHECK(std::string_view(words[0]) == "alpha");
  CHECK(std::string_view(words[2]) == "gamma");

  // Code and constants are mapped again on use.
  CHECK(ReleaseFilePages().ranges == released.ranges);
}

}  // namespace otlpd
