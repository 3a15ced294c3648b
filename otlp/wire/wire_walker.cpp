#include "otlp/wire/wire_walker.h"

#include <string>

#include "otlp/wire/field_numbers.h"
#include "otlp/wire/otlp_levels.h"
#include "otlp/wire/otlp_schema.h"
#include "otlp/wire/utf8.h"

namespace otlpd::wire {
namespace {

using schema::FieldSpec;
using schema::Kind;
using schema::Msg;

enum class Error : std::uint8_t {
  kTruncatedTag,
  kInvalidTag,
  kTruncatedVarint,
  kTruncatedFixed64,
  kTruncatedFixed32,
  kTruncatedLen,
  kWrongWireType,
  kInvalidUtf8,
  kBadTraceId,
  kBadSpanId,
  kBadPackedFixed64,
  kBadPackedVarint,
  kTooDeep,
  kBadGroup,
  kStrayEndGroup,
};

// One step of the path to the error, recorded while unwinding (innermost first).
struct Frame {
  const char* name;
  std::int64_t index;  // -1: not repeated
};

// Enough for the deepest path kMaxNestingDepth allows (one frame per level).
constexpr int kMaxFrames = kMaxNestingDepth + 2;

// A KeyValue as SDKs write it: its key, then a value holding one string,
// bool, int or double. True when `kv` is exactly that and valid, checked in a
// straight line; anything else (another layout, arrays, maps, bytes, an
// error) returns false and takes the schema-driven walk below, which accepts
// every valid form and explains what is wrong. Attributes are most of the
// fields of a request, and the walk's per-field dispatch cost more than the
// checking itself.
bool IsPlainKeyValue(std::string_view kv) {
  Reader r(kv);
  std::uint32_t number = 0;
  WireType type = WireType::kVarint;
  std::string_view key, value;
  if (!r.ReadTag(number, type) || number != kKeyValueKey || type != WireType::kLen ||
      !r.ReadLengthDelimited(key) || !IsValidUtf8(key)) {
    return false;
  }
  if (!r.ReadTag(number, type) || number != kKeyValueValue || type != WireType::kLen ||
      !r.ReadLengthDelimited(value) || !r.AtEnd()) {
    return false;
  }
  Reader v(value);
  if (v.AtEnd()) return true;
  if (!v.ReadTag(number, type)) return false;
  std::uint64_t scalar = 0;
  std::string_view text;
  bool ok = false;
  switch (number) {
    case kAnyValueString:
      ok = type == WireType::kLen && v.ReadLengthDelimited(text) && IsValidUtf8(text);
      break;
    case kAnyValueBool:
    case kAnyValueInt: ok = type == WireType::kVarint && v.ReadVarint(scalar); break;
    case kAnyValueDouble: ok = type == WireType::kFixed64 && v.ReadFixed64(scalar); break;
    default: return false;
  }
  return ok && v.AtEnd();
}

// Validates recursively. The happy path touches nothing but the reader and a
// counter; everything needed to explain an error is gathered only on failure.
class Walker {
 public:
  bool Walk(Msg msg, std::string_view bytes, int depth, std::uint64_t& items);
  std::string Describe() const;

 private:
  bool Fail(Error error, std::uint32_t field, const FieldSpec& spec, WireType wire = WireType::kVarint) {
    error_ = error;
    field_ = field;
    field_name_ = spec.name;
    wire_ = wire;
    return false;
  }
  bool SkipUnknown(Reader& reader, std::uint32_t number, WireType type, int depth);
  void AddFrame(std::string_view parent, const char* field_start, std::uint32_t number,
                const FieldSpec& spec);

  Error error_ = Error::kTruncatedTag;
  std::uint32_t field_ = 0;
  const char* field_name_ = nullptr;
  WireType wire_ = WireType::kVarint;
  Frame frames_[kMaxFrames];  // no initialiser: written only on the error path, not on every call
  int num_frames_ = 0;
};

bool Walker::Walk(Msg msg, std::string_view bytes, int depth, std::uint64_t& items) {
  Reader reader(bytes);
  std::uint64_t count = 0;
  std::uint32_t oneof_case = 0;
  std::uint64_t oneof_count = 0;
  while (!reader.AtEnd()) {
    const char* field_start = reader.Position();
    std::uint32_t number = 0;
    WireType type = WireType::kVarint;
    if (!reader.ReadTag(number, type)) {
      std::uint64_t ignored = 0;
      Reader again(
          std::string_view(field_start, static_cast<std::size_t>(bytes.data() + bytes.size() - field_start)));
      return Fail(again.ReadVarint(ignored) ? Error::kInvalidTag : Error::kTruncatedTag, 0,
                  schema::kUnknownField);
    }
    const FieldSpec& spec = schema::Lookup(msg, number);
    switch (spec.kind) {
      case Kind::kUnknown:
        if (!SkipUnknown(reader, number, type, depth)) return false;
        break;
      case Kind::kVarint: {
        if (type != WireType::kVarint) return Fail(Error::kWrongWireType, number, spec, type);
        std::uint64_t v = 0;
        if (!reader.ReadVarint(v)) return Fail(Error::kTruncatedVarint, number, spec);
        break;
      }
      case Kind::kFixed32: {
        if (type != WireType::kFixed32) return Fail(Error::kWrongWireType, number, spec, type);
        std::uint32_t v = 0;
        if (!reader.ReadFixed32(v)) return Fail(Error::kTruncatedFixed32, number, spec);
        break;
      }
      case Kind::kFixed64: {
        if (type != WireType::kFixed64) return Fail(Error::kWrongWireType, number, spec, type);
        std::uint64_t v = 0;
        if (!reader.ReadFixed64(v)) return Fail(Error::kTruncatedFixed64, number, spec);
        break;
      }
      case Kind::kPackedFixed64: {
        std::uint64_t v = 0;
        std::string_view packed;
        if (type == WireType::kFixed64) {
          if (!reader.ReadFixed64(v)) return Fail(Error::kTruncatedFixed64, number, spec);
        } else if (type == WireType::kLen) {
          if (!reader.ReadLengthDelimited(packed)) return Fail(Error::kTruncatedLen, number, spec);
          if (packed.size() % 8 != 0) return Fail(Error::kBadPackedFixed64, number, spec);
        } else {
          return Fail(Error::kWrongWireType, number, spec, type);
        }
        break;
      }
      case Kind::kPackedVarint: {
        std::uint64_t v = 0;
        std::string_view packed;
        if (type == WireType::kVarint) {
          if (!reader.ReadVarint(v)) return Fail(Error::kTruncatedVarint, number, spec);
        } else if (type == WireType::kLen) {
          if (!reader.ReadLengthDelimited(packed)) return Fail(Error::kTruncatedLen, number, spec);
          Reader values(packed);
          while (!values.AtEnd()) {
            if (!values.ReadVarint(v)) return Fail(Error::kBadPackedVarint, number, spec);
          }
        } else {
          return Fail(Error::kWrongWireType, number, spec, type);
        }
        break;
      }
      case Kind::kString:
      case Kind::kBytes:
      case Kind::kTraceId:
      case Kind::kSpanId:
      case Kind::kMessage: {
        if (type != WireType::kLen) return Fail(Error::kWrongWireType, number, spec, type);
        std::string_view payload;
        if (!reader.ReadLengthDelimited(payload)) return Fail(Error::kTruncatedLen, number, spec);
        if (spec.kind == Kind::kString) {
          if (!IsValidUtf8(payload)) return Fail(Error::kInvalidUtf8, number, spec);
        } else if (spec.kind == Kind::kTraceId) {
          if (!payload.empty() && payload.size() != 16) return Fail(Error::kBadTraceId, number, spec);
        } else if (spec.kind == Kind::kSpanId) {
          if (!payload.empty() && payload.size() != 8) return Fail(Error::kBadSpanId, number, spec);
        } else if (spec.kind == Kind::kMessage) {
          if (depth >= kMaxNestingDepth) return Fail(Error::kTooDeep, number, spec);
          // Attributes hold no items: a plain one is checked and done.
          if (spec.message == Msg::kKeyValue && depth + 1 < kMaxNestingDepth && IsPlainKeyValue(payload))
            break;
          std::uint64_t sub = 0;
          if (!Walk(spec.message, payload, depth + 1, sub)) {
            AddFrame(bytes, field_start, number, spec);
            return false;
          }
          if (spec.flags & schema::kItem) {
            ++count;
          } else if (spec.flags & schema::kOneofData) {
            // Protobuf merges repeats of the same oneof member and drops the old
            // member when another one arrives.
            if (number == oneof_case) {
              oneof_count += sub;
            } else {
              oneof_case = number;
              oneof_count = sub;
            }
          } else {
            count += sub;
          }
        }
        break;
      }
    }
  }
  items += count + oneof_count;
  return true;
}

bool Walker::SkipUnknown(Reader& reader, std::uint32_t number, WireType type, int depth) {
  const FieldSpec& none = schema::kUnknownField;
  Field field;
  switch (type) {
    case WireType::kVarint:
      return reader.ReadValue(number, type, field) || Fail(Error::kTruncatedVarint, number, none);
    case WireType::kFixed64:
      return reader.ReadValue(number, type, field) || Fail(Error::kTruncatedFixed64, number, none);
    case WireType::kFixed32:
      return reader.ReadValue(number, type, field) || Fail(Error::kTruncatedFixed32, number, none);
    case WireType::kLen:
      return reader.ReadValue(number, type, field) || Fail(Error::kTruncatedLen, number, none);
    case WireType::kStartGroup:
      // Groups nest like messages and count against the same depth limit.
      return reader.ReadValue(number, type, field, kMaxNestingDepth - depth) ||
             Fail(Error::kBadGroup, number, none);
    case WireType::kEndGroup: return Fail(Error::kStrayEndGroup, number, none);
  }
  return Fail(Error::kInvalidTag, number, none);
}

void Walker::AddFrame(std::string_view parent, const char* field_start, std::uint32_t number,
                      const FieldSpec& spec) {
  if (num_frames_ == kMaxFrames) return;
  std::int64_t index = -1;
  if (spec.flags & schema::kRepeated) {
    // Only on the error path: count the earlier occurrences of the field.
    index = 0;
    Reader reader(parent);
    Field field;
    while (reader.Position() < field_start && reader.ReadField(field)) {
      if (field.number == number) ++index;
    }
  }
  frames_[num_frames_++] = Frame{spec.name, index};
}

std::string Walker::Describe() const {
  std::string out;
  for (int i = num_frames_ - 1; i >= 0; --i) {
    out += frames_[i].name;
    if (frames_[i].index >= 0) {
      out += '[';
      out += std::to_string(frames_[i].index);
      out += ']';
    }
    if (i > 0) out += '.';
  }
  if (!out.empty()) out += ": ";
  const std::string field = std::to_string(field_);
  switch (error_) {
    case Error::kTruncatedTag: out += "truncated tag"; break;
    case Error::kInvalidTag: out += "invalid tag (field number 0 or wire type 6/7)"; break;
    case Error::kTruncatedVarint: out += "truncated varint field " + field; break;
    case Error::kTruncatedFixed64: out += "truncated fixed64 field " + field; break;
    case Error::kTruncatedFixed32: out += "truncated fixed32 field " + field; break;
    case Error::kTruncatedLen: out += "truncated length-delimited field " + field; break;
    case Error::kWrongWireType:
      out += "wrong wire type " + std::to_string(static_cast<int>(wire_)) + " for field " + field;
      break;
    case Error::kInvalidUtf8: out += "invalid UTF-8 in string field " + field; break;
    case Error::kBadTraceId: out += "trace id field " + field + " is neither empty nor 16 bytes"; break;
    case Error::kBadSpanId: out += "span id field " + field + " is neither empty nor 8 bytes"; break;
    case Error::kBadPackedFixed64:
      out += "packed fixed64 field " + field + " not a multiple of 8 bytes";
      break;
    case Error::kBadPackedVarint: out += "malformed packed varint field " + field; break;
    case Error::kTooDeep:
      out += "messages nested deeper than " + std::to_string(kMaxNestingDepth) + " at field " + field;
      break;
    case Error::kBadGroup: out += "malformed or too deep group field " + field; break;
    case Error::kStrayEndGroup: out += "unexpected end-group tag field " + field; break;
  }
  if (field_name_ != nullptr) {
    out += " (";
    out += field_name_;
    out += ')';
  }
  return out;
}

}  // namespace

Result<std::uint64_t> ValidateAndCount(Signal signal, std::string_view bytes) {
  Walker walker;
  std::uint64_t items = 0;
  if (!walker.Walk(schema::RequestMsg(signal), bytes, 0, items)) {
    return Status::InvalidArgument(walker.Describe());
  }
  return items;
}

bool EntryRange::Next(Entry& entry) {
  auto level = static_cast<schema::Level>(level_);
  Field field;
  while (!reader_.AtEnd()) {
    if (!reader_.ReadField(field, kMaxNestingDepth)) {
      malformed_ = true;
      return false;
    }
    if (field.number != schema::ChildField(level)) continue;
    if (field.type != WireType::kLen) {
      malformed_ = true;
      return false;
    }
    entry.field = field.raw;
    entry.message = field.payload;
    entry.items = schema::CountItems(signal_, schema::ChildLevel(signal_, level), field.payload);
    return true;
  }
  return false;
}

EntryRange Resources(Signal signal, std::string_view request) {
  return EntryRange(signal, static_cast<std::uint8_t>(schema::Level::kRequest), request);
}

EntryRange Scopes(Signal signal, std::string_view resource) {
  return EntryRange(signal, static_cast<std::uint8_t>(schema::Level::kResource), resource);
}

EntryRange Items(Signal signal, std::string_view scope) {
  return EntryRange(signal, static_cast<std::uint8_t>(schema::Level::kScope), scope);
}

}  // namespace otlpd::wire
