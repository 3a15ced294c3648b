#include "ottl/config.h"

#include <spdlog/spdlog.h>

#include "config/error.h"
#include "internal/text.h"

namespace otlpd::ottl {
namespace {

std::string Item(const std::string& path, std::size_t i) { return path + "[" + std::to_string(i) + "]"; }

}  // namespace

std::vector<LocatedText> DecodeTextList(const config::Node& node, const std::string& path) {
  std::vector<LocatedText> out;
  if (node.IsNull()) return out;
  if (!node.IsSequence()) {
    throw config::Error(node.mark(), path,
                        "invalid type, expected: array, got: " + std::string(node.KindName()));
  }
  for (std::size_t i = 0; i < node.items().size(); ++i) {
    const config::Node& item = node.items()[i];
    if (item.IsNull()) throw config::Error(item.mark(), Item(path, i), "condition cannot be empty");
    if (!item.IsScalar()) {
      throw config::Error(item.mark(), Item(path, i),
                          "expected a string, got " + std::string(item.KindName()));
    }
    out.push_back(LocatedText{item.scalar(), item.mark(), Item(path, i)});
  }
  return out;
}

Statement CompileStatementAt(const LocatedText& t, ContextKind context) {
  try {
    return CompileStatement(t.text, context);
  } catch (const SyntaxError& e) {
    throw config::Error(t.mark, t.path, e.what());
  }
}

Condition CompileConditionAt(const LocatedText& t, ContextKind context) {
  try {
    return CompileCondition(t.text, context);
  } catch (const SyntaxError& e) {
    throw config::Error(t.mark, t.path, e.what());
  }
}

std::optional<ErrorMode> DecodeErrorMode(config::MapDecoder& d, std::string_view key) {
  std::string text;
  if (!d.Optional(key, text)) return std::nullopt;
  auto mode = ParseErrorMode(text);
  if (!mode) d.Fail(key, "unknown error mode " + text);
  return mode;
}

std::vector<Group> DecodeGroups(const config::Node& node, const std::string& path, bool statements) {
  std::vector<Group> groups;
  if (node.IsNull()) return groups;
  if (!node.IsSequence()) {
    throw config::Error(node.mark(), path,
                        "invalid type, expected: array, got: " + std::string(node.KindName()));
  }
  static const std::string kMixed =
      "configuring multiple configuration styles is not supported, please use only Basic configuration or "
      "only "
      "Advanced configuration";
  Group flat;
  flat.mark = node.mark();
  flat.path = path;
  bool saw_string = false;
  for (std::size_t i = 0; i < node.items().size(); ++i) {
    const config::Node& item = node.items()[i];
    const std::string item_path = Item(path, i);
    if (item.IsNull()) {
      throw config::Error(item.mark(), item_path,
                          statements ? "invalid " + path.substr(path.rfind('.') + 1) +
                                           " item: empty statement list items are not supported"
                                     : std::string("condition cannot be empty"));
    }
    if (item.IsScalar()) {
      saw_string = true;
      (statements ? flat.statements : flat.conditions)
          .push_back(LocatedText{item.scalar(), item.mark(), item_path});
      continue;
    }
    if (!item.IsMap()) throw config::Error(item.mark(), item_path, "expected a string or a map");
    // A map after a string is refused; strings after maps are tolerated
    // and form a trailing group (otelcol's transform does the same).
    if (saw_string) throw config::Error(item.mark(), item_path, kMixed);
    config::MapDecoder d(item, item_path);
    Group g;
    g.mark = item.mark();
    g.path = item_path;
    std::string context;
    if (d.Optional("context", context)) {
      const std::string lower = AsciiLower(context);
      auto kind = ContextFromName(lower);
      const bool allowed = kind && lower != "instrumentation_scope";
      if (!allowed) d.Fail("context", "unknown context " + context);
      g.context = kind;
    }
    if (const config::Node* n = d.Take("conditions"))
      g.conditions = DecodeTextList(*n, d.KeyPath("conditions"));
    if (statements) {
      if (const config::Node* n = d.Take("statements"))
        g.statements = DecodeTextList(*n, d.KeyPath("statements"));
      bool shared = false;
      if (d.Optional("shared_cache", shared) && shared) {
        d.Fail("shared_cache", "is not supported by otlpd (each item gets its own cache)");
      }
    }
    g.error_mode = DecodeErrorMode(d, "error_mode");
    d.Finish();
    groups.push_back(std::move(g));
  }
  if (saw_string) groups.push_back(std::move(flat));
  return groups;
}

ContextKind GroupContext(const Group& g, Signal signal) {
  if (g.context) return *g.context;
  std::vector<std::string> statements, conditions;
  for (const auto& t : g.statements) statements.push_back(t.text);
  for (const auto& t : g.conditions) conditions.push_back(t.text);
  try {
    return InferContext(signal, statements, conditions);
  } catch (const SyntaxError& e) {
    // Parse errors point at the text; inference errors at the group.
    const std::vector<LocatedText>& all = g.statements.empty() ? g.conditions : g.statements;
    for (const LocatedText& t : all) {
      try {
        if (&all == &g.statements) {
          (void)ParseStatement(t.text);
        } else {
          (void)ParseCondition(t.text);
        }
      } catch (const SyntaxError& inner) {
        throw config::Error(t.mark, t.path, inner.what());
      }
    }
    for (const LocatedText& t : g.conditions) {
      try {
        (void)ParseCondition(t.text);
      } catch (const SyntaxError& inner) {
        throw config::Error(t.mark, t.path, inner.what());
      }
    }
    throw config::Error(g.mark, g.path, e.what());
  }
}

void WarnIgnored(ErrorMode mode, std::string_view what, const std::string& text, const Status& error) {
  if (mode == ErrorMode::kIgnore) {
    spdlog::warn("failed to {}: {}, {} (error_mode: ignore)", what, text, error.message());
  }
}

}  // namespace otlpd::ottl
