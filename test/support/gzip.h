#pragma once

// gzip, zlib and raw DEFLATE streams made and read by zlib, for tests of
// decompression and of the code that passes senders' gzip on
// (config/compression/gzip_members.h). Link ZLIB::ZLIB.

#include <zlib.h>

#include <stdexcept>
#include <string>

namespace otlpd::test {

// `data` deflated by zlib at `level` (its default: 6) in the format
// `window_bits` says (16+15 gzip, 15 zlib, -15 raw DEFLATE). `header_fields`
// (gzip): with a file name, a comment, an extra field and a header CRC.
inline std::string Deflate(const std::string& data, int window_bits, int level = Z_DEFAULT_COMPRESSION,
                           bool header_fields = false) {
  z_stream z{};
  if (deflateInit2(&z, level, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw std::runtime_error("deflateInit2 failed");
  }
  gz_header h{};
  std::string name = "spans.pb", comment = "from a test", extra = std::string("AB\x04\x00wxyz", 8);
  if (header_fields) {
    h.name = reinterpret_cast<Bytef*>(name.data());
    h.comment = reinterpret_cast<Bytef*>(comment.data());
    h.extra = reinterpret_cast<Bytef*>(extra.data());
    h.extra_len = static_cast<uInt>(extra.size());
    h.hcrc = 1;
    h.os = 3;
    deflateSetHeader(&z, &h);
  }
  std::string out(deflateBound(&z, data.size()) + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  if (rc != Z_STREAM_END) throw std::runtime_error("deflate failed");
  return out;
}

// One gzip member of `data` made by zlib (Deflate's level and header_fields).
inline std::string ZlibGzip(const std::string& data, int level = Z_DEFAULT_COMPRESSION,
                            bool header_fields = false) {
  return Deflate(data, 16 + MAX_WBITS, level, header_fields);
}

// `gz` inflated as gRPC C-core reads a message: exactly one member, every
// byte used; "<not one member>" when it is not that.
inline std::string GunzipOneMember(const std::string& gz) {
  z_stream z{};
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) return "<not one member>";
  std::string out;
  char buf[16384];
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  z.avail_in = static_cast<uInt>(gz.size());
  int rc;
  do {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    rc = inflate(&z, Z_NO_FLUSH);
    out.append(buf, sizeof buf - z.avail_out);
  } while (rc == Z_OK);
  const bool one = rc == Z_STREAM_END && z.avail_in == 0;
  inflateEnd(&z);
  return one ? out : "<not one member>";
}

}  // namespace otlpd::test
