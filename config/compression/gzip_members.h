#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "internal/status.h"

namespace otlpd::config::compression {

// A payload can carry the gzip its sender made (Payload::gzip), so that an
// exporter sending gzip passes those bytes on instead of compressing the data
// again: compressing is most of a relay's CPU when both sides use gzip.
//
// The carried form is a list of gzip members, each preceded by its size as 4
// bytes little-endian, whose decompressed contents in order are exactly the
// payload's bytes. Batching concatenates payloads and so concatenates these
// lists; an exporter joins the members into one (JoinGzipMembers).

// Whether a sender's gzip member (already decompressed and checked by the
// receiver) is worth passing on: a plain gzip header whose XFL does not say
// "fastest" (Go, zlib and libdeflate set 4 at level 1 or below). A member
// made at a fast level would make the exporter's output larger than the
// level-6 gzip otelcol sends; such data is compressed again instead.
bool WorthKeeping(std::string_view member);

// Appends `member` to the list `framed`.
void AppendMember(std::string& framed, std::string_view member);

// One gzip member holding the members of `framed` joined, whose decompressed
// contents are the members' in order, `expected_size` bytes in all. A single
// member is returned as it is. Otherwise each member's DEFLATE stream is
// found block by block (zlib's Z_BLOCK, an inflate pass), its last block made
// non-final and followed by an empty stored block that brings the stream to
// a byte boundary (what zlib's gzjoin does), and the CRC-32s combined. No
// byte is compressed again. Decompressing the result gives one stream, so a
// receiver that accepts only one member per message (gRPC C-core) reads it.
// InvalidArgument when `framed` is not such a list or the sizes disagree:
// the caller then compresses the payload itself.
Result<std::string> JoinGzipMembers(std::string_view framed, std::size_t expected_size);

}  // namespace otlpd::config::compression
