#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace otlpd::test {

// The records of a `format: proto` file (the file exporter's framing, as
// otelcol's: a 4-byte big-endian length, then one serialized request).
struct ProtoRecords {
  std::vector<std::string> records;
  // The file ended on a record boundary. A file an exporter is still writing
  // may end inside a record; that record is left out of `records`.
  bool complete = true;
};

inline ProtoRecords ReadProtoRecords(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  const std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ProtoRecords out;
  std::size_t pos = 0;
  while (pos + 4 <= data.size()) {
    auto b = [&](std::size_t i) {
      return static_cast<std::uint32_t>(static_cast<unsigned char>(data[pos + i]));
    };
    const std::uint32_t n = b(0) << 24 | b(1) << 16 | b(2) << 8 | b(3);
    if (pos + 4 + n > data.size()) break;
    out.records.emplace_back(data, pos + 4, n);
    pos += 4 + n;
  }
  out.complete = pos == data.size();
  return out;
}

// Every record parsed as a `Message`; a record that does not parse is left
// out and counted in `*bad` when given.
template <class Message>
std::vector<Message> ParseProtoRecords(const ProtoRecords& file, int* bad = nullptr) {
  std::vector<Message> out;
  for (const std::string& r : file.records) {
    Message m;
    if (m.ParseFromString(r)) {
      out.push_back(std::move(m));
    } else if (bad != nullptr) {
      ++*bad;
    }
  }
  return out;
}

}  // namespace otlpd::test
