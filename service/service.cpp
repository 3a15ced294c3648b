#include "service/service.h"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "config/error.h"
#include "config/service_config.h"
#include "service/graph.h"
#include "service/processor_counter.h"

namespace otlpd {
namespace {

using config::ComponentId;
using config::Error;
using config::Node;

// One section (receivers, exporters, ...) of the top-level config: id -> node.
struct Defined {
  ComponentId id;
  config::Mark mark;
  const Node* node;
};

std::vector<Defined> ReadSection(const Node& root, std::string_view section) {
  std::vector<Defined> out;
  const Node* n = root.Find(section);
  if (n == nullptr || n->IsNull()) return out;
  if (!n->IsMap())
    throw Error(n->mark(), section, "must be a map of component ids, got " + std::string(n->KindName()));
  for (const Node::Entry& e : n->entries()) {
    std::string why;
    auto id = ComponentId::Parse(e.key, &why);
    if (!id) throw Error(e.key_mark, std::string(section) + "." + e.key, why);
    out.push_back(Defined{*id, e.key_mark, &e.value});
  }
  return out;
}

template <class F>
std::string ValidTypes(const std::vector<F>& factories) {
  std::vector<std::string> names;
  for (const F& f : factories) names.emplace_back(f.type);
  std::sort(names.begin(), names.end());
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// Finds the factory for every defined component; an unknown type is an error
// even when no pipeline uses the component (otelcol validates them all).
template <class F>
std::map<ComponentId, std::pair<const F*, Defined>> Resolve(const std::vector<Defined>& defined,
                                                            const std::vector<F>& factories,
                                                            std::string_view section, std::string_view kind) {
  std::map<ComponentId, std::pair<const F*, Defined>> out;
  for (const Defined& d : defined) {
    const F* f = FindFactory(factories, d.id.type);
    if (f == nullptr) {
      throw Error(d.mark, std::string(section) + "." + d.id.ToString(),
                  "unknown " + std::string(kind) + " type \"" + d.id.type +
                      "\" (valid types: " + ValidTypes(factories) + ")");
    }
    out.emplace(d.id, std::make_pair(f, d));
  }
  return out;
}

template <class F>
bool SupportsSignal(const F& f, Signal s) {
  return std::find(f.signals.begin(), f.signals.end(), s) != f.signals.end();
}

std::string ListPath(const config::PipelineConfig& p, std::string_view list, std::size_t i) {
  return "service.pipelines." + p.id.ToString() + "." + std::string(list) + "[" + std::to_string(i) + "]";
}

// otelcol refuses an id that is both a connector and an exporter or receiver.
template <class R, class E>
void CheckNotAmbiguous(const ComponentId& id, const config::Mark& mark, const R& receivers,
                       const E& exporters) {
  for (std::string_view kind : {"exporter", "receiver"}) {
    const bool clash = kind == "exporter" ? exporters.count(id) > 0 : receivers.count(id) > 0;
    if (!clash) continue;
    const std::string q = "\"" + id.ToString() + "\"";
    throw Error(mark, "connectors." + id.ToString(),
                "ambiguous ID: Found both " + q + " " + std::string(kind) + " and " + q +
                    " connector. Change one of the components' IDs to eliminate ambiguity (e.g. rename " + q +
                    " connector to \"" + id.ToString() + "/connector\")");
  }
}

// Why `kind` `id` cannot be in pipeline `p`. Profiles pipelines give otelcol's
// graph-building text (core v0.165.0), the others otlpd's older wording.
std::string NotSupported(std::string_view kind, const ComponentId& id, const config::PipelineConfig& p) {
  const std::string q = "\"" + id.ToString() + "\"";
  if (p.signal != Signal::kProfiles) {
    return std::string(kind) + " " + q + " does not support " + std::string(SignalName(p.signal));
  }
  const std::string where = kind == "processor"
                                ? ", in pipeline \"" + p.id.ToString() + "\""
                                : " for data type \"" + std::string(SignalName(p.signal)) + "\"";
  return "failed to create " + q + " " + std::string(kind) + where + ": telemetry type is not supported";
}

// Every id a pipeline lists names a defined component of a kind that supports
// the pipeline's signal (connectors: checked by PlanGraph).
template <class R, class P, class E, class C>
void CheckReferences(const config::ServiceConfig& sc, const R& receivers, const P& processors,
                     const E& exporters, const C& connectors) {
  auto check = [](const config::PipelineConfig& p, std::string_view list, std::string_view kind,
                  const std::vector<ComponentId>& ids, const std::vector<config::Mark>& marks,
                  const auto& defined, const C* also) {
    for (std::size_t i = 0; i < ids.size(); ++i) {
      if (also != nullptr && also->count(ids[i])) continue;
      auto it = defined.find(ids[i]);
      if (it == defined.end()) {
        throw Error(
            marks[i], ListPath(p, list, i),
            "references " + std::string(kind) + " \"" + ids[i].ToString() + "\" which is not configured");
      }
      if (!SupportsSignal(*it->second.first, p.signal)) {
        throw Error(marks[i], ListPath(p, list, i), NotSupported(kind, ids[i], p));
      }
    }
  };
  for (const config::PipelineConfig& p : sc.pipelines) {
    check(p, "receivers", "receiver", p.receivers, p.receiver_marks, receivers, &connectors);
    check(p, "processors", "processor", p.processors, p.processor_marks, processors, nullptr);
    check(p, "exporters", "exporter", p.exporters, p.exporter_marks, exporters, &connectors);
  }
}

}  // namespace

std::unique_ptr<Service> Service::Build(const config::Node& root, const Components& components,
                                        PipelineOptions pipeline_options, const config::FeatureGates& gates,
                                        std::uint64_t receive_memory_bytes) {
  config::CheckTopLevel(root);
  std::unique_ptr<Service> svc(new Service());
  svc->receive_budget_ = std::make_unique<ReceiveBudget>(receive_memory_bytes);
  config::ServiceConfig sc = config::DecodeService(root);
  config::CheckFeatureGates(sc, gates);

  auto receivers = Resolve(ReadSection(root, "receivers"), components.receivers, "receivers", "receiver");
  auto processors =
      Resolve(ReadSection(root, "processors"), components.processors, "processors", "processor");
  auto exporters = Resolve(ReadSection(root, "exporters"), components.exporters, "exporters", "exporter");
  auto extensions =
      Resolve(ReadSection(root, "extensions"), components.extensions, "extensions", "extension");

  // Filled below, before anything that can look an extension up is created.
  Service* raw = svc.get();
  auto find_extension = [raw](const ComponentId& id) -> Extension* {
    for (auto& [eid, e] : raw->extensions_)
      if (eid == id) return e.get();
    return nullptr;
  };
  auto context = [&](std::string_view section, const ComponentId& id) {
    CreateContext c;
    c.id = id;
    c.path = std::string(section) + "." + id.ToString();
    c.telemetry = &svc->telemetry_;
    c.extension = find_extension;
    c.receive_budget = svc->receive_budget_.get();
    c.gates = gates;
    return c;
  };

  // Extensions first: exporters look up their storage extension at creation.
  std::map<ComponentId, std::unique_ptr<Extension>> all_extensions;
  for (auto& [id, fd] : extensions)
    all_extensions[id] = fd.first->create(context("extensions", id), *fd.second.node);
  for (std::size_t i = 0; i < sc.extensions.size(); ++i) {
    auto it = all_extensions.find(sc.extensions[i]);
    if (it == all_extensions.end()) {
      throw Error(sc.extension_marks[i], "service.extensions[" + std::to_string(i) + "]",
                  "references extension \"" + sc.extensions[i].ToString() + "\" which is not configured");
    }
    if (it->second) svc->extensions_.emplace_back(it->first, std::move(it->second));
  }

  // Every defined component's config is decoded (and so validated), used or not.
  std::map<ComponentId, std::vector<Signal>> exporter_signals;
  for (const config::PipelineConfig& p : sc.pipelines) {
    for (const ComponentId& id : p.exporters) {
      std::vector<Signal>& signals = exporter_signals[id];
      if (std::find(signals.begin(), signals.end(), p.signal) == signals.end()) signals.push_back(p.signal);
    }
  }
  for (auto& [id, fd] : exporters) {
    CreateContext c = context("exporters", id);
    if (auto it = exporter_signals.find(id); it != exporter_signals.end()) c.signals = it->second;
    svc->exporters_[id] = fd.first->create(c, *fd.second.node);
  }
  for (auto& [id, fd] : receivers)
    svc->receivers_[id] = fd.first->create(context("receivers", id), *fd.second.node);

  auto connectors =
      Resolve(ReadSection(root, "connectors"), components.connectors, "connectors", "connector");
  ConnectorPairs connector_pairs;
  for (auto& [id, fd] : connectors) {
    CheckNotAmbiguous(id, fd.second.mark, receivers, exporters);
    fd.first->validate(context("connectors", id), *fd.second.node);
    connector_pairs[id] = fd.first->pairs;
  }
  CheckReferences(sc, receivers, processors, exporters, connectors);
  const GraphPlan plan = PlanGraph(sc, connector_pairs);

  // Every pipeline's queue exists before the connectors that feed it.
  svc->chains_.resize(sc.pipelines.size());
  for (std::size_t i = 0; i < sc.pipelines.size(); ++i) {
    const config::PipelineConfig& p = sc.pipelines[i];
    // A queue in front of exporters that store durably would be the one place
    // where acknowledged data lives only in memory: such pipelines run in the
    // receiver's thread instead. Connectors are never durable.
    PipelineOptions options = pipeline_options;
    options.synchronous = std::all_of(p.exporters.begin(), p.exporters.end(), [&](const ComponentId& id) {
      auto it = svc->exporters_.find(id);
      return it != svc->exporters_.end() && it->second->durable();
    });
    // A receiver's thread may run the pipeline only if no exporter would hold
    // it; a connector feeds other pipelines, so it stays on the queue.
    const bool never_blocks = std::all_of(p.exporters.begin(), p.exporters.end(), [&](const ComponentId& id) {
      auto it = svc->exporters_.find(id);
      return it != svc->exporters_.end() && it->second->ConsumeReturnsAtOnce();
    });
    if (!never_blocks) options.run_inline = PipelineOptions::Inline::kNever;
    // Before the processors, so they can find their pipeline (admission gates).
    svc->chains_[i].pipeline = std::make_unique<Pipeline>(
        p.id.ToString(), p.signal, options, svc->telemetry_.Register("pipeline", p.id.ToString()));
    svc->pipelines_.push_back(svc->chains_[i].pipeline.get());
  }
  // One instance per connector and signal pair; each emits into the pipelines
  // it feeds through an entry like a receiver's (all or nothing).
  std::map<std::vector<Pipeline*>, Consumer*> entry_for;
  auto entry = [&entry_for, raw](std::vector<Pipeline*> pipes) -> Consumer* {
    auto [it, added] = entry_for.emplace(pipes, nullptr);
    if (added) {
      raw->entries_.push_back(std::make_unique<PipelinesEntry>(std::move(pipes)));
      it->second = raw->entries_.back().get();
    }
    return it->second;
  };
  for (const ConnectorInstance& c : plan.connectors) {
    ConnectorOutput out;
    out.signal = c.output;
    std::vector<Pipeline*> all;
    for (std::size_t d : c.downstream) {
      out.pipelines.push_back(sc.pipelines[d].id);
      all.push_back(svc->pipelines_[d]);
    }
    out.all = entry(all);
    out.consumer = [&sc, c, raw, entry](const std::vector<ComponentId>& ids) -> Consumer* {
      std::vector<Pipeline*> pipes;
      for (std::size_t d : c.downstream) {
        if (std::find(ids.begin(), ids.end(), sc.pipelines[d].id) != ids.end())
          pipes.push_back(raw->pipelines_[d]);
      }
      return pipes.empty() ? nullptr : entry(std::move(pipes));
    };
    const auto& fd = connectors.at(c.id);
    svc->connectors_.emplace_back(
        c.id, fd.first->create(context("connectors", c.id), *fd.second.node, c.input, out));
  }

  std::map<ComponentId, bool> used_receivers;
  std::map<ComponentId, bool> used_exporters;
  // receiver id -> signal -> pipelines fed
  std::map<ComponentId, std::map<Signal, std::vector<Pipeline*>>> feeds;

  for (std::size_t pi = 0; pi < sc.pipelines.size(); ++pi) {
    const config::PipelineConfig& p = sc.pipelines[pi];
    ProcessorChain& chain = svc->chains_[pi];
    std::vector<Consumer*> exporter_consumers;
    auto add = [&](Consumer* c) {
      if (std::find(exporter_consumers.begin(), exporter_consumers.end(), c) == exporter_consumers.end())
        exporter_consumers.push_back(c);
    };
    for (const ComponentId& id : p.exporters) {
      if (connectors.count(id)) {
        for (std::size_t c = 0; c < plan.connectors.size(); ++c) {
          if (plan.connectors[c].id == id && plan.connectors[c].input == p.signal)
            add(svc->connectors_[c].second.get());
        }
        continue;
      }
      add(svc->exporters_[id].get());
      used_exporters[id] = true;
    }
    chain.fan_out = std::make_unique<FanOut>(std::move(exporter_consumers));
    chain.fan_out->SetPipeline(chain.pipeline.get());

    // Processors are built back to front: each is created with its successor.
    Consumer* next = chain.fan_out.get();
    std::vector<std::unique_ptr<Processor>> reversed;
    for (std::size_t k = p.processors.size(); k-- > 0;) {
      auto it = processors.find(p.processors[k]);
      CreateContext ctx = context("processors", p.processors[k]);
      ctx.admission = &chain.pipeline->admission();
      ctx.queued_bytes = [pipelines = &svc->pipelines_] {
        std::uint64_t total = 0;
        for (Pipeline* q : *pipelines) total += q->queue().bytes();
        return total;
      };
      ctx.service = svc.get();
      // Counted on both sides, as otelcol's processorhelper does.
      SignalCounters& counts = (*svc->telemetry_.Register("processor", p.processors[k].ToString()))[p.signal];
      chain.counters.push_back(std::make_unique<ProcessorCounter>(next, &counts.sent));
      auto proc =
          it->second.first->create(ctx, *it->second.second.node, p.signal, chain.counters.back().get());
      chain.counters.push_back(std::make_unique<ProcessorCounter>(proc.get(), &counts.accepted));
      next = chain.counters.back().get();
      reversed.push_back(std::move(proc));
    }
    std::reverse(reversed.begin(), reversed.end());
    chain.processors = std::move(reversed);

    chain.pipeline->SetHead(next);

    for (const ComponentId& id : p.receivers) {
      if (connectors.count(id)) continue;  // fed through the connector's output
      auto& fed = feeds[id][p.signal];
      if (std::find(fed.begin(), fed.end(), chain.pipeline.get()) == fed.end())
        fed.push_back(chain.pipeline.get());
      used_receivers[id] = true;
    }
  }
  for (const GraphStage& stage : plan.order) svc->stages_.push_back(stage);

  // Components no pipeline uses are validated above but not run (as in otelcol).
  std::erase_if(svc->receivers_, [&](const auto& kv) { return !used_receivers.count(kv.first); });
  std::erase_if(svc->exporters_, [&](const auto& kv) { return !used_exporters.count(kv.first); });

  for (auto& [rid, by_signal] : feeds) {
    for (auto& [signal, pipes] : by_signal) {
      svc->entries_.push_back(std::make_unique<PipelinesEntry>(pipes));
      svc->receivers_[rid]->SetConsumer(signal, svc->entries_.back().get());
    }
  }
  return svc;
}

Service::~Service() {
  if (!shut_down_ && !started_.empty()) Shutdown(Clock::now() + std::chrono::seconds(5));
}

Status Service::Start() {
  auto start = [&](Component* c, const std::string& what) -> Status {
    Status s = c->Start();
    if (!s.ok()) return Status(Status::Internal("failed to start " + what + ": " + s.message()));
    started_.push_back(c);
    return s;
  };
  auto fail = [&](Status s) {
    Shutdown(Clock::now() + std::chrono::seconds(5));
    return s;
  };
  for (auto& [id, e] : extensions_) {
    if (Status s = start(e.get(), "extension " + id.ToString()); !s.ok()) return fail(s);
  }
  for (auto& [id, e] : exporters_) {
    if (Status s = start(e.get(), "exporter " + id.ToString()); !s.ok()) return fail(s);
  }
  // Downstream first, so that whatever a pipeline or connector emits into is running.
  for (auto it = stages_.rbegin(); it != stages_.rend(); ++it) {
    if (it->kind == GraphStage::Kind::kConnector) {
      if (Status s = start(connectors_[it->index].second.get(),
                           "connector " + connectors_[it->index].first.ToString());
          !s.ok())
        return fail(s);
      continue;
    }
    ProcessorChain& chain = chains_[it->index];
    for (auto& p : chain.processors) {
      if (Status s = start(p.get(), "processor in pipeline " + chain.pipeline->id()); !s.ok()) return fail(s);
    }
    chain.pipeline->Start();
  }
  for (auto& [id, r] : receivers_) {
    if (Status s = start(r.get(), "receiver " + id.ToString()); !s.ok()) return fail(s);
  }
  // Only now is data flowing end to end: health_check may answer 200.
  for (auto& [id, e] : extensions_) e->Ready();
  return Status::Ok();
}

void Service::Shutdown(Clock::time_point deadline) {
  if (shut_down_) return;
  shut_down_ = true;
  auto was_started = [&](Component* c) {
    return std::find(started_.begin(), started_.end(), c) != started_.end();
  };
  // Before anything stops, so health_check answers 503 while the pipelines drain.
  for (auto& [id, e] : extensions_) {
    if (was_started(e.get())) e->NotReady();
  }
  // Every exporter learns the deadline before anything drains into it.
  for (auto& [id, e] : exporters_) {
    if (was_started(e.get())) e->BeginShutdown(deadline);
  }
  // Receivers first: from here on nothing new is accepted.
  for (auto& [id, r] : receivers_) {
    if (was_started(r.get())) r->Shutdown(deadline);
  }
  // Then each pipeline drains its queue and its processors flush, front to back.
  for (auto& chain : chains_) chain.fan_out->SetDeadline(deadline);
  // Upstream first: a pipeline drains into the connectors it exports to
  // while the pipelines they feed still accept.
  for (const GraphStage& stage : stages_) {
    if (stage.kind == GraphStage::Kind::kConnector) {
      Connector* c = connectors_[stage.index].second.get();
      if (was_started(c)) c->Shutdown(deadline);
      continue;
    }
    ProcessorChain& chain = chains_[stage.index];
    chain.pipeline->Drain(deadline);
    for (auto& p : chain.processors) {
      if (was_started(p.get())) p->Shutdown(deadline);
    }
  }
  for (auto& [id, e] : exporters_) {
    if (was_started(e.get())) e->Shutdown(deadline);
  }
  for (auto it = extensions_.rbegin(); it != extensions_.rend(); ++it) {
    if (was_started(it->second.get())) it->second->Shutdown(deadline);
  }
}

}  // namespace otlpd
