#include "ottl/json_parse.h"

#include <cstdlib>
#include <string>

#include "internal/text.h"

namespace otlpd::ottl {
namespace {

constexpr int kMaxDepth = 512;

class JsonParser {
 public:
  explicit JsonParser(std::string_view s) : s_(s) {}

  bool Parse(AnyValue& out) {
    SkipWs();
    if (!ParseValue(out, 0)) return false;
    SkipWs();
    return i_ == s_.size();
  }

 private:
  void SkipWs() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
  }
  bool Lit(std::string_view w) {
    if (s_.substr(i_, w.size()) != w) return false;
    i_ += w.size();
    return true;
  }
  bool Hex4(std::uint32_t& v) {
    if (i_ + 4 > s_.size()) return false;
    v = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = s_[i_++];
      v <<= 4;
      if (c >= '0' && c <= '9') {
        v |= static_cast<std::uint32_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        v |= static_cast<std::uint32_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        v |= static_cast<std::uint32_t>(c - 'A' + 10);
      } else {
        return false;
      }
    }
    return true;
  }
  bool String(std::string& out) {
    if (i_ >= s_.size() || s_[i_] != '"') return false;
    ++i_;
    while (i_ < s_.size()) {
      const char c = s_[i_++];
      if (c == '"') return true;
      if (static_cast<unsigned char>(c) < 0x20) return false;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (i_ >= s_.size()) return false;
      const char e = s_[i_++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          std::uint32_t r = 0;
          if (!Hex4(r)) return false;
          if (r >= 0xD800 && r < 0xDC00) {
            std::uint32_t lo = 0;
            const std::size_t save = i_;
            if (Lit("\\u") && Hex4(lo) && lo >= 0xDC00 && lo < 0xE000) {
              r = 0x10000 + ((r - 0xD800) << 10) + (lo - 0xDC00);
            } else {
              i_ = save;
              r = 0xFFFD;
            }
          } else if (r >= 0xDC00 && r < 0xE000) {
            r = 0xFFFD;
          }
          AppendUtf8(out, r);
          break;
        }
        default: return false;
      }
    }
    return false;
  }
  bool Number(AnyValue& out) {
    const std::size_t start = i_;
    if (i_ < s_.size() && s_[i_] == '-') ++i_;
    if (i_ >= s_.size() || s_[i_] < '0' || s_[i_] > '9') return false;
    if (s_[i_] == '0') {
      ++i_;
    } else {
      while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
    }
    if (i_ < s_.size() && s_[i_] == '.') {
      ++i_;
      if (i_ >= s_.size() || s_[i_] < '0' || s_[i_] > '9') return false;
      while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
    }
    if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
      ++i_;
      if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
      if (i_ >= s_.size() || s_[i_] < '0' || s_[i_] > '9') return false;
      while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
    }
    out.set_double_value(std::strtod(std::string(s_.substr(start, i_ - start)).c_str(), nullptr));
    return true;
  }
  // After an opening bracket: element() for each element up to `close`,
  // commas between them; false on anything else.
  template <class Element>
  bool Elements(char close, Element element) {
    SkipWs();
    if (i_ < s_.size() && s_[i_] == close) {
      ++i_;
      return true;
    }
    for (;;) {
      if (!element()) return false;
      SkipWs();
      if (i_ < s_.size() && s_[i_] == ',') {
        ++i_;
        continue;
      }
      if (i_ < s_.size() && s_[i_] == close) {
        ++i_;
        return true;
      }
      return false;
    }
  }

  bool ParseValue(AnyValue& out, int depth) {
    if (depth > kMaxDepth) return false;
    SkipWs();
    if (i_ >= s_.size()) return false;
    const char c = s_[i_];
    if (c == '{') {
      ++i_;
      auto* m = out.mutable_kvlist_value()->mutable_values();
      return Elements('}', [&] {
        SkipWs();
        std::string key;
        if (!String(key)) return false;
        SkipWs();
        if (i_ >= s_.size() || s_[i_] != ':') return false;
        ++i_;
        AnyValue v;
        if (!ParseValue(v, depth + 1)) return false;
        KeyValue* slot = nullptr;
        for (KeyValue& kv : *m) {
          if (kv.key() == key) slot = &kv;
        }
        if (slot == nullptr) {
          slot = m->Add();
          slot->set_key(key);
        }
        *slot->mutable_value() = std::move(v);
        return true;
      });
    }
    if (c == '[') {
      ++i_;
      auto* arr = out.mutable_array_value();
      return Elements(']', [&] { return ParseValue(*arr->add_values(), depth + 1); });
    }
    if (c == '"') {
      std::string str;
      if (!String(str)) return false;
      out.set_string_value(std::move(str));
      return true;
    }
    if (Lit("true")) {
      out.set_bool_value(true);
      return true;
    }
    if (Lit("false")) {
      out.set_bool_value(false);
      return true;
    }
    if (Lit("null")) {
      out.Clear();
      return true;
    }
    return Number(out);
  }

  std::string_view s_;
  std::size_t i_ = 0;
};

}  // namespace

Result<Value> ParseJsonValue(std::string_view text) {
  AnyValue out;
  if (!JsonParser(text).Parse(out)) return Status::InvalidArgument("ParseJSON: invalid JSON");
  if (out.has_kvlist_value()) return Value::Map(std::move(out));
  if (out.has_array_value()) return Value::Slice(std::move(out));
  return Status::InvalidArgument("could not convert parsed value of type " +
                                 std::string(Value::FromAny(out).TypeName()) + " to JSON object");
}

}  // namespace otlpd::ottl
