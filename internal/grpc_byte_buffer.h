#pragma once

// Include only from .cpp files that already use gRPC: it pulls in gRPC headers.
#include <grpcpp/support/byte_buffer.h>

#include <string>
#include <vector>

namespace otlpd {

// The bytes of a gRPC message as one string (the receiver and the otlp exporter
// both hand raw payloads on this way). Empty when the buffer cannot be read.
inline std::string FlattenByteBuffer(const grpc::ByteBuffer& buffer) {
  std::string out;
  grpc::Slice single;
  if (buffer.TrySingleSlice(&single).ok()) {
    out.assign(reinterpret_cast<const char*>(single.begin()), single.size());
    return out;
  }
  std::vector<grpc::Slice> slices;
  if (!buffer.Dump(&slices).ok()) return out;
  out.reserve(buffer.Length());
  for (const auto& s : slices) out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  return out;
}

}  // namespace otlpd
