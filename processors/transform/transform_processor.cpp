#include "processors/transform/transform_processor.h"

#include <google/protobuf/arena.h>
#include <spdlog/spdlog.h>

#include <chrono>

#include "ottl/config.h"
#include "ottl/resource_pass.h"
#include "ottl/walk.h"

namespace otlpd::processors::transform {
namespace {

std::int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// One item: the group's conditions (ORed; none means always), then every
// statement, each error handled by the group's error_mode.
Result<bool> RunGroup(const StatementGroup& g, ottl::EvalContext& ctx) {
  if (!g.conditions.empty()) {
    bool any = false;
    for (const ottl::Condition& c : g.conditions) {
      Result<bool> r = c.Eval(ctx);
      if (!r.ok()) {
        if (g.error_mode == ottl::ErrorMode::kPropagate) {
          return Status::InvalidArgument("failed to eval condition: " + c.text() + ", " +
                                         r.status().message());
        }
        ottl::WarnIgnored(g.error_mode, "eval condition", c.text(), r.status());
        continue;
      }
      if (*r) {
        any = true;
        break;
      }
    }
    if (!any) return false;
  }
  for (const ottl::Statement& s : g.statements) {
    Status st = s.Execute(ctx);
    if (st.ok()) continue;
    if (g.error_mode == ottl::ErrorMode::kPropagate) {
      return Status::InvalidArgument("failed to execute statement: " + s.text() + ", " + st.message());
    }
    ottl::WarnIgnored(g.error_mode, "execute statement", s.text(), st);
  }
  return false;  // transform never removes an item
}

template <class Request>
Status Apply(Request& req, const std::vector<StatementGroup>& groups) {
  const std::int64_t now = NowNs();
  for (const StatementGroup& g : groups) {
    Status s = ottl::Walk(
        req, g.context, [&g](ottl::EvalContext& ctx) { return RunGroup(g, ctx); }, now);
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

template <class Request>
Result<std::string> Run(std::string_view bytes, const std::vector<StatementGroup>& groups) {
  google::protobuf::Arena arena;
  Request* req = ottl::ParseOnArena<Request>(arena, bytes);
  if (req == nullptr) return Status::InvalidArgument("malformed request");
  Status s = Apply(*req, groups);
  if (!s.ok()) return s;
  return req->SerializeAsString();
}

}  // namespace

Result<std::string> TransformRequest(Signal signal, std::string_view request,
                                     const std::vector<StatementGroup>& groups) {
  switch (signal) {
    case Signal::kTraces: return Run<ottl::TracesRequest>(request, groups);
    case Signal::kMetrics: return Run<ottl::MetricsRequest>(request, groups);
    case Signal::kLogs: return Run<ottl::LogsRequest>(request, groups);
    case Signal::kProfiles: break;  // not a signal of this processor
  }
  return Status::Internal("unknown signal");
}

Status TransformProcessor::Consume(const PayloadPtr& payload) {
  const auto& groups = config_->groups[SignalIndex(signal_)];
  if (groups.empty()) return next_->Consume(payload);
  bool resource_only = true;
  for (const StatementGroup& g : groups)
    resource_only = resource_only && g.context == ottl::ContextKind::kResource;
  if (resource_only) {
    // Only resource statements: the items are never decoded (ottl/resource_pass.h).
    auto run = [&](ottl::EvalContext& ctx) -> Result<ottl::EntryAction> {
      for (const StatementGroup& g : groups) {
        Result<bool> r = RunGroup(g, ctx);
        if (!r.ok()) return r.status();
      }
      return ottl::EntryAction::kKeep;
    };
    auto r = ottl::ResourcePass(signal_, payload->bytes, run, NowNs(), /*drop_without_scopes=*/false);
    if (!r.ok()) {
      spdlog::error("failed processing {}: {}", SignalName(signal_), r.status().message());
      return r.status();
    }
    if (!r->changed) return next_->Consume(payload);
    return next_->Consume(DerivePayload(*payload, std::move(r->bytes), payload->items));
  }
  auto decoded = ottl::DecodedRequest::Decode(payload);
  if (!decoded.ok()) {
    spdlog::error("failed processing {}: {}", SignalName(signal_), decoded.status().message());
    return decoded.status();
  }
  return ConsumeDecoded(**decoded);
}

Status TransformProcessor::ConsumeDecoded(DecodedPayload& payload) {
  ottl::DecodedRequest* decoded = ottl::AsDecodedRequest(payload);
  if (decoded == nullptr) return Consume(payload.Encode());
  ottl::DecodedRequest& request = *decoded;
  const auto& groups = config_->groups[SignalIndex(signal_)];
  if (groups.empty()) return ForwardDecoded(request, next_);
  Status s = std::visit([&](auto* req) { return Apply(*req, groups); }, request.message());
  if (!s.ok()) {
    spdlog::error("failed processing {}: {}", SignalName(signal_), s.message());
    return s;
  }
  request.MarkChanged();
  return ForwardDecoded(request, next_);
}

}  // namespace otlpd::processors::transform
