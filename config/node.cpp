#include "config/node.h"

#include "config/error.h"

namespace otlpd::config {

std::string Mark::ToString() const {
  std::string out = file ? *file : std::string("<config>");
  if (line > 0) out += ":" + std::to_string(line) + ":" + std::to_string(column);
  return out;
}

Node Node::Null(Mark mark) {
  Node n;
  n.mark_ = std::move(mark);
  return n;
}

Node Node::Scalar(std::string value, Mark mark, bool quoted) {
  Node n;
  n.kind_ = Kind::kScalar;
  n.mark_ = std::move(mark);
  n.scalar_ = std::move(value);
  n.quoted_ = quoted;
  return n;
}

Node Node::Sequence(Mark mark) {
  Node n;
  n.kind_ = Kind::kSequence;
  n.mark_ = std::move(mark);
  return n;
}

Node Node::Map(Mark mark) {
  Node n;
  n.kind_ = Kind::kMap;
  n.mark_ = std::move(mark);
  return n;
}

void Node::SetExpandedText(std::string text) {
  expanded_ = true;
  expanded_text_ = std::move(text);
}

const Node* Node::Find(std::string_view key) const {
  for (const Entry& e : entries_) {
    if (e.key == key) return &e.value;
  }
  return nullptr;
}

Node* Node::Find(std::string_view key) {
  for (Entry& e : entries_) {
    if (e.key == key) return &e.value;
  }
  return nullptr;
}

void Node::Set(std::string key, Mark key_mark, Node value) {
  if (kind_ != Kind::kMap) {
    kind_ = Kind::kMap;
    scalar_.clear();
    items_.clear();
    expanded_ = false;
    expanded_text_.clear();
  }
  for (Entry& e : entries_) {
    if (e.key == key) {
      e.key_mark = std::move(key_mark);
      e.value = std::move(value);
      return;
    }
  }
  entries_.push_back(Entry{std::move(key), std::move(key_mark), std::move(value)});
}

std::string_view Node::KindName() const {
  switch (kind_) {
    case Kind::kNull: return "nothing";
    case Kind::kScalar: return "a value";
    case Kind::kSequence: return "a list";
    case Kind::kMap: return "a map";
  }
  return "unknown";
}

namespace {
std::string Format(const Mark& mark, std::string_view path, std::string_view message) {
  std::string out = mark.ToString();
  out += ": ";
  if (!path.empty()) {
    out += path;
    out += ": ";
  }
  out += message;
  return out;
}
}  // namespace

Error::Error(const Mark& mark, std::string_view path, std::string_view message)
    : std::runtime_error(Format(mark, path, message)) {}

}  // namespace otlpd::config
