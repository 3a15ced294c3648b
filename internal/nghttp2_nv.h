// One nghttp2 header field from two string views, for the HTTP/2 code on
// nghttp2 (the OTLP/gRPC server, the otlp exporter's client, test servers).
// The views must outlive the nghttp2 call unless nghttp2 copies them (it
// does unless a NO_COPY flag is passed).
#pragma once

#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <string_view>

namespace otlpd {

inline nghttp2_nv Nv(std::string_view name, std::string_view value,
                     std::uint8_t flags = NGHTTP2_NV_FLAG_NONE) {
  return nghttp2_nv{reinterpret_cast<std::uint8_t*>(const_cast<char*>(name.data())),
                    reinterpret_cast<std::uint8_t*>(const_cast<char*>(value.data())), name.size(),
                    value.size(), flags};
}

}  // namespace otlpd
