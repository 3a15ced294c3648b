#include "processors/memory_limiter/factory.h"

#include "component/telemetry.h"
#include "processors/memory_limiter/memory.h"
#include "processors/memory_limiter/memory_limiter_processor.h"

namespace otlpd::processors::memory_limiter {

ProcessorFactory MemoryLimiterProcessorFactory() {
  return ProcessorFactory{
      .type = "memory_limiter",
      .signals = {Signal::kTraces, Signal::kMetrics, Signal::kLogs, Signal::kProfiles},
      .create = [](const CreateContext& ctx, const config::Node& node, Signal signal,
                   Consumer* next) -> std::unique_ptr<Processor> {
        config::MapDecoder d(node, ctx.path);
        Config config = Config::Decode(d);
        std::optional<Limits> limits = ComputeLimits(config, [] { return TotalMemory(); });
        if (!limits)
          d.Fail("limit_percentage", "failed to get total memory, use fixed memory settings (limit_mib)");

        MemoryLimiter::Hooks hooks;
        hooks.queued_bytes = ctx.queued_bytes;
        if (ReceiveBudget* budget = ctx.receive_budget) {
          hooks.received_bytes = [budget] { return budget->used(); };
        }
        ComponentTelemetry* t = ctx.Register("processor");
        auto proc = std::make_unique<MemoryLimiterProcessor>(
            signal, std::make_unique<MemoryLimiter>(config, *limits, std::move(hooks)), next, t);
        if (ctx.receive_budget != nullptr) ctx.receive_budget->AddGate(proc.get());
        if (ctx.admission != nullptr) {
          ctx.admission->Add(proc.get());
          proc->SetGated(true);
        }
        return proc;
      },
  };
}

}  // namespace otlpd::processors::memory_limiter
