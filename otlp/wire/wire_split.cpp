#include <array>
#include <string>
#include <utility>
#include <vector>

#include "otlp/wire/otlp_levels.h"
#include "otlp/wire/wire_walker.h"

namespace otlpd::wire {
namespace {

using schema::Level;

// A message being cut: its header fields are written again in every piece
// that receives some of its children.
struct Container {
  Level level = Level::kRequest;
  std::uint32_t field = 0;   // its field number in the parent (unused for the request)
  std::string_view message;  // the source message, where the header fields come from
  std::size_t start = 0;     // where it begins in the current piece, when written
  bool written = false;      // opened in the current piece
  std::size_t header = 0;    // bytes of its header fields (bytes mode)
};

// Room kept for the tag and length prefix a cut container gets when it is
// closed: a one-byte tag (fields 1..15) and a varint length below 2^35.
constexpr std::size_t kPrefixReserve = 6;

// Greedy, in order: an entry that fits the room left is copied whole;
// otherwise (policy permitting) the next piece is started, or the entry is
// descended into and its children placed one by one. Containers are written
// into a piece lazily, when their first child lands there, so no piece holds
// an empty resource or scope created by the cut.
class Splitter {
 public:
  // bytes == false: max is in items; true: in serialized bytes.
  Splitter(Signal signal, std::uint64_t max, bool bytes, SplitPolicy policy, std::size_t piece_bytes)
      : signal_(signal), max_items_(max), bytes_(bytes), policy_(policy), piece_bytes_(piece_bytes) {
    current_.reserve(piece_bytes_);
  }

  std::vector<Piece> Run(std::string_view request) {
    Descend(Level::kRequest, 0, request);
    if (!current_.empty()) Flush();
    return std::move(pieces_);
  }

 private:
  void Place(Level level, std::uint32_t field, std::string_view raw, std::string_view message,
             std::uint64_t items) {
    if (bytes_) {
      PlaceBytes(level, field, raw, message, items);
      return;
    }
    if (items > 0 && used_ == max_items_) Flush();
    bool fits = used_ + items <= max_items_;
    if (!fits && policy_ == SplitPolicy::kPreferBoundaries && used_ > 0 && items <= max_items_) {
      Flush();
      fits = true;
    }
    if (fits) {
      WriteOpenContainers();
      current_.append(raw);
      used_ += items;
      return;
    }
    // Only containers get here: a leaf holds one item and a piece with room
    // for none was flushed above.
    Descend(level, field, message);
  }

  // Bytes mode: what the piece would weigh with `raw` in it, counting the
  // headers of containers not yet written and a prefix for each one open.
  std::uint64_t Projected(std::size_t raw) const {
    std::uint64_t total = current_.size() + raw;
    for (int i = 0; i < depth_; ++i) {
      const Container& c = stack_[i];
      if (!c.written) total += c.header;
      if (c.level != Level::kRequest) total += kPrefixReserve;
    }
    return total;
  }

  void PlaceBytes(Level level, std::uint32_t field, std::string_view raw, std::string_view message,
                  std::uint64_t items) {
    const std::uint64_t max = max_items_;
    bool fits = Projected(raw.size()) <= max;
    // A leaf is never cut: it starts a new piece, and one larger than a whole
    // piece travels alone, over the limit.
    const bool start_new = level == Level::kLeaf || (policy_ == SplitPolicy::kPreferBoundaries);
    if (!fits && start_new && !current_.empty()) {
      Flush();
      fits = Projected(raw.size()) <= max;
    }
    if (fits || level == Level::kLeaf) {
      WriteOpenContainers();
      current_.append(raw);
      used_ += items;
      return;
    }
    Descend(level, field, message);
  }

  std::size_t HeaderBytes(Level level, std::string_view message) const {
    std::size_t n = 0;
    Reader reader(message);
    Field f;
    while (!reader.AtEnd() && reader.ReadField(f, kMaxNestingDepth)) {
      if (!IsChild(level, f.number)) n += f.raw.size();
    }
    return n;
  }

  void Descend(Level level, std::uint32_t field, std::string_view message) {
    stack_[depth_++] = Container{level, field, message, 0, false, bytes_ ? HeaderBytes(level, message) : 0};
    Level child_level = schema::ChildLevel(signal_, level);
    std::uint32_t child_field = schema::ChildField(level);
    std::string_view children = message;
    if (level == Level::kMetric) {
      schema::MetricData data = schema::FindMetricData(message);
      child_field = data.field;
      children.remove_prefix(data.offset);
    }
    Reader reader(children);
    Field child;
    while (!reader.AtEnd() && reader.ReadField(child, kMaxNestingDepth)) {
      if (child.number != child_field || child.type != WireType::kLen) continue;
      Place(child_level, child.number, child.raw, child.payload,
            schema::CountItems(signal_, child_level, child.payload));
    }
    Container& self = stack_[depth_ - 1];
    if (self.written && self.level != Level::kRequest) Close(self);
    --depth_;
  }

  bool IsChild(Level level, std::uint32_t number) const {
    return level == Level::kMetric ? schema::IsMetricDataField(number) : number == schema::ChildField(level);
  }

  void WriteOpenContainers() {
    for (int i = 0; i < depth_; ++i) {
      Container& c = stack_[i];
      if (c.written) continue;
      c.start = current_.size();
      c.written = true;
      // Header fields keep their order; only their position relative to the
      // children changes, which protobuf ignores.
      Reader reader(c.message);
      Field field;
      while (!reader.AtEnd() && reader.ReadField(field, kMaxNestingDepth)) {
        if (!IsChild(c.level, field.number)) current_.append(field.raw);
      }
    }
  }

  void Close(Container& c) {
    std::string prefix;
    AppendTag(prefix, c.field, WireType::kLen);
    AppendVarint(prefix, current_.size() - c.start);
    current_.insert(c.start, prefix);
    c.written = false;
  }

  void Flush() {
    for (int i = depth_ - 1; i >= 0; --i) {
      Container& c = stack_[i];
      if (!c.written) continue;
      if (c.level == Level::kRequest) {
        c.written = false;
      } else {
        Close(c);
      }
    }
    if (current_.empty() && used_ == 0) return;
    pieces_.push_back(Piece{std::move(current_), used_, {}});
    current_ = std::string();
    current_.reserve(piece_bytes_);
    used_ = 0;
  }

  Signal signal_;
  std::uint64_t max_items_;  // in bytes when bytes_
  bool bytes_;
  SplitPolicy policy_;
  std::size_t piece_bytes_;
  std::vector<Piece> pieces_;
  std::string current_;
  std::uint64_t used_ = 0;
  std::array<Container, 6> stack_{};  // request, resource, scope, metric, data
  int depth_ = 0;
};

}  // namespace

Result<std::vector<Piece>> Split(Signal signal, std::string_view request, std::uint64_t max_items,
                                 SplitPolicy policy) {
  Result<std::uint64_t> total = ValidateAndCount(signal, request);
  if (!total.ok()) return total.status();
  std::vector<Piece> pieces;
  // A profiles request's resource entries index its one dictionary: cutting
  // them apart would need the dictionary rebuilt per piece, so it goes whole.
  if (max_items == 0 || *total <= max_items || signal == Signal::kProfiles) {
    pieces.push_back(Piece{std::string(request), *total, {}});
    return pieces;
  }
  // Pieces come out about this large; the reserve saves most regrowth.
  std::size_t piece_bytes = static_cast<std::size_t>(request.size() / (*total / max_items + 1)) + 256;
  return Splitter(signal, max_items, false, policy, piece_bytes).Run(request);
}

Result<std::vector<Piece>> SplitBytes(Signal signal, std::string_view request, std::uint64_t max_bytes,
                                      SplitPolicy policy) {
  Result<std::uint64_t> total = ValidateAndCount(signal, request);
  if (!total.ok()) return total.status();
  std::vector<Piece> pieces;
  if (max_bytes == 0 || request.size() <= max_bytes || signal == Signal::kProfiles) {
    pieces.push_back(Piece{std::string(request), *total, {}});
    return pieces;
  }
  return Splitter(signal, max_bytes, true, policy, static_cast<std::size_t>(max_bytes)).Run(request);
}

}  // namespace otlpd::wire
