// A hand-written recursive-descent parser for OTTL. otelcol uses participle
// with lookahead; the same alternatives are tried here in the same order,
// with explicit backtracking where the grammar needs it (a parenthesis opens
// either a boolean sub-expression or a math expression inside a comparison).
#include "ottl/parser.h"

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <map>
#include <optional>
#include <vector>

#include "internal/text.h"

namespace otlpd::ottl {
namespace {

enum class Tok {
  kBytes,
  kFloat,
  kInt,
  kString,
  kNil,
  kNot,
  kOr,
  kAnd,
  kCompare,
  kArrow,
  kAddSub,
  kMultDiv,
  kBool,
  kEqual,
  kPunct,
  kUpper,  // identifier starting with an uppercase letter
  kLower,  // identifier starting with a lowercase letter
  kUnderscore,
  kEof,
};

struct Token {
  Tok kind = Tok::kEof;
  std::string text;  // raw text; kString: unquoted value
  int pos = 0;
};

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool IsIdent(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// Go's strconv.Unquote for a double-quoted literal body (quotes removed).
std::string Unquote(std::string_view body, int pos) {
  std::string out;
  for (std::size_t i = 0; i < body.size(); ++i) {
    if (body[i] != '\\') {
      out += body[i];
      continue;
    }
    if (++i >= body.size()) throw SyntaxError(pos, "invalid escape at end of string");
    const char c = body[i];
    auto hex = [&](std::size_t n) {
      std::uint32_t v = 0;
      for (std::size_t k = 1; k <= n; ++k) {
        if (i + k >= body.size() || !IsHex(body[i + k])) throw SyntaxError(pos, "invalid escape in string");
        const char h = body[i + k];
        v = v * 16 + static_cast<std::uint32_t>(IsDigit(h) ? h - '0' : (AsciiLower(h) - 'a' + 10));
      }
      i += n;
      return v;
    };
    switch (c) {
      case 'a': out += '\a'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'v': out += '\v'; break;
      case '\\': out += '\\'; break;
      case '"': out += '"'; break;
      case 'x': out += static_cast<char>(hex(2)); break;
      case 'u': AppendUtf8(out, hex(4)); break;
      case 'U': AppendUtf8(out, hex(8)); break;
      default:
        if (c >= '0' && c <= '7') {
          if (i + 2 >= body.size() || body[i + 1] < '0' || body[i + 1] > '7' || body[i + 2] < '0' ||
              body[i + 2] > '7') {
            throw SyntaxError(pos, "invalid escape in string");
          }
          const int v = (c - '0') * 64 + (body[i + 1] - '0') * 8 + (body[i + 2] - '0');
          if (v > 255) throw SyntaxError(pos, "invalid escape in string");
          out += static_cast<char>(v);
          i += 2;
          break;
        }
        throw SyntaxError(pos, std::string("invalid escape \\") + c + " in string");
    }
  }
  return out;
}

std::vector<Token> Lex(std::string_view s) {
  std::vector<Token> out;
  std::size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    const int pos = static_cast<int>(i);
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
      continue;
    }
    // Bytes: 0x[a-fA-F0-9]+
    if (c == '0' && i + 2 < s.size() && s[i + 1] == 'x' && IsHex(s[i + 2])) {
      std::size_t j = i + 2;
      while (j < s.size() && IsHex(s[j])) ++j;
      std::string hex(s.substr(i + 2, j - i - 2));
      if (hex.size() % 2 != 0) {
        throw SyntaxError(pos, "byte literals must have an even number of hexadecimal digits, but got " +
                                   std::to_string(hex.size()));
      }
      std::string raw;
      for (std::size_t k = 0; k < hex.size(); k += 2) {
        auto nib = [](char h) { return IsDigit(h) ? h - '0' : AsciiLower(h) - 'a' + 10; };
        raw += static_cast<char>(nib(hex[k]) * 16 + nib(hex[k + 1]));
      }
      out.push_back({Tok::kBytes, raw, pos});
      i = j;
      continue;
    }
    // Float (\d+\.\d*|\d*\.\d+)([eE][-+]?\d+)? before Int \d+.
    if (IsDigit(c) || (c == '.' && i + 1 < s.size() && IsDigit(s[i + 1]))) {
      std::size_t j = i;
      while (j < s.size() && IsDigit(s[j])) ++j;
      bool is_float = false;
      if (j < s.size() && s[j] == '.') {
        is_float = true;
        ++j;
        while (j < s.size() && IsDigit(s[j])) ++j;
        if (j < s.size() && (s[j] == 'e' || s[j] == 'E')) {
          std::size_t k = j + 1;
          if (k < s.size() && (s[k] == '+' || s[k] == '-')) ++k;
          if (k < s.size() && IsDigit(s[k])) {
            while (k < s.size() && IsDigit(s[k])) ++k;
            j = k;
          }
        }
      }
      out.push_back({is_float ? Tok::kFloat : Tok::kInt, std::string(s.substr(i, j - i)), pos});
      i = j;
      continue;
    }
    if (c == '"') {
      std::size_t j = i + 1;
      while (j < s.size() && s[j] != '"') j += s[j] == '\\' ? 2 : 1;
      if (j >= s.size()) throw SyntaxError(pos, "unterminated string literal");
      out.push_back({Tok::kString, Unquote(s.substr(i + 1, j - i - 1), pos), pos});
      i = j + 1;
      continue;
    }
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      std::size_t j = i;
      while (j < s.size() && IsIdent(s[j])) ++j;
      std::string word(s.substr(i, j - i));
      Tok kind = Tok::kLower;
      if (word == "_") {
        kind = Tok::kUnderscore;
      } else if (word == "nil") {
        kind = Tok::kNil;
      } else if (word == "not") {
        kind = Tok::kNot;
      } else if (word == "or") {
        kind = Tok::kOr;
      } else if (word == "and") {
        kind = Tok::kAnd;
      } else if (word == "true" || word == "false") {
        kind = Tok::kBool;
      } else if (std::isupper(static_cast<unsigned char>(c))) {
        kind = Tok::kUpper;
      } else if (c == '_') {
        throw SyntaxError(pos, "invalid input text \"" + word + "\"");
      }
      out.push_back({kind, word, pos});
      i = j;
      continue;
    }
    auto two = s.substr(i, 2);
    if (two == "==" || two == "!=" || two == ">=" || two == "<=") {
      out.push_back({Tok::kCompare, std::string(two), pos});
      i += 2;
      continue;
    }
    if (two == "=>") {
      out.push_back({Tok::kArrow, "=>", pos});
      i += 2;
      continue;
    }
    switch (c) {
      case '>':
      case '<': out.push_back({Tok::kCompare, std::string(1, c), pos}); break;
      case '+':
      case '-': out.push_back({Tok::kAddSub, std::string(1, c), pos}); break;
      case '*':
      case '/': out.push_back({Tok::kMultDiv, std::string(1, c), pos}); break;
      case '=': out.push_back({Tok::kEqual, "=", pos}); break;
      case '(':
      case ')':
      case '{':
      case '}':
      case ':':
      case ',':
      case '.':
      case '[':
      case ']': out.push_back({Tok::kPunct, std::string(1, c), pos}); break;
      default: throw SyntaxError(pos, "invalid input text \"" + std::string(s.substr(i, 10)) + "\"");
    }
    ++i;
  }
  out.push_back({Tok::kEof, "", static_cast<int>(s.size())});
  return out;
}

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text), toks_(Lex(text)) {}

  ast::Statement Statement() {
    ast::Statement st;
    const Token& t = Peek();
    if (t.kind == Tok::kUpper && Peek(1).text == "(") {
      throw SyntaxError(t.pos, "editor names must start with a lowercase letter but got '" + t.text + "'");
    }
    if (t.kind != Tok::kLower) Unexpected("an editor");
    st.editor = Call(false);
    if (Peek().kind == Tok::kLower && Peek().text == "where") {
      Next();
      st.where = Or();
    }
    ExpectEof();
    return st;
  }

  ast::BoolExpr Condition() {
    ast::BoolExpr e = Or();
    ExpectEof();
    return e;
  }

  ast::Expr ValueOnly() {
    ast::Expr e = Value();
    ExpectEof();
    return e;
  }

 private:
  const Token& Peek(std::size_t ahead = 0) const {
    const std::size_t i = std::min(pos_ + ahead, toks_.size() - 1);
    return toks_[i];
  }
  const Token& Next() {
    const Token& t = toks_[pos_];
    if (pos_ + 1 < toks_.size()) ++pos_;
    return t;
  }
  bool IsPunct(const char* p, std::size_t ahead = 0) const {
    return Peek(ahead).kind == Tok::kPunct && Peek(ahead).text == p;
  }
  void Expect(const char* p) {
    if (!IsPunct(p)) Unexpected(std::string("\"") + p + "\"");
    Next();
  }
  void ExpectEof() {
    if (Peek().kind != Tok::kEof) Unexpected("");
  }
  [[noreturn]] void Unexpected(const std::string& expected) const {
    const Token& t = Peek();
    std::string what =
        t.kind == Tok::kEof ? "<EOF>" : (t.kind == Tok::kString ? "\"" + t.text + "\"" : t.text);
    std::string msg = "unexpected token \"" + what + "\"";
    if (t.kind == Tok::kString) msg = "unexpected token " + what;
    if (!expected.empty()) msg += " (expected " + expected + ")";
    throw SyntaxError(t.pos, msg);
  }

  // boolExpr := term { or term }
  ast::BoolExpr Or() { return Chain(Tok::kOr, ast::BoolExpr::Kind::kOr, &Parser::And); }

  // term := boolValue { and boolValue }
  ast::BoolExpr And() { return Chain(Tok::kAnd, ast::BoolExpr::Kind::kAnd, &Parser::BoolValue); }

  // operand { op operand }: the operand alone, or one node of `kind` holding them all.
  ast::BoolExpr Chain(Tok op, ast::BoolExpr::Kind kind, ast::BoolExpr (Parser::*operand)()) {
    ast::BoolExpr first = (this->*operand)();
    if (Peek().kind != op) return first;
    ast::BoolExpr e;
    e.kind = kind;
    e.pos = first.pos;
    e.children.push_back(std::move(first));
    while (Peek().kind == op) {
      Next();
      e.children.push_back((this->*operand)());
    }
    return e;
  }

  static bool IsCompareStart(Tok k) { return k == Tok::kCompare; }

  // boolValue := [not] ( comparison | bool | converter | "(" boolExpr ")" )
  ast::BoolExpr BoolValue() {
    const int start = Peek().pos;
    if (Peek().kind == Tok::kNot) {
      Next();
      ast::BoolExpr e;
      e.kind = ast::BoolExpr::Kind::kNot;
      e.pos = start;
      e.children.push_back(BoolValueNoNot());
      return e;
    }
    return BoolValueNoNot();
  }

  ast::BoolExpr BoolValueNoNot() {
    const std::size_t save = pos_;
    const int start = Peek().pos;
    DepthGuard guard(*this);
    // A comparison first, as participle tries it first. A failed attempt is
    // remembered by position so that nested parentheses cost polynomial, not
    // exponential, time.
    std::optional<SyntaxError> comparison_error;
    if (auto failed = comparison_failed_.find(save); failed != comparison_failed_.end()) {
      comparison_error = failed->second;
    } else
      try {
        ast::Expr lhs = Value();
        if (Peek().kind == Tok::kCompare) {
          ast::BoolExpr e;
          e.kind = ast::BoolExpr::Kind::kCompare;
          e.pos = start;
          const std::string op = Next().text;
          e.op = op == "=="   ? CompareOp::kEq
                 : op == "!=" ? CompareOp::kNe
                 : op == "<"  ? CompareOp::kLt
                 : op == "<=" ? CompareOp::kLe
                 : op == ">"  ? CompareOp::kGt
                              : CompareOp::kGe;
          e.lhs = std::make_unique<ast::Expr>(std::move(lhs));
          e.rhs = std::make_unique<ast::Expr>(Value());
          return e;
        }
        // A bare bool or converter is a boolean value by itself.
        if (lhs.kind == ast::Expr::Kind::kBool) {
          ast::BoolExpr e;
          e.kind = ast::BoolExpr::Kind::kConst;
          e.constant = lhs.b;
          e.pos = start;
          return e;
        }
        if (lhs.kind == ast::Expr::Kind::kConverter) {
          ast::BoolExpr e;
          e.kind = ast::BoolExpr::Kind::kConverter;
          e.call = std::move(lhs.call);
          e.pos = start;
          return e;
        }
      } catch (const SyntaxError& err) {
        comparison_error = err;
        comparison_failed_.emplace(save, err);
      }
    pos_ = save;
    if (IsPunct("(")) {
      Next();
      ast::BoolExpr inner = Or();
      Expect(")");
      return inner;
    }
    if (comparison_error) throw *comparison_error;
    pos_ = save;
    // A value that is not a boolean: say what was expected after it.
    Value();
    Unexpected("a comparison operator");
  }

  // value := nil | bytes | string | bool | enum | map | list | math expression
  ast::Expr Value() {
    DepthGuard guard(*this);
    const Token& t = Peek();
    ast::Expr e;
    e.pos = t.pos;
    switch (t.kind) {
      case Tok::kNil:
        Next();
        e.kind = ast::Expr::Kind::kNil;
        return e;
      case Tok::kBytes:
        e.kind = ast::Expr::Kind::kBytes;
        e.s = Next().text;
        return e;
      case Tok::kString:
        e.kind = ast::Expr::Kind::kString;
        e.s = Next().text;
        return e;
      case Tok::kBool:
        e.kind = ast::Expr::Kind::kBool;
        e.b = Next().text == "true";
        return e;
      case Tok::kUpper:
        if (!IsPunct("(", 1)) {
          // An enum (SPAN_KIND_SERVER), or a bare converter name for a
          // Function-typed parameter; the compiler tells them apart.
          e.kind = ast::Expr::Kind::kEnum;
          e.s = Next().text;
          return e;
        }
        return MathExpr();
      case Tok::kPunct:
        if (t.text == "[") return List();
        if (t.text == "{") return Map();
        return MathExpr();
      default: return MathExpr();
    }
  }

  ast::Expr List() {
    ast::Expr e;
    e.kind = ast::Expr::Kind::kList;
    e.pos = Peek().pos;
    Expect("[");
    if (!IsPunct("]")) {
      e.items.push_back(Value());
      while (IsPunct(",")) {
        Next();
        e.items.push_back(Value());
      }
    }
    Expect("]");
    return e;
  }

  ast::Expr Map() {
    ast::Expr e;
    e.kind = ast::Expr::Kind::kMap;
    e.pos = Peek().pos;
    Expect("{");
    while (!IsPunct("}")) {
      if (Peek().kind != Tok::kString) Unexpected("a string key");
      std::string key = Next().text;
      Expect(":");
      e.map_keys.push_back(std::move(key));
      e.items.push_back(Value());
      if (IsPunct(",")) Next();
    }
    Expect("}");
    return e;
  }

  // mathExpr := term { (+|-) term }
  ast::Expr MathExpr() { return MathLevel(Tok::kAddSub, "+", MathOp::kAdd, MathOp::kSub, &Parser::Term); }

  // term := factor { (*|/) factor }
  ast::Expr Term() { return MathLevel(Tok::kMultDiv, "*", MathOp::kMul, MathOp::kDiv, &Parser::Factor); }

  // One left-associative level of math, operand { op operand }: an operator
  // token of kind `kind` reading `first` is `first_op`, any other `second_op`.
  ast::Expr MathLevel(Tok kind, std::string_view first, MathOp first_op, MathOp second_op,
                      ast::Expr (Parser::*operand)()) {
    ast::Expr lhs = (this->*operand)();
    while (Peek().kind == kind) {
      ast::Expr e;
      e.kind = ast::Expr::Kind::kMath;
      e.pos = lhs.pos;
      e.op = Next().text == first ? first_op : second_op;
      e.lhs = std::make_unique<ast::Expr>(std::move(lhs));
      e.rhs = std::make_unique<ast::Expr>((this->*operand)());
      lhs = std::move(e);
    }
    return lhs;
  }

  // factor := [+|-] ( mathLiteral | "(" mathExpr ")" )
  ast::Expr Factor() {
    const int start = Peek().pos;
    if (Peek().kind == Tok::kAddSub) {
      const bool minus = Next().text == "-";
      ast::Expr inner = FactorBody();
      if (!minus) return inner;
      // Folded at parse time on numeric literals, as otelcol does.
      if (inner.kind == ast::Expr::Kind::kInt) {
        inner.i = static_cast<std::int64_t>(0 - static_cast<std::uint64_t>(inner.i));
        inner.pos = start;
        return inner;
      }
      if (inner.kind == ast::Expr::Kind::kFloat) {
        inner.f = -inner.f;
        inner.pos = start;
        return inner;
      }
      ast::Expr e;
      e.kind = ast::Expr::Kind::kNeg;
      e.pos = start;
      e.lhs = std::make_unique<ast::Expr>(std::move(inner));
      return e;
    }
    return FactorBody();
  }

  ast::Expr FactorBody() {
    DepthGuard guard(*this);
    const Token& t = Peek();
    ast::Expr e;
    e.pos = t.pos;
    if (IsPunct("(")) {
      Next();
      ast::Expr inner = MathExpr();
      Expect(")");
      return inner;
    }
    switch (t.kind) {
      case Tok::kInt: {
        errno = 0;
        char* end = nullptr;
        const std::string text = Next().text;
        const unsigned long long v = std::strtoull(text.c_str(), &end, 10);
        // Only -9223372036854775808 may exceed int64's positive range; the
        // minus folds it back (wrapping) as Go's parser accepts it.
        if (errno == ERANGE || v > 9223372036854775808ULL) {
          throw SyntaxError(t.pos, "strconv.ParseInt: parsing \"" + text + "\": value out of range");
        }
        e.kind = ast::Expr::Kind::kInt;
        e.i = static_cast<std::int64_t>(v);
        return e;
      }
      case Tok::kFloat:
        e.kind = ast::Expr::Kind::kFloat;
        e.f = std::strtod(Next().text.c_str(), nullptr);
        return e;
      case Tok::kUpper: {
        e.kind = ast::Expr::Kind::kConverter;
        e.call = std::make_unique<ast::Call>(Call(true));
        return e;
      }
      case Tok::kLower: {
        if (IsPunct("(", 1)) {
          throw SyntaxError(t.pos,
                            "converter names must start with an uppercase letter but got '" + t.text + "'");
        }
        e.kind = ast::Expr::Kind::kPath;
        e.path = std::make_unique<ast::Path>(Path());
        return e;
      }
      default: Unexpected("a value");
    }
  }

  ast::Path Path() {
    ast::Path p;
    p.pos = Peek().pos;
    for (;;) {
      if (Peek().kind != Tok::kLower) Unexpected("a path field");
      ast::Field f;
      f.name = Next().text;
      f.keys = Keys();
      p.fields.push_back(std::move(f));
      if (!IsPunct(".")) break;
      Next();
    }
    const int end = Peek(0).pos;
    p.text =
        std::string(text_.substr(static_cast<std::size_t>(p.pos), static_cast<std::size_t>(end - p.pos)));
    while (!p.text.empty() && std::isspace(static_cast<unsigned char>(p.text.back()))) p.text.pop_back();
    return p;
  }

  std::vector<ast::Key> Keys() {
    std::vector<ast::Key> keys;
    while (IsPunct("[")) {
      ast::Key k;
      k.pos = Next().pos;
      if (Peek().kind == Tok::kString) {
        ast::Expr e;
        e.kind = ast::Expr::Kind::kString;
        e.pos = Peek().pos;
        e.s = Next().text;
        k.expr = std::make_unique<ast::Expr>(std::move(e));
      } else {
        k.expr = std::make_unique<ast::Expr>(MathExpr());
      }
      Expect("]");
      keys.push_back(std::move(k));
    }
    return keys;
  }

  // name "(" args ")" [keys]: converters (uppercase) may be indexed.
  ast::Call Call(bool converter) {
    ast::Call c;
    c.pos = Peek().pos;
    c.name = Next().text;
    Expect("(");
    bool named_seen = false;
    while (!IsPunct(")")) {
      ast::Arg a;
      a.pos = Peek().pos;
      if (Peek().kind == Tok::kLower && Peek(1).kind == Tok::kEqual) {
        a.name = Next().text;
        Next();
        named_seen = true;
      } else if (named_seen) {
        throw SyntaxError(a.pos, "unnamed argument used after named argument");
      }
      if (IsPunct("(") && LooksLikeLambda()) {
        throw SyntaxError(a.pos,
                          "lambda expressions are not supported (they need the alpha feature gate "
                          "ottl.functions.enableLambda)");
      }
      a.value = std::make_unique<ast::Expr>(Value());
      c.args.push_back(std::move(a));
      if (!IsPunct(",")) break;
      Next();
    }
    Expect(")");
    if (IsPunct("[")) {
      if (!converter) {
        std::string keys;
        const int start = Peek().pos;
        Keys();
        keys = std::string(
            text_.substr(static_cast<std::size_t>(start), static_cast<std::size_t>(Peek().pos - start)));
        throw SyntaxError(c.pos,
                          "only paths and converters may be indexed, not editors, but got " + c.name + keys);
      }
      c.keys = Keys();
    }
    return c;
  }

  bool LooksLikeLambda() const {
    std::size_t depth = 0;
    for (std::size_t i = pos_; i < toks_.size(); ++i) {
      if (toks_[i].kind == Tok::kPunct && toks_[i].text == "(") ++depth;
      if (toks_[i].kind == Tok::kPunct && toks_[i].text == ")") {
        if (--depth == 0) return i + 1 < toks_.size() && toks_[i + 1].kind == Tok::kArrow;
      }
      if (toks_[i].kind == Tok::kEof) return false;
    }
    return false;
  }

  // Nesting is bounded so that a hostile statement cannot exhaust the stack.
  static constexpr int kMaxDepth = 200;
  struct DepthGuard {
    explicit DepthGuard(Parser& p) : p_(p) {
      if (++p_.depth_ > kMaxDepth) {
        --p_.depth_;
        throw SyntaxError(p_.Peek().pos,
                          "expression nested more than " + std::to_string(kMaxDepth) + " levels deep");
      }
    }
    ~DepthGuard() { --p_.depth_; }
    DepthGuard(const DepthGuard&) = delete;
    DepthGuard& operator=(const DepthGuard&) = delete;
    Parser& p_;
  };

  std::string_view text_;
  std::vector<Token> toks_;
  std::size_t pos_ = 0;
  int depth_ = 0;
  std::map<std::size_t, SyntaxError> comparison_failed_;
};

SyntaxError Located(std::string_view what, std::string_view text, const SyntaxError& e) {
  return SyntaxError(e.pos(),
                     std::string(what) + " has invalid syntax: " + LineCol(text, e.pos()) + ": " + e.what());
}

}  // namespace

std::string LineCol(std::string_view text, int pos) {
  int line = 1;
  int col = 1;
  for (int i = 0; i < pos && i < static_cast<int>(text.size()); ++i) {
    if (text[static_cast<std::size_t>(i)] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return std::to_string(line) + ":" + std::to_string(col);
}

ast::Statement ParseStatement(std::string_view text) {
  try {
    return Parser(text).Statement();
  } catch (const SyntaxError& e) {
    throw Located("statement", text, e);
  }
}

ast::BoolExpr ParseCondition(std::string_view text) {
  try {
    return Parser(text).Condition();
  } catch (const SyntaxError& e) {
    throw Located("condition", text, e);
  }
}

ast::Expr ParseValue(std::string_view text) {
  try {
    return Parser(text).ValueOnly();
  } catch (const SyntaxError& e) {
    throw Located("value", text, e);
  }
}

}  // namespace otlpd::ottl
