// OTLP/JSON -> serialized Export*ServiceRequest, written in one pass over the
// text into protobuf wire format with the schema tables; no message objects
// and no document tree. Fields are emitted in field-number order with proto3
// defaults left out, so the bytes equal what protobuf's SerializeToString
// produces for the same message.
//
// Memory is the output and a little stack, whatever the body holds: a DOM
// (simdjson's, used before) costs 8 to 16 bytes of tape per value plus a
// 4-byte index per structural character, so a body of small numbers grew
// 13x its size in parse structures (an 18 MiB body peaked 236 MiB above
// idle). Values of unknown keys are checked and skipped without being kept.
//
// The document is checked as strictly as simdjson checks it (UTF-8 with
// simdjson's SIMD validator, string escapes, number grammar, nesting at most
// 1024 containers), and a syntax error anywhere wins over a schema error, as
// when the whole document was parsed first. Members are written as they come;
// an object whose members came out of field-number order, repeated, or
// replaced (a later duplicate key, null, another member of the same oneof) is
// put in order when it ends. A schema error in a member that a later one
// replaces is forgotten, as it was when only the kept members were read.
// Our walk recurses per message, bounded by kMaxDecodeDepth; skipping an
// unknown value does not recurse.

#include <google/protobuf/descriptor.h>
#include <simdjson.h>

#include <array>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <new>
#include <string>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "internal/text.h"
#include "otlp/json/otlp_json.h"
#include "otlp/json/otlp_json_schema.h"
#include "otlp/wire/nesting_limit.h"
#include "otlp/wire/wire_format.h"

namespace otlpd::json {
namespace {

using internal::FieldInfo;
using internal::Kind;
using internal::kMaxFields;
using internal::MessageInfo;
using internal::PathSegment;
using internal::PathText;

// The same nesting limit as the wire walker's, on the same count (the
// request is depth 0), so JSON and protobuf accept the same data.
constexpr int kMaxDecodeDepth = wire::kMaxNestingDepth;

// ---- scalar conversions --------------------------------------------------

bool ParseDecimal(std::string_view s, std::int64_t& out) {
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  if (s.empty() || s[0] == '+') return false;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

bool ParseDecimal(std::string_view s, std::uint64_t& out) {
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  if (s.empty() || s[0] == '+' || s[0] == '-') return false;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

// A JSON value read at the cursor: a scalar with its value, or the type of a
// container (not consumed).
struct Scalar {
  enum Type { kString, kInt64, kUInt64, kDouble, kBool, kNull, kObject, kArray } type = kNull;
  std::string_view str;
  std::int64_t i = 0;
  std::uint64_t u = 0;
  double d = 0;
  bool b = false;

  bool IsNumber() const { return type == kInt64 || type == kUInt64 || type == kDouble; }
  double AsDouble() const {
    if (type == kInt64) return static_cast<double>(i);
    if (type == kUInt64) return static_cast<double>(u);
    return d;
  }
};

// Integers arrive as JSON numbers or decimal strings (OTLP writes 64-bit ones
// as strings). A JSON number with a fraction or exponent is taken when it is
// integral, as protobuf's JSON parser does.
bool GetInt64(const Scalar& v, std::int64_t& out) {
  switch (v.type) {
    case Scalar::kInt64: out = v.i; return true;
    case Scalar::kUInt64:
      if (v.u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return false;
      out = static_cast<std::int64_t>(v.u);
      return true;
    case Scalar::kDouble: {
      const double d = v.d;
      if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0) || d != std::trunc(d)) return false;
      out = static_cast<std::int64_t>(d);
      return true;
    }
    case Scalar::kString: return ParseDecimal(v.str, out);
    default: return false;
  }
}

bool GetUInt64(const Scalar& v, std::uint64_t& out) {
  switch (v.type) {
    case Scalar::kInt64:
      if (v.i < 0) return false;
      out = static_cast<std::uint64_t>(v.i);
      return true;
    case Scalar::kUInt64: out = v.u; return true;
    case Scalar::kDouble: {
      const double d = v.d;
      if (!(d >= 0 && d < 18446744073709551616.0) || d != std::trunc(d)) return false;
      out = static_cast<std::uint64_t>(d);
      return true;
    }
    case Scalar::kString: return ParseDecimal(v.str, out);
    default: return false;
  }
}

// Numbers, or strings: "NaN", "Infinity", "-Infinity" (proto3 JSON), Go's
// "+Inf"/"-Inf", and decimal text.
bool GetDouble(const Scalar& v, double& out) {
  if (v.IsNumber()) {
    out = v.AsDouble();
    return true;
  }
  if (v.type != Scalar::kString) return false;
  std::string_view s = v.str;
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  if (s.empty() || s[0] == '+') return false;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

// Standard and URL-safe alphabets, padding optional: what protobuf's JSON
// parser takes.
bool DecodeBase64(std::string_view s, std::string& out) {
  static const auto kTable = [] {
    std::array<std::int8_t, 256> t{};
    t.fill(-1);
    const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (int i = 0; i < 64; ++i) t[static_cast<std::uint8_t>(alphabet[i])] = static_cast<std::int8_t>(i);
    t['-'] = 62;
    t['_'] = 63;
    return t;
  }();
  out.clear();
  std::size_t n = s.size();
  if (n % 4 == 0 && n >= 2 && s[n - 1] == '=') n -= s[n - 2] == '=' ? 2 : 1;
  if (n % 4 == 1) return false;
  out.reserve(n * 3 / 4);
  std::uint32_t acc = 0;
  int bits = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const int v = kTable[static_cast<std::uint8_t>(s[i])];
    if (v < 0) return false;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return true;
}

bool IsZero(Kind kind, std::uint64_t raw) {
  switch (kind) {
    case Kind::kDouble: return std::bit_cast<double>(raw) == 0.0;  // -0.0 as well, like pdata
    case Kind::kFloat: return std::bit_cast<float>(static_cast<std::uint32_t>(raw)) == 0.0f;
    default: return raw == 0;
  }
}

// ---- the lexer -------------------------------------------------------------

// simdjson's limit on nested arrays and objects, kept so that the same
// documents are refused.
constexpr int kMaxJsonDepth = 1024;

// Reads JSON text in place. A syntax error sets error() and every later read
// fails; strings without escapes are views into the input.
class Lexer {
 public:
  explicit Lexer(std::string_view text)
      : begin_(text.data()), p_(text.data()), end_(text.data() + text.size()) {}

  const char* error() const { return error_; }
  bool failed() const { return error_ != nullptr; }
  const char* pos() const { return p_; }
  void Rewind(const char* pos) { p_ = pos; }
  int depth() const { return depth_; }
  void set_depth(int depth) { depth_ = depth; }

  std::size_t error_offset() const { return error_offset_; }

  bool Fail(const char* message) {
    if (error_ == nullptr) {
      error_ = message;
      error_offset_ = static_cast<std::size_t>(p_ - begin_);
    }
    p_ = end_;
    return false;
  }

  // The next significant character, or 0 at the end.
  char Peek() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
    return p_ < end_ ? *p_ : '\0';
  }
  bool AtEnd() { return Peek() == '\0' && p_ == end_; }
  bool Consume(char c) {
    if (Peek() != c) return false;
    ++p_;
    return true;
  }
  bool Expect(char c, const char* message) { return Consume(c) || Fail(message); }

  // '{' or '['; counts the depth.
  bool Open(char c) {
    if (!Consume(c)) return false;
    if (++depth_ > kMaxJsonDepth) return Fail("too deeply nested");
    auto& word = kinds_[static_cast<std::size_t>(depth_) / 64];
    const std::uint64_t bit = std::uint64_t{1} << (depth_ % 64);
    word = c == '{' ? (word | bit) : (word & ~bit);
    return true;
  }
  void Close() { --depth_; }

  // A string at the cursor (after its opening quote is seen by Peek).
  bool String(std::string_view& out, std::string& scratch) {
    if (!Consume('"')) return Fail("expected a string");
    const char* start = p_;
    p_ = PlainRun(p_, end_);
    if (p_ >= end_) return Fail("unterminated string");
    if (static_cast<unsigned char>(*p_) < 0x20) return Fail("unescaped control character in a string");
    if (*p_ == '"') {
      out = std::string_view(start, static_cast<std::size_t>(p_ - start));
      ++p_;
      return true;
    }
    scratch.assign(start, p_);
    while (p_ < end_) {
      const char c = *p_++;
      if (c == '"') {
        out = scratch;
        return true;
      }
      if (static_cast<unsigned char>(c) < 0x20) return Fail("unescaped control character in a string");
      if (c != '\\') {
        scratch.push_back(c);
        continue;
      }
      if (p_ >= end_) break;
      switch (*p_++) {
        case '"': scratch.push_back('"'); break;
        case '\\': scratch.push_back('\\'); break;
        case '/': scratch.push_back('/'); break;
        case 'b': scratch.push_back('\b'); break;
        case 'f': scratch.push_back('\f'); break;
        case 'n': scratch.push_back('\n'); break;
        case 'r': scratch.push_back('\r'); break;
        case 't': scratch.push_back('\t'); break;
        case 'u': {
          std::uint32_t cp = 0;
          if (!Hex4(cp)) return Fail("bad \\u escape");
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            std::uint32_t lo = 0;
            if (end_ - p_ < 6 || p_[0] != '\\' || p_[1] != 'u') return Fail("lone surrogate in \\u escape");
            p_ += 2;
            if (!Hex4(lo) || lo < 0xDC00 || lo > 0xDFFF) return Fail("bad surrogate pair in \\u escape");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            return Fail("lone surrogate in \\u escape");
          }
          AppendUtf8(scratch, cp);
          break;
        }
        default: return Fail("bad escape in a string");
      }
    }
    return Fail("unterminated string");
  }

  // A scalar, or the type of the container at the cursor (left unread).
  bool Value(Scalar& v, std::string& scratch) {
    switch (Peek()) {
      case '{': v.type = Scalar::kObject; return true;
      case '[': v.type = Scalar::kArray; return true;
      case '"': v.type = Scalar::kString; return String(v.str, scratch);
      case 't': v.type = Scalar::kBool, v.b = true; return Literal("true");
      case 'f': v.type = Scalar::kBool, v.b = false; return Literal("false");
      case 'n': v.type = Scalar::kNull; return Literal("null");
      default: return Number(v);
    }
  }

  // Skips one value of any kind, checking it; no recursion.
  bool Skip() {
    const int base = depth_;
    std::string scratch;
    for (;;) {
      Scalar v;
      if (!Value(v, scratch)) return false;
      if (v.type == Scalar::kObject || v.type == Scalar::kArray) {
        const char open = v.type == Scalar::kObject ? '{' : '[';
        Open(open);
        if (failed()) return false;
        if (Consume(open == '{' ? '}' : ']')) {
          Close();
        } else {
          if (open == '{' && !Key(scratch)) return false;
          continue;  // the first value inside
        }
      }
      // After a value: close containers that end here, or go to the next value.
      for (;;) {
        if (depth_ == base) return true;
        const char c = Peek();
        if (c == ',') {
          ++p_;
          if (InObject() && !Key(scratch)) return false;
          break;
        }
        if (c == '}' || c == ']') {
          if ((c == '}') != InObject()) return Fail("mismatched brackets");
          ++p_;
          Close();
          continue;
        }
        return Fail("expected ',' or a closing bracket");
      }
    }
  }

 private:
  bool Literal(std::string_view word) {
    if (static_cast<std::size_t>(end_ - p_) < word.size() || std::string_view(p_, word.size()) != word)
      return Fail("bad literal");
    p_ += word.size();
    return true;
  }

  // A key and its colon, inside Skip.
  bool Key(std::string& scratch) {
    std::string_view key;
    if (Peek() != '"') return Fail("expected a key");
    if (!String(key, scratch)) return false;
    return Expect(':', "expected ':'");
  }

  // Whether the innermost open container is an object (a bit per depth).
  bool InObject() const { return (kinds_[static_cast<std::size_t>(depth_) / 64] >> (depth_ % 64)) & 1u; }

 private:
  // The first quote, backslash or control character at or after `p`, or
  // `end`: 16 bytes at a time where SSE2 is there (every x86-64), since
  // strings (ids, keys, values) are most of an OTLP/JSON body.
  static const char* PlainRun(const char* p, const char* end) {
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i backslash = _mm_set1_epi8('\\');
    while (end - p >= 16) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
      // Control characters: unsigned v < 0x20, i.e. min(v, 0x1f) == v.
      const __m128i control = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1f)), v);
      const __m128i hit =
          _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)), control);
      const int mask = _mm_movemask_epi8(hit);
      if (mask != 0) return p + std::countr_zero(static_cast<unsigned>(mask));
      p += 16;
    }
#endif
    while (p < end && *p != '"' && *p != '\\' && static_cast<unsigned char>(*p) >= 0x20) ++p;
    return p;
  }

  bool Hex4(std::uint32_t& out) {
    if (end_ - p_ < 4) return false;
    out = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = *p_++;
      int v = -1;
      if (c >= '0' && c <= '9') v = c - '0';
      if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
      if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
      if (v < 0) return false;
      out = (out << 4) | static_cast<std::uint32_t>(v);
    }
    return true;
  }

  // JSON's number grammar; integers that fit int64 (or, when not negative,
  // uint64) stay integers, as in simdjson's DOM; other numbers are doubles,
  // correctly rounded. Go writes doubles in [2^64, 1e21) as plain integers,
  // which become doubles here too.
  bool Number(Scalar& v) {
    const char* start = p_;
    const bool negative = p_ < end_ && *p_ == '-';
    if (negative) ++p_;
    const char* int_start = p_;
    if (p_ >= end_ || *p_ < '0' || *p_ > '9') return Fail("bad value");
    if (*p_ == '0') {
      ++p_;
    } else {
      while (p_ < end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    }
    const char* int_end = p_;
    bool integral = true;
    if (p_ < end_ && *p_ == '.') {
      integral = false;
      ++p_;
      if (p_ >= end_ || *p_ < '0' || *p_ > '9') return Fail("bad number");
      while (p_ < end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    }
    std::int64_t exponent = 0;
    if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
      integral = false;
      ++p_;
      bool exp_negative = false;
      if (p_ < end_ && (*p_ == '+' || *p_ == '-')) exp_negative = *p_++ == '-';
      if (p_ >= end_ || *p_ < '0' || *p_ > '9') return Fail("bad number");
      while (p_ < end_ && *p_ >= '0' && *p_ <= '9') {
        if (exponent < 100000) exponent = exponent * 10 + (*p_ - '0');
        ++p_;
      }
      if (exp_negative) exponent = -exponent;
    }
    if (integral) {
      if (negative) {
        if (std::from_chars(start, p_, v.i).ec == std::errc()) {
          v.type = Scalar::kInt64;
          return true;
        }
      } else if (std::from_chars(start, p_, v.i).ec == std::errc()) {
        v.type = Scalar::kInt64;
        return true;
      } else if (std::from_chars(start, p_, v.u).ec == std::errc()) {
        v.type = Scalar::kUInt64;
        return true;
      }
    }
    v.type = Scalar::kDouble;
    const auto r = std::from_chars(start, p_, v.d);
    if (r.ec == std::errc()) return true;
    if (r.ec != std::errc::result_out_of_range) return Fail("bad number");
    // Out of range: too small rounds to zero (as simdjson), too large is an
    // error. Which one: the decimal exponent of the first significant digit.
    std::int64_t magnitude = exponent;
    const char* digit = int_start;
    while (digit < int_end && *digit == '0') ++digit;
    if (digit < int_end) {
      magnitude += int_end - digit;
    } else if (int_end < end_ && *int_end == '.') {
      const char* f = int_end + 1;
      while (f < p_ && *f == '0') ++f, --magnitude;
    }
    if (magnitude > 0) return Fail("number out of range");
    v.d = negative ? -0.0 : 0.0;
    return true;
  }

  const char* begin_;
  const char* p_;
  const char* end_;
  const char* error_ = nullptr;
  std::size_t error_offset_ = 0;
  int depth_ = 0;
  std::array<std::uint64_t, kMaxJsonDepth / 64 + 1> kinds_{};
};

// ---- the walker ----------------------------------------------------------

class Decoder {
 public:
  explicit Decoder(std::string_view json) : lex_(json) { out_.reserve(json.size() / 2 + 16); }

  // Reads the object at the cursor (its '{' not yet read) into out_. False on
  // a syntax error (lexer().failed()) or a schema error (Error()).
  bool Message(const MessageInfo& info, int depth);
  std::string Error() const;
  std::string& out() { return out_; }
  Lexer& lexer() { return lex_; }

 private:
  // A schema error in a member, kept until the object ends: a later member
  // may replace the one that failed.
  struct PendingError {
    int field;
    std::string error;
    std::vector<PathSegment> path;
  };

  bool Field(const FieldInfo& f, int depth);
  bool Number(const FieldInfo& f, const Scalar& value, std::uint64_t& raw);
  bool Bytes(const FieldInfo& f, const Scalar& value, bool repeated);
  bool Fail(std::string message) {
    if (lex_.failed()) return false;  // a syntax error wins
    error_ = std::move(message);
    error_path_ = path_;
    return false;
  }

  void Varint(std::uint64_t v) { wire::AppendVarint(out_, v); }
  void Tag(std::uint32_t number, internal::WireType wire_type) {
    Varint((std::uint64_t{number} << 3) | wire_type);
  }
  void Raw(internal::WireType wire_type, std::uint64_t raw) {
    if (wire_type == internal::kVarint) {
      Varint(raw);
      return;
    }
    const int n = wire_type == internal::kFixed64Wire ? 8 : 4;
    char buf[8];
    for (int i = 0; i < n; ++i) buf[i] = static_cast<char>(raw >> (8 * i));
    out_.append(buf, n);
  }
  // Length prefixes are unknown until the payload is written: reserve the
  // width this message type needed last time, then widen or narrow the
  // prefix (shifting the payload) only when the guess was wrong.
  struct LenMark {
    std::size_t start;  // payload offset
    int reserved;
  };
  LenMark BeginLen(std::uint32_t number, int reserved = 1) {
    Tag(number, internal::kLen);
    out_.append(static_cast<std::size_t>(reserved), '\0');
    return {out_.size(), reserved};
  }
  int EndLen(LenMark mark) {
    char buf[10];
    const int n = static_cast<int>(wire::EncodeVarint(buf, out_.size() - mark.start));
    const std::size_t prefix = mark.start - static_cast<std::size_t>(mark.reserved);
    if (n > mark.reserved) {
      out_.insert(mark.start, static_cast<std::size_t>(n - mark.reserved), '\0');
    } else if (n < mark.reserved) {
      out_.erase(prefix + static_cast<std::size_t>(n), static_cast<std::size_t>(mark.reserved - n));
    }
    std::memcpy(out_.data() + prefix, buf, static_cast<std::size_t>(n));
    return n;
  }
  LenMark BeginMessage(const FieldInfo& f) {
    return BeginLen(f.number, f.message->length_width_hint.load(std::memory_order_relaxed));
  }
  void EndMessage(const FieldInfo& f, LenMark mark) {
    const int width = EndLen(mark);
    if (width != mark.reserved)
      f.message->length_width_hint.store(static_cast<std::uint8_t>(width), std::memory_order_relaxed);
  }

  Lexer lex_;
  std::string out_;
  std::string scratch_;         // decoded base64
  std::string string_scratch_;  // strings with escapes
  std::string key_scratch_;     // keys with escapes
  std::string reorder_;         // an object's members put in field-number order
  std::vector<PathSegment> path_;
  std::vector<PathSegment> error_path_;
  std::string error_;
};

std::string Decoder::Error() const {
  std::string text = PathText(error_path_);
  if (!text.empty()) text += ": ";
  return text + error_;
}

bool Decoder::Number(const FieldInfo& f, const Scalar& v, std::uint64_t& raw) {
  switch (f.kind) {
    case Kind::kDouble:
    case Kind::kFloat: {
      double d = 0;
      if (!GetDouble(v, d)) return Fail("expected a number");
      if (f.kind == Kind::kDouble) {
        raw = std::bit_cast<std::uint64_t>(d);
      } else {
        if (std::isfinite(d) && std::fabs(d) > std::numeric_limits<float>::max())
          return Fail("number out of range for float");
        raw = std::bit_cast<std::uint32_t>(static_cast<float>(d));
      }
      return true;
    }
    case Kind::kInt64:
    case Kind::kSFixed64:
    case Kind::kSInt64: {
      std::int64_t i = 0;
      if (!GetInt64(v, i)) return Fail("expected a signed 64-bit integer");
      const auto u = static_cast<std::uint64_t>(i);
      raw = f.kind == Kind::kSInt64 ? (u << 1) ^ static_cast<std::uint64_t>(i >> 63) : u;
      return true;
    }
    case Kind::kUInt64:
    case Kind::kFixed64:
      if (!GetUInt64(v, raw)) return Fail("expected an unsigned 64-bit integer");
      return true;
    case Kind::kInt32:
    case Kind::kSFixed32:
    case Kind::kSInt32: {
      std::int64_t i = 0;
      if (!GetInt64(v, i) || i < std::numeric_limits<std::int32_t>::min() ||
          i > std::numeric_limits<std::int32_t>::max()) {
        return Fail("expected a signed 32-bit integer");
      }
      const auto u = static_cast<std::uint32_t>(i);
      if (f.kind == Kind::kInt32)
        raw = static_cast<std::uint64_t>(i);  // negative: sign-extended, as protobuf
      if (f.kind == Kind::kSFixed32) raw = u;
      if (f.kind == Kind::kSInt32)
        raw = (u << 1) ^ static_cast<std::uint32_t>(static_cast<std::int32_t>(i) >> 31);
      return true;
    }
    case Kind::kUInt32:
    case Kind::kFixed32:
      if (!GetUInt64(v, raw) || raw > std::numeric_limits<std::uint32_t>::max()) {
        return Fail("expected an unsigned 32-bit integer");
      }
      return true;
    case Kind::kBool: {
      if (v.type != Scalar::kBool) return Fail("expected true or false");
      raw = v.b ? 1 : 0;
      return true;
    }
    case Kind::kEnum: {
      std::int64_t i = 0;
      if (v.type == Scalar::kString) {
        const std::string_view name = v.str;
        // OTLP writes enums as integers; names are harmless to accept.
        const auto* value = f.enum_type->FindValueByName(std::string(name));
        if (value == nullptr) {
          if (!ParseDecimal(name, i)) return Fail("unknown enum value \"" + std::string(name) + "\"");
        } else {
          i = value->number();
        }
      } else if (!GetInt64(v, i)) {
        return Fail("expected an enum integer");
      }
      if (i < std::numeric_limits<std::int32_t>::min() || i > std::numeric_limits<std::int32_t>::max()) {
        return Fail("enum value out of range");
      }
      raw = static_cast<std::uint64_t>(i);
      return true;
    }
    case Kind::kString:
    case Kind::kBytes:
    case Kind::kMessage: break;
  }
  return Fail("internal: not a number field");
}

bool Decoder::Bytes(const FieldInfo& f, const Scalar& v, bool repeated) {
  if (v.type != Scalar::kString) return Fail("expected a string");
  const std::string_view s = v.str;
  if (f.kind == Kind::kString) {
    if (s.empty() && !repeated && !f.explicit_presence) return true;
    Tag(f.number, internal::kLen);
    Varint(s.size());
    out_.append(s);
    return true;
  }
  if (f.id_bytes != 0) {
    if (s.empty()) return true;
    if (s.size() != 2u * f.id_bytes) {
      return Fail("invalid id: want " + std::to_string(2 * f.id_bytes) + " hex digits, got " +
                  std::to_string(s.size()) + " characters");
    }
    char id[16];
    bool zero = true;
    for (std::size_t i = 0; i < f.id_bytes; ++i) {
      const int hi = HexDigitValue(s[2 * i]);
      const int lo = HexDigitValue(s[2 * i + 1]);
      if (hi < 0 || lo < 0) return Fail("invalid id: not a hex string");
      id[i] = static_cast<char>(hi << 4 | lo);
      zero = zero && id[i] == 0;
    }
    if (zero) return true;  // all-zero is pdata's empty id; the encoder omits it too
    Tag(f.number, internal::kLen);
    Varint(f.id_bytes);
    out_.append(id, f.id_bytes);
    return true;
  }
  if (!DecodeBase64(s, scratch_)) return Fail("invalid base64");
  if (scratch_.empty() && !repeated && !f.explicit_presence) return true;
  Tag(f.number, internal::kLen);
  Varint(scratch_.size());
  out_.append(scratch_);
  return true;
}

bool Decoder::Field(const FieldInfo& f, int depth) {
  if (!f.repeated) {
    if (f.kind == Kind::kMessage) {
      if (lex_.Peek() != '{') return Fail("expected an object");
      const LenMark mark = BeginMessage(f);
      if (!Message(*f.message, depth + 1)) return false;
      EndMessage(f, mark);
      return true;
    }
    Scalar v;
    if (!lex_.Value(v, string_scratch_)) return false;
    if (f.kind == Kind::kString || f.kind == Kind::kBytes) return Bytes(f, v, false);
    std::uint64_t raw = 0;
    if (!Number(f, v, raw)) return false;
    if (!f.explicit_presence && IsZero(f.kind, raw)) return true;
    Tag(f.number, f.wire_type);
    Raw(f.wire_type, raw);
    return true;
  }

  if (!lex_.Open('[')) return Fail("expected an array");
  std::int64_t index = 0;
  const std::size_t before = out_.size();
  LenMark packed{0, 0};
  if (f.packable) packed = BeginLen(f.number);
  if (!lex_.Consume(']')) {
    for (;;) {
      path_.back().index = index++;
      if (f.kind == Kind::kMessage) {
        const LenMark mark = BeginMessage(f);
        if (lex_.Peek() == 'n') {  // null element: an empty message, as pdata reads it
          Scalar v;
          if (!lex_.Value(v, string_scratch_)) return false;
        } else {
          if (lex_.Peek() != '{') return Fail("expected an object");
          if (!Message(*f.message, depth + 1)) return false;
        }
        EndMessage(f, mark);
      } else {
        Scalar v;
        if (!lex_.Value(v, string_scratch_)) return false;
        if (f.packable) {
          std::uint64_t raw = 0;
          if (!Number(f, v, raw)) return false;
          Raw(f.wire_type, raw);
        } else if (!Bytes(f, v, true)) {
          return false;
        }
      }
      if (lex_.Consume(',')) continue;
      if (lex_.Consume(']')) break;
      return lex_.Fail("expected ',' or ']'");
    }
  }
  lex_.Close();
  if (f.packable) {
    if (index == 0) {
      out_.resize(before);  // protobuf writes no empty packed run
    } else {
      EndLen(packed);
    }
  }
  path_.back().index = -1;
  return true;
}

bool Decoder::Message(const MessageInfo& info, int depth) {
  if (depth > kMaxDecodeDepth)
    return Fail("nested deeper than " + std::to_string(kMaxDecodeDepth) + " messages");
  if (!lex_.Open('{')) return Fail("expected an object");
  // Each member's output is where it was written: [start, end) of out_. Sized
  // for the widest message but initialised only as far as this one needs.
  const std::size_t region = out_.size();
  std::uint32_t seen[kMaxFields];  // position in the object, 0 = absent
  std::size_t start[kMaxFields], end[kMaxFields];
  std::fill_n(seen, info.fields.size(), 0u);
  std::vector<PendingError> pending;
  auto forget = [&](int i) { std::erase_if(pending, [i](const PendingError& e) { return e.field == i; }); };
  std::uint32_t position = 0;
  if (!lex_.Consume('}')) {
    for (;;) {
      std::string_view key;
      if (lex_.Peek() != '"') return lex_.Fail("expected a key");
      if (!lex_.String(key, key_scratch_) || !lex_.Expect(':', "expected ':'")) return false;
      ++position;
      const int i = info.IndexOfKey(key);
      if (i < 0) {
        if (!lex_.Skip()) return false;  // unknown keys are ignored, whatever their value
      } else if (lex_.Peek() == 'n') {
        Scalar v;
        if (!lex_.Value(v, string_scratch_)) return false;
        seen[i] = 0;  // null: absent, and forgets an earlier member of the same key
        forget(i);
      } else {
        const char* value_pos = lex_.pos();
        const int value_depth = lex_.depth();
        const std::size_t path_size = path_.size();
        forget(i);
        start[i] = out_.size();
        path_.push_back({&info.fields[static_cast<std::size_t>(i)].json_name, -1});
        const bool ok = Field(info.fields[static_cast<std::size_t>(i)], depth);
        path_.resize(path_size);
        if (!ok) {
          if (lex_.failed()) return false;
          pending.push_back({i, std::move(error_), error_path_});
          out_.resize(start[i]);
          lex_.Rewind(value_pos);
          lex_.set_depth(value_depth);
          if (!lex_.Skip()) return false;
        }
        end[i] = out_.size();
        seen[i] = position;
      }
      if (lex_.Consume(',')) continue;
      if (lex_.Consume('}')) break;
      return lex_.Fail("expected ',' or '}'");
    }
  }
  lex_.Close();
  // A later member of the same oneof replaces the earlier.
  if (info.oneof_count > 0) {
    std::uint32_t latest[kMaxFields];
    std::fill_n(latest, info.oneof_count, 0u);
    for (std::size_t i = 0; i < info.fields.size(); ++i) {
      const int o = info.fields[i].oneof;
      if (o >= 0 && seen[i] > latest[o]) latest[o] = seen[i];
    }
    for (std::size_t i = 0; i < info.fields.size(); ++i) {
      const int o = info.fields[i].oneof;
      if (o >= 0 && seen[i] != latest[o]) seen[i] = 0;
    }
  }
  // The first kept member in field-number order that failed is the error, as
  // if the kept members alone had been read in that order.
  if (!pending.empty()) {
    for (const std::uint8_t i : info.by_number) {
      if (seen[i] == 0) continue;
      for (PendingError& e : pending) {
        if (e.field != i) continue;
        error_ = std::move(e.error);
        error_path_ = std::move(e.path);
        return false;
      }
    }
  }
  // Usually the kept members already lie in field-number order, back to back.
  std::size_t expect = region;
  bool in_order = true;
  for (const std::uint8_t i : info.by_number) {
    if (seen[i] == 0) continue;
    if (start[i] != expect) {
      in_order = false;
      break;
    }
    expect = end[i];
  }
  if (in_order && expect == out_.size()) return true;
  reorder_.clear();
  for (const std::uint8_t i : info.by_number) {
    if (seen[i] != 0) reorder_.append(out_, start[i], end[i] - start[i]);
  }
  out_.resize(region);
  out_.append(reorder_);
  return true;
}

Result<std::string> Decode(const MessageInfo& schema, std::string_view json) {
  if (!simdjson::validate_utf8(json.data(), json.size()))
    return Status::InvalidArgument("invalid JSON: the body is not valid UTF-8");
  Decoder decoder(json);
  Lexer& lex = decoder.lexer();
  if (lex.Peek() != '{') {
    // Valid JSON of another kind is told apart from invalid JSON.
    if (!lex.Skip() || !lex.AtEnd()) {
      return Status::InvalidArgument(std::string("invalid JSON: ") +
                                     (lex.failed() ? lex.error() : "content after the value"));
    }
    return Status::InvalidArgument("invalid OTLP/JSON: the body must be a JSON object");
  }
  const bool ok = decoder.Message(schema, 0);
  if (!lex.failed() && !lex.AtEnd()) lex.Fail("content after the value");
  if (lex.failed()) {
    return Status::InvalidArgument(std::string("invalid JSON: ") + lex.error() + " at offset " +
                                   std::to_string(lex.error_offset()));
  }
  if (!ok) return Status::InvalidArgument(decoder.Error());
  return std::move(decoder.out());
}

}  // namespace

Result<std::string> DecodeRequest(Signal signal, std::string_view json) {
  try {
    return Decode(internal::RequestSchema(signal), json);
  } catch (const std::bad_alloc&) {
    return Status::ResourceExhausted("out of memory decoding OTLP/JSON");
  } catch (const std::exception& e) {
    return Status::Internal(std::string("decoding OTLP/JSON: ") + e.what());
  }
}

}  // namespace otlpd::json
