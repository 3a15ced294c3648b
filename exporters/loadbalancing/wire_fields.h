// Small reads and writes of protobuf fields shared by routing.cpp and
// identity.cpp (meant for bytes a receiver validated; malformed input ends a
// read early, never out of bounds).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "otlp/wire/wire_format.h"

namespace otlpd::exporters::loadbalancing {

// The first length-delimited field `number` of a message (empty when absent).
inline std::string_view FirstLen(std::string_view message, std::uint32_t number) {
  wire::Reader r(message);
  wire::Field f;
  while (!r.AtEnd() && r.ReadField(f)) {
    if (f.number == number && f.type == wire::WireType::kLen) return f.payload;
  }
  return {};
}

// The last varint field `number` of a message (protobuf's rule for scalars), 0 when absent.
inline std::uint64_t LastVarint(std::string_view message, std::uint32_t number) {
  wire::Reader r(message);
  wire::Field f;
  std::uint64_t v = 0;
  while (!r.AtEnd() && r.ReadField(f)) {
    if (f.number == number && f.type == wire::WireType::kVarint) v = f.value;
  }
  return v;
}

// Appends every field of `message` but those numbered `skip`.
inline void AppendHeader(std::string& out, std::string_view message, std::uint32_t skip) {
  wire::Reader r(message);
  wire::Field f;
  while (!r.AtEnd() && r.ReadField(f)) {
    if (f.number != skip) out.append(f.raw);
  }
}

// Appends field `number` holding the message `header` + `body`.
inline void AppendMessage(std::string& out, std::uint32_t number, std::string_view header,
                          std::string_view body) {
  wire::AppendTag(out, number, wire::WireType::kLen);
  wire::AppendVarint(out, header.size() + body.size());
  out.append(header);
  out.append(body);
}

}  // namespace otlpd::exporters::loadbalancing
