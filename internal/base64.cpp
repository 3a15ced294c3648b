#include "internal/base64.h"

#include <cstdint>

namespace otlpd {

char* Base64Encode(const unsigned char* src, std::size_t n, char* dst) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    const std::uint32_t v = (std::uint32_t{src[i]} << 16) | (std::uint32_t{src[i + 1]} << 8) | src[i + 2];
    *dst++ = kAlphabet[v >> 18];
    *dst++ = kAlphabet[(v >> 12) & 63];
    *dst++ = kAlphabet[(v >> 6) & 63];
    *dst++ = kAlphabet[v & 63];
  }
  if (const std::size_t rest = n - i; rest > 0) {
    std::uint32_t v = std::uint32_t{src[i]} << 16;
    if (rest == 2) v |= std::uint32_t{src[i + 1]} << 8;
    *dst++ = kAlphabet[v >> 18];
    *dst++ = kAlphabet[(v >> 12) & 63];
    *dst++ = rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    *dst++ = '=';
  }
  return dst;
}

void AppendBase64(std::string& out, std::string_view bytes) {
  const std::size_t at = out.size();
  out.resize(at + Base64EncodedSize(bytes.size()));
  Base64Encode(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), out.data() + at);
}

std::string Base64(std::string_view bytes) {
  std::string out;
  AppendBase64(out, bytes);
  return out;
}

}  // namespace otlpd
