#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace otlpd::config {

// Where a value came from, for error messages: file, 1-based line and column.
struct Mark {
  std::shared_ptr<const std::string> file;  // "config.yaml", "--set", "env:VAR", ...
  int line = 0;
  int column = 0;

  std::string ToString() const;  // "file:line:col"
};

// otlpd's own config tree. Loaded from YAML with every node's Mark kept, so that
// merging several --config files, --set and ${env:...} expansion never lose the
// location an error must name.
class Node {
 public:
  enum class Kind { kNull, kScalar, kSequence, kMap };
  struct Entry;

  Node() = default;
  static Node Null(Mark mark);
  static Node Scalar(std::string value, Mark mark, bool quoted = false);
  static Node Sequence(Mark mark);
  static Node Map(Mark mark);

  Kind kind() const { return kind_; }
  bool IsNull() const { return kind_ == Kind::kNull; }
  bool IsScalar() const { return kind_ == Kind::kScalar; }
  bool IsSequence() const { return kind_ == Kind::kSequence; }
  bool IsMap() const { return kind_ == Kind::kMap; }
  const Mark& mark() const { return mark_; }

  // Scalars. quoted() is true when the YAML source quoted it ("5" is a string,
  // 5 is a number); an env expansion result is typed as YAML would type it.
  const std::string& scalar() const { return scalar_; }
  bool quoted() const { return quoted_; }

  // A value that was one lone ${...} reference: typed as YAML types the text
  // it expanded to (a number, a map, ...), and keeping that text, which a
  // string option takes whatever its type, as confmap does (its expandedValue
  // keeps the original for string targets). Any kind of node.
  bool expanded() const { return expanded_; }
  const std::string& expanded_text() const { return expanded_text_; }
  void SetExpandedText(std::string text);

  // Sequences.
  const std::vector<Node>& items() const { return items_; }
  std::vector<Node>& items() { return items_; }

  // Maps, in source order. Keys are unique (later merges replace).
  const std::vector<Entry>& entries() const { return entries_; }
  std::vector<Entry>& entries() { return entries_; }
  const Node* Find(std::string_view key) const;
  Node* Find(std::string_view key);
  // Sets key to value, replacing an existing entry in place.
  void Set(std::string key, Mark key_mark, Node value);

  // Human-readable kind for messages: "a map", "a list", "a value", "nothing".
  std::string_view KindName() const;

 private:
  Kind kind_ = Kind::kNull;
  Mark mark_;
  std::string scalar_;
  bool quoted_ = false;
  bool expanded_ = false;
  std::string expanded_text_;
  std::vector<Node> items_;
  std::vector<Entry> entries_;
};

struct Node::Entry {
  std::string key;
  Mark key_mark;
  Node value;
};

}  // namespace otlpd::config
