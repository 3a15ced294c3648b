#include "config/decoder.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "config/yaml_scalar.h"
#include "internal/go_format.h"
#include "internal/text.h"

namespace otlpd::config {
namespace {

std::string Quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

// Scalar decoders share this: a map or list is an error; null (`key:` with
// nothing after it) leaves the default in place, as otelcol's decoder does.
bool ScalarOrNull(const Node& node, std::string_view path, std::string_view expected) {
  if (node.IsScalar()) return true;
  if (node.IsNull()) return false;
  throw Error(node.mark(), path,
              "expected " + std::string(expected) + ", got " + std::string(node.KindName()));
}

struct ParsedInt {
  bool negative = false;
  bool overflow = false;  // magnitude does not fit 64 bits
  std::uint64_t magnitude = 0;
};

// The integer forms Go's YAML decoder resolves: optional sign, decimal, 0x, 0o,
// 0b, Go's leading-zero octal, and `_` separators.
std::optional<ParsedInt> ParseInteger(std::string_view text) {
  std::string s;
  s.reserve(text.size());
  for (char c : text) {
    if (c != '_') s += c;
  }
  ParsedInt out;
  std::string_view v = s;
  if (!v.empty() && (v[0] == '-' || v[0] == '+')) {
    out.negative = v[0] == '-';
    v.remove_prefix(1);
  }
  unsigned base = 10;
  if (v.size() > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) {
    base = 16;
    v.remove_prefix(2);
  } else if (v.size() > 2 && v[0] == '0' && (v[1] == 'o' || v[1] == 'O')) {
    base = 8;
    v.remove_prefix(2);
  } else if (v.size() > 2 && v[0] == '0' && (v[1] == 'b' || v[1] == 'B')) {
    base = 2;
    v.remove_prefix(2);
  } else if (v.size() > 1 && v[0] == '0') {
    base = 8;
    v.remove_prefix(1);
  }
  if (v.empty()) return std::nullopt;
  for (char c : v) {
    unsigned digit = 0;
    if (c >= '0' && c <= '9') {
      digit = static_cast<unsigned>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      digit = static_cast<unsigned>(c - 'a' + 10);
    } else if (c >= 'A' && c <= 'F') {
      digit = static_cast<unsigned>(c - 'A' + 10);
    } else {
      return std::nullopt;
    }
    if (digit >= base) return std::nullopt;
    if (out.magnitude > (std::numeric_limits<std::uint64_t>::max() - digit) / base) {
      out.overflow = true;
    } else {
      out.magnitude = out.magnitude * base + digit;
    }
  }
  return out;
}

// otelcol's decoder takes no quoted number or boolean: `limit_mib: "100"` is
// "expected type 'uint32', got unconvertible type 'string'". go_type names the
// type as Go does.
void RefuseQuoted(const Node& node, std::string_view path, std::string_view go_type) {
  if (!node.quoted()) return;
  throw Error(node.mark(), path,
              "expected type '" + std::string(go_type) + "', got unconvertible type 'string' (" +
                  Quote(node.scalar()) + "; write it without quotes)");
}

template <class T>
constexpr std::string_view GoIntType() {
  if constexpr (std::is_same_v<T, std::int64_t>) return "int64";
  if constexpr (std::is_same_v<T, std::uint64_t>) return "uint64";
  if constexpr (std::is_same_v<T, std::uint32_t>) return "uint32";
  return "int";
}

std::optional<double> ParseDouble(std::string_view s);

template <class T>
void DecodeInteger(const Node& node, std::string_view path, T& out, std::string_view what) {
  if (!ScalarOrNull(node, path, what)) return;
  RefuseQuoted(node, path, GoIntType<T>());
  std::optional<ParsedInt> p = ParseInteger(node.scalar());
  if (!p) {
    // A YAML float into an integer: mapstructure cuts it toward zero (1.5 is
    // 1), and refuses a negative one for an unsigned type.
    const std::optional<double> d = ParseDouble(node.scalar());
    if (!d) throw Error(node.mark(), path, "expected " + std::string(what) + ", got " + Quote(node.scalar()));
    const double cut = std::trunc(*d);
    if (!std::isfinite(cut) || std::fabs(cut) >= 1.8e19 || (cut < 0 && !std::numeric_limits<T>::is_signed)) {
      throw Error(node.mark(), path,
                  Quote(node.scalar()) + " is out of range for " + std::string(GoIntType<T>()));
    }
    char digits[32];
    std::snprintf(digits, sizeof digits, "%.0f", cut);
    p = ParseInteger(digits);
    if (!p) throw Error(node.mark(), path, "expected " + std::string(what) + ", got " + Quote(node.scalar()));
  }
  using Limits = std::numeric_limits<T>;
  const auto max = static_cast<std::uint64_t>(Limits::max());
  // |min| computed without overflowing the signed type.
  const std::uint64_t neg_max =
      Limits::is_signed ? static_cast<std::uint64_t>(-(Limits::min() + 1)) + 1 : std::uint64_t{0};
  const bool fits = !p->overflow && (p->negative ? p->magnitude <= neg_max : p->magnitude <= max);
  if (!fits) {
    throw Error(node.mark(), path,
                Quote(node.scalar()) + " is out of range (" + std::to_string(Limits::min()) + " to " +
                    std::to_string(Limits::max()) + ")");
  }
  if (p->negative && p->magnitude > 0) {
    // magnitude <= |min| here; subtracting first keeps -2^63 representable.
    out = static_cast<T>(-static_cast<std::int64_t>(p->magnitude - 1) - 1);
  } else {
    out = static_cast<T>(p->magnitude);
  }
}

bool IsYamlFloat(std::string_view s) {
  // ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ as Go's YAML decoder uses.
  AsciiScanner t{s};
  t.TakeAny("-+");
  if (t.TakeAny(".")) {
    if (t.Digits() == 0) return false;
  } else {
    if (t.Digits() == 0) return false;
    if (t.TakeAny(".")) t.Digits();
  }
  return t.OptionalExponent() && t.AtEnd();
}

std::optional<double> ParseDouble(std::string_view s) {
  static constexpr std::string_view kInf[] = {".inf", ".Inf", ".INF"};
  static constexpr std::string_view kNan[] = {".nan", ".NaN", ".NAN"};
  for (std::string_view n : kNan) {
    if (s == n) return std::numeric_limits<double>::quiet_NaN();
  }
  std::string_view body = s;
  bool negative = false;
  if (!body.empty() && (body[0] == '-' || body[0] == '+')) {
    negative = body[0] == '-';
    body.remove_prefix(1);
  }
  for (std::string_view n : kInf) {
    if (body == n)
      return negative ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
  }
  if (IsYamlFloat(s)) {
    double v = 0;
    auto [ptr, ec] = std::from_chars(body.data(), body.data() + body.size(), v);
    if (ec != std::errc() || ptr != body.data() + body.size()) return std::nullopt;
    return negative ? -v : v;
  }
  if (std::optional<ParsedInt> p = ParseInteger(s); p && !p->overflow) {
    const auto v = static_cast<double>(p->magnitude);
    return p->negative ? -v : v;
  }
  return std::nullopt;
}

// otelcol decodes with mapstructure's weak typing off: a YAML number or
// boolean where a string is expected is an error (`endpoint: 5`), the same
// text quoted is not (`endpoint: "5"`). A lone ${...} reference is the
// exception (Node::expanded()), which callers take as its text first.
void RequireString(const Node& node, std::string_view path) {
  if (node.quoted()) return;
  if (std::optional<std::string_view> type = GoYamlScalarType(node.scalar())) {
    throw Error(node.mark(), path,
                "expected type 'string', got unconvertible type '" + std::string(*type) + "' (" +
                    node.scalar() + "; quote it to mean the text)");
  }
}

}  // namespace

std::optional<std::string_view> GoYamlScalarType(std::string_view plain) {
  static constexpr std::string_view kBool[] = {"true", "True", "TRUE", "false", "False", "FALSE"};
  for (std::string_view b : kBool) {
    if (plain == b) return "bool";
  }
  if (ParseInteger(plain)) return "int";
  if (ParseDouble(plain)) return "float64";
  return std::nullopt;
}

void DecodeValue(const Node& node, std::string_view path, bool& out) {
  if (!ScalarOrNull(node, path, "a boolean")) return;
  RefuseQuoted(node, path, "bool");
  // go-yaml v3's (YAML 1.2) spellings: `yes`, `on` and `y` are strings there,
  // which otelcol refuses for a boolean.
  static constexpr std::string_view kTrue[] = {"true", "True", "TRUE"};
  static constexpr std::string_view kFalse[] = {"false", "False", "FALSE"};
  for (std::string_view t : kTrue) {
    if (node.scalar() == t) {
      out = true;
      return;
    }
  }
  for (std::string_view f : kFalse) {
    if (node.scalar() == f) {
      out = false;
      return;
    }
  }
  throw Error(node.mark(), path, "expected a boolean (true or false), got " + Quote(node.scalar()));
}

void DecodeValue(const Node& node, std::string_view path, std::int64_t& out) {
  DecodeInteger(node, path, out, "an integer");
}
void DecodeValue(const Node& node, std::string_view path, std::uint64_t& out) {
  DecodeInteger(node, path, out, "a non-negative integer");
}
void DecodeValue(const Node& node, std::string_view path, int& out) {
  DecodeInteger(node, path, out, "an integer");
}
void DecodeValue(const Node& node, std::string_view path, std::uint32_t& out) {
  DecodeInteger(node, path, out, "a non-negative integer");
}

void DecodeValue(const Node& node, std::string_view path, double& out) {
  if (!ScalarOrNull(node, path, "a number")) return;
  RefuseQuoted(node, path, "float64");
  std::optional<double> v = ParseDouble(node.scalar());
  if (!v) throw Error(node.mark(), path, "expected a number, got " + Quote(node.scalar()));
  out = *v;
}

void DecodeValue(const Node& node, std::string_view path, float& out) {
  double d = 0;
  if (!ScalarOrNull(node, path, "a number")) return;
  RefuseQuoted(node, path, "float32");
  DecodeValue(node, path, d);
  if (std::isfinite(d) && std::fabs(d) > static_cast<double>(std::numeric_limits<float>::max())) {
    throw Error(node.mark(), path, Quote(node.scalar()) + " is out of range for a 32-bit float");
  }
  out = static_cast<float>(d);
}

void DecodeValue(const Node& node, std::string_view path, std::string& out) {
  if (node.expanded()) {
    out = node.expanded_text();
    return;
  }
  if (!ScalarOrNull(node, path, "a value")) return;
  RequireString(node, path);
  out = node.scalar();
}

void DecodeValue(const Node& node, std::string_view path, std::chrono::nanoseconds& out) {
  if (!ScalarOrNull(node, path, "a duration")) return;
  // An unquoted YAML integer is a number, and Go decodes a number into a
  // time.Duration as nanoseconds; only strings go through ParseDuration.
  if (!node.quoted()) {
    std::int64_t ns = 0;
    if (ParseInteger(node.scalar()) || ParseDouble(node.scalar())) {  // a float is cut: 1.5 is 1ns
      DecodeInteger(node, path, ns, "a duration");
      out = std::chrono::nanoseconds(ns);
      return;
    }
  }
  std::optional<std::chrono::nanoseconds> d = ParseGoDuration(node.scalar());
  if (!d) {
    throw Error(
        node.mark(), path,
        "invalid duration " + Quote(node.scalar()) + " (expected a Go duration such as 200ms, 5s or 1h30m)");
  }
  out = *d;
}

void DecodeValue(const Node& node, std::string_view path, std::vector<std::string>& out) {
  if (node.IsNull()) {
    // An explicitly empty list key means "none", not "the default list".
    out.clear();
    return;
  }
  if (node.IsScalar()) {
    // otelcol's string-to-slice hook: "a,b" is ["a", "b"], "" is []. It
    // takes strings only, and a lone ${...} has its YAML type here: confmap
    // keeps the text only where the option itself is a string.
    if (!node.quoted()) {
      if (std::optional<std::string_view> type = GoYamlScalarType(node.scalar())) {
        throw Error(node.mark(), path,
                    "source data must be an array or slice, got " + std::string(*type) + " (" +
                        node.scalar() + "; quote it to mean the text)");
      }
    }
    out.clear();
    const std::string& s = node.scalar();
    if (s.empty()) return;
    std::size_t start = 0;
    while (true) {
      const std::size_t comma = s.find(',', start);
      out.push_back(s.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    return;
  }
  if (!node.IsSequence()) {
    throw Error(node.mark(), path, "expected a list, got " + std::string(node.KindName()));
  }
  std::vector<std::string> result;
  result.reserve(node.items().size());
  for (std::size_t i = 0; i < node.items().size(); ++i) {
    const Node& item = node.items()[i];
    const std::string item_path = std::string(path) + "[" + std::to_string(i) + "]";
    if (!item.IsScalar() && !item.expanded()) {
      throw Error(item.mark(), item_path, "expected a value, got " + std::string(item.KindName()));
    }
    DecodeValue(item, item_path, result.emplace_back());
  }
  out = std::move(result);
}

void DecodeValue(const Node& node, std::string_view path, std::map<std::string, std::string>& out) {
  if (node.IsNull()) return;
  if (!node.IsMap()) throw Error(node.mark(), path, "expected a map, got " + std::string(node.KindName()));
  std::map<std::string, std::string> result;
  for (const Node::Entry& e : node.entries()) {
    const std::string key_path = std::string(path) + "." + e.key;
    if (e.value.IsNull()) {
      result[e.key] = "";
    } else if (e.value.IsScalar() || e.value.expanded()) {
      DecodeValue(e.value, key_path, result[e.key]);
    } else {
      throw Error(e.value.mark(), key_path, "expected a value, got " + std::string(e.value.KindName()));
    }
  }
  out = std::move(result);
}

std::optional<std::uint32_t> ParseOctal(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '7') return std::nullopt;
    v = v * 8 + static_cast<std::uint64_t>(c - '0');
    if (v > 0xFFFFFFFFu) return std::nullopt;
  }
  return static_cast<std::uint32_t>(v);
}

// A port of Go's time.ParseDuration, including its overflow rules.
std::optional<std::chrono::nanoseconds> ParseGoDuration(std::string_view s) {
  constexpr std::uint64_t kLimit = std::uint64_t{1} << 63;
  bool negative = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return std::chrono::nanoseconds(0);
  if (s.empty()) return std::nullopt;
  std::uint64_t total = 0;
  while (!s.empty()) {
    if (!(s[0] == '.' || (s[0] >= '0' && s[0] <= '9'))) return std::nullopt;
    // Integer part.
    std::uint64_t v = 0;
    std::size_t i = 0;
    for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
      if (v > kLimit / 10) return std::nullopt;
      v = v * 10 + static_cast<std::uint64_t>(s[i] - '0');
      if (v > kLimit) return std::nullopt;
    }
    const bool pre = i > 0;
    s.remove_prefix(i);
    // Fraction part: digits past int64 precision are dropped, as Go does.
    std::uint64_t f = 0;
    double scale = 1;
    bool post = false;
    if (!s.empty() && s[0] == '.') {
      s.remove_prefix(1);
      bool overflow = false;
      std::size_t j = 0;
      for (; j < s.size() && s[j] >= '0' && s[j] <= '9'; ++j) {
        if (overflow) continue;
        if (f > (kLimit - 1) / 10) {
          overflow = true;
          continue;
        }
        const std::uint64_t y = f * 10 + static_cast<std::uint64_t>(s[j] - '0');
        if (y > kLimit) {
          overflow = true;
          continue;
        }
        f = y;
        scale *= 10;
      }
      post = j > 0;
      s.remove_prefix(j);
    }
    if (!pre && !post) return std::nullopt;
    std::size_t u = 0;
    while (u < s.size() && s[u] != '.' && !(s[u] >= '0' && s[u] <= '9')) ++u;
    if (u == 0) return std::nullopt;
    const std::string_view unit_name = s.substr(0, u);
    s.remove_prefix(u);
    std::uint64_t unit = 0;
    if (unit_name == "ns") {
      unit = 1;
    } else if (unit_name == "us" || unit_name == "\xC2\xB5s" || unit_name == "\xCE\xBCs") {  // us, µs, μs
      unit = 1000;
    } else if (unit_name == "ms") {
      unit = 1000 * 1000;
    } else if (unit_name == "s") {
      unit = 1000 * 1000 * 1000;
    } else if (unit_name == "m") {
      unit = 60ull * 1000 * 1000 * 1000;
    } else if (unit_name == "h") {
      unit = 3600ull * 1000 * 1000 * 1000;
    } else {
      return std::nullopt;
    }
    if (v > kLimit / unit) return std::nullopt;
    v *= unit;
    if (f > 0) {
      v += static_cast<std::uint64_t>(static_cast<double>(f) * (static_cast<double>(unit) / scale));
      if (v > kLimit) return std::nullopt;
    }
    total += v;
    if (total > kLimit) return std::nullopt;
  }
  if (negative) {
    if (total == kLimit) return std::chrono::nanoseconds(std::numeric_limits<std::int64_t>::min());
    return std::chrono::nanoseconds(-static_cast<std::int64_t>(total));
  }
  if (total > kLimit - 1) return std::nullopt;
  return std::chrono::nanoseconds(static_cast<std::int64_t>(total));
}

namespace {
const Node& EmptyNode() {
  static const Node kEmpty;
  return kEmpty;
}
}  // namespace

namespace {
thread_local DecodeRecording* current_recording = nullptr;
}  // namespace

const DecodedSection::Default* DecodedSection::Find(std::string_view key) const {
  for (const Default& d : defaults) {
    if (d.key == key) return &d;
  }
  return nullptr;
}

void DecodedSection::SetDefault(std::string_view key, Node value) {
  for (Default& d : defaults) {
    if (d.key == key) {
      d.value = std::move(value);
      return;
    }
  }
  defaults.push_back(Default{std::string(key), std::move(value), nullptr});
}

DecodedSection& DecodedSection::Section(std::string_view key) {
  for (Default& d : defaults) {
    if (d.key != key) continue;
    if (d.section == nullptr) d.section = std::make_unique<DecodedSection>();
    return *d.section;
  }
  defaults.push_back(Default{std::string(key), std::nullopt, std::make_unique<DecodedSection>()});
  return *defaults.back().section;
}

DecodeRecording::Scope::Scope(DecodeRecording& recording) : previous_(current_recording) {
  current_recording = &recording;
}

DecodeRecording::Scope::~Scope() { current_recording = previous_; }

const DecodedSection* DecodeRecording::Find(const Node* map) const {
  auto it = sections_.find(map);
  return it == sections_.end() ? nullptr : it->second.get();
}

DecodedSection& DecodeRecording::For(const Node* map) {
  std::unique_ptr<DecodedSection>& s = sections_[map];
  if (s == nullptr) s = std::make_unique<DecodedSection>();
  return *s;
}

namespace {
Node Plain(std::string text) { return Node::Scalar(std::move(text), Mark{}, false); }
}  // namespace

Node RenderValue(bool v) { return Plain(v ? "true" : "false"); }
Node RenderValue(std::int64_t v) { return Plain(std::to_string(v)); }
Node RenderValue(std::uint64_t v) { return Plain(std::to_string(v)); }
Node RenderValue(int v) { return Plain(std::to_string(v)); }
Node RenderValue(std::uint32_t v) { return Plain(std::to_string(v)); }
Node RenderValue(double v) { return Plain(GoFloat(v)); }
Node RenderValue(float v) { return Plain(GoFloat(static_cast<double>(v))); }
Node RenderValue(const std::string& v) { return Node::Scalar(v, Mark{}, true); }
Node RenderValue(std::chrono::nanoseconds v) { return Plain(GoDuration(v)); }
Node RenderValue(const std::vector<std::string>& v) {
  Node seq = Node::Sequence(Mark{});
  for (const std::string& s : v) seq.items().push_back(RenderValue(s));
  return seq;
}
Node RenderValue(const std::map<std::string, std::string>& v) {
  Node map = Node::Map(Mark{});
  for (const auto& [key, value] : v) map.Set(key, Mark{}, RenderValue(value));
  return map;
}

MapDecoder::MapDecoder(const Node& node, std::string path)
    : node_(&node), path_(std::move(path)), mark_(node.mark()) {
  if (!node.IsMap() && !node.IsNull()) {
    throw Error(node.mark(), path_, "expected a map, got " + std::string(node.KindName()));
  }
  // Child() of an absent key records into its parent's record instead.
  if (current_recording != nullptr && &node != &EmptyNode()) record_ = &current_recording->For(&node);
}

bool MapDecoder::Has(std::string_view key) const { return node_->IsMap() && node_->Find(key) != nullptr; }

const Node* MapDecoder::Take(std::string_view key) {
  if (!node_->IsMap()) return nullptr;
  const Node* n = node_->Find(key);
  if (n != nullptr) read_.emplace(key);
  return n;
}

MapDecoder MapDecoder::Child(std::string_view key) {
  const Node* n = Take(key);
  if (n == nullptr) {
    MapDecoder child(EmptyNode(), KeyPath(key));
    child.mark_ = mark_;
    if (record_ != nullptr) child.record_ = &record_->Section(key);
    return child;
  }
  MapDecoder child(*n, KeyPath(key));
  if (n->IsNull() && n->mark().line == 0) child.mark_ = mark_;
  return child;
}

void MapDecoder::Fail(std::string_view key, std::string_view message) const {
  if (node_->IsMap()) {
    for (const Node::Entry& e : node_->entries()) {
      if (e.key != key) continue;
      // The value is what is wrong, unless there is none to point at.
      const Mark& m = e.value.IsNull() ? e.key_mark : e.value.mark();
      throw Error(m, KeyPath(key), message);
    }
  }
  throw Error(mark_, KeyPath(key), message);
}

namespace {

// Optimal string alignment distance, ASCII case folded, capped: enough to
// tell `pathh` or `Path` from `path` without calling `endpoint` a typo of it.
std::size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = AsciiLower(a[i - 1]) == AsciiLower(b[j - 1]) ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && AsciiLower(a[i - 1]) == AsciiLower(b[j - 2]) &&
          AsciiLower(a[i - 2]) == AsciiLower(b[j - 1])) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

}  // namespace

void MapDecoder::FailMissing(std::string_view key) const {
  if (node_->IsMap()) {
    for (const Node::Entry& e : node_->entries()) {
      if (read_.find(e.key) != read_.end()) continue;
      if (EditDistance(e.key, key) <= (key.size() > 3 ? 2u : 1u)) {
        throw Error(e.key_mark, path_,
                    "has invalid keys: " + e.key + " (" + std::string(key) + " is required; a typo of it?)");
      }
    }
  }
  throw Error(mark_, KeyPath(key), "is required");
}

void MapDecoder::Finish() const {
  if (!node_->IsMap()) {
    if (!missing_.empty()) throw Error(mark_, KeyPath(missing_), "is required");
    return;
  }
  std::string unknown;
  const Mark* first = nullptr;
  for (const Node::Entry& e : node_->entries()) {
    if (read_.find(e.key) != read_.end()) continue;
    if (first == nullptr) first = &e.key_mark;
    unknown += (unknown.empty() ? "" : ", ") + e.key;
  }
  if (first != nullptr) throw Error(*first, path_, "has invalid keys: " + unknown);
  if (!missing_.empty()) throw Error(mark_, KeyPath(missing_), "is required");
}

std::optional<std::int64_t> MapDecoder::LevelNumber(std::string_view key, std::string_view go_type) {
  if (!node_->IsMap()) return std::nullopt;
  const Node* n = node_->Find(key);
  if (n == nullptr || !n->IsScalar() || n->quoted()) return std::nullopt;
  const std::optional<std::string_view> type = GoYamlScalarType(n->scalar());
  if (!type) return std::nullopt;
  Take(key);
  const std::string path = KeyPath(key);
  if (*type == "bool") {
    throw Error(
        n->mark(), path,
        "expected type '" + std::string(go_type) + "', got unconvertible type 'bool' (" + n->scalar() + ")");
  }
  if (*type == "int") {
    // Beyond 64 bits Go's YAML decoder would not give an int at all: refused.
    std::int64_t v = 0;
    DecodeInteger(*n, path, v, "an integer");
    return v;
  }
  const std::optional<double> d = ParseDouble(n->scalar());
  if (!d || !std::isfinite(*d) || std::fabs(*d) >= 9.2e18) {
    throw Error(n->mark(), path, Quote(n->scalar()) + " is out of range for " + std::string(go_type));
  }
  return static_cast<std::int64_t>(*d);  // truncated toward zero, as Go converts
}

bool MapDecoder::SectionEnabled() {
  // Not recorded as a default: print-config shows a section that is on
  // without an `enabled: true` otelcol would not show either.
  bool enabled = true;
  if (const Node* n = Take("enabled"); n != nullptr) DecodeValue(*n, KeyPath("enabled"), enabled);
  return enabled;
}

std::string MapDecoder::KeyPath(std::string_view key) const {
  if (path_.empty()) return std::string(key);
  return path_ + "." + std::string(key);
}

}  // namespace otlpd::config
