// Pre-built OTLP export requests for the load generator. A request is
// serialized once; every send copies those bytes and overwrites, in place, the
// fixed-width fields that must differ per send (item ids, trace ids, send
// time), so sending costs a memcpy and a few stores instead of an encode.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "internal/signal.h"

namespace otlpd::bench {

// How spans (and log records) group into traces. Item n (its id) belongs to
// trace n / spans_per_trace, whose 16-byte id is derived from that number and
// `seed`: runs with different seeds send the same item ids in new traces.
struct TraceShape {
  std::uint32_t spans_per_trace = 10;  // as a service's spans share their request's trace
  std::uint64_t seed = 0;
  // Spans at positions error_every - 1, 2 * error_every - 1, ... of every
  // request have status ERROR (the others OK); 0: none.
  std::uint32_t error_every = 0;
};

// The trace id of item `id` (hi, lo: the two big-endian halves).
std::pair<std::uint64_t, std::uint64_t> TraceIdOf(std::uint64_t id, const TraceShape& shape);

class RequestTemplate {
 public:
  // `items` spans, log records or metric data points; metrics carry 7 points
  // each, so their item count is rounded down to a multiple of 7 (at least 7).
  static RequestTemplate Build(Signal signal, std::uint32_t items, TraceShape shape = {});

  Signal signal() const { return signal_; }
  std::uint32_t items() const { return static_cast<std::uint32_t>(slots_.size()); }
  std::size_t size() const { return bytes_.size(); }

  // The request with item ids first_id .. first_id + items() - 1 and send time `send_ns`.
  std::string Instantiate(std::uint64_t first_id, std::uint64_t send_ns) const;

 private:
  // Byte offsets, in bytes_, of the fields of one item that Instantiate writes;
  // kNone where the signal has no such field.
  struct Slot {
    std::uint32_t id = kNone;        // spans, logs: span_id (8 bytes big-endian)
    std::uint32_t id_fixed = kNone;  // metrics: start_time_unix_nano (fixed64) holding the id
    std::uint32_t trace_id = kNone;  // 16 bytes
    std::uint32_t time = kNone;      // fixed64: send time
    std::uint32_t end_time = kNone;  // spans: fixed64, send time + duration
  };
  static constexpr std::uint32_t kNone = 0xFFFFFFFF;

  Signal signal_ = Signal::kTraces;
  TraceShape shape_;
  std::string bytes_;
  std::vector<Slot> slots_;
};

}  // namespace otlpd::bench
