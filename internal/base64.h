// Standard base64 (RFC 4648 section 4, with '=' padding), as Go's
// base64.StdEncoding writes it: pdata renders bytes values this way
// (OTLP/JSON, AsString, the debug exporter) and HTTP Basic credentials use it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace otlpd {

// Characters the encoding of `n` bytes takes.
constexpr std::size_t Base64EncodedSize(std::size_t n) { return (n + 2) / 3 * 4; }

// Writes the Base64EncodedSize(n) characters encoding src[0, n) at `dst` and
// returns the end; for writers that reserve their own buffer.
char* Base64Encode(const unsigned char* src, std::size_t n, char* dst);

void AppendBase64(std::string& out, std::string_view bytes);
std::string Base64(std::string_view bytes);

// Standard base64 (RFC 4648 section 4, padded or not) as Go's
// base64.StdEncoding reads it, ASCII whitespace skipped (PEM and kubeconfig
// data wrap lines); false on any other character or a bad length.
bool Base64Decode(std::string_view text, std::string* out);

}  // namespace otlpd
