// libFuzzer target for the OTTL parser, compiler and evaluator (built and run
// by run_fuzzers.sh). The first input byte picks statement or condition and
// the context; the rest is the text.
//
// Properties: parsing and compiling never crash and fail only with
// SyntaxError (a config error); whatever compiles runs on a fixed span or log
// without crashing, and fails only with an error Status.
#include <cstdint>
#include <string>
#include <string_view>

#include "ottl/compiler.h"

namespace {

using namespace otlpd::ottl;

struct Fixture {
  opentelemetry::proto::resource::v1::Resource resource;
  opentelemetry::proto::common::v1::InstrumentationScope scope;
  std::string schema;
  tracepb::Span span;
  logspb::LogRecord log;
  Attrs cache;

  EvalContext Context(bool is_log) {
    resource.Clear();
    auto* kv = resource.add_attributes();
    kv->set_key("service.name");
    kv->mutable_value()->set_string_value("svc");
    span.Clear();
    span.set_name("GET /users/12");
    span.set_trace_id(std::string(16, '\x01'));
    auto* a = span.add_attributes();
    a->set_key("m");
    a->mutable_value()->mutable_kvlist_value()->add_values()->set_key("k");
    auto* n = span.add_attributes();
    n->set_key("n");
    n->mutable_value()->set_int_value(3);
    log.Clear();
    log.mutable_body()->set_string_value("{\"a\":[1,2]}");
    cache.Clear();
    EvalContext ctx;
    ctx.resource = &resource;
    ctx.resource_schema_url = &schema;
    ctx.scope = &scope;
    ctx.scope_schema_url = &schema;
    if (is_log) {
      ctx.log = &log;
    } else {
      ctx.span = &span;
    }
    ctx.cache = &cache;
    ctx.now_ns = 1;
    return ctx;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  static Fixture fixture;
  const bool condition = (data[0] & 1) != 0;
  const bool is_log = (data[0] & 2) != 0;
  const ContextKind context = is_log ? ContextKind::kLog : ContextKind::kSpan;
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  try {
    EvalContext ctx = fixture.Context(is_log);
    if (condition) {
      Condition c = CompileCondition(text, context);
      (void)c.Eval(ctx);
    } else {
      Statement s = CompileStatement(text, context);
      (void)s.Execute(ctx);
    }
  } catch (const SyntaxError&) {
    // a config error: expected for most inputs
  }
  return 0;
}
