#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "internal/signal.h"

namespace otlpd {

// Client metadata (request headers or gRPC metadata) kept when a receiver has
// include_metadata on. Keys are lower-case; a key may repeat.
using Metadata = std::vector<std::pair<std::string, std::string>>;

// The unit of data: one signal's serialized OTLP Export*ServiceRequest
// (uncompressed protobuf), its item count and its sender's metadata. It is
// immutable once handed on and shared by reference across fan-out.
struct Payload {
  Signal signal = Signal::kTraces;
  std::string bytes;
  std::uint64_t items = 0;                   // spans, metric data points or log records
  std::shared_ptr<const Metadata> metadata;  // null when not kept
  // The sender's IP address as text ("10.1.2.3", "fd00::7"), as receivers
  // saw the connection; empty when unknown (unix sockets, or merged data such
  // as a batch). k8sattributes' `from: connection` reads it.
  std::string client_address;
  // The same data as its sender gzipped it, when a receiver kept that: gzip
  // members, each preceded by its size (4 bytes, little-endian), whose
  // decompressed contents in order are exactly `bytes`. An exporter sending
  // gzip joins them instead of compressing again
  // (config/compression/gzip_members.h). Empty when not kept; a payload with
  // new bytes (DerivePayload) starts without.
  std::string gzip;
};

using PayloadPtr = std::shared_ptr<const Payload>;

inline PayloadPtr MakePayload(Signal signal, std::string bytes, std::uint64_t items,
                              std::shared_ptr<const Metadata> metadata = nullptr,
                              std::string client_address = {}, std::string gzip = {}) {
  return std::make_shared<const Payload>(Payload{signal, std::move(bytes), items, std::move(metadata),
                                                 std::move(client_address), std::move(gzip)});
}

// A payload with new bytes (and item count) from the same sender: metadata
// and client address carry over, as otelcol keeps client.Info in the context.
inline PayloadPtr DerivePayload(const Payload& from, std::string bytes, std::uint64_t items) {
  return MakePayload(from.signal, std::move(bytes), items, from.metadata, from.client_address);
}

}  // namespace otlpd
