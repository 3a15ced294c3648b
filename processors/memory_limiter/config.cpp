#include "processors/memory_limiter/config.h"

namespace otlpd::processors::memory_limiter {

Config Config::Decode(config::MapDecoder& d) {
  Config c;
  d.Optional("check_interval", c.check_interval);
  d.Optional("limit_mib", c.limit_mib);
  d.Optional("spike_limit_mib", c.spike_limit_mib);
  d.Optional("limit_percentage", c.limit_percentage);
  d.Optional("spike_limit_percentage", c.spike_limit_percentage);
  d.Optional("min_gc_interval_when_soft_limited", c.min_gc_interval_when_soft_limited);
  d.Optional("min_gc_interval_when_hard_limited", c.min_gc_interval_when_hard_limited);
  d.Optional("max_gc_interval_when_soft_limited", c.max_gc_interval_when_soft_limited);
  d.Optional("max_gc_interval_when_hard_limited", c.max_gc_interval_when_hard_limited);
  // otelcol's optional `garbage_collector` block (on by default) has no options
  // but `enabled`; it decides whether Go's GC is forced, and otlpd has no GC to
  // force, so on and off mean the same here.
  {
    config::MapDecoder gc = d.Child("garbage_collector");
    gc.SectionEnabled();
    gc.Finish();
  }
  d.Finish();
  if (std::optional<config::Problem> p = c.Validate()) d.Fail(p->key, p->message);
  return c;
}

std::optional<config::Problem> Config::Validate() const {
  using std::chrono::nanoseconds;
  if (check_interval <= nanoseconds::zero()) {
    return config::Problem{"check_interval", "'check_interval' must be greater than zero"};
  }
  if (min_gc_interval_when_soft_limited < min_gc_interval_when_hard_limited) {
    return config::Problem{
        "min_gc_interval_when_soft_limited",
        "'min_gc_interval_when_soft_limited' should be larger than 'min_gc_interval_when_hard_limited'"};
  }
  if (max_gc_interval_when_soft_limited < nanoseconds::zero()) {
    return config::Problem{"max_gc_interval_when_soft_limited",
                           "'max_gc_interval_when_soft_limited' must be non-negative"};
  }
  if (max_gc_interval_when_hard_limited < nanoseconds::zero()) {
    return config::Problem{"max_gc_interval_when_hard_limited",
                           "'max_gc_interval_when_hard_limited' must be non-negative"};
  }
  if (max_gc_interval_when_soft_limited > nanoseconds::zero() &&
      max_gc_interval_when_soft_limited < min_gc_interval_when_soft_limited) {
    return config::Problem{"max_gc_interval_when_soft_limited",
                           "'max_gc_interval_when_soft_limited' must be greater than or equal to "
                           "'min_gc_interval_when_soft_limited' (or 0 to disable)"};
  }
  if (max_gc_interval_when_hard_limited > nanoseconds::zero() &&
      max_gc_interval_when_hard_limited < min_gc_interval_when_hard_limited) {
    return config::Problem{"max_gc_interval_when_hard_limited",
                           "'max_gc_interval_when_hard_limited' must be greater than or equal to "
                           "'min_gc_interval_when_hard_limited' (or 0 to disable)"};
  }
  if (max_gc_interval_when_soft_limited > nanoseconds::zero() &&
      max_gc_interval_when_hard_limited > nanoseconds::zero() &&
      max_gc_interval_when_soft_limited < max_gc_interval_when_hard_limited) {
    return config::Problem{"max_gc_interval_when_soft_limited",
                           "'max_gc_interval_when_soft_limited' should be larger than or equal to "
                           "'max_gc_interval_when_hard_limited' (when both are set)"};
  }
  if (limit_mib == 0 && limit_percentage == 0) {
    return config::Problem{"limit_mib", "'limit_mib' or 'limit_percentage' must be greater than zero"};
  }
  if (limit_percentage > 100 || spike_limit_percentage > 100) {
    return config::Problem{
        limit_percentage > 100 ? "limit_percentage" : "spike_limit_percentage",
        "'limit_percentage' and 'spike_limit_percentage' must be greater than zero and less than or equal to "
        "hundred"};
  }
  if (limit_mib > 0 && limit_mib <= spike_limit_mib) {
    return config::Problem{"spike_limit_mib", "'spike_limit_mib' must be smaller than 'limit_mib'"};
  }
  if (limit_percentage > 0 && limit_percentage <= spike_limit_percentage) {
    return config::Problem{"spike_limit_percentage",
                           "'spike_limit_percentage' must be smaller than 'limit_percentage'"};
  }
  return std::nullopt;
}

}  // namespace otlpd::processors::memory_limiter
