// Regroups a request's items into several requests on the wire: the caller
// walks the request (wire::Resources / Scopes / Items) and hands each resource,
// scope and item, in request order, to the group it belongs to; each group's
// request keeps the resource and scope headers (every field but the child
// list: resource, scope, schema_url, unknown fields) around its items, each
// resource and scope written once per group, and the item bytes copied as
// received. Routing by key (loadbalancing, the routing connector) and
// partitioning (by trace) share it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "otlp/wire/field_numbers.h"
#include "otlp/wire/wire_format.h"

namespace otlpd::wire {

// Groups are small integers the caller assigns (0, 1, ...).
class Regrouper {
 public:
  // What of a resource or scope entry each group's copy carries.
  enum class Headers {
    kAll,          // every field but the child list (schema_url and unknown fields too)
    kMessageOnly,  // only the resource / scope message (field 1), as otelcol's tail sampler rebuilds them
  };
  explicit Regrouper(Headers headers = Headers::kAll) : headers_(headers) {}

  // ResourceX.scope_x and ScopeX.spans / log_records / metrics: the child list.
  static constexpr std::uint32_t kChildField = kEntryScopes;
  static_assert(std::uint32_t{kEntryScopes} == std::uint32_t{kScopeEntryItems},
                "one child field for both levels");
  static_assert(std::uint32_t{kEntryResource} == std::uint32_t{kScopeEntryScope},
                "one message field for both levels");

  void BeginResource(std::string_view resource_message) {
    resource_header_.clear();
    Header(resource_header_, resource_message);
  }
  void BeginScope(std::string_view scope_message) {
    scope_header_.clear();
    Header(scope_header_, scope_message);
  }
  // A whole resource entry (tag and length included) for `group`.
  void AddResource(int group, std::string_view field, std::uint64_t items) {
    Group& g = At(group);
    g.request.append(field);
    g.items += items;
  }
  // A whole scope entry (tag and length included) for `group`, between scopes.
  void AddScope(int group, std::string_view field, std::uint64_t items) {
    Group& g = At(group);
    Open(group, g.in_resource, resource_touched_);
    g.resource_body.append(field);
    g.items += items;
  }
  // One item entry (tag and length included) for `group`.
  void AddItem(int group, std::string_view field, std::uint64_t items) {
    Group& g = At(group);
    Open(group, g.in_scope, scope_touched_);
    g.scope_body.append(field);
    g.items += items;
  }
  // Metrics only, between BeginScope and EndScope: a metric cut by data point.
  // `metric_header` is the Metric's fields but its data member, `data_field`
  // the data member's number (gauge 5, sum 7, histogram 9, exponential
  // histogram 10, summary 11), `data_header` the data message's fields but
  // data_points (temporality, monotonicity).
  void BeginMetric(std::string_view metric_header, std::uint32_t data_field, std::string_view data_header) {
    metric_header_.assign(metric_header);
    data_header_.assign(data_header);
    data_field_ = data_field;
  }
  // One data point entry (tag and length included) for `group`.
  void AddPoint(int group, std::string_view field) {
    Group& g = At(group);
    Open(group, g.in_metric, metric_touched_);
    g.metric_body.append(field);
    g.items += 1;
  }
  void EndMetric() {
    for (int group : metric_touched_) {
      Group& g = groups_[static_cast<std::size_t>(group)];
      Open(group, g.in_scope, scope_touched_);
      std::string data;
      AppendMessage(data, data_field_, data_header_, g.metric_body);
      AppendMessage(g.scope_body, kChildField, metric_header_, data);
      g.metric_body.clear();
      g.in_metric = false;
    }
    metric_touched_.clear();
  }
  void EndScope() {
    for (int group : scope_touched_) {
      Group& g = groups_[static_cast<std::size_t>(group)];
      Open(group, g.in_resource, resource_touched_);
      AppendMessage(g.resource_body, kChildField, scope_header_, g.scope_body);
      g.scope_body.clear();
      g.in_scope = false;
    }
    scope_touched_.clear();
  }
  void EndResource() {
    for (int group : resource_touched_) {
      Group& g = groups_[static_cast<std::size_t>(group)];
      AppendMessage(g.request, 1, resource_header_, g.resource_body);
      g.resource_body.clear();
      g.in_resource = false;
    }
    resource_touched_.clear();
  }

  std::size_t size() const { return groups_.size(); }
  std::string& request(int group) { return groups_[static_cast<std::size_t>(group)].request; }
  std::uint64_t items(int group) const { return groups_[static_cast<std::size_t>(group)].items; }

 private:
  struct Group {
    std::string request;
    std::string resource_body;
    std::string scope_body;
    std::string metric_body;
    std::uint64_t items = 0;
    bool in_metric = false;
    bool in_scope = false;
    bool in_resource = false;
  };
  // Notes that `group` has something in the container being cut (its
  // resource, scope or metric) the first time it does.
  static void Open(int group, bool& open, std::vector<int>& touched) {
    if (open) return;
    open = true;
    touched.push_back(group);
  }
  Group& At(int group) {
    if (static_cast<std::size_t>(group) >= groups_.size())
      groups_.resize(static_cast<std::size_t>(group) + 1);
    return groups_[static_cast<std::size_t>(group)];
  }

  std::vector<Group> groups_;
  std::string resource_header_, scope_header_;
  void Header(std::string& out, std::string_view message) const {
    if (headers_ == Headers::kAll) return AppendHeader(out, message, kChildField);
    Reader r(message);
    Field f;
    while (!r.AtEnd() && r.ReadField(f)) {
      if (f.number == kEntryResource && f.type == WireType::kLen) out.append(f.raw);
    }
  }

  Headers headers_;
  std::vector<int> metric_touched_, scope_touched_, resource_touched_;
  std::string metric_header_, data_header_;
  std::uint32_t data_field_ = 0;
};

// A Metric message taken apart for cutting by data point.
struct MetricPoints {
  std::string header;                    // the Metric's fields but its data member
  std::uint32_t data_field = 0;          // the data member's field number; 0: none
  std::string data_header;               // the data message's fields but data_points
  std::vector<std::string_view> points;  // each data_points entry, tag and length included
};

// Follows protobuf's oneof merge: repeats of the data member concatenate
// their points, another member replaces what came before. False when malformed.
inline bool SplitMetricPoints(std::string_view metric, MetricPoints& out) {
  out = MetricPoints{};
  Reader r(metric);
  Field f;
  while (!r.AtEnd()) {
    if (!r.ReadField(f)) return false;
    const bool data = f.type == WireType::kLen && IsMetricDataField(f.number);
    if (!data) {
      out.header.append(f.raw);
      continue;
    }
    if (f.number != out.data_field) {
      out.data_field = f.number;
      out.data_header.clear();
      out.points.clear();
    }
    Reader d(f.payload);
    Field p;
    while (!d.AtEnd()) {
      if (!d.ReadField(p)) return false;
      if (p.number == kDataPoints && p.type == WireType::kLen) {
        out.points.push_back(p.raw);
      } else {
        out.data_header.append(p.raw);
      }
    }
  }
  return true;
}

}  // namespace otlpd::wire
