#include "config/component_id.h"

#include <cstdint>

#include "internal/text.h"

namespace otlpd::config {
namespace {

constexpr std::size_t kMaxTypeLength = 63;
constexpr std::size_t kMaxNameLength = 1024;  // bytes, as Go's len() counts them

bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Decodes one UTF-8 code point at s[*i]; false on malformed input (which Go's
// regexp would also refuse to match as a valid character).
bool NextCodePoint(std::string_view s, std::size_t* i, std::uint32_t* cp) {
  const auto b0 = static_cast<unsigned char>(s[*i]);
  int len = 0;
  std::uint32_t v = 0;
  if (b0 < 0x80) {
    len = 1;
    v = b0;
  } else if ((b0 & 0xE0) == 0xC0) {
    len = 2;
    v = b0 & 0x1F;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3;
    v = b0 & 0x0F;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4;
    v = b0 & 0x07;
  } else {
    return false;
  }
  if (*i + len > s.size()) return false;
  for (int k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[*i + k]);
    if ((b & 0xC0) != 0x80) return false;
    v = (v << 6) | (b & 0x3F);
  }
  static constexpr std::uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (v < kMin[len] || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return false;
  *i += len;
  *cp = v;
  return true;
}

// otelcol names must match ^[^\pZ\pC\pS]+$: no separators, control/format/
// private-use characters or symbols. Exact for ASCII and Latin-1; beyond that
// the common separator, format, private-use and symbol blocks are covered
// (there is no Unicode database here).
bool IsForbiddenInName(std::uint32_t cp) {
  if (cp < 0x80) {
    if (cp < 0x20 || cp == 0x7F || cp == ' ') return true;
    switch (cp) {
      case '$':
      case '+':
      case '<':
      case '=':
      case '>':
      case '^':
      case '`':
      case '|':
      case '~': return true;
      default: return false;
    }
  }
  if (cp <= 0x9F || cp == 0xA0 || cp == 0xAD) return true;  // C1 controls, NBSP, soft hyphen
  switch (cp) {                                             // Latin-1 symbols (Sc, Sk, Sm, So)
    case 0xA2:
    case 0xA3:
    case 0xA4:
    case 0xA5:
    case 0xA6:
    case 0xA8:
    case 0xA9:
    case 0xAC:
    case 0xAE:
    case 0xAF:
    case 0xB0:
    case 0xB1:
    case 0xB4:
    case 0xB8:
    case 0xD7:
    case 0xF7: return true;
    default: break;
  }
  if (cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200F) || (cp >= 0x2028 && cp <= 0x202F) ||
      (cp >= 0x205F && cp <= 0x206F) || cp == 0x3000 || cp == 0xFEFF || (cp >= 0xFFF9 && cp <= 0xFFFB)) {
    return true;  // separators and format characters
  }
  if ((cp >= 0xE000 && cp <= 0xF8FF) || cp >= 0xF0000) return true;  // private use
  if ((cp >= 0x20A0 && cp <= 0x20CF) || (cp >= 0x2100 && cp <= 0x214F) || (cp >= 0x2190 && cp <= 0x23FF) ||
      (cp >= 0x2500 && cp <= 0x27BF) || (cp >= 0x2900 && cp <= 0x2BFF) || (cp >= 0x1F000 && cp <= 0x1FAFF)) {
    return true;  // currency, letterlike, arrows, math, technical, shapes, dingbats, emoji
  }
  return false;
}

std::string Quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

bool Fail(std::string* why, std::string message) {
  if (why != nullptr) *why = std::move(message);
  return false;
}

bool ValidType(std::string_view type, std::string_view id, std::string* why) {
  if (type.size() > kMaxTypeLength) {
    return Fail(why, "in " + Quote(id) + " id: type " + Quote(type) + " is longer than " +
                         std::to_string(kMaxTypeLength) + " characters");
  }
  bool ok = IsAlpha(type[0]);
  for (char c : type) ok = ok && (IsAlpha(c) || IsDigit(c) || c == '_');
  if (!ok) {
    return Fail(why, "in " + Quote(id) + " id: invalid character(s) in type " + Quote(type) +
                         " (must match ^[a-zA-Z][0-9a-zA-Z_]{0,62}$)");
  }
  return true;
}

bool ValidName(std::string_view name, std::string_view id, std::string* why) {
  if (name.size() > kMaxNameLength) {
    return Fail(why, "in " + Quote(id) + " id: name is longer than " + std::to_string(kMaxNameLength) +
                         " characters");
  }
  for (std::size_t i = 0; i < name.size();) {
    std::uint32_t cp = 0;
    if (!NextCodePoint(name, &i, &cp) || IsForbiddenInName(cp)) {
      return Fail(why, "in " + Quote(id) + " id: invalid character(s) in name " + Quote(name) +
                           " (no whitespace, control or symbol characters)");
    }
  }
  return true;
}

}  // namespace

std::optional<ComponentId> ComponentId::Parse(std::string_view text, std::string* why) {
  const std::size_t slash = text.find('/');
  const bool has_name = slash != std::string_view::npos;
  const std::string_view type = TrimAsciiSpace(text.substr(0, slash));
  if (type.empty()) {
    Fail(why, has_name ? "in " + Quote(text) + " id: the part before / should not be empty"
                       : std::string("id must not be empty"));
    return std::nullopt;
  }
  std::string_view name;
  if (has_name) {
    name = TrimAsciiSpace(text.substr(slash + 1));
    if (name.empty()) {
      Fail(why, "in " + Quote(text) + " id: the part after / should not be empty");
      return std::nullopt;
    }
    if (!ValidName(name, text, why)) return std::nullopt;
  }
  if (!ValidType(type, text, why)) return std::nullopt;
  return ComponentId{std::string(type), std::string(name)};
}

}  // namespace otlpd::config
