// The OTTL engine on its own: grammar, comparison and math semantics,
// paths per context, functions and their config-time checks.
#include <catch2/catch.hpp>

#include "ottl/compiler.h"
#include "ottl/functions.h"
#include "ottl/parser.h"
#include "ottl/value.h"

using namespace otlpd;
using namespace otlpd::ottl;

namespace {

// A span with a resource and scope, as the walker hands one to statements.
struct SpanFixture {
  opentelemetry::proto::resource::v1::Resource resource;
  std::string resource_schema = "https://schema/r";
  opentelemetry::proto::common::v1::InstrumentationScope scope;
  std::string scope_schema;
  tracepb::Span span;
  Attrs cache;
  EvalContext ctx;

  SpanFixture() {
    auto* kv = resource.add_attributes();
    kv->set_key("service.name");
    kv->mutable_value()->set_string_value("checkout");
    scope.set_name("lib");
    scope.set_version("1.2");
    span.set_name("GET /health");
    span.set_kind(tracepb::Span_SpanKind_SPAN_KIND_SERVER);
    span.set_trace_id(std::string("\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10", 16));
    span.set_span_id(std::string("\xaa\xbb\xcc\xdd\xee\xff\x00\x11", 8));
    span.set_start_time_unix_nano(1000000000);
    span.set_end_time_unix_nano(1500000000);
    span.mutable_status()->set_code(tracepb::Status_StatusCode_STATUS_CODE_ERROR);
    Attr("http.route", "/health");
    Attr("user", "alice");
    auto* n = span.add_attributes();
    n->set_key("count");
    n->mutable_value()->set_int_value(7);
    auto* d = span.add_attributes();
    d->set_key("ratio");
    d->mutable_value()->set_double_value(0.5);
    ctx.resource = &resource;
    ctx.resource_schema_url = &resource_schema;
    ctx.scope = &scope;
    ctx.scope_schema_url = &scope_schema;
    ctx.span = &span;
    ctx.cache = &cache;
  }
  void Attr(const std::string& k, const std::string& v) {
    auto* kv = span.add_attributes();
    kv->set_key(k);
    kv->mutable_value()->set_string_value(v);
  }
  Value Eval(const std::string& expr) {
    Result<Value> v = CompileValue(expr, ContextKind::kSpan)(ctx);
    INFO(expr << ": " << v.status().message());
    REQUIRE(v.ok());
    return *v;
  }
  Status EvalError(const std::string& expr) {
    Result<Value> v = CompileValue(expr, ContextKind::kSpan)(ctx);
    REQUIRE(!v.ok());
    return v.status();
  }
  bool Cond(const std::string& text) {
    Result<bool> r = CompileCondition(text, ContextKind::kSpan).Eval(ctx);
    INFO(text << ": " << r.status().message());
    REQUIRE(r.ok());
    return *r;
  }
  void Run(const std::string& text) {
    Status s = CompileStatement(text, ContextKind::kSpan).Execute(ctx);
    INFO(text << ": " << s.message());
    REQUIRE(s.ok());
  }
  std::string AttrString(const std::string& k) {
    for (const auto& kv : span.attributes()) {
      if (kv.key() == k) return AnyAsString(kv.value());
    }
    return "<absent>";
  }
  std::vector<std::string> Keys() {
    std::vector<std::string> out;
    for (const auto& kv : span.attributes()) out.push_back(kv.key());
    return out;
  }
};

std::string ParseErr(const std::string& text) {
  try {
    ParseStatement(text);
  } catch (const SyntaxError& e) {
    return e.what();
  }
  return "";
}

std::string CompileErr(const std::string& text, ContextKind ctx = ContextKind::kSpan) {
  try {
    CompileStatement(text, ctx);
  } catch (const SyntaxError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("parser: statements, conditions and their errors") {
  ast::Statement st =
      ParseStatement(R"(set(attributes["a"]["b"][0], "x") where name == "y" and not (kind > 1 or true))");
  CHECK(st.editor.name == "set");
  REQUIRE(st.editor.args.size() == 2);
  REQUIRE(st.editor.args[0].value->kind == ast::Expr::Kind::kPath);
  CHECK(st.editor.args[0].value->path->fields[0].keys.size() == 3);
  REQUIRE(st.where);
  CHECK(st.where->kind == ast::BoolExpr::Kind::kAnd);
  CHECK(st.where->children[1].kind == ast::BoolExpr::Kind::kNot);

  // Named arguments, lists, maps, bytes, floats, negative numbers, converters with keys.
  ast::Statement named = ParseStatement(
      R"(merge_maps(target = attributes, source = ParseJSON("{}")["a"], strategy = "upsert"))");
  CHECK(named.editor.args[1].name == "source");
  CHECK(named.editor.args[1].value->call->keys.size() == 1);
  ast::Expr list = ParseValue(R"([1, -2.5, .5, 1., 0xAB12, {"k": [nil]}, SPAN_KIND_SERVER])");
  REQUIRE(list.items.size() == 7);
  CHECK(list.items[1].f == -2.5);
  CHECK(list.items[2].f == 0.5);
  CHECK(list.items[3].kind == ast::Expr::Kind::kFloat);
  CHECK(list.items[4].s == std::string("\xab\x12", 2));
  CHECK(list.items[5].kind == ast::Expr::Kind::kMap);
  CHECK(list.items[6].kind == ast::Expr::Kind::kEnum);
  CHECK(ParseValue(R"("a\"b\n\u00e9")").s == "a\"b\n\xc3\xa9");

  CHECK(ParseErr("Set(name, 1)") ==
        "statement has invalid syntax: 1:1: editor names must start with a lowercase letter but got 'Set'");
  CHECK(ParseErr("set(name, concat(1))") ==
        "statement has invalid syntax: 1:11: converter names must start with an uppercase letter but got "
        "'concat'");
  CHECK(ParseErr("set(name, 0xabc)")
            .find("byte literals must have an even number of hexadecimal digits, but got 3") !=
        std::string::npos);
  CHECK(ParseErr("set(name, 1)[0]")
            .find("only paths and converters may be indexed, not editors, but got set[0]") !=
        std::string::npos);
  CHECK(ParseErr("set(name, \"x\"").find("1:14: unexpected token \"<EOF>\"") != std::string::npos);
  CHECK(ParseErr("set(target = name, \"x\")").find("unnamed argument used after named argument") !=
        std::string::npos);
  CHECK(ParseErr("set(name, \"x\") where").find("unexpected token \"<EOF>\"") != std::string::npos);
  CHECK(ParseErr("set(name, 1) where name").find("expected a comparison operator") != std::string::npos);
  CHECK(ParseErr("set(name, 99999999999999999999)").find("value out of range") != std::string::npos);
  CHECK(ParseErr("set(name, \"x\") where name == \"a\" nand true") != "");
  CHECK(ParseErr("set(name, (x) => x)").find("ottl.functions.enableLambda") != std::string::npos);
  // Deep parentheses parse in polynomial time (failed attempts are
  // remembered), and nesting is bounded.
  const std::string deep = std::string(40, '(') + "1 + 1" + std::string(40, ')') + " == 2";
  CHECK(ParseCondition(std::string(30, '(') + deep + std::string(30, ')')).kind ==
        ast::BoolExpr::Kind::kCompare);
  CHECK(ParseErr("set(name, \"x\") where " + std::string(300, '(') + "true" + std::string(300, ')'))
            .find("nested more than 200 levels deep") != std::string::npos);
}

TEST_CASE("compiler: unknown functions, paths, enums and arguments are config errors") {
  CHECK(CompileErr("frobnicate(name)").find("undefined function \"frobnicate\"") != std::string::npos);
  CHECK(CompileErr("set(name, Frob(1))").find("undefined function \"Frob\"") != std::string::npos);
  CHECK(CompileErr("set(nam, \"x\")").find("path \"nam\" is not a valid path for the span context") !=
        std::string::npos);
  CHECK(CompileErr("set(name, \"x\") where kind == SEVERITY_NUMBER_INFO")
            .find("enum symbol, SEVERITY_NUMBER_INFO") != std::string::npos);
  CHECK(CompileErr("set(name)").find("incorrect number of arguments. Expected: 2 Received: 1") !=
        std::string::npos);
  CHECK(CompileErr("set(name, \"x\", 1)").find("incorrect number of arguments") != std::string::npos);
  CHECK(CompileErr("delete_key(target = attributes, nope = \"x\")").find("no such parameter: nope") !=
        std::string::npos);
  CHECK(CompileErr("replace_all_patterns(attributes, \"keys\", \"a\", \"b\")").find("invalid mode keys") !=
        std::string::npos);
  CHECK(CompileErr("merge_maps(attributes, attributes, \"merge\")")
            .find("invalid value for strategy, merge, must be 'insert', 'update' or 'upsert'") !=
        std::string::npos);
  CHECK(CompileErr("truncate_all(attributes, -1)").find("cannot be negative") != std::string::npos);
  CHECK(CompileErr("limit(attributes, 1, [\"a\", \"b\"])").find("cannot be less than number of priority") !=
        std::string::npos);
  CHECK(CompileErr("replace_pattern(name, \"(\", \"x\")").find("is not a valid pattern") !=
        std::string::npos);
  CHECK(CompileErr("replace_pattern(name, \"a\", \"x\", SHA256, \"%d\")").find("single %s") !=
        std::string::npos);
  CHECK(CompileErr("set(log.body, \"x\")").find("log context") != std::string::npos);
  CHECK(CompileErr("set(spanevent.event_index, 1)", ContextKind::kSpanEvent).find("read-only") !=
        std::string::npos);
  CHECK(CompileErr("set(name, Time(\"x\", \"%Q\"))").find("unsupported directive %Q") != std::string::npos);
  CHECK(CompileErr("set(name, \"x\")", ContextKind::kLog)
            .find("path \"name\" is not a valid path for the log") != std::string::npos);
}

TEST_CASE("comparisons follow otelcol's compare.go") {
  SpanFixture f;
  CHECK(f.Cond("1 == 1.0"));
  CHECK(f.Cond("2 > 1.5"));
  CHECK(f.Cond("\"a\" < \"b\""));
  CHECK(f.Cond("nil == nil"));
  CHECK(f.Cond("nil <= nil"));
  CHECK_FALSE(f.Cond("nil < nil"));
  CHECK(f.Cond("attributes[\"missing\"] == nil"));
  CHECK(f.Cond("attributes[\"missing\"] != \"x\""));
  CHECK_FALSE(f.Cond("attributes[\"missing\"] > 1"));
  CHECK_FALSE(f.Cond("\"1\" == 1"));  // mismatched types: only != holds
  CHECK(f.Cond("\"1\" != 1"));
  CHECK_FALSE(f.Cond("\"1\" < 2"));
  CHECK(f.Cond("false < true"));
  CHECK(f.Cond("0x0102 < 0x0103"));
  CHECK(f.Cond("kind == SPAN_KIND_SERVER"));
  CHECK(f.Cond("status.code == STATUS_CODE_ERROR"));
  CHECK(f.Cond("trace_id == TraceID(0x0102030405060708090a0b0c0d0e0f10)"));
  CHECK_FALSE(f.Cond("trace_id == 0x0102030405060708090a0b0c0d0e0f10"));  // TraceID is not []byte
  CHECK(f.Cond("start_time < end_time"));
  CHECK(f.Cond("end_time - start_time == end_time - start_time"));
  CHECK(f.Cond("{\"a\": 1} == {\"a\": 1}"));
  CHECK_FALSE(f.Cond("[1] < [2]"));
  CHECK(f.Cond("name == \"GET /health\" and (kind == 1 or kind == 2) and not IsMatch(name, \"^POST\")"));
  CHECK(f.Cond("true or attributes[\"count\"] / 0 == 1"));  // short-circuit: no division
}

TEST_CASE("math follows otelcol's math.go") {
  SpanFixture f;
  CHECK(f.Eval("7 / 2").as_int() == 3);
  CHECK(f.Eval("-7 / 2").as_int() == -3);
  CHECK(f.Eval("7 / 2.0").as_double() == 3.5);
  CHECK(f.Eval("1 + 2 * 3").as_int() == 7);
  CHECK(f.Eval("(1 + 2) * 3").as_int() == 9);
  CHECK(f.Eval("9223372036854775807 + 1").as_int() == INT64_MIN);  // wraps as in Go
  CHECK(f.Eval("attributes[\"count\"] * 2").as_int() == 14);
  CHECK(f.Eval("-attributes[\"count\"]").as_int() == -7);
  CHECK(f.Eval("end_time - start_time").as_duration() == 500000000);
  CHECK(f.Eval("UnixNano(start_time + (end_time - start_time))").as_int() == 1500000000);
  CHECK(f.EvalError("1 / 0").message() == "attempted to divide by 0");
  CHECK(f.EvalError("1.0 / 0").message() == "attempted to divide by 0");
  CHECK(f.EvalError("name + 1").message().find("must be int64, float64, time.Time or time.Duration") !=
        std::string::npos);
  CHECK(f.EvalError("1 + name").message().find("must be int64 or float64") != std::string::npos);
  CHECK(f.EvalError("-name").message() == "unsupported unary minus operation on type string");
  CHECK(f.EvalError("start_time * 2").message().find("only addition and subtraction") != std::string::npos);
}

TEST_CASE("span paths read and write, with ancestors and nested keys") {
  SpanFixture f;
  CHECK(f.Eval("name").as_string() == "GET /health");
  CHECK(f.Eval("span.name").as_string() == "GET /health");
  CHECK(f.Eval("kind.string").as_string() == "Server");
  CHECK(f.Eval("kind.deprecated_string").as_string() == "SPAN_KIND_SERVER");
  CHECK(f.Eval("trace_id.string").as_string() == "0102030405060708090a0b0c0d0e0f10");
  CHECK(f.Eval("span_id.string").as_string() == "aabbccddeeff0011");
  CHECK(f.Eval("parent_span_id.string").as_string() == "");
  CHECK(f.Eval("resource.attributes[\"service.name\"]").as_string() == "checkout");
  CHECK(f.Eval("instrumentation_scope.name").as_string() == "lib");
  CHECK(f.Eval("scope.version").as_string() == "1.2");
  CHECK(f.Eval("resource.schema_url").as_string() == "https://schema/r");
  CHECK(f.Eval("start_time_unix_nano").as_int() == 1000000000);
  CHECK(f.Eval("attributes[\"ratio\"]").as_double() == 0.5);
  CHECK(f.Eval("attributes").kind() == Value::Kind::kMap);

  f.Run("set(attributes[\"m\"][\"a\"][\"b\"], 1)");
  CHECK(f.AttrString("m") == "{\"a\":{\"b\":1}}");
  f.Run("set(attributes[\"s\"][2], \"x\")");  // empty → padded slice
  CHECK(f.AttrString("s") == "[null,null,\"x\"]");
  CHECK(f.Eval("attributes[\"s\"][2]").as_string() == "x");
  CHECK(f.EvalError("attributes[\"s\"][5]").message() == "index 5 out of bounds");
  CHECK(f.EvalError("attributes[\"user\"][\"x\"]").message() == "type Str does not support string indexing");
  CHECK(f.EvalError("attributes[\"m\"][0]").message() == "type Map does not support int indexing");
  CHECK(f.Eval("attributes[\"m\"][\"zz\"][\"y\"]").is_nil());

  f.Run("set(name, \"renamed\") where attributes[\"user\"] == \"alice\"");
  CHECK(f.span.name() == "renamed");
  f.Run("set(name, \"never\") where attributes[\"user\"] == \"bob\"");
  CHECK(f.span.name() == "renamed");
  f.Run("set(name, 42)");  // wrong type: a no-op, as in otelcol
  CHECK(f.span.name() == "renamed");
  f.Run("set(kind.string, \"Client\")");
  CHECK(f.span.kind() == tracepb::Span_SpanKind_SPAN_KIND_CLIENT);
  f.Run("set(status.code, STATUS_CODE_OK)");
  CHECK(f.span.status().code() == tracepb::Status_StatusCode_STATUS_CODE_OK);
  f.Run("set(span_id.string, \"0000000000000001\")");
  CHECK(f.span.span_id() == std::string("\0\0\0\0\0\0\0\x01", 8));
  f.Run("set(trace_id, TraceID(\"ffffffffffffffffffffffffffffffff\"))");
  CHECK(f.span.trace_id() == std::string(16, '\xff'));
  f.Run("set(end_time, start_time)");
  CHECK(f.span.end_time_unix_nano() == 1000000000);
  f.Run("set(resource.attributes[\"env\"], \"prod\")");
  CHECK(f.resource.attributes_size() == 2);
  f.Run("set(attributes[\"user\"], nil)");  // nil keeps the key, empty value
  CHECK(f.AttrString("user") == "");
  f.Run("set(cache[\"tmp\"], Concat([name, \"!\"], \"\"))");
  f.Run("set(attributes[\"from_cache\"], cache[\"tmp\"])");
  CHECK(f.AttrString("from_cache") == "renamed!");
  f.Run("set(attributes[\"dyn\"], attributes[Concat([\"us\", \"er2\"], \"\")])");
  CHECK(f.AttrString("dyn") == "");
}

TEST_CASE("editors on maps") {
  SpanFixture f;
  f.Run("delete_key(attributes, \"user\")");
  CHECK(f.Keys() ==
        std::vector<std::string>{"http.route", "ratio", "count"});  // last moves in, as pdata does
  f.Run("delete_matching_keys(attributes, \"^r\")");
  CHECK(f.Keys() == std::vector<std::string>{"http.route", "count"});
  f.Attr("a1", "x");
  f.Attr("a2", "y");
  f.Run("keep_matching_keys(attributes, \"a[0-9]|count\")");
  CHECK(f.Keys() == std::vector<std::string>{"count", "a1", "a2"});
  f.Run("keep_keys(attributes, [\"a2\", \"count\"])");
  CHECK(f.Keys() == std::vector<std::string>{"count", "a2"});
  f.Attr("b", "c");
  f.Attr("d", "e");
  f.Run("limit(attributes, 2, [\"d\"])");
  CHECK(f.Keys() == std::vector<std::string>{"count", "d"});

  SpanFixture g;
  g.Attr("long", "abcdefghij");
  g.Attr("utf", "h\xc3\xa9llo");
  g.Run("truncate_all(attributes, 2)");
  CHECK(g.AttrString("long") == "ab");
  CHECK(g.AttrString("utf") == "h");  // backs off to a rune start
  CHECK(g.AttrString("count") == "7");
  SpanFixture m;
  m.Attr("long", "abcdefghij");
  m.Run("truncate_all(attributes, 6, truncation_marker = \"...\")");
  CHECK(m.AttrString("long") == "abc...");

  SpanFixture mm;
  mm.Run("merge_maps(attributes, {\"user\": \"bob\", \"new\": 1}, \"insert\")");
  CHECK(mm.AttrString("user") == "alice");
  CHECK(mm.AttrString("new") == "1");
  mm.Run("merge_maps(attributes, {\"user\": \"bob\", \"other\": 1}, \"update\")");
  CHECK(mm.AttrString("user") == "bob");
  CHECK(mm.AttrString("other") == "<absent>");
  mm.Run("merge_maps(attributes, ParseJSON(\"{\\\"other\\\": 2}\"), \"upsert\")");
  CHECK(mm.AttrString("other") == "2");

  SpanFixture fl;
  fl.Run("set(attributes[\"n\"], ParseJSON(\"{\\\"a\\\":{\\\"b\\\":1,\\\"c\\\":[1,{\\\"d\\\":true}]}}\"))");
  fl.Run("flatten(attributes[\"n\"])");
  CHECK(fl.AttrString("n") == "{\"a.b\":1,\"a.c.0\":1,\"a.c.1.d\":true}");
  SpanFixture fd;
  fd.Run("set(attributes[\"n\"], {\"a\": {\"b\": {\"c\": 1}}})");
  fd.Run("flatten(attributes[\"n\"], \"p\", 1)");
  CHECK(fd.AttrString("n") == "{\"p.a.b\":{\"c\":1}}");
  CHECK(fd.Eval("Len(attributes[\"n\"])").as_int() == 1);
  // A map editor on something that is not a map is an evaluation error.
  Status s = CompileStatement("delete_key(attributes[\"user\"], \"x\")", ContextKind::kSpan).Execute(fd.ctx);
  CHECK(s.message() == "expected pcommon.Map but got string");
}

TEST_CASE("replace_* editors use Go regexp and glob semantics") {
  SpanFixture f;
  f.Attr("db", "password=secret123 user=bob");
  f.Run("replace_pattern(attributes[\"db\"], \"password=([^ ]+)\", \"password=***\")");
  CHECK(f.AttrString("db") == "password=*** user=bob");
  f.Run("replace_pattern(attributes[\"db\"], \"user=(?P<who>\\\\w+)\", \"u=${who}!$1x$$\")");
  CHECK(f.AttrString("db") == "password=*** u=bob!$");  // $1x is the (absent) group "1x"
  f.Run("replace_pattern(name, \"a*\", \"-\")");        // empty matches, as Go's ReplaceAllString
  CHECK(f.span.name() == "-G-E-T- -/-h-e-l-t-h-");
  f.Run("replace_pattern(attributes[\"count\"], \"7\", \"8\")");  // not a string: untouched
  CHECK(f.AttrString("count") == "7");
  f.Attr("email", "mail me at bob@x.org");
  f.Run("replace_pattern(attributes[\"email\"], \"(\\\\w+)@\", \"$1@\", SHA256, \"h:%s \")");
  CHECK(f.AttrString("email") == "mail me at h:" + f.Eval("SHA256(\"bob@\")").as_string() + " x.org");

  SpanFixture g;
  g.Attr("k1", "x-secret-y");
  g.Run("replace_all_patterns(attributes, \"value\", \"secret\", \"***\")");
  CHECK(g.AttrString("k1") == "x-***-y");
  g.Run("replace_all_patterns(attributes, \"key\", \"^k(\\\\d)\", \"key$1\")");
  CHECK(g.AttrString("key1") == "x-***-y");
  g.Run("replace_match(attributes[\"http.route\"], \"/he*\", \"/h\")");
  CHECK(g.AttrString("http.route") == "/h");
  g.Run("replace_all_matches(attributes, \"{ali,bo}ce\", \"someone\")");
  CHECK(g.AttrString("user") == "someone");
  g.Run("replace_match(name, \"GET /[!x]ealth\", \"matched\")");
  CHECK(g.span.name() == "matched");
}

TEST_CASE("converters") {
  SpanFixture f;
  CHECK(f.Eval("Concat([name, 1, 2.5, true, nil], \"|\")").as_string() == "GET /health|1|2.5|true|<nil>");
  CHECK(f.Eval("Len(Split(\"a,b,,c\", \",\"))").as_int() == 4);
  CHECK(f.Eval("Split(\"a,b\", \",\")[1]").as_string() == "b");
  CHECK(f.Eval("Substring(name, 4, 3)").as_string() == "/he");
  CHECK(f.EvalError("Substring(name, 4, 30)").message().find("invalid range for substring function") !=
        std::string::npos);
  CHECK(f.Eval("ToUpperCase(name)").as_string() == "GET /HEALTH");
  CHECK(f.Eval("ToLowerCase(name)").as_string() == "get /health");
  CHECK(f.Eval("IsMatch(attributes[\"count\"], \"^7$\")").as_bool());  // StringLike: int rendered
  CHECK_FALSE(f.Eval("IsMatch(attributes[\"nope\"], \".*\")").as_bool());
  CHECK(f.Eval("IsString(name)").as_bool());
  CHECK(f.Eval("IsInt(attributes[\"count\"])").as_bool());
  CHECK(f.Eval("IsDouble(attributes[\"ratio\"])").as_bool());
  CHECK_FALSE(f.Eval("IsBool(name)").as_bool());
  CHECK(f.Eval("IsMap(attributes)").as_bool());
  CHECK(f.Eval("IsList([1])").as_bool());
  CHECK(f.Eval("Int(\"42\")").as_int() == 42);
  CHECK(f.Eval("Int(-2.9)").as_int() == -2);
  CHECK(f.Eval("Int(true)").as_int() == 1);
  CHECK(f.Eval("Int(attributes[\"nope\"])").is_nil());
  CHECK(f.EvalError("Int(\"1.5\")").message().find("invalid syntax") != std::string::npos);
  CHECK(f.Eval("Double(\"1.5\")").as_double() == 1.5);
  CHECK(f.Eval("String(0x01ff)").as_string() == "01ff");
  CHECK(f.Eval("String({\"b\": 1, \"a\": [true]})").as_string() == "{\"a\":[true],\"b\":1}");
  CHECK(f.Eval("String(1.0)").as_string() == "1");
  CHECK(f.Eval("Len(name)").as_int() == 11);
  CHECK(f.EvalError("Len(1)").message().find("Len: unsupported target type int64. target arg must be") == 0);
  CHECK(f.Eval("ParseJSON(\"[1, \\\"a\\\"]\")[0]").as_double() == 1.0);
  CHECK(f.EvalError("ParseJSON(\"1\")").message().find("to JSON object") != std::string::npos);
  CHECK(f.Eval("SHA256(\"abc\")").as_string() ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(f.Eval("UnixNano(Time(\"2023-05-26 12:34:56.789\", \"%Y-%m-%d %H:%M:%S.%L\"))").as_int() ==
        1685104496789000000);
  CHECK(f.Eval("UnixNano(Time(\"26/May/2023:12:34:56 +0200\", \"%d/%b/%Y:%H:%M:%S %z\"))").as_int() ==
        1685097296000000000);
  CHECK(f.Eval("UnixNano(Time(\"2023-05-26T12:34:56.5Z\", \"%Y-%m-%dT%H:%M:%S%z\"))").as_int() ==
        1685104496500000000);
  CHECK(f.EvalError("Time(\"2023-02-30\", \"%Y-%m-%d\")").message().find("day out of range") !=
        std::string::npos);
  f.ctx.now_ns = 123;
  CHECK(f.Eval("UnixNano(Now())").as_int() == 123);
  CHECK(f.Eval("SpanID(0x0102030405060708)").as_bytes().id_size == 8);
  CHECK(f.EvalError("SpanID(0x0102)").message() ==
        "SpanID: could not decode ID: invalid length: expected 8 or 16 bytes, got 2");
  CHECK(f.Eval("IsRootSpan()").as_bool());
}

TEST_CASE("context inference picks the most specific context named") {
  CHECK(InferContext(Signal::kTraces, {"set(span.name, \"x\") where resource.attributes[\"a\"] == nil"},
                     {}) == ContextKind::kSpan);
  CHECK(InferContext(Signal::kTraces, {"set(resource.attributes[\"a\"], 1)"}, {}) == ContextKind::kResource);
  CHECK(InferContext(Signal::kTraces, {"set(spanevent.name, span.name)"}, {}) == ContextKind::kSpanEvent);
  CHECK(InferContext(Signal::kMetrics, {"set(metric.name, \"x\")"}, {"datapoint.value_int > 1"}) ==
        ContextKind::kDataPoint);
  CHECK_THROWS_AS(InferContext(Signal::kLogs, {"set(attributes[\"a\"], 1)"}, {}), SyntaxError);
  CHECK_THROWS_AS(InferContext(Signal::kLogs, {"set(span.name, \"a\")"}, {}), SyntaxError);
}

TEST_CASE("log, metric and datapoint paths") {
  logspb::LogRecord log;
  log.mutable_body()->set_string_value("{\"level\":\"warn\"}");
  log.set_severity_number(logspb::SEVERITY_NUMBER_WARN);
  opentelemetry::proto::resource::v1::Resource resource;
  std::string schema;
  opentelemetry::proto::common::v1::InstrumentationScope scope;
  Attrs cache;
  EvalContext ctx;
  ctx.resource = &resource;
  ctx.resource_schema_url = &schema;
  ctx.scope = &scope;
  ctx.scope_schema_url = &schema;
  ctx.log = &log;
  ctx.cache = &cache;
  auto run = [&](const std::string& s, ContextKind k) {
    Status st = CompileStatement(s, k).Execute(ctx);
    INFO(s << ": " << st.message());
    REQUIRE(st.ok());
  };
  run("set(attributes[\"parsed\"], ParseJSON(body)) where severity_number >= SEVERITY_NUMBER_WARN",
      ContextKind::kLog);
  REQUIRE(log.attributes_size() == 1);
  CHECK(AnyAsString(log.attributes(0).value()) == "{\"level\":\"warn\"}");
  run("set(body, {\"msg\": body})", ContextKind::kLog);
  run("set(body[\"n\"], 1)", ContextKind::kLog);
  CHECK(AnyAsString(log.body()) == "{\"msg\":\"{\\\"level\\\":\\\"warn\\\"}\",\"n\":1}");
  run("set(severity_text, body.string)", ContextKind::kLog);
  CHECK(log.severity_text() == AnyAsString(log.body()));
  run("set(log.trace_id.string, \"0102030405060708090a0b0c0d0e0f10\")", ContextKind::kLog);
  CHECK(log.trace_id().size() == 16);

  metricspb::Metric metric;
  metric.set_name("m");
  metric.mutable_sum()->set_is_monotonic(true);
  metric.mutable_sum()->set_aggregation_temporality(metricspb::AGGREGATION_TEMPORALITY_CUMULATIVE);
  auto* dp = metric.mutable_sum()->add_data_points();
  dp->set_as_int(5);
  ctx.log = nullptr;
  ctx.metric = &metric;
  ctx.datapoint = DataPointRef{DataPointRef::Type::kNumber, dp};
  Result<bool> r = CompileCondition(
                       "metric.type == METRIC_DATA_TYPE_SUM and metric.is_monotonic == true and "
                       "aggregation_temporality == AGGREGATION_TEMPORALITY_CUMULATIVE",
                       ContextKind::kMetric)
                       .Eval(ctx);
  REQUIRE(r.ok());
  CHECK(*r);
  run("set(value_int, value_int * 10) where metric.name == \"m\"", ContextKind::kDataPoint);
  CHECK(dp->as_int() == 50);
  run("set(attributes[\"k\"], \"v\")", ContextKind::kDataPoint);
  CHECK(dp->attributes_size() == 1);
  Result<Value> count = CompileValue("count", ContextKind::kDataPoint)(ctx);
  REQUIRE(count.ok());
  CHECK(count->is_nil());  // a number data point has no count
  run("set(metric.description, \"d\")", ContextKind::kDataPoint);
  CHECK(metric.description() == "d");
}

TEST_CASE("error modes parse case-insensitively") {
  CHECK(ParseErrorMode("IGNORE") == ErrorMode::kIgnore);
  CHECK(ParseErrorMode("silent") == ErrorMode::kSilent);
  CHECK(ParseErrorMode("Propagate") == ErrorMode::kPropagate);
  CHECK_FALSE(ParseErrorMode("drop"));
}

TEST_CASE("ottl: map strings render as pcommon's AsString (Go encoding/json, HTML kept)") {
  // This copy used to write \u0008 and \u000c; Go 1.22 on writes \b and \f.
  opentelemetry::proto::common::v1::AnyValue v;
  auto* kv = v.mutable_kvlist_value()->add_values();
  kv->set_key("s");
  kv->mutable_value()->set_string_value("\b\f\u2028\xff<&>");
  CHECK(AnyAsString(v) == R"({"s":"\b\f\u2028\ufffd<&>"})");
}
