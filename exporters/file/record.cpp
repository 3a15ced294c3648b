#include "exporters/file/record.h"

#include <cstdint>
#include <limits>

#include "exporters/file/zstd_frame.h"
#include "internal/big_endian.h"
#include "otlp/json/otlp_json.h"

namespace otlpd::exporters::file {
namespace {

Result<std::string> LengthPrefixed(std::string_view message) {
  if (message.size() > std::numeric_limits<std::uint32_t>::max()) {
    return Status::InvalidArgument("a record of " + std::to_string(message.size()) +
                                   " bytes does not fit the 4-byte length prefix");
  }
  const auto n = static_cast<std::uint32_t>(message.size());
  std::string out;
  out.reserve(4 + message.size());
  out.resize(4);
  StoreBe32(out.data(), n);
  out.append(message);
  return out;
}

}  // namespace

Result<std::string> EncodeRecord(Signal signal, std::string_view request, Format format,
                                 Compression compression, int level) {
  std::string json;
  std::string_view message = request;
  if (format == Format::kJson) {
    Result<std::string> encoded = json::EncodeRequest(signal, request);
    if (!encoded.ok()) return encoded.status();
    json = std::move(*encoded);
    if (compression == Compression::kNone) {
      json.push_back('\n');
      return json;
    }
    message = json;
  }
  if (compression == Compression::kNone) return LengthPrefixed(message);
  Result<std::string> frame = ZstdFrame(message, level);
  if (!frame.ok()) return frame.status();
  return LengthPrefixed(*frame);
}

}  // namespace otlpd::exporters::file
