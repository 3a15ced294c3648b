// What an OTTL statement runs against: the item of its context and every
// ancestor (contrib/pkg/ottl/contexts). The walker (ottl/walk.h) fills the
// pointers of the decoded request; those below the context stay null.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "opentelemetry/proto/common/v1/common.pb.h"
#include "opentelemetry/proto/logs/v1/logs.pb.h"
#include "opentelemetry/proto/metrics/v1/metrics.pb.h"
#include "opentelemetry/proto/resource/v1/resource.pb.h"
#include "opentelemetry/proto/trace/v1/trace.pb.h"
#include "ottl/value.h"

namespace otlpd::ottl {

namespace tracepb = opentelemetry::proto::trace::v1;
namespace metricspb = opentelemetry::proto::metrics::v1;
namespace logspb = opentelemetry::proto::logs::v1;

// Ordered from the widest to the narrowest within a signal.
enum class ContextKind { kResource, kScope, kSpan, kSpanEvent, kMetric, kDataPoint, kLog };

std::string_view ContextName(ContextKind kind);
// "resource", "scope" (or "instrumentation_scope"), "span", "spanevent",
// "metric", "datapoint", "log".
std::optional<ContextKind> ContextFromName(std::string_view name);
// True when `ancestor` is `kind` itself or one of the contexts it can read.
bool ContextCanRead(ContextKind kind, ContextKind ancestor);

// One data point of any metric type.
struct DataPointRef {
  enum class Type { kNone, kNumber, kHistogram, kExponentialHistogram, kSummary };
  Type type = Type::kNone;
  void* p = nullptr;
  metricspb::NumberDataPoint* number() const {
    return type == Type::kNumber ? static_cast<metricspb::NumberDataPoint*>(p) : nullptr;
  }
  metricspb::HistogramDataPoint* histogram() const {
    return type == Type::kHistogram ? static_cast<metricspb::HistogramDataPoint*>(p) : nullptr;
  }
  metricspb::ExponentialHistogramDataPoint* exponential() const {
    return type == Type::kExponentialHistogram ? static_cast<metricspb::ExponentialHistogramDataPoint*>(p)
                                               : nullptr;
  }
  metricspb::SummaryDataPoint* summary() const {
    return type == Type::kSummary ? static_cast<metricspb::SummaryDataPoint*>(p) : nullptr;
  }
};

struct EvalContext {
  opentelemetry::proto::resource::v1::Resource* resource = nullptr;
  std::string* resource_schema_url = nullptr;
  opentelemetry::proto::common::v1::InstrumentationScope* scope = nullptr;
  std::string* scope_schema_url = nullptr;
  tracepb::Span* span = nullptr;
  tracepb::Span_Event* event = nullptr;
  std::int64_t event_index = 0;
  metricspb::Metric* metric = nullptr;
  DataPointRef datapoint;
  logspb::LogRecord* log = nullptr;
  // The per-item scratch map `cache` (fresh for each item).
  Attrs* cache = nullptr;
  // Wall clock for Now(), injected so tests can fix it.
  std::int64_t now_ns = 0;
};

}  // namespace otlpd::ottl
