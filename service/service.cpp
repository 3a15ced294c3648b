#include "service/service.h"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "config/error.h"
#include "config/service_config.h"

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

}  // namespace

std::unique_ptr<Service> Service::Build(const config::Node& root, const Components& components,
                                        PipelineOptions pipeline_options) {
  config::CheckTopLevel(root);
  std::unique_ptr<Service> svc(new Service());
  config::ServiceConfig sc = config::DecodeService(root);

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

  std::map<ComponentId, bool> used_receivers;
  std::map<ComponentId, bool> used_exporters;
  // receiver id -> signal -> pipelines fed
  std::map<ComponentId, std::map<Signal, std::vector<Pipeline*>>> feeds;

  for (const config::PipelineConfig& p : sc.pipelines) {
    ProcessorChain chain;
    std::vector<Consumer*> exporter_consumers;
    for (std::size_t i = 0; i < p.exporters.size(); ++i) {
      auto it = exporters.find(p.exporters[i]);
      if (it == exporters.end()) {
        throw Error(p.exporter_marks[i], ListPath(p, "exporters", i),
                    "references exporter \"" + p.exporters[i].ToString() + "\" which is not configured");
      }
      if (!SupportsSignal(*it->second.first, p.signal)) {
        throw Error(p.exporter_marks[i], ListPath(p, "exporters", i),
                    "exporter \"" + p.exporters[i].ToString() + "\" does not support " +
                        std::string(SignalName(p.signal)));
      }
      if (std::find(exporter_consumers.begin(), exporter_consumers.end(),
                    svc->exporters_[p.exporters[i]].get()) == exporter_consumers.end()) {
        exporter_consumers.push_back(svc->exporters_[p.exporters[i]].get());
      }
      used_exporters[p.exporters[i]] = true;
    }
    chain.fan_out = std::make_unique<FanOut>(std::move(exporter_consumers));

    // A queue in front of exporters that store durably would be the one place
    // where acknowledged data lives only in memory: such pipelines run in the
    // receiver's thread instead.
    PipelineOptions options = pipeline_options;
    options.synchronous = !p.exporters.empty() &&
                          std::all_of(p.exporters.begin(), p.exporters.end(),
                                      [&](const ComponentId& id) { return svc->exporters_[id]->durable(); });

    // Before the processors, so they can find their pipeline (admission gates).
    chain.pipeline = std::make_unique<Pipeline>(p.id.ToString(), p.signal, options,
                                                svc->telemetry_.Register("pipeline", p.id.ToString()));

    // Processors are built back to front: each is created with its successor.
    Consumer* next = chain.fan_out.get();
    std::vector<std::unique_ptr<Processor>> reversed;
    for (std::size_t k = p.processors.size(); k-- > 0;) {
      auto it = processors.find(p.processors[k]);
      if (it == processors.end()) {
        throw Error(p.processor_marks[k], ListPath(p, "processors", k),
                    "references processor \"" + p.processors[k].ToString() + "\" which is not configured");
      }
      if (!SupportsSignal(*it->second.first, p.signal)) {
        throw Error(p.processor_marks[k], ListPath(p, "processors", k),
                    "processor \"" + p.processors[k].ToString() + "\" does not support " +
                        std::string(SignalName(p.signal)));
      }
      CreateContext ctx = context("processors", p.processors[k]);
      ctx.pipeline = chain.pipeline.get();
      ctx.pipelines = &svc->pipelines_;
      auto proc = it->second.first->create(ctx, *it->second.second.node, p.signal, next);
      next = proc.get();
      reversed.push_back(std::move(proc));
    }
    std::reverse(reversed.begin(), reversed.end());
    chain.processors = std::move(reversed);

    chain.pipeline->SetHead(next);

    for (std::size_t i = 0; i < p.receivers.size(); ++i) {
      auto it = receivers.find(p.receivers[i]);
      if (it == receivers.end()) {
        throw Error(p.receiver_marks[i], ListPath(p, "receivers", i),
                    "references receiver \"" + p.receivers[i].ToString() + "\" which is not configured");
      }
      if (!SupportsSignal(*it->second.first, p.signal)) {
        throw Error(p.receiver_marks[i], ListPath(p, "receivers", i),
                    "receiver \"" + p.receivers[i].ToString() + "\" does not support " +
                        std::string(SignalName(p.signal)));
      }
      auto& fed = feeds[p.receivers[i]][p.signal];
      if (std::find(fed.begin(), fed.end(), chain.pipeline.get()) == fed.end())
        fed.push_back(chain.pipeline.get());
      used_receivers[p.receivers[i]] = true;
    }
    svc->pipelines_.push_back(chain.pipeline.get());
    svc->chains_.push_back(std::move(chain));
  }

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
  for (auto& chain : chains_) {
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
  // Receivers first: from here on nothing new is accepted.
  for (auto& [id, r] : receivers_) {
    if (was_started(r.get())) r->Shutdown(deadline);
  }
  // Then each pipeline drains its queue and its processors flush, front to back.
  for (auto& chain : chains_) chain.fan_out->SetDeadline(deadline);
  for (auto& chain : chains_) {
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
