// OTTL's functions (contrib/pkg/ottl/ottlfuncs): each has a name, a list
// of parameters (by the names `name = value` uses) and a builder that turns
// bound arguments into a closure. The builder checks literal arguments
// (patterns, modes, limits) at config time through Args.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ottl/compiler.h"

namespace otlpd::ottl {

// The arguments of one call, bound to parameters by position or name.
// Accessors throw SyntaxError (config time) when an argument has the wrong
// form for its parameter.
class Args {
 public:
  virtual ~Args() = default;
  virtual bool Has(std::size_t i) const = 0;
  // Any value expression.
  virtual Getter Get(std::size_t i) = 0;
  // A path that can be written.
  virtual Target PathTarget(std::size_t i) = 0;
  // A map-typed path (attributes, cache, a nested map key).
  virtual std::function<Result<Attrs*>(EvalContext&)> MapTarget(std::size_t i) = 0;
  // Literal-only parameters (Go `string`, `int64`, `bool`, `[]string`).
  virtual std::string LiteralString(std::size_t i) = 0;
  virtual std::int64_t LiteralInt(std::size_t i) = 0;
  virtual bool LiteralBool(std::size_t i) = 0;
  virtual std::vector<std::string> LiteralStringList(std::size_t i) = 0;
  // A list literal whose items are any value expressions.
  virtual std::vector<Getter> GetterList(std::size_t i) = 0;
  // The value of the argument when it is a literal, for config-time checks.
  virtual std::optional<Value> Literal(std::size_t i) = 0;
  // A bare converter name (Function-typed parameter): checked to exist.
  virtual std::string FunctionName(std::size_t i) = 0;
  [[noreturn]] virtual void Fail(std::size_t i, const std::string& message) = 0;
};

struct FunctionSpec {
  std::string_view name;
  // Parameter names in order; a trailing '?' marks an optional one.
  std::vector<std::string_view> params;
  // Editors (lowercase) return nothing; converters return a value.
  std::function<Editor(Args&)> editor;
  std::function<Getter(Args&)> converter;
  // Contexts the function exists in; empty: all.
  std::vector<ContextKind> contexts;
};

const FunctionSpec* FindFunction(std::string_view name);
// Names of every supported function, sorted (README, errors).
std::vector<std::string_view> FunctionNames();

// Calls a one-argument converter (a Function-typed parameter such as
// replace_pattern's `function`, e.g. SHA256) on a string.
Result<Value> CallConverterOnString(const std::string& name, const std::string& input);

// Go getter coercions (expression.go), shared with the compiler.
Result<std::string> ExpectString(const Value& v);
Result<std::int64_t> ExpectInt(const Value& v);
// StringLike/IntLike/FloatLike/BoolLike: nullopt for nil.
Result<std::optional<std::string>> AsStringLike(const Value& v);
Result<std::optional<std::int64_t>> AsIntLike(const Value& v);
Result<std::optional<double>> AsFloatLike(const Value& v);

}  // namespace otlpd::ottl
