#include "config/loader.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <unordered_set>

#include <yaml-cpp/yaml.h>

#include "config/error.h"

namespace otlpd::config {
namespace {

// yaml-cpp builds a graph, not a tree: aliases share nodes and `&a [*a]` is a
// cycle. Converting expands aliases, so depth and size are bounded to turn
// alias bombs and cycles into errors instead of exhausted memory or stack.
constexpr int kMaxDepth = 256;
constexpr std::size_t kMaxNodes = 250000;
// Nodes alone do not bound memory: one alias to a 64 KiB scalar repeated 125k
// times is 8 GiB of text in few nodes. So the text (keys, scalars, and what
// ${...} expands to) counts too, plus a node's own size, against this budget;
// real configs are kilobytes.
constexpr std::size_t kMaxBytes = std::size_t{32} << 20;
constexpr std::size_t kNodeBytes = 64;
// ${env:${env:X}} nests; deeper than this is not a config anyone writes.
constexpr int kMaxReferenceDepth = 8;

std::string Quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

std::shared_ptr<const std::string> FileName(std::string name) {
  return std::make_shared<const std::string>(std::move(name));
}

class Converter {
 public:
  // With fixed_mark set, every node gets that mark: used for YAML that came
  // out of an env variable, whose own line numbers mean nothing to the user.
  Converter(std::shared_ptr<const std::string> file, const Mark* fixed_mark)
      : file_(std::move(file)), fixed_mark_(fixed_mark) {}

  Node Convert(const YAML::Node& n, const Mark& fallback, int depth) {
    const Mark mark = MarkOf(n.Mark(), fallback);
    if (depth > kMaxDepth) {
      throw Error(mark, "",
                  "nesting is deeper than " + std::to_string(kMaxDepth) + " levels (a recursive alias?)");
    }
    if (++nodes_ > kMaxNodes) {
      throw Error(mark, "", "more than " + std::to_string(kMaxNodes) + " nodes (aliases expanding too far?)");
    }
    Spend(kNodeBytes + (n.Type() == YAML::NodeType::Scalar ? n.Scalar().size() : 0), mark);
    switch (n.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null: return Node::Null(mark);
      case YAML::NodeType::Scalar: {
        // yaml-cpp tags every non-plain scalar (quoted, literal, folded) "!".
        const std::string& tag = n.Tag();
        const bool quoted = tag == "!" || tag == "tag:yaml.org,2002:str";
        return Node::Scalar(n.Scalar(), mark, quoted);
      }
      case YAML::NodeType::Sequence: {
        Node seq = Node::Sequence(mark);
        for (const YAML::Node& item : n) seq.items().push_back(Convert(item, mark, depth + 1));
        return seq;
      }
      case YAML::NodeType::Map: {
        Node map = Node::Map(mark);
        std::unordered_set<std::string> seen;
        for (auto it = n.begin(); it != n.end(); ++it) {
          const Mark key_mark = MarkOf(it->first.Mark(), mark);
          if (!it->first.IsScalar()) {
            throw Error(key_mark, "", "a map key must be a plain value, got " + KindName(it->first));
          }
          Spend(it->first.Scalar().size(), key_mark);
          std::string key = it->first.Scalar();
          if (!seen.insert(key).second) throw Error(key_mark, key, "duplicate key " + Quote(key));
          Node value = Convert(it->second, key_mark, depth + 1);
          // yaml-cpp marks an empty value at the next token, often the next
          // key's line; the key itself is the useful place to point at.
          if (value.IsNull()) value = Node::Null(key_mark);
          map.entries().push_back(Node::Entry{std::move(key), key_mark, std::move(value)});
        }
        return map;
      }
    }
    return Node::Null(mark);
  }

 private:
  // Counted before the copy is made, so the error comes instead of the allocation.
  void Spend(std::size_t bytes, const Mark& mark) {
    bytes_ += bytes;
    if (bytes_ > kMaxBytes) {
      throw Error(mark, "",
                  "the config expands to more than " + std::to_string(kMaxBytes >> 20) +
                      " MiB (aliases repeating large values?)");
    }
  }

  static std::string KindName(const YAML::Node& n) {
    if (n.IsMap()) return "a map";
    if (n.IsSequence()) return "a list";
    return "nothing";
  }

  Mark MarkOf(const YAML::Mark& m, const Mark& fallback) const {
    if (fixed_mark_ != nullptr) return *fixed_mark_;
    if (m.line < 0 || m.column < 0) return fallback;
    return Mark{file_, m.line + 1, m.column + 1};
  }

  std::shared_ptr<const std::string> file_;
  const Mark* fixed_mark_;
  std::size_t nodes_ = 0;
  std::size_t bytes_ = 0;
};

Node ParseYamlWithMark(std::string_view text, std::shared_ptr<const std::string> file,
                       const Mark* fixed_mark) {
  const Mark start = fixed_mark != nullptr ? *fixed_mark : Mark{file, 1, 1};
  try {
    YAML::Node doc = YAML::Load(std::string(text));
    Converter converter(file, fixed_mark);
    return converter.Convert(doc, start, 0);
  } catch (const YAML::Exception& e) {
    Mark m = start;
    if (fixed_mark == nullptr && e.mark.line >= 0) m = Mark{file, e.mark.line + 1, e.mark.column + 1};
    throw Error(m, "", "invalid YAML: " + e.msg);
  }
}

bool IsSchemeChar(char c, bool first) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  if (first) return false;
  return (c >= '0' && c <= '9') || c == '+' || c == '.' || c == '-';
}

// otelcol's URI scheme rule: [A-Za-z][A-Za-z0-9+.-]+ (two characters or more).
bool IsScheme(std::string_view s) {
  if (s.size() < 2) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (!IsSchemeChar(s[i], i == 0)) return false;
  }
  return true;
}

bool IsEnvName(std::string_view s) {
  if (s.empty()) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    if (!alpha && (i == 0 || c < '0' || c > '9')) return false;
  }
  return true;
}

std::string ReadFile(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) throw Error("cannot read config file " + Quote(path) + ": " + std::strerror(errno));
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> closer(f, &std::fclose);
  std::string out;
  char buf[65536];
  while (true) {
    const std::size_t n = std::fread(buf, 1, sizeof(buf), f);
    out.append(buf, n);
    if (n < sizeof(buf)) break;
  }
  if (std::ferror(f)) throw Error("cannot read config file " + Quote(path) + ": " + std::strerror(errno));
  return out;
}

// confmap turns top-level keys such as "a::b::c" (from --set and yaml: URIs)
// into nested maps.
void NestColonKeys(Node& root) {
  if (!root.IsMap()) return;
  bool any = false;
  for (const Node::Entry& e : root.entries()) any = any || e.key.find("::") != std::string::npos;
  if (!any) return;
  Node out = Node::Map(root.mark());
  for (Node::Entry& e : root.entries()) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (true) {
      const std::size_t sep = e.key.find("::", start);
      parts.push_back(e.key.substr(start, sep == std::string::npos ? std::string::npos : sep - start));
      if (sep == std::string::npos) break;
      start = sep + 2;
    }
    Node* cur = &out;
    for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
      if (parts[i].empty()) throw Error(e.key_mark, e.key, "empty segment in key " + Quote(e.key));
      Node* sub = cur->Find(parts[i]);
      if (sub == nullptr || !sub->IsMap()) {
        cur->Set(parts[i], e.key_mark, Node::Map(e.key_mark));
        sub = cur->Find(parts[i]);
      }
      cur = sub;
    }
    const std::string& leaf = parts.back();
    if (leaf.empty() && parts.size() > 1)
      throw Error(e.key_mark, e.key, "empty segment in key " + Quote(e.key));
    Node* existing = cur->Find(leaf);
    if (existing != nullptr && existing->IsMap() && e.value.IsMap()) {
      Merge(*existing, e.value);
    } else {
      cur->Set(leaf, e.key_mark, std::move(e.value));
    }
  }
  root = std::move(out);
}

// A config source must be a map of sections; an empty one contributes nothing.
Node AsTopLevel(Node n) {
  if (n.IsNull()) return Node::Map(n.mark());
  if (!n.IsMap())
    throw Error(n.mark(), "", "a config must be a map of sections, got " + std::string(n.KindName()));
  NestColonKeys(n);
  return n;
}

Node LoadUri(const std::string& uri, const EnvLookup& env, std::vector<std::string>* warnings) {
  const std::size_t colon = uri.find(':');
  std::string scheme;
  if (colon != std::string::npos && IsScheme(std::string_view(uri).substr(0, colon)))
    scheme = uri.substr(0, colon);
  if (scheme.empty()) return AsTopLevel(ParseYaml(ReadFile(uri), uri));
  const std::string rest = uri.substr(colon + 1);
  if (scheme == "file") return AsTopLevel(ParseYaml(ReadFile(rest), rest));
  if (scheme == "yaml") return AsTopLevel(ParseYaml(rest, uri));
  if (scheme == "env") {
    if (!IsEnvName(rest)) {
      throw Error("--config " + Quote(uri) + ": environment variable " + Quote(rest) +
                  " has invalid name: must match ^[a-zA-Z_][a-zA-Z0-9_]*$");
    }
    std::optional<std::string> value = env(rest);
    if (!value && warnings != nullptr) {
      warnings->push_back("--config " + uri + ": environment variable " + Quote(rest) +
                          " is not set; it contributes no configuration");
    }
    return AsTopLevel(ParseYaml(value.value_or(""), uri));
  }
  if (scheme == "http" || scheme == "https") {
    throw Error("--config " + Quote(uri) + ": the " + scheme +
                " config source is not supported (use a file, env: or yaml: source)");
  }
  throw Error("--config " + Quote(uri) + ": scheme " + Quote(scheme) +
              " is not supported (supported: file:, env:, yaml: or a plain path)");
}

std::string TrimSpace(std::string_view s) {
  auto space = [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
  };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return std::string(s);
}

Node ParseSet(const std::string& flag) {
  const std::size_t eq = flag.find('=');
  if (eq == std::string::npos)
    throw Error("--set " + Quote(flag) + ": missing \"=\" (expected --set key.path=value)");
  std::string key = TrimSpace(std::string_view(flag).substr(0, eq));
  if (key.empty()) throw Error("--set " + Quote(flag) + ": empty key (expected --set key.path=value)");
  for (std::size_t pos = 0; (pos = key.find('.', pos)) != std::string::npos; pos += 2)
    key.replace(pos, 1, "::");
  const std::string value = TrimSpace(std::string_view(flag).substr(eq + 1));
  return AsTopLevel(ParseYaml(key + ": " + value, "--set"));
}

// Expands ${...} in one scalar. otelcol's rules: `$$` is `$`; a `${` preceded
// by an odd run of `$` (counting its own) is a reference, an even run escapes it;
// a `${` with no closing `}` is left as text.
class Expander {
 public:
  Expander(const EnvLookup& env, std::vector<std::string>* warnings, const Mark& mark,
           const std::string& path)
      : env_(env), warnings_(warnings), mark_(mark), path_(path) {}

  std::string Run(std::string_view text) {
    std::string out;
    std::size_t i = 0;
    while (i < text.size()) {
      if (text[i] != '$') {
        out += text[i++];
        continue;
      }
      std::size_t run = 0;
      while (i + run < text.size() && text[i + run] == '$') ++run;
      const std::size_t after = i + run;
      if (run % 2 == 1 && after < text.size() && text[after] == '{') {
        out.append(run / 2, '$');
        std::size_t end = 0;
        std::string value;
        if (ParseReference(text, after + 1, 0, &end, &value)) {
          ++references_;
          whole_ = after == 1 && end == text.size();
          out += value;
          i = end;
          continue;
        }
        // Unterminated: the `$` stays and scanning goes on inside, as otelcol
        // would still expand a complete reference nested in there.
        out += '$';
        i = after;
        continue;
      }
      out.append(run / 2 + run % 2, '$');
      i = after;
    }
    return out;
  }

  int references() const { return references_; }
  // The scalar was exactly one ${...}: its value keeps its YAML type.
  bool whole() const { return whole_ && references_ == 1; }

 private:
  // Reads the reference body starting at pos (just past "${"); on success
  // sets *end past the closing '}' and *value to the expansion.
  bool ParseReference(std::string_view text, std::size_t pos, int depth, std::size_t* end,
                      std::string* value) {
    std::string body;
    bool stray_dollar = false;
    while (pos < text.size()) {
      const char c = text[pos];
      if (c == '}') {
        const std::string ref = "${" + body + "}";
        if (stray_dollar) Fail("the reference " + Quote(ref) + " contains unsupported characters ('$')");
        *end = pos + 1;
        *value = Resolve(body, ref);
        return true;
      }
      if (c == '$' && pos + 1 < text.size() && text[pos + 1] == '{') {
        if (depth + 1 > kMaxReferenceDepth) Fail("references are nested too deeply");
        std::size_t inner_end = 0;
        std::string inner;
        if (!ParseReference(text, pos + 2, depth + 1, &inner_end, &inner)) return false;
        body += inner;
        pos = inner_end;
        continue;
      }
      if (c == '$') stray_dollar = true;
      body += c;
      ++pos;
    }
    return false;
  }

  std::string Resolve(const std::string& body, const std::string& ref) {
    std::string_view scheme = "env";
    std::string_view opaque = body;
    if (const std::size_t colon = body.find(':'); colon != std::string::npos) {
      scheme = std::string_view(body).substr(0, colon);
      opaque = std::string_view(body).substr(colon + 1);
      if (!IsScheme(scheme)) Fail("invalid reference " + Quote(ref) + ": bad scheme " + Quote(scheme));
    }
    if (scheme != "env") {
      if (scheme == "file" || scheme == "yaml" || scheme == "http" || scheme == "https") {
        Fail("the " + std::string(scheme) + " provider in " + Quote(ref) +
             " is not supported (otlpd expands only ${env:NAME} and ${NAME})");
      }
      std::string message = "scheme " + Quote(scheme) + " is not supported in " + Quote(ref);
      if (opaque.starts_with("-")) {
        message += " (a default needs the env scheme: ${env:" + std::string(scheme) + ":" +
                   std::string(opaque) + "})";
      }
      Fail(message);
    }
    std::string_view name = opaque;
    std::optional<std::string_view> fallback;
    if (const std::size_t sep = opaque.find(":-"); sep != std::string_view::npos) {
      name = opaque.substr(0, sep);
      fallback = opaque.substr(sep + 2);
    }
    if (!IsEnvName(name)) {
      Fail("environment variable " + Quote(name) + " in " + Quote(ref) +
           " has invalid name: must match ^[a-zA-Z_][a-zA-Z0-9_]*$");
    }
    if (std::optional<std::string> v = env_(name)) return *v;
    if (fallback) return std::string(*fallback);
    if (warnings_ != nullptr) {
      warnings_->push_back(
          Error(mark_, path_, "environment variable " + Quote(name) + " is not set; using \"\"").what());
    }
    return "";
  }

  [[noreturn]] void Fail(const std::string& message) const { throw Error(mark_, path_, message); }

  const EnvLookup& env_;
  std::vector<std::string>* warnings_;
  const Mark& mark_;
  const std::string& path_;
  int references_ = 0;
  bool whole_ = false;
};

// What ${...} adds to the text, across a whole Load: an alias repeating a
// reference to a large variable must not expand without end either.
struct ExpandBudget {
  std::size_t added = 0;
};

void ExpandScalar(Node& node, const std::string& path, const EnvLookup& env,
                  std::vector<std::string>* warnings, ExpandBudget& budget) {
  if (node.scalar().find('$') == std::string::npos) return;
  const Mark mark = node.mark();
  Expander expander(env, warnings, mark, path);
  std::string text = expander.Run(node.scalar());
  if (text.size() > node.scalar().size()) {
    budget.added += text.size() - node.scalar().size();
    if (budget.added > kMaxBytes) {
      throw Error(
          mark, path,
          "${...} references expand the config to more than " + std::to_string(kMaxBytes >> 20) + " MiB");
    }
  }
  if (expander.references() == 0) {
    node = Node::Scalar(std::move(text), mark, node.quoted());
    return;
  }
  if (!expander.whole()) {
    node = Node::Scalar(std::move(text), mark, true);
    return;
  }
  // A lone reference is typed as YAML would type its value, and a value that
  // is itself a YAML map or list becomes one (as confmap does).
  // Either way it keeps its text for a string option.
  Node typed;
  try {
    typed = ParseYamlWithMark(text, mark.file, &mark);
  } catch (const Error&) {
    node = Node::Scalar(text, mark, true);
    node.SetExpandedText(std::move(text));
    return;
  }
  if (typed.IsMap() || typed.IsSequence()) {
    node = std::move(typed);
  } else {
    node = Node::Scalar(text, mark, false);
  }
  node.SetExpandedText(std::move(text));
}

void Expand(Node& node, const std::string& path, const EnvLookup& env, std::vector<std::string>* warnings,
            ExpandBudget& budget) {
  switch (node.kind()) {
    case Node::Kind::kScalar: ExpandScalar(node, path, env, warnings, budget); break;
    case Node::Kind::kSequence:
      for (std::size_t i = 0; i < node.items().size(); ++i) {
        Expand(node.items()[i], path + "[" + std::to_string(i) + "]", env, warnings, budget);
      }
      break;
    case Node::Kind::kMap:
      for (Node::Entry& e : node.entries())
        Expand(e.value, path.empty() ? e.key : path + "." + e.key, env, warnings, budget);
      break;
    case Node::Kind::kNull: break;
  }
}

}  // namespace

EnvLookup ProcessEnv() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* v = std::getenv(std::string(name).c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

Node ParseYaml(std::string_view text, std::string source) {
  return ParseYamlWithMark(text, FileName(std::move(source)), nullptr);
}

void Merge(Node& base, const Node& over) {
  if (!base.IsMap() || !over.IsMap()) {
    base = over;
    return;
  }
  for (const Node::Entry& e : over.entries()) {
    Node* existing = base.Find(e.key);
    if (existing != nullptr && existing->IsMap() && e.value.IsMap()) {
      Merge(*existing, e.value);
    } else {
      base.Set(e.key, e.key_mark, e.value);
    }
  }
}

Node Load(const LoadOptions& options, std::vector<std::string>* warnings) {
  const EnvLookup env = options.env ? options.env : ProcessEnv();
  std::vector<Node> sources;
  if (options.config_uris.empty()) {
    sources.push_back(AsTopLevel(ParseYaml(options.default_yaml, "<default config>")));
  }
  for (const std::string& uri : options.config_uris) sources.push_back(LoadUri(uri, env, warnings));
  for (const std::string& flag : options.set_flags) sources.push_back(ParseSet(flag));
  Node root = std::move(sources.front());
  for (std::size_t i = 1; i < sources.size(); ++i) Merge(root, sources[i]);
  ExpandBudget budget;
  Expand(root, "", env, warnings, budget);
  return root;
}

}  // namespace otlpd::config
