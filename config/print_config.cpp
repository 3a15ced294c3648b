#include "config/print_config.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <optional>
#include <string_view>
#include <utility>

#include "config/yaml_scalar.h"
#include "internal/json_string.h"
#include "internal/text.h"

namespace otlpd::config {
namespace {

constexpr std::string_view kRedacted = "[REDACTED]";

bool IsEmpty(const Node& n) {
  return n.IsNull() || (n.IsScalar() && n.scalar().empty()) || (n.IsMap() && n.entries().empty()) ||
         (n.IsSequence() && n.items().empty());
}

// A secret as otelcol prints it: every value of a map of secrets (headers),
// or the one value, becomes "[REDACTED]".
Node Redact(const Node& n) {
  if (n.IsMap()) {
    Node out = Node::Map(n.mark());
    for (const Node::Entry& e : n.entries()) {
      out.Set(e.key, e.key_mark, Node::Scalar(std::string(kRedacted), e.value.mark(), true));
    }
    return out;
  }
  return Node::Scalar(std::string(kRedacted), n.mark(), true);
}

void SortKeys(Node& map) {
  std::stable_sort(map.entries().begin(), map.entries().end(),
                   [](const Node::Entry& a, const Node::Entry& b) { return a.key < b.key; });
}

Node Effective(const Node& node, const DecodeRecording& recording, bool redact);

// A value read at `key` of a map whose record is `section` (may be null).
// nullopt: leave the key out (an empty secret).
std::optional<Node> ValueAt(std::string_view key, const Node* given, const DecodedSection* section,
                            const DecodeRecording& recording, bool redact) {
  const bool opaque = section != nullptr && section->opaque.count(key) > 0;
  const DecodedSection::Default* d = section != nullptr ? section->Find(key) : nullptr;
  const Node* value = given;
  if ((value == nullptr || value->IsNull()) && d != nullptr && d->value) value = &*d->value;
  if (value == nullptr) {
    if (d == nullptr || d->section == nullptr) return std::nullopt;
    // A section decoded from nothing: its defaults alone.
    Node out = Node::Map(Mark{});
    for (const DecodedSection::Default& inner : d->section->defaults) {
      if (auto v = ValueAt(inner.key, nullptr, d->section.get(), recording, redact)) {
        out.Set(inner.key, Mark{}, std::move(*v));
      }
    }
    SortKeys(out);
    return out;
  }
  if (opaque) {
    if (IsEmpty(*value)) return std::nullopt;
    return redact ? Redact(*value) : *value;
  }
  return Effective(*value, recording, redact);
}

Node Effective(const Node& node, const DecodeRecording& recording, bool redact) {
  const DecodedSection* section = (node.IsMap() || node.IsNull()) ? recording.Find(&node) : nullptr;
  if (node.IsSequence()) {
    Node out = Node::Sequence(node.mark());
    for (const Node& item : node.items()) out.items().push_back(Effective(item, recording, redact));
    return out;
  }
  if (node.IsScalar() || (node.IsNull() && section == nullptr)) return node;
  Node out = Node::Map(node.mark());
  if (node.IsMap()) {
    for (const Node::Entry& e : node.entries()) {
      if (auto v = ValueAt(e.key, &e.value, section, recording, redact))
        out.Set(e.key, e.key_mark, std::move(*v));
    }
  }
  if (section != nullptr) {
    for (const DecodedSection::Default& d : section->defaults) {
      if (out.Find(d.key) != nullptr || (node.IsMap() && node.Find(d.key) != nullptr)) continue;
      if (auto v = ValueAt(d.key, nullptr, section, recording, redact)) out.Set(d.key, Mark{}, std::move(*v));
    }
  }
  SortKeys(out);
  return out;
}

bool IsNullText(std::string_view s) {
  return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL";
}

bool IsBoolText(std::string_view s) {
  for (std::string_view b : {"true", "True", "TRUE", "false", "False", "FALSE"}) {
    if (s == b) return true;
  }
  return false;
}

// A JSON number literal: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?
bool IsJsonNumber(std::string_view s) {
  AsciiScanner t{s};
  t.TakeAny("-");
  const std::size_t int_start = t.i;
  const std::size_t n = t.Digits();
  if (n == 0 || (n > 1 && s[int_start] == '0')) return false;
  if (t.TakeAny(".") && t.Digits() == 0) return false;
  return t.OptionalExponent() && t.AtEnd();
}

// How go-yaml v3 (otelcol's print-config: yaml.v3, indent 4) writes a
// scalar that holds a string: plain when the text reads back as that string
// and has no indicator that would change its meaning; otherwise single quotes,
// or double quotes when it would read back as another type or holds characters
// only escapes can write.
bool IsPrintable(unsigned char c) { return c == '\n' || (c >= 0x20 && c != 0x7f); }

// go-yaml's resolve(): whether a plain scalar with this text is something
// else than a string (null, bool, int, float), or one of the YAML 1.1 forms
// it quotes for older readers (yes/no/on/off, base-60 numbers).
bool ResolvesAsNonString(std::string_view s) {
  if (IsNullText(s) || GoYamlScalarType(s)) return true;
  static constexpr std::string_view kOld[] = {"y",  "Y",  "yes", "Yes", "YES", "n",   "N",   "no",
                                              "No", "NO", "on",  "On",  "ON",  "off", "Off", "OFF"};
  for (std::string_view o : kOld) {
    if (s == o) return true;
  }
  // YAML 1.1's base 60 numbers (190:20:30, 1:20.5), which go-yaml quotes.
  const bool base60 =
      !s.empty() && s.find(':') != std::string_view::npos &&
      std::isdigit(static_cast<unsigned char>(s.back())) != 0 && std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= '0' && c <= '9') || c == ':' || c == '.' || c == '_' || c == '-' || c == '+';
      });
  return base60 && std::isdigit(static_cast<unsigned char>(s[s[0] == '-' || s[0] == '+' ? 1 : 0])) != 0;
}

enum class Style { kPlain, kSingle, kDouble, kLiteral };

// go-yaml's choice for a string in block context (yaml_emitter_analyze_scalar
// and select_scalar_style, as encode.go's stringv asks for them).
Style StringStyle(std::string_view s) {
  if (s.find('\n') != std::string_view::npos) return Style::kLiteral;
  if (s.empty() || ResolvesAsNonString(s)) return Style::kDouble;
  bool special = false, indicators = false;
  if (s.substr(0, 3) == "---" || s.substr(0, 3) == "...") indicators = true;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool followed_by_space = i + 1 >= s.size() || s[i + 1] == ' ';
    const bool preceded_by_space = i == 0 || s[i - 1] == ' ';
    if (!IsPrintable(static_cast<unsigned char>(c))) special = true;
    if (i == 0) {
      if (std::string_view("#,[]{}&*!|>'\"%@`").find(c) != std::string_view::npos) indicators = true;
      if ((c == '?' || c == ':' || c == '-') && followed_by_space) indicators = true;
    } else {
      if (c == ':' && followed_by_space) indicators = true;
      if (c == '#' && preceded_by_space) indicators = true;
    }
  }
  if (special) return Style::kDouble;
  if (indicators || s.front() == ' ' || s.back() == ' ') return Style::kSingle;
  return Style::kPlain;
}

void AppendDoubleQuoted(std::string& out, std::string_view s) {
  out += '"';
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (ch) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\0': out += "\\0"; break;
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\x1b': out += "\\e"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02X", c);
          out += buf;
        } else {
          out += ch;
        }
    }
  }
  out += '"';
}

// A scalar after "key: " or "- " (at `indent`: where a literal block's lines go).
void AppendScalar(std::string& out, const Node& n, int indent) {
  const std::string& s = n.scalar();
  if (!n.quoted() && ResolvesAsNonString(s)) {
    out += s;  // a number, a boolean or null, as written
    return;
  }
  switch (StringStyle(s)) {
    case Style::kPlain: out += s; break;
    case Style::kSingle:
      out += '\'';
      for (char c : s) {
        out += c;
        if (c == '\'') out += '\'';
      }
      out += '\'';
      break;
    case Style::kDouble: AppendDoubleQuoted(out, s); break;
    case Style::kLiteral: {
      std::string_view rest = s;
      std::size_t trailing = 0;
      while (trailing < rest.size() && rest[rest.size() - 1 - trailing] == '\n') ++trailing;
      out += trailing == 0 ? "|-" : trailing == 1 ? "|" : "|+";
      if (trailing > 0) rest.remove_suffix(1);
      std::size_t start = 0;
      while (start <= rest.size()) {
        std::size_t nl = rest.find('\n', start);
        if (nl == std::string_view::npos) nl = rest.size();
        out += '\n';
        const std::string_view line = rest.substr(start, nl - start);
        if (!line.empty()) out += std::string(static_cast<std::size_t>(indent), ' ') + std::string(line);
        start = nl + 1;
      }
      break;
    }
  }
}

// go-yaml's indentation with indent 4: a block inside a block goes to the
// next multiple of 4, so the keys of a map inside a list item (two past the
// dash) have their own blocks four past the dash.
int ChildIndent(int indent) { return 4 * ((indent + 4) / 4); }

bool IsInline(const Node& n) {
  return n.IsNull() || n.IsScalar() || (n.IsMap() && n.entries().empty()) ||
         (n.IsSequence() && n.items().empty());
}

void AppendInline(std::string& out, const Node& n, int indent) {
  if (n.IsNull()) {
    out += "null";
  } else if (n.IsScalar()) {
    AppendScalar(out, n, indent);
  } else if (n.IsMap()) {
    out += "{}";
  } else {
    out += "[]";
  }
}

void AppendBlock(std::string& out, const Node& n, int indent, bool first_inline);

void AppendKey(std::string& out, const std::string& key) {
  const Style style = StringStyle(key);
  if (style == Style::kPlain) {
    out += key;
  } else if (style == Style::kSingle) {
    out += '\'';
    for (char c : key) {
      out += c;
      if (c == '\'') out += '\'';
    }
    out += '\'';
  } else {
    AppendDoubleQuoted(out, key);
  }
}

// A map's entries or a list's items at `indent`; with first_inline, the first
// line continues one already begun (after "- ").
void AppendBlock(std::string& out, const Node& n, int indent, bool first_inline) {
  const std::string pad(static_cast<std::size_t>(indent), ' ');
  bool first = true;
  auto begin_line = [&] {
    if (!(first && first_inline)) out += pad;
    first = false;
  };
  if (n.IsMap()) {
    for (const Node::Entry& e : n.entries()) {
      begin_line();
      AppendKey(out, e.key);
      out += ':';
      if (IsInline(e.value)) {
        out += ' ';
        AppendInline(out, e.value, ChildIndent(indent));
        out += '\n';
      } else {
        out += '\n';
        AppendBlock(out, e.value, ChildIndent(indent), false);
      }
    }
    return;
  }
  for (const Node& item : n.items()) {
    begin_line();
    out += "- ";
    if (IsInline(item)) {
      AppendInline(out, item, indent + 2);
      out += '\n';
    } else {
      AppendBlock(out, item, indent + 2, true);
    }
  }
}

// `open`, then each of the `count` members (written by `member(i)`) on a line
// of its own indented one level below `depth`, then `close`; "[]" or "{}"
// when empty, as Go's json.MarshalIndent with two spaces.
template <class Member>
void AppendJsonContainer(std::string& out, char open, char close, std::size_t count, int depth,
                         Member member) {
  out += open;
  if (count == 0) {
    out += close;
    return;
  }
  out += '\n';
  const std::string indent(static_cast<std::size_t>(depth + 1) * 2, ' ');
  for (std::size_t i = 0; i < count; ++i) {
    out += indent;
    member(i);
    out += i + 1 < count ? ",\n" : "\n";
  }
  out.append(static_cast<std::size_t>(depth) * 2, ' ');
  out += close;
}

void AppendJson(std::string& out, const Node& n, int depth) {
  switch (n.kind()) {
    case Node::Kind::kNull: out += "null"; break;
    case Node::Kind::kScalar: {
      const std::string& s = n.scalar();
      if (!n.quoted() && IsNullText(s)) {
        out += "null";
      } else if (!n.quoted() && IsBoolText(s)) {
        out += (s[0] == 't' || s[0] == 'T') ? "true" : "false";
      } else if (!n.quoted() && IsJsonNumber(s)) {
        out += s;
      } else {
        AppendGoJsonString(out, s, JsonHtml::kEscape);
      }
      break;
    }
    case Node::Kind::kSequence:
      AppendJsonContainer(out, '[', ']', n.items().size(), depth,
                          [&](std::size_t i) { AppendJson(out, n.items()[i], depth + 1); });
      break;
    case Node::Kind::kMap:
      AppendJsonContainer(out, '{', '}', n.entries().size(), depth, [&](std::size_t i) {
        AppendGoJsonString(out, n.entries()[i].key, JsonHtml::kEscape);
        out += ": ";
        AppendJson(out, n.entries()[i].value, depth + 1);
      });
      break;
  }
}

}  // namespace

Node EffectiveConfig(const Node& root, const DecodeRecording& recording, bool redact) {
  return Effective(root, recording, redact);
}

std::string EmitYaml(const Node& node) {
  std::string out;
  if (IsInline(node)) {
    AppendInline(out, node, 0);
    return out + "\n";
  }
  AppendBlock(out, node, 0, false);
  return out;
}

std::string EmitJson(const Node& node) {
  std::string out;
  AppendJson(out, node, 0);
  out += "\n";
  return out;
}

}  // namespace otlpd::config
