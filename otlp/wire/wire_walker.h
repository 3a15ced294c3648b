// otlp_wire: the OTLP wire walker (validate, count, iterate, split).
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "internal/signal.h"
#include "internal/status.h"
#include "otlp/wire/nesting_limit.h"
#include "otlp/wire/wire_format.h"

namespace otlpd::wire {

// Walks a serialized Export*ServiceRequest of `signal` without decoding it into
// messages: checks tags, wire types and lengths all the way down to the items,
// checks that string fields hold valid UTF-8, and counts the items (spans,
// metric data points, log records). InvalidArgument with a short reason on
// malformed input. Never allocates, never reads out of bounds.
//
// Stricter than protobuf in two ways, both deliberate: a known field number
// with the wrong wire type is an error (protobuf would keep it as an unknown
// field), and trace/span ids must be empty or 16/8 bytes (otelcol rejects
// other lengths). Unknown field numbers, including groups, are skipped.
// Metric points are counted as otelcol does: the data points of the metric's
// last gauge/sum/histogram/exponential_histogram/summary member.
Result<std::uint64_t> ValidateAndCount(Signal signal, std::string_view bytes);

// One repeated child message found by the iterators below.
struct Entry {
  std::string_view field;    // tag, length prefix and message: append it to re-emit the entry as is
  std::string_view message;  // the message alone: pass it to Scopes() / Items()
  std::uint64_t items = 0;   // spans, metric data points or log records inside
};

// A forward pass over one kind of child entry of a message, skipping every
// other field. Meant for bytes that passed ValidateAndCount; on malformed
// bytes it stops early and malformed() turns true, without reading out of
// bounds. Usable with range-for or with Next().
class EntryRange {
 public:
  class Iterator {
   public:
    using value_type = Entry;
    using difference_type = std::ptrdiff_t;

    Iterator() = default;
    const Entry& operator*() const { return entry_; }
    const Entry* operator->() const { return &entry_; }
    Iterator& operator++() {
      done_ = !range_->Next(entry_);
      return *this;
    }
    void operator++(int) { ++*this; }
    bool operator==(std::default_sentinel_t) const { return done_; }

   private:
    friend class EntryRange;
    explicit Iterator(EntryRange* range) : range_(range) { ++*this; }

    EntryRange* range_ = nullptr;
    Entry entry_;
    bool done_ = true;
  };

  // Fills `entry` with the next child; false at the end or on malformed input.
  bool Next(Entry& entry);
  bool malformed() const { return malformed_; }

  Iterator begin() { return Iterator(this); }
  std::default_sentinel_t end() const { return {}; }

 private:
  friend EntryRange Resources(Signal, std::string_view);
  friend EntryRange Scopes(Signal, std::string_view);
  friend EntryRange Items(Signal, std::string_view);
  EntryRange(Signal signal, std::uint8_t level, std::string_view message)
      : signal_(signal), level_(level), reader_(message) {}

  Signal signal_;
  std::uint8_t level_;  // schema::Level of the message being iterated
  Reader reader_;
  bool malformed_ = false;
};

// Resource entries (field 1: ResourceSpans / ResourceMetrics / ResourceLogs) of a request.
EntryRange Resources(Signal signal, std::string_view request);
// Scope entries (field 2: ScopeSpans / ScopeMetrics / ScopeLogs) of one resource entry's message.
EntryRange Scopes(Signal signal, std::string_view resource);
// Item entries (field 2) of one scope entry's message: spans and log records
// (items == 1 each) or metrics (items == their data points).
EntryRange Items(Signal signal, std::string_view scope);

// How Split places an entry that does not fit the room left in the current piece.
enum class SplitPolicy : std::uint8_t {
  // Fill every piece to exactly max_items (the last may hold fewer) by cutting
  // the entry, as otelcol's batch processor does: fewest pieces.
  kFill,
  // Start a new piece instead when the entry fits a piece whole: fewer cut
  // resources and scopes, at the cost of pieces that are not full.
  kPreferBoundaries,
};

struct Piece {
  std::string bytes;  // a complete Export*ServiceRequest
  std::uint64_t items = 0;
  std::string gzip;  // as Payload::gzip: the senders' gzip of `bytes`, when every part had one
};

// Cuts a request into requests of at most `max_items` items each, in the
// original order. Whole resource entries are copied byte for byte; a resource
// (then a scope, then for metrics a metric) that must be cut is re-written in
// each piece with its header fields (everything but its repeated child field:
// resource, scope, schema_url, metric name/unit/temporality, unknown fields)
// and fresh length prefixes. Entries without items go to the current piece.
// max_items == 0 means no limit. Validates first: InvalidArgument as
// ValidateAndCount. A request that fits is returned as a single piece, and so
// is every profiles request (its entries share the request's dictionary).
Result<std::vector<Piece>> Split(Signal signal, std::string_view request, std::uint64_t max_items,
                                 SplitPolicy policy = SplitPolicy::kFill);

// Cuts a request into requests of at most `max_bytes` serialized bytes each,
// in the original order, the same way (whole entries copied, cut containers
// re-written with their header fields). Items (spans, log records, data
// points) are never cut: one larger than max_bytes on its own travels alone
// in a piece over the limit. Pieces may come out a few bytes under the limit
// (room is kept for each cut container's length prefix). max_bytes == 0
// means no limit.
Result<std::vector<Piece>> SplitBytes(Signal signal, std::string_view request, std::uint64_t max_bytes,
                                      SplitPolicy policy = SplitPolicy::kFill);

// Batching is concatenation: repeated fields of serialized protobuf messages
// concatenate, so `dst + src` is one valid request holding the resource entries
// of both (same signal). Items add up. Not for profiles: each request's
// entries index its own dictionary, which concatenation would merge.
inline void AppendRequest(std::string& dst, std::string_view src) { dst.append(src); }

}  // namespace otlpd::wire
