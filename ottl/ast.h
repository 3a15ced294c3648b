// The syntax tree of one OTTL statement or condition, as the grammar of
// contrib/pkg/ottl grammar.go describes it (see otel-compat-t2.md §1.2).
// Positions are byte offsets into the statement text, for error messages.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ottl/value.h"

namespace otlpd::ottl::ast {

struct Expr;
struct Call;

// `[ ... ]` after a path field or a converter call.
struct Key {
  std::unique_ptr<Expr> expr;  // a string or int literal, or any math expression
  int pos = 0;
};

struct Field {
  std::string name;
  std::vector<Key> keys;
};

struct Path {
  // context is the first segment when it names a context ("span", "resource", ...);
  // the compiler fills it in (or prepends the default context) later.
  std::string context;
  std::vector<Field> fields;
  std::string text;  // as written, for messages
  int pos = 0;
};

struct Arg {
  std::string name;             // named argument (`name = value`), else empty
  std::unique_ptr<Expr> value;  // the value
  int pos = 0;
};

struct Call {
  std::string name;
  std::vector<Arg> args;
  std::vector<Key> keys;  // converters may be indexed: ParseJSON(x)["a"]
  int pos = 0;
};

struct Expr {
  enum class Kind {
    kNil,
    kBool,
    kInt,
    kFloat,
    kString,
    kBytes,
    kEnum,
    kPath,
    kConverter,
    kMath,
    kNeg,
    kList,
    kMap
  };
  Kind kind = Kind::kNil;
  bool b = false;
  std::int64_t i = 0;
  double f = 0;
  std::string s;  // string literal (unquoted), raw bytes, enum name
  std::unique_ptr<Path> path;
  std::unique_ptr<Call> call;
  MathOp op = MathOp::kAdd;
  std::unique_ptr<Expr> lhs, rhs;     // kMath: both; kNeg: lhs
  std::vector<Expr> items;            // kList: the items; kMap: the values
  std::vector<std::string> map_keys;  // kMap: the keys, one per item (Expr is incomplete here, so no pair)
  int pos = 0;
};

struct BoolExpr {
  enum class Kind { kOr, kAnd, kNot, kConst, kCompare, kConverter };
  Kind kind = Kind::kConst;
  std::vector<BoolExpr> children;  // kOr, kAnd: operands; kNot: one
  bool constant = false;
  CompareOp op = CompareOp::kEq;
  std::unique_ptr<Expr> lhs, rhs;  // kCompare
  std::unique_ptr<Call> call;      // kConverter (must return a bool)
  int pos = 0;
};

struct Statement {
  Call editor;
  std::optional<BoolExpr> where;
};

}  // namespace otlpd::ottl::ast
