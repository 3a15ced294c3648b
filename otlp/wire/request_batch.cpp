#include "otlp/wire/request_batch.h"

#include <algorithm>

namespace otlpd::wire {

void RequestBatch::Append(std::string_view request, std::uint64_t items, const BatchLimits& limits,
                          std::string_view gzip) {
  if (bytes_.empty()) all_gzip_ = true;
  if (all_gzip_ && !gzip.empty()) {
    gzip_.append(gzip);
  } else if (all_gzip_) {
    all_gzip_ = false;
    gzip_ = std::string();
  }
  if (bytes_.empty()) {
    std::uint64_t want = request.size();
    if (limits.sizer == BatchSizer::kBytes) {
      want = std::max<std::uint64_t>(want, limits.min_size);
    } else if (items > 0) {
      want = std::max<std::uint64_t>(want, request.size() / items * (limits.min_size + 1));
    }
    bytes_.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(want, 64u << 20)));
  }
  AppendRequest(bytes_, request);
  items_ += items;
}

void RequestBatch::TakeAll(std::vector<Piece>& out) {
  out.push_back(Piece{std::move(bytes_), items_, all_gzip_ ? std::move(gzip_) : std::string()});
  cut_items_ += items_;
  bytes_ = std::string();
  gzip_ = std::string();
  items_ = 0;
}

Status RequestBatch::Cut(const BatchLimits& limits, bool all, std::vector<Piece>& out) {
  if (bytes_.empty()) return Status::Ok();
  if (limits.max_size == 0 || size(limits.sizer) <= limits.max_size) {
    if (all || Ready(limits)) TakeAll(out);
    return Status::Ok();
  }
  if (!all && !Ready(limits)) return Status::Ok();
  auto pieces = limits.sizer == BatchSizer::kItems
                    ? Split(signal_, bytes_, limits.max_size, SplitPolicy::kFill)
                    : SplitBytes(signal_, bytes_, limits.max_size, SplitPolicy::kFill);
  if (!pieces.ok()) {
    TakeAll(out);
    return pieces.status();
  }
  // Cut pieces are new bytes: the senders' gzip no longer matches them.
  gzip_ = std::string();
  all_gzip_ = false;
  auto& list = *pieces;
  for (std::size_t i = 0; i + 1 < list.size(); ++i) {
    cut_items_ += list[i].items;
    out.push_back(std::move(list[i]));
  }
  Piece& last = list.back();
  const std::uint64_t last_size = limits.sizer == BatchSizer::kItems ? last.items : last.bytes.size();
  if (all || last_size >= limits.min_size) {
    cut_items_ += last.items;
    out.push_back(std::move(last));
    bytes_ = std::string();
    items_ = 0;
  } else {
    bytes_ = std::move(last.bytes);
    items_ = last.items;
  }
  return Status::Ok();
}

std::string MetadataPartition(const std::vector<std::string>& keys, const Payload& payload,
                              std::shared_ptr<const Metadata>* kept) {
  if (keys.empty()) return {};
  auto values = std::make_shared<Metadata>();
  std::string key;
  for (const std::string& k : keys) {
    key += k;
    key += '\x1f';
    if (payload.metadata) {
      for (const auto& [mk, mv] : *payload.metadata) {
        if (mk != k) continue;
        values->emplace_back(mk, mv);
        key += mv;
        key += '\x1e';
      }
    }
    key += '\x1d';
  }
  *kept = std::move(values);
  return key;
}

}  // namespace otlpd::wire
