#include "processors/probabilistic_sampler/probabilistic_sampler_processor.h"

#include <vector>

#include "otlp/wire/field_numbers.h"
#include "otlp/wire/wire_format.h"

namespace otlpd::processors::probabilistic_sampler {
namespace {

using wire::Field;
using wire::Reader;
using wire::WireType;

std::uint64_t FieldSize(std::uint64_t message_size) {
  return 1 + wire::VarintSize(message_size) + message_size;
}

struct ItemPlan {
  Verdict verdict = Verdict::kKeep;
  std::uint32_t offset = 0;  // kRewrite: the new item in Plan::rewritten
  std::uint32_t size = 0;
};

// A resource or scope after sampling: its new message size, how many items
// it keeps, and where its children's plans start.
struct ContainerPlan {
  std::uint64_t size = 0;
  std::uint64_t kept = 0;
  bool changed = false;
  std::uint32_t first_child = 0;
};

// What a Plan needs per request, kept per thread so sampling a request does
// not allocate once the buffers have grown.
struct PlanBuffers {
  Scratch scratch;
  std::vector<ItemPlan> items;
  std::vector<ContainerPlan> scopes;
  std::vector<ContainerPlan> resources;
  std::string rewritten;

  void Clear() {
    items.clear();
    scopes.clear();
    resources.clear();
    rewritten.clear();
  }
  // After an unusually large request, give the memory back.
  void Trim() {
    constexpr std::size_t kKeep = 1 << 20;
    if (rewritten.capacity() > kKeep) std::string().swap(rewritten);
    if (items.capacity() * sizeof(ItemPlan) > kKeep) std::vector<ItemPlan>().swap(items);
  }
};

// Both passes over one request. The first decides every item and sizes every
// container; the second writes, so nothing is written twice or moved.
class Plan {
 public:
  Plan(const Sampler& sampler, Signal signal, PlanBuffers& buffers)
      : sampler_(sampler),
        signal_(signal),
        scratch_(buffers.scratch),
        items_(buffers.items),
        scopes_(buffers.scopes),
        resources_(buffers.resources),
        rewritten_(buffers.rewritten) {}

  // Pass one. True when any resource changes or goes.
  bool Decide(std::string_view request) {
    bool changed = false;
    Reader r(request);
    Field f;
    while (!r.AtEnd()) {
      if (!r.ReadField(f)) return Malformed();
      if (f.number != wire::kRequestEntries || f.type != WireType::kLen) continue;
      ContainerPlan& p = DecideResource(f.payload);
      changed |= p.changed || p.kept == 0;
    }
    return changed;
  }

  // Pass two.
  void Write(std::string_view request, std::string& out) {
    WriteContainers(request, wire::kRequestEntries, resources_, 0, out, &Plan::WriteResource);
  }

  bool malformed() const { return malformed_; }
  std::uint64_t total() const { return total_; }
  std::uint64_t kept() const {
    std::uint64_t n = 0;
    for (const ContainerPlan& p : resources_) n += p.kept;
    return n;
  }

 private:
  bool Malformed() {
    malformed_ = true;
    return false;
  }

  // child(f) for every `field` entry of `message`, up to malformed bytes
  // (which mark the request malformed).
  template <class Child>
  void EachChild(std::string_view message, std::uint32_t field, Child child) {
    Reader r(message);
    Field f;
    while (!r.AtEnd()) {
      if (!r.ReadField(f)) {
        Malformed();
        return;
      }
      if (f.number != field || f.type != WireType::kLen) continue;
      child(f);
    }
  }

  ContainerPlan& DecideResource(std::string_view resource) {
    std::size_t index = resources_.size();
    resources_.push_back(
        ContainerPlan{resource.size(), 0, false, static_cast<std::uint32_t>(scopes_.size())});
    EachChild(resource, wire::kEntryScopes, [&](const Field& f) {
      ContainerPlan scope = DecideScope(f.payload);
      ContainerPlan& p = resources_[index];
      if (scope.kept == 0) {
        p.size -= f.raw.size();
        p.changed = true;
      } else if (scope.changed) {
        p.size = p.size - f.raw.size() + FieldSize(scope.size);
        p.changed = true;
      }
      p.kept += scope.kept;
    });
    return resources_[index];
  }

  ContainerPlan DecideScope(std::string_view scope) {
    ContainerPlan p{scope.size(), 0, false, static_cast<std::uint32_t>(items_.size())};
    EachChild(scope, wire::kScopeEntryItems, [&](const Field& f) {
      ++total_;
      ItemPlan item;
      auto before = static_cast<std::uint32_t>(rewritten_.size());
      item.verdict = signal_ == Signal::kLogs ? sampler_.DecideLogRecord(f.payload, scratch_, rewritten_)
                                              : sampler_.DecideSpan(f.payload, scratch_, rewritten_);
      switch (item.verdict) {
        case Verdict::kMalformed: Malformed(); [[fallthrough]];
        case Verdict::kDrop:
          item.verdict = Verdict::kDrop;
          p.size -= f.raw.size();
          p.changed = true;
          break;
        case Verdict::kKeep: ++p.kept; break;
        case Verdict::kRewrite:
          item.offset = before;
          item.size = static_cast<std::uint32_t>(rewritten_.size() - before);
          p.size = p.size - f.raw.size() + FieldSize(item.size);
          p.changed = true;
          ++p.kept;
          break;
      }
      items_.push_back(item);
    });
    scopes_.push_back(p);
    return p;
  }

  void WriteResource(std::string_view resource, std::uint32_t scope, std::string& out) {
    WriteContainers(resource, wire::kEntryScopes, scopes_, scope, out, &Plan::WriteScope);
  }

  // Copies `message` with its `field` children (a request's resources, a
  // resource's scopes) rewritten by their plans from plans[next] on: left
  // out when they keep nothing, copied when unchanged, else written anew by
  // `write_child` with their new size.
  void WriteContainers(std::string_view message, std::uint32_t field, const std::vector<ContainerPlan>& plans,
                       std::uint32_t next, std::string& out,
                       void (Plan::*write_child)(std::string_view, std::uint32_t, std::string&)) {
    CopyWithChildren(message, field, out, [&](const Field& f) {
      const ContainerPlan& p = plans[next++];
      if (p.kept == 0) return;
      if (!p.changed) {
        out.append(f.raw);
        return;
      }
      wire::AppendTag(out, field, WireType::kLen);
      wire::AppendVarint(out, p.size);
      (this->*write_child)(f.payload, p.first_child, out);
    });
  }

  void WriteScope(std::string_view scope, std::uint32_t item, std::string& out) {
    CopyWithChildren(scope, wire::kScopeEntryItems, out, [&](const Field& f) {
      const ItemPlan& p = items_[item++];
      if (p.verdict == Verdict::kKeep) {
        out.append(f.raw);
      } else if (p.verdict == Verdict::kRewrite) {
        wire::AppendLengthDelimited(out, wire::kScopeEntryItems,
                                    std::string_view(rewritten_).substr(p.offset, p.size));
      }
    });
  }

  // Copies `message` onto `out` field by field, but for its `field`
  // children, which `child(f)` writes (or leaves out).
  template <class Child>
  static void CopyWithChildren(std::string_view message, std::uint32_t field, std::string& out, Child child) {
    Reader r(message);
    Field f;
    while (!r.AtEnd() && r.ReadField(f)) {
      if (f.number != field || f.type != WireType::kLen) {
        out.append(f.raw);
        continue;
      }
      child(f);
    }
  }

  const Sampler& sampler_;
  const Signal signal_;
  Scratch& scratch_;
  std::vector<ItemPlan>& items_;
  std::vector<ContainerPlan>& scopes_;
  std::vector<ContainerPlan>& resources_;
  std::string& rewritten_;
  std::uint64_t total_ = 0;
  bool malformed_ = false;
};

}  // namespace

Status SampleRequest(const Sampler& sampler, Signal signal, std::string_view request, SampledRequest& out) {
  thread_local PlanBuffers buffers;
  buffers.Clear();
  struct TrimAtExit {
    PlanBuffers& b;
    ~TrimAtExit() { b.Trim(); }
  } trim{buffers};
  Plan plan(sampler, signal, buffers);
  bool changed = plan.Decide(request);
  if (plan.malformed()) return Status::InvalidArgument("probabilistic_sampler: malformed request");
  out.items = plan.total();
  out.kept = plan.kept();
  out.bytes.clear();
  if (out.kept == 0) {
    // Also a request without any item: otelcol passes nothing on then either.
    out.outcome = SampledRequest::Outcome::kEmpty;
  } else if (!changed) {
    out.outcome = SampledRequest::Outcome::kUnchanged;
  } else {
    out.outcome = SampledRequest::Outcome::kRebuilt;
    out.bytes.reserve(request.size());
    plan.Write(request, out.bytes);
  }
  return Status::Ok();
}

ProbabilisticSamplerProcessor::ProbabilisticSamplerProcessor(Signal signal, const Config& config,
                                                             Consumer* next, ComponentTelemetry* telemetry)
    : signal_(signal), sampler_(config, signal), next_(next), telemetry_(telemetry) {}

Status ProbabilisticSamplerProcessor::Consume(const PayloadPtr& payload) {
  if (payload->signal != signal_) return next_->Consume(payload);
  SampledRequest sampled;
  Status s = SampleRequest(sampler_, signal_, payload->bytes, sampled);
  if (!s.ok()) return s;
  if (telemetry_ != nullptr) {
    SignalCounters& c = (*telemetry_)[signal_];
    SignalCounters::Add(c.dropped, sampled.items - sampled.kept);
  }
  switch (sampled.outcome) {
    case SampledRequest::Outcome::kUnchanged: return next_->Consume(payload);
    case SampledRequest::Outcome::kEmpty: return Status::Ok();
    case SampledRequest::Outcome::kRebuilt: break;
  }
  return next_->Consume(DerivePayload(*payload, std::move(sampled.bytes), sampled.kept));
}

}  // namespace otlpd::processors::probabilistic_sampler
