#pragma once

#include <cstdint>
#include <string>

#include "opentelemetry/proto/collector/profiles/v1development/profiles_service.pb.h"

namespace otlpd::test {

// An OTLP profiles request: two profiles (2 and 1 samples, 3 in all) of
// resource service.name=svc, scope "profiler", indexing a shared dictionary.
inline opentelemetry::proto::collector::profiles::v1development::ExportProfilesServiceRequest
ProfilesRequest() {
  opentelemetry::proto::collector::profiles::v1development::ExportProfilesServiceRequest req;
  auto* dict = req.mutable_dictionary();
  dict->add_string_table("");
  dict->add_string_table("cpu");
  dict->add_string_table("nanoseconds");
  dict->add_string_table("thread");
  auto* attr = dict->add_attribute_table();
  attr->set_key_strindex(3);
  attr->mutable_value()->set_string_value("main");
  auto* link = dict->add_link_table();
  link->set_trace_id(std::string(16, '\x01'));
  link->set_span_id(std::string(8, '\x02'));
  dict->add_stack_table()->add_location_indices(0);
  auto* loc = dict->add_location_table();
  loc->set_address(0x1234);
  loc->add_lines()->set_line(42);
  dict->add_function_table()->set_name_strindex(1);
  auto* rp = req.add_resource_profiles();
  auto* kv = rp->mutable_resource()->add_attributes();
  kv->set_key("service.name");
  kv->mutable_value()->set_string_value("svc");
  auto* sp = rp->add_scope_profiles();
  sp->mutable_scope()->set_name("profiler");
  for (int n : {2, 1}) {
    auto* p = sp->add_profiles();
    p->set_profile_id(std::string(16, static_cast<char>(n)));
    p->mutable_sample_type()->set_type_strindex(1);
    p->mutable_sample_type()->set_unit_strindex(2);
    // Set so the JSON round trip compares equal: pdata (and otlpd's encoder)
    // writes a singular message field even when empty.
    p->mutable_period_type()->set_type_strindex(1);
    p->mutable_period_type()->set_unit_strindex(2);
    p->set_period(10000000);
    p->set_time_unix_nano(1700000000000000000ull);
    p->add_attribute_indices(0);
    for (int i = 0; i < n; ++i) {
      auto* s = p->add_samples();
      s->set_stack_index(0);
      s->add_values(100 + i);
      s->add_timestamps_unix_nano(1700000000000000001ull + static_cast<std::uint64_t>(i));
    }
  }
  return req;
}

}  // namespace otlpd::test
