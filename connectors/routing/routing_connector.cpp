#include "connectors/routing/routing_connector.h"

#include <map>
#include <memory>
#include <regex>

#include <google/protobuf/io/coded_stream.h>
#include <spdlog/spdlog.h>

#include "config/error.h"
#include "opentelemetry/proto/resource/v1/resource.pb.h"
#include "otlp/wire/wire_walker.h"
#include "ottl/config.h"
#include "ottl/context.h"

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

// The Resource (field 1) of a ResourceSpans/-Metrics/-Logs message; the last
// occurrence wins, as protobuf merges.
bool ParseResource(std::string_view message, opentelemetry::proto::resource::v1::Resource& out) {
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const std::uint8_t*>(message.data()),
                                            static_cast<int>(message.size()));
  while (true) {
    const std::uint32_t tag = in.ReadTag();
    if (tag == 0) return true;
    if (tag == ((1u << 3) | 2u)) {
      std::uint32_t len = 0;
      if (!in.ReadVarint32(&len)) return false;
      auto limit = in.PushLimit(static_cast<int>(len));
      if (!out.MergeFromCodedStream(&in) || !in.ConsumedEntireMessage()) return false;
      in.PopLimit(limit);
      continue;
    }
    if (!google::protobuf::internal::WireFormatLite::SkipField(&in, tag)) return false;
  }
}

bool MatchRequest(const Route& r, const Payload& p) {
  std::optional<std::string> got;
  if (p.metadata) {
    for (const auto& [k, v] : *p.metadata) {
      if (k == r.header) {
        got = v;
        break;
      }
    }
  }
  const bool equal = got && *got == r.value;
  return r.equals ? equal : !equal;
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
      for (char& ch : r.header) ch = (ch >= 'A' && ch <= 'Z') ? static_cast<char>(ch - 'A' + 'a') : ch;
      r.equals = m[2].str() == "==";
      r.value = m[3].str();
    } else if (context == "resource") {
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
      if (!t.text.empty()) r.condition = ottl::CompileConditionAt(t, ottl::ContextKind::kResource);
    } else if (context == "span" || context == "metric" || context == "datapoint" || context == "log") {
      e.Fail("context",
             "context \"" + context + "\" is not supported by otlpd yet (resource and request are)");
    } else {
      e.Fail("context", "invalid context: " + context);
    }
    c.table.push_back(std::move(r));
  }
  return c;
}

Status RoutingConnector::Consume(const PayloadPtr& payload) {
  SignalCounters& counters = (*telemetry_)[signal_];
  SignalCounters::Add(counters.accepted, payload->items);
  // Consumer -> (resource entries, items); whole: the payload goes as it is.
  struct Out {
    std::string bytes;
    std::uint64_t items = 0;
    bool whole = false;
  };
  std::vector<std::pair<Consumer*, Out>> outs;
  auto out_for = [&](Consumer* c) -> Out& {
    for (auto& [k, o] : outs)
      if (k == c) return o;
    return outs.emplace_back(c, Out{}).second;
  };

  std::vector<wire::Entry> rest;
  for (const wire::Entry& e : wire::Resources(signal_, payload->bytes)) rest.push_back(e);
  const std::size_t total = rest.size();
  Status failure;
  for (const Route& route : config_.table) {
    if (rest.empty()) break;
    if (route.context == Route::Context::kRequest) {
      if (!MatchRequest(route, *payload)) continue;
      Out& o = out_for(route.consumer);
      o.whole = rest.size() == total;
      for (const auto& e : rest) {
        o.bytes.append(e.field);
        o.items += e.items;
      }
      rest.clear();
      break;
    }
    std::vector<wire::Entry> left;
    for (const wire::Entry& e : rest) {
      bool match = !route.condition.has_value();
      if (!match) {
        opentelemetry::proto::resource::v1::Resource resource;
        if (!ParseResource(e.message, resource))
          return Status::InvalidArgument("routing: malformed resource");
        ottl::EvalContext ctx;
        ctx.resource = &resource;
        Result<bool> r = route.condition->Eval(ctx);
        if (!r.ok()) {
          if (config_.error_mode == ottl::ErrorMode::kPropagate) {
            failure = Status::InvalidArgument("failed to eval condition: " + route.condition->text() + ", " +
                                              r.status().message());
            break;
          }
          ottl::WarnIgnored(config_.error_mode, "eval condition", route.condition->text(), r.status());
        }
        match = r.ok() && *r;
      }
      if (match) {
        Out& o = out_for(route.consumer);
        o.bytes.append(e.field);
        o.items += e.items;
      } else {
        left.push_back(e);
      }
    }
    if (!failure.ok()) break;
    rest = std::move(left);
  }
  if (!failure.ok()) {
    SignalCounters::Add(counters.refused, payload->items);
    return failure;
  }
  if (!rest.empty() && default_ != nullptr) {
    Out& o = out_for(default_);
    for (const auto& e : rest) {
      o.bytes.append(e.field);
      o.items += e.items;
    }
  }
  // One route took every resource: pass the payload on untouched.
  if (outs.size() == 1 && outs[0].second.items == payload->items && rest.empty()) outs[0].second.whole = true;

  Status result;
  for (auto& [consumer, o] : outs) {
    PayloadPtr p = o.whole ? payload : MakePayload(signal_, std::move(o.bytes), o.items, payload->metadata);
    Status s = consumer->Consume(p);
    if (s.ok()) {
      SignalCounters::Add(counters.sent, p->items);
    } else if (result.ok() || s.retryable()) {
      result = s;  // a retryable refusal wins: the upstream retries the request
    }
  }
  if (!result.ok()) SignalCounters::Add(counters.refused, payload->items);
  return result;
}

ConnectorFactory RoutingConnectorFactory() {
  ConnectorFactory factory;
  factory.type = "routing";
  for (Signal s : kAllSignals) factory.pairs.emplace_back(s, s);
  factory.validate = [](const CreateContext& ctx, const config::Node& node) {
    config::MapDecoder decoder(node, ctx.path);
    (void)Config::Decode(decoder);
  };
  factory.create = [](const CreateContext& ctx, const config::Node& node, Signal input,
                      const ConnectorOutput& output) -> std::unique_ptr<Connector> {
    config::MapDecoder decoder(node, ctx.path);
    Config cfg = Config::Decode(decoder);
    auto consumer = [&](const std::vector<config::ComponentId>& ids, std::string_view key) -> Consumer* {
      for (const auto& id : ids) {
        if (std::find(output.pipelines.begin(), output.pipelines.end(), id) == output.pipelines.end() &&
            ParseSignal(id.type) == input) {
          decoder.Fail(key, "pipeline \"" + id.ToString() + "\" does not receive from connector \"" +
                                ctx.id.ToString() + "\"");
        }
      }
      return output.consumer(ids);
    };
    for (Route& r : cfg.table) r.consumer = consumer(r.pipelines, "table");
    Consumer* def =
        cfg.default_pipelines.empty() ? nullptr : consumer(cfg.default_pipelines, "default_pipelines");
    return std::make_unique<RoutingConnector>(input, std::move(cfg), def,
                                              ctx.telemetry->Register("connector", ctx.id.ToString()));
  };
  return factory;
}

}  // namespace otlpd::connectors::routing
