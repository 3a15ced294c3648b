// libFuzzer target for the OTLP wire walker. Not built by CMake; run by hand:
//   clang++ -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -I. \
//     test/fuzz/wire_walker_fuzz.cpp otlp/wire/*.cpp -o wire_walker_fuzz
//   ./wire_walker_fuzz -max_total_time=60
// Checks more than "no crash": whatever validates must split into pieces that
// validate, respect the limit and add up to the original count.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "otlp/wire/wire_walker.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace otlpd;
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  // The first byte picks the split limit so small and large pieces both get exercised.
  std::uint64_t max_items = size > 0 ? 1 + data[0] % 8 : 1;
  for (Signal signal : kAllSignals) {
    Result<std::uint64_t> count = wire::ValidateAndCount(signal, bytes);
    if (!count.ok()) {
      Check(count.status().code() == StatusCode::kInvalidArgument && !count.status().message().empty());
      continue;
    }
    std::uint64_t iterated = 0;
    for (const wire::Entry& resource : wire::Resources(signal, bytes)) iterated += resource.items;
    Check(iterated == *count);

    for (wire::SplitPolicy policy : {wire::SplitPolicy::kFill, wire::SplitPolicy::kPreferBoundaries}) {
      auto pieces = wire::Split(signal, bytes, max_items, policy);
      Check(pieces.ok());
      std::uint64_t total = 0;
      for (const wire::Piece& piece : *pieces) {
        Result<std::uint64_t> piece_count = wire::ValidateAndCount(signal, piece.bytes);
        Check(piece_count.ok() && *piece_count == piece.items);
        Check(piece.items <= max_items || pieces->size() == 1);
        total += piece.items;
      }
      Check(total == *count);
    }
  }
  return 0;
}
