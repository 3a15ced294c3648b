#pragma once

// Requests with known content for the file exporter tests, and reading them
// back: every item carries a unique name, so a test can check that each one
// landed in exactly one file.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "component/payload.h"
#include "internal/signal.h"
#include "opentelemetry/proto/collector/logs/v1/logs_service.pb.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

namespace otlpd::exporters::file::testing {

namespace common = opentelemetry::proto::common::v1;
using TraceRequest = opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;
using MetricsRequest = opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest;
using LogsRequest = opentelemetry::proto::collector::logs::v1::ExportLogsServiceRequest;

inline constexpr const char* kGroupAttribute = "fileexporter.path_segment";

struct ResourceSpec {
  std::optional<std::string> value;  // of kGroupAttribute; absent when nullopt
  int items = 1;
};

inline void FillResource(opentelemetry::proto::resource::v1::Resource* r, const ResourceSpec& spec,
                         const std::string& tag) {
  common::KeyValue* name = r->add_attributes();
  name->set_key("service.name");
  name->mutable_value()->set_string_value(tag);
  if (spec.value) {
    common::KeyValue* kv = r->add_attributes();
    kv->set_key(kGroupAttribute);
    kv->mutable_value()->set_string_value(*spec.value);
  }
}

// Item j of resource i is named "<tag>/<i>/<j>"; `padding` bytes of
// attribute make requests as large as a test needs.
inline PayloadPtr MakeRequest(Signal signal, const std::vector<ResourceSpec>& resources,
                              const std::string& tag, std::size_t padding = 0) {
  std::string bytes;
  std::uint64_t items = 0;
  auto name = [&](std::size_t i, int j) { return tag + "/" + std::to_string(i) + "/" + std::to_string(j); };
  const std::string pad(padding, 'x');
  if (signal == Signal::kTraces) {
    TraceRequest req;
    for (std::size_t i = 0; i < resources.size(); ++i) {
      auto* rs = req.add_resource_spans();
      FillResource(rs->mutable_resource(), resources[i], tag);
      auto* ss = rs->add_scope_spans();
      ss->mutable_scope()->set_name("test");
      for (int j = 0; j < resources[i].items; ++j) {
        auto* span = ss->add_spans();
        span->set_name(name(i, j));
        span->set_start_time_unix_nano(1544712660000000000ull);
        if (!pad.empty()) {
          auto* kv = span->add_attributes();
          kv->set_key("pad");
          kv->mutable_value()->set_string_value(pad);
        }
        ++items;
      }
    }
    bytes = req.SerializeAsString();
  } else if (signal == Signal::kMetrics) {
    MetricsRequest req;
    for (std::size_t i = 0; i < resources.size(); ++i) {
      auto* rm = req.add_resource_metrics();
      FillResource(rm->mutable_resource(), resources[i], tag);
      auto* sm = rm->add_scope_metrics();
      sm->mutable_scope()->set_name("test");
      for (int j = 0; j < resources[i].items; ++j) {
        auto* m = sm->add_metrics();
        m->set_name(name(i, j));
        m->set_description(pad);
        auto* p = m->mutable_gauge()->add_data_points();
        p->set_as_int(j);
        p->set_time_unix_nano(1544712660000000000ull);
        ++items;
      }
    }
    bytes = req.SerializeAsString();
  } else {
    LogsRequest req;
    for (std::size_t i = 0; i < resources.size(); ++i) {
      auto* rl = req.add_resource_logs();
      FillResource(rl->mutable_resource(), resources[i], tag);
      auto* sl = rl->add_scope_logs();
      sl->mutable_scope()->set_name("test");
      for (int j = 0; j < resources[i].items; ++j) {
        auto* log = sl->add_log_records();
        log->mutable_body()->set_string_value(name(i, j));
        log->set_severity_text(pad);
        log->set_time_unix_nano(1544712660000000000ull);
        ++items;
      }
    }
    bytes = req.SerializeAsString();
  }
  return MakePayload(signal, std::move(bytes), items);
}

// What a decoded request holds: each item's name and, per item, its
// resource's group value ("" when absent).
struct Contents {
  std::vector<std::string> names;
  std::vector<std::string> values;
};

inline std::string GroupValue(const opentelemetry::proto::resource::v1::Resource& r) {
  for (const auto& kv : r.attributes()) {
    if (kv.key() == kGroupAttribute) return kv.value().string_value();
  }
  return "";
}

// False when the bytes are not a request of `signal`.
inline bool ReadContents(Signal signal, const std::string& bytes, Contents& out) {
  if (signal == Signal::kTraces) {
    TraceRequest req;
    if (!req.ParseFromString(bytes)) return false;
    for (const auto& rs : req.resource_spans()) {
      for (const auto& ss : rs.scope_spans()) {
        for (const auto& s : ss.spans()) {
          out.names.push_back(s.name());
          out.values.push_back(GroupValue(rs.resource()));
        }
      }
    }
  } else if (signal == Signal::kMetrics) {
    MetricsRequest req;
    if (!req.ParseFromString(bytes)) return false;
    for (const auto& rm : req.resource_metrics()) {
      for (const auto& sm : rm.scope_metrics()) {
        for (const auto& m : sm.metrics()) {
          out.names.push_back(m.name());
          out.values.push_back(GroupValue(rm.resource()));
        }
      }
    }
  } else {
    LogsRequest req;
    if (!req.ParseFromString(bytes)) return false;
    for (const auto& rl : req.resource_logs()) {
      for (const auto& sl : rl.scope_logs()) {
        for (const auto& l : sl.log_records()) {
          out.names.push_back(l.body().string_value());
          out.values.push_back(GroupValue(rl.resource()));
        }
      }
    }
  }
  return true;
}

}  // namespace otlpd::exporters::file::testing
