// Compiles parsed OTTL into closures bound to one context: paths become typed
// accessors of the OTLP messages, function calls are checked against their
// signatures, literal arguments are evaluated once. Everything that can be
// refused is refused here, at config time (SyntaxError with the offset).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "internal/signal.h"
#include "ottl/ast.h"
#include "ottl/context.h"
#include "ottl/parser.h"
#include "ottl/value.h"

namespace otlpd::ottl {

using Getter = std::function<Result<Value>(EvalContext&)>;
using Editor = std::function<Status(EvalContext&)>;
using Predicate = std::function<Result<bool>(EvalContext&)>;

// A path used where something is written: set's target, an editor's map.
struct Target {
  Getter get;
  std::function<Status(EvalContext&, const Value&)> set;  // null: read-only path
  // The map a Map-typed path designates, for editors that change it in place
  // (delete_key, keep_keys, ...). Null when the path is not map-typed.
  std::function<Result<Attrs*>(EvalContext&)> map;
  std::string text;
};

class Statement {
 public:
  Statement(std::string text, Editor editor, Predicate where)
      : text_(std::move(text)), editor_(std::move(editor)), where_(std::move(where)) {}
  // Runs the editor when the where clause (if any) is true.
  Status Execute(EvalContext& ctx) const;
  const std::string& text() const { return text_; }

 private:
  std::string text_;
  Editor editor_;
  Predicate where_;  // null: always
};

class Condition {
 public:
  Condition(std::string text, Predicate eval, std::optional<std::vector<std::string>> gate = std::nullopt)
      : text_(std::move(text)), eval_(std::move(eval)), gate_(std::move(gate)) {}
  Result<bool> Eval(EvalContext& ctx) const { return eval_(ctx); }
  const std::string& text() const { return text_; }

  // Strings one of which must occur, byte for byte, in an item's serialized
  // form for the condition to be true, and without which it evaluates to
  // false without an error: set for a path that holds a string as received
  // (`name`, `attributes["k"]`, `body`, ...) compared `==` to a non-empty
  // literal, `or` of such conditions, and `and` whose first operand is one
  // (evaluation stops there). A request containing none of them cannot
  // match, so it needs no decoding. Null when the condition has no such form.
  const std::vector<std::string>* literal_gate() const { return gate_ ? &*gate_ : nullptr; }

 private:
  std::string text_;
  Predicate eval_;
  std::optional<std::vector<std::string>> gate_;
};

// Both throw SyntaxError. Paths without a context prefix get `context`'s.
Statement CompileStatement(std::string_view text, ContextKind context);
Condition CompileCondition(std::string_view text, ContextKind context);
// A value expression (tests; routing's statements later).
Getter CompileValue(std::string_view text, ContextKind context);

// otelcol's context inference (§1.9): the most specific context named by a
// path prefix in any of the texts, among those `signal` has; throws
// SyntaxError(-1, ...) when no path names one.
ContextKind InferContext(Signal signal, const std::vector<std::string>& statements,
                         const std::vector<std::string>& conditions);

enum class ErrorMode { kIgnore, kSilent, kPropagate };
// Case-insensitive; nullopt for anything else.
std::optional<ErrorMode> ParseErrorMode(std::string_view text);

}  // namespace otlpd::ottl
