#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "component/payload.h"
#include "opentelemetry/proto/common/v1/common.pb.h"
#include "processors/internal/attraction/config.h"

namespace otlpd::processors::attraction {

using KeyValues = google::protobuf::RepeatedPtrField<opentelemetry::proto::common::v1::KeyValue>;

// Runs `actions` in order over one attribute list, as otelcol's attraction
// package does. `metadata` (may be null) is what from_context reads. Returns
// whether anything was written, so callers can keep untouched bytes as they are.
bool ApplyActions(const std::vector<Action>& actions, KeyValues& attributes, const Metadata* metadata);

// Lowercase hex SHA-256 of the value's bytes (string bytes; bool one byte;
// int and double 8 bytes little-endian; "" too); other types become "".
void HashValue(AnyValue& value);

// Converts in place when convertible; leaves the value as it is otherwise.
void ConvertValue(AnyValue& value, ConvertedType to);

// pcommon's Value.AsString: what `convert` to string produces.
std::string ValueAsString(const AnyValue& value);

std::string Sha256Hex(std::string_view bytes);

}  // namespace otlpd::processors::attraction
