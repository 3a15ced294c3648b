#include "connectors/routing/config.h"

#include <regex>

#include "config/error.h"
#include "internal/text.h"
#include "ottl/config.h"

namespace otlpd::connectors::routing {
namespace {

std::vector<config::ComponentId> DecodePipelineIds(config::MapDecoder& d, std::string_view key) {
  std::vector<std::string> names;
  d.Optional(key, names);
  std::vector<config::ComponentId> out;
  for (const std::string& n : names) {
    std::string why;
    auto id = config::ComponentId::Parse(n, &why);
    if (!id) d.Fail(key, why);
    out.push_back(*id);
  }
  return out;
}

}  // namespace

Config Config::Decode(config::MapDecoder& d) {
  Config c;
  if (auto mode = ottl::DecodeErrorMode(d, "error_mode")) c.error_mode = *mode;
  c.default_pipelines = DecodePipelineIds(d, "default_pipelines");
  const config::Node* table = d.Take("table");
  d.Finish();
  if (table == nullptr || table->IsNull() || (table->IsSequence() && table->items().empty()))
    d.Fail("table", "invalid routing table: the routing table is empty");
  if (!table->IsSequence())
    throw config::Error(table->mark(), d.KeyPath("table"),
                        "expected a list, got " + std::string(table->KindName()));
  for (std::size_t i = 0; i < table->items().size(); ++i) {
    const std::string path = d.KeyPath("table") + "[" + std::to_string(i) + "]";
    config::MapDecoder e(table->items()[i], path);
    Route r;
    std::string context = "resource";
    e.Optional("context", context);
    const config::Node* statement = e.Take("statement");
    const config::Node* condition = e.Take("condition");
    r.pipelines = DecodePipelineIds(e, "pipelines");
    e.Finish();
    if (statement == nullptr && condition == nullptr)
      e.Fail("", "invalid route: no condition or statement provided");
    if (statement != nullptr && condition != nullptr)
      e.Fail("statement", "invalid route: both condition and statement provided");
    if (r.pipelines.empty()) e.Fail("pipelines", "invalid route: no pipelines defined");
    if (context == "request") {
      if (condition == nullptr) e.Fail("statement", "\"request\" context requires a 'condition'");
      std::string text;
      config::DecodeValue(*condition, e.KeyPath("condition"), text);
      static const std::regex kRequest(R"re(^\s*request\["([^"]+)"\]\s*(==|!=)\s*"([^"]*)"\s*$)re");
      std::smatch m;
      if (!std::regex_match(text, m, kRequest))
        e.Fail("condition", "invalid request condition (request[\"<key>\"] == or != \"<value>\")");
      r.context = Route::Context::kRequest;
      r.header = m[1].str();
      AsciiLowerInPlace(r.header);
      r.equals = m[2].str() == "==";
      r.value = m[3].str();
    } else if (context == "resource" || context == "span" || context == "metric" || context == "datapoint" ||
               context == "log") {
      const ottl::ContextKind kind = *ottl::ContextFromName(context);
      if (kind != ottl::ContextKind::kResource) {
        r.context = Route::Context::kItem;
        r.item_context = kind;
      }
      const config::Node* node = condition != nullptr ? condition : statement;
      const std::string key = condition != nullptr ? "condition" : "statement";
      ottl::LocatedText t{"", node->mark(), e.KeyPath(key)};
      config::DecodeValue(*node, t.path, t.text);
      if (condition == nullptr) {
        // `route() where <condition>` (route() alone: always).
        static const std::regex kRoute(R"re(^\s*route\(\s*\)\s*(?:where\s+(.*\S))?\s*$)re");
        std::smatch m;
        if (!std::regex_match(t.text, m, kRoute))
          e.Fail("statement", "invalid statement: expected route() where ...");
        t.text = m[1].matched ? m[1].str() : "";
      }
      if (!t.text.empty()) r.condition = ottl::CompileConditionAt(t, kind);
    } else {
      e.Fail("context", "invalid context: " + context);
    }
    c.table.push_back(std::move(r));
  }
  return c;
}

}  // namespace otlpd::connectors::routing
