#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "component/payload.h"
#include "internal/status.h"

namespace otlpd::exporters::exporterhelper {

// The on-disk form of a Payload in a persistent sending queue. A record
// written by one otlpd version is read by the next one after an upgrade, so
// it starts with a magic and a format version that decoding checks:
//
//   "OTPQ" | u8 version | u8 signal | u8 flags | u8 0 | u64 items
//   [flags & 1: u32 count, count x (u32 key length, key, u32 value length, value)]
//   u64 length | the request bytes
//
// little-endian. Client metadata is kept (as otelcol's persistent queue does)
// so that what an exporter does with it (headers_setter, routing) still works
// after a restart. Integrity is the storage's job (it checksums records);
// decoding still checks every length against what is left, so a damaged or
// foreign record is refused, never read past its end.
inline constexpr std::uint8_t kPayloadRecordVersion = 1;

std::string EncodePayloadRecord(const Payload& payload);

// InvalidArgument naming what is wrong when `record` is not a payload record
// this version can read.
Result<PayloadPtr> DecodePayloadRecord(std::string_view record);

}  // namespace otlpd::exporters::exporterhelper
