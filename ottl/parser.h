#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

#include "ottl/ast.h"

namespace otlpd::ottl {

// A statement or condition that does not parse or bind. Config time only:
// the processors turn it into a located config::Error. `pos` is the byte
// offset in the text the problem is at (-1 when it concerns the whole text).
class SyntaxError : public std::runtime_error {
 public:
  SyntaxError(int pos, const std::string& msg) : std::runtime_error(msg), pos_(pos) {}
  int pos() const { return pos_; }

 private:
  int pos_;
};

// `editor(args) [where condition]`. Throws SyntaxError whose message reads
// as otelcol's does: `statement has invalid syntax: 1:12: unexpected token ...`.
ast::Statement ParseStatement(std::string_view text);
// A boolean expression alone (filter conditions, transform group conditions).
ast::BoolExpr ParseCondition(std::string_view text);
// A single value expression (tests, and later routing's value statements).
ast::Expr ParseValue(std::string_view text);

// "line:col" (1-based) of a byte offset in text.
std::string LineCol(std::string_view text, int pos);

}  // namespace otlpd::ottl
