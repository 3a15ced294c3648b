#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "component/component.h"
#include "processors/attributes/config.h"

namespace otlpd::processors::attributes {

// Runs the config's actions over the attributes of every span (traces), data
// point (metrics) or log record (logs) of a serialized Export*ServiceRequest
// that include/exclude select. The request is decoded once on an Arena and
// serialized once; nullopt when no attribute changed (the caller keeps its
// bytes). InvalidArgument when the bytes do not parse.
Result<std::optional<std::string>> ProcessRequest(Signal signal, std::string_view request,
                                                  const Config& config, const Metadata* metadata);

// otelcol's `attributes` processor: simple edits (insert, update, upsert,
// delete, hash, extract, convert) of item attributes, optionally limited to
// items that include/exclude select. Stateless: works in the caller's thread.
class AttributesProcessor : public Processor {
 public:
  AttributesProcessor(Signal signal, std::shared_ptr<const Config> config, Consumer* next)
      : signal_(signal), config_(std::move(config)), next_(next) {}

  Status Start() override { return Status::Ok(); }
  void Shutdown(Clock::time_point) override {}
  Status Consume(const PayloadPtr& payload) override;

 private:
  const Signal signal_;
  const std::shared_ptr<const Config> config_;
  Consumer* next_;
};

}  // namespace otlpd::processors::attributes
