#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "component/component.h"
#include "opentelemetry/proto/resource/v1/resource.pb.h"
#include "processors/resource/config.h"

namespace otlpd::processors::resource {

// Applies `actions` to the Resource of every resource entry of a serialized
// Export*ServiceRequest (all three signals share that layout). Only the
// Resource message is decoded; scope and item bytes, schema_url and unknown
// fields are copied as they are, and entries the actions leave alone are
// copied whole. nullopt when nothing changed (the caller keeps its bytes);
// InvalidArgument when the bytes are malformed.
Result<std::optional<std::string>> RewriteResources(Signal signal, std::string_view request,
                                                    const std::vector<Action>& actions,
                                                    const Metadata* metadata);

// Changes a decoded Resource in place; true when it changed anything.
using ResourceMutator = std::function<bool(opentelemetry::proto::resource::v1::Resource&)>;

// The same walk with any change: `mutate` sees each entry's Resource in turn
// (k8sattributes' per-resource pod lookup, ...).
Result<std::optional<std::string>> RewriteResources(Signal signal, std::string_view request,
                                                    const ResourceMutator& mutate);

// otelcol's `resource` processor: upserts, deletes, hashes, ... resource
// attributes, e.g. to stamp k8s.node.name from the downward API in a DaemonSet.
// Stateless: it works in the caller's thread and holds nothing at shutdown.
class ResourceProcessor : public Processor {
 public:
  ResourceProcessor(Signal signal, Config config, Consumer* next)
      : signal_(signal), config_(std::move(config)), next_(next) {}

  Status Start() override { return Status::Ok(); }
  void Shutdown(Clock::time_point) override {}
  Status Consume(const PayloadPtr& payload) override;

 private:
  const Signal signal_;
  const Config config_;
  Consumer* next_;
};

}  // namespace otlpd::processors::resource
