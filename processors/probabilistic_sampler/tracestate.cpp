#include "processors/probabilistic_sampler/tracestate.h"

namespace otlpd::processors::probabilistic_sampler {
namespace {

constexpr std::size_t kMaxW3CLength = 1024;
constexpr std::size_t kMaxOTelLength = 256;
constexpr int kMaxW3CMembers = 32;
constexpr std::size_t kMaxKeyLength = 256;
constexpr std::size_t kMaxTenantLength = 241;
constexpr std::size_t kMaxSystemLength = 14;

bool IsLcAlpha(char c) { return c >= 'a' && c <= 'z'; }
bool IsLcAlphaNum(char c) { return IsLcAlpha(c) || (c >= '0' && c <= '9'); }
bool IsKeyChar(char c) { return IsLcAlphaNum(c) || c == '_' || c == '-' || c == '*' || c == '/'; }
bool AllKeyChars(std::string_view s) {
  for (char c : s) {
    if (!IsKeyChar(c)) return false;
  }
  return true;
}
bool IsNonBlankValueChar(char ch) {
  auto c = static_cast<unsigned char>(ch);
  return (c >= 0x21 && c <= 0x2B) || (c >= 0x2D && c <= 0x3C) || (c >= 0x3E && c <= 0x7E);
}
bool IsValueChar(char c) { return c == ' ' || IsNonBlankValueChar(c); }
bool IsOTelValueChar(char c) {
  return IsLcAlphaNum(c) || (c >= 'A' && c <= 'Z') || c == '.' || c == '_' || c == '-';
}

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Splits off the next `sep`-separated member of `rest`.
std::string_view NextMember(std::string_view& rest, char sep) {
  std::size_t at = rest.find(sep);
  std::string_view member = rest.substr(0, at);
  rest = at == std::string_view::npos ? std::string_view() : rest.substr(at + 1);
  return member;
}

bool IsValidW3CKey(std::string_view key) {
  if (key.empty()) return false;
  std::size_t at = key.find('@');
  if (at != std::string_view::npos) {
    std::string_view tenant = key.substr(0, at);
    std::string_view system = key.substr(at + 1);
    if (tenant.empty() || system.empty()) return false;
    if (!IsLcAlphaNum(tenant[0]) || !IsLcAlpha(system[0])) return false;
    return AllKeyChars(tenant.substr(1)) && AllKeyChars(system.substr(1));
  }
  return IsLcAlpha(key[0]) && AllKeyChars(key.substr(1));
}

bool IsValidW3CValue(std::string_view value) {
  if (value.empty() || value.size() > 256) return false;
  if (!IsNonBlankValueChar(value.back())) return false;
  for (std::size_t i = 0; i + 1 < value.size(); ++i) {
    if (!IsValueChar(value[i])) return false;
  }
  return true;
}

bool IsValidW3C(std::string_view input) {
  while (!input.empty()) {
    std::string_view member = TrimOws(NextMember(input, ','));
    if (member.empty()) continue;
    std::size_t eq = member.find('=');
    if (eq == std::string_view::npos || eq < 1) return false;
    if (!IsValidW3CKey(member.substr(0, eq)) || !IsValidW3CValue(member.substr(eq + 1))) return false;
  }
  return true;
}

bool IsValidOTel(std::string_view input) {
  if (input.empty() || input.back() == ';') return false;
  while (!input.empty()) {
    std::string_view member = NextMember(input, ';');
    if (member.empty()) return false;
    std::size_t colon = member.find(':');
    if (colon == std::string_view::npos || colon < 1) return false;
    std::string_view key = member.substr(0, colon);
    if (!IsLcAlpha(key[0])) return false;
    for (char c : key.substr(1)) {
      if (!IsLcAlphaNum(c)) return false;
    }
    for (char c : member.substr(colon + 1)) {
      if (!IsOTelValueChar(c)) return false;
    }
  }
  return true;
}

bool ParseOTel(std::string_view input, OTelTraceState& out) {
  out.Clear();
  if (input.size() > kMaxOTelLength || !IsValidOTel(input)) return false;
  bool ok = true;
  while (!input.empty()) {
    std::string_view member = NextMember(input, ';');
    std::size_t colon = member.find(':');
    std::string_view key = member.substr(0, colon);
    std::string_view value = member.substr(colon + 1);
    if (key == "rv") {
      if (auto r = ParseRandomness(value)) {
        out.rvalue = HexValue(value);
        out.randomness = *r;
      } else {
        out.rvalue = HexValue();
        out.randomness = Randomness{};
        ok = false;
      }
    } else if (key == "th") {
      if (auto t = ParseThreshold(value)) {
        out.tvalue = HexValue(value);
        out.threshold = *t;
      } else {
        out.tvalue = HexValue();
        out.threshold = kAlwaysSample;
        ok = false;
      }
    } else {
      out.extras.push_back({key, value});
    }
  }
  return ok;
}

void SerializeOTel(const OTelTraceState& s, std::string& out) {
  bool first = true;
  auto member = [&](std::string_view key, std::string_view value) {
    if (!first) out += ';';
    first = false;
    out.append(key);
    out += ':';
    out.append(value);
  };
  if (!s.rvalue.empty()) member("rv", s.rvalue.view());
  if (!s.tvalue.empty()) member("th", s.tvalue.view());
  for (const auto& e : s.extras) member(e.key, e.value);
}

}  // namespace

void OTelTraceState::Clear() {
  rvalue = HexValue();
  randomness = Randomness{};
  tvalue = HexValue();
  threshold = Threshold{};
  extras.clear();
}

void W3CTraceState::Clear() {
  otel.Clear();
  extras.clear();
}

bool ParseW3CTraceState(std::string_view input, W3CTraceState& out) {
  out.Clear();
  if (input.empty()) return true;
  if (input.size() > kMaxW3CLength || !IsValidW3C(input)) return false;
  bool ok = true;
  int members = 0;
  while (!input.empty()) {
    // pkg/sampling counts empty members too and stops at the 32nd.
    if (++members >= kMaxW3CMembers) return false;
    std::string_view member = TrimOws(NextMember(input, ','));
    if (member.empty()) continue;
    std::size_t eq = member.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view key = member.substr(0, eq);
    std::string_view value = member.substr(eq + 1);
    if (key.size() > kMaxKeyLength) {
      ok = false;
      continue;
    }
    if (std::size_t at = key.find('@'); at != std::string_view::npos) {
      if (at > kMaxTenantLength || key.size() - at - 1 > kMaxSystemLength) {
        ok = false;
        continue;
      }
    }
    if (key == "ot") {
      if (!ParseOTel(value, out.otel)) ok = false;
    } else {
      out.extras.push_back({key, value});
    }
  }
  return ok;
}

void SerializeW3CTraceState(const W3CTraceState& state, std::string& out) {
  bool first = true;
  if (state.otel.HasAnyValue()) {
    out.append("ot=");
    SerializeOTel(state.otel, out);
    first = false;
  }
  for (const auto& e : state.extras) {
    if (!first) out += ',';
    first = false;
    out.append(e.key);
    out += '=';
    out.append(e.value);
  }
}

}  // namespace otlpd::processors::probabilistic_sampler
