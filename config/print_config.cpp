#include "config/print_config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <optional>
#include <string_view>
#include <utility>

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

// Whether a plain scalar with this text reads back as something other than a
// string (then a string with this text must be quoted).
bool ReadsAsNonString(std::string_view s) {
  if (IsNullText(s) || IsBoolText(s)) return true;
  if (s == ".inf" || s == "-.inf" || s == "+.inf" || s == ".nan" || s == ".Inf" || s == ".NaN") return true;
  if (s.empty()) return true;
  const char c = s.front();
  // Every YAML number starts with a digit, a sign or a dot; quoting such a
  // string that is not a number costs nothing.
  return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.';
}

// A sequence or a map: `[]` or `{}` when empty, else block style around what
// `members` emits.
template <class Members>
void EmitContainer(YAML::Emitter& out, YAML::EMITTER_MANIP begin, YAML::EMITTER_MANIP end, bool empty,
                   Members members) {
  if (empty) {
    out << YAML::Flow << begin << end;
    return;
  }
  out << begin;
  members();
  out << end;
}

void Emit(YAML::Emitter& out, const Node& n) {
  switch (n.kind()) {
    case Node::Kind::kNull: out << YAML::Null; break;
    case Node::Kind::kScalar:
      if (n.quoted() && ReadsAsNonString(n.scalar())) {
        out << YAML::DoubleQuoted << n.scalar();
      } else {
        out << n.scalar();
      }
      break;
    case Node::Kind::kSequence:
      EmitContainer(out, YAML::BeginSeq, YAML::EndSeq, n.items().empty(), [&] {
        for (const Node& item : n.items()) Emit(out, item);
      });
      break;
    case Node::Kind::kMap:
      EmitContainer(out, YAML::BeginMap, YAML::EndMap, n.entries().empty(), [&] {
        for (const Node::Entry& e : n.entries()) {
          out << YAML::Key << e.key << YAML::Value;
          Emit(out, e.value);
        }
      });
      break;
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
  YAML::Emitter out;
  out.SetNullFormat(YAML::LowerNull);
  out.SetIndent(4);
  Emit(out, node);
  std::string text = out.c_str();
  text += "\n";
  return text;
}

std::string EmitJson(const Node& node) {
  std::string out;
  AppendJson(out, node, 0);
  out += "\n";
  return out;
}

}  // namespace otlpd::config
