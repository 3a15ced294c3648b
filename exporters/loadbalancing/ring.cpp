#include "exporters/loadbalancing/ring.h"

#include <zlib.h>

#include <algorithm>
#include <tuple>

namespace otlpd::exporters::loadbalancing {

std::uint32_t Crc32Ieee(std::string_view bytes) {
  uLong crc = crc32(0L, Z_NULL, 0);
  // zlib takes uInt lengths; identifiers are small, but stay correct anyway.
  while (!bytes.empty()) {
    const auto n = static_cast<uInt>(std::min<std::size_t>(bytes.size(), 1u << 30));
    crc = crc32(crc, reinterpret_cast<const Bytef*>(bytes.data()), n);
    bytes.remove_prefix(n);
  }
  return static_cast<std::uint32_t>(crc);
}

HashRing::HashRing(std::vector<std::string> endpoints) : endpoints_(std::move(endpoints)) {
  struct Candidate {
    std::uint32_t position;
    std::uint32_t hash;
    std::uint32_t endpoint;
  };
  std::vector<Candidate> candidates;
  candidates.reserve(endpoints_.size() * kPointsPerEndpoint);
  std::string buf;
  for (std::uint32_t e = 0; e < endpoints_.size(); ++e) {
    for (std::uint32_t i = 0; i < static_cast<std::uint32_t>(kPointsPerEndpoint); ++i) {
      buf = endpoints_[e];
      for (int b = 0; b < 4; ++b) buf.push_back(static_cast<char>((i >> (8 * b)) & 0xff));
      const std::uint32_t h = Crc32Ieee(buf);
      candidates.push_back({h % kRingPositions, h, e});
    }
  }
  std::sort(candidates.begin(), candidates.end(), [&](const Candidate& a, const Candidate& b) {
    return std::tie(a.position, a.hash, endpoints_[a.endpoint]) <
           std::tie(b.position, b.hash, endpoints_[b.endpoint]);
  });
  std::vector<bool> taken(kRingPositions, false);
  points_.reserve(candidates.size());
  for (const Candidate& c : candidates) {
    std::uint32_t pos = c.position;
    int probed = 0;
    while (taken[pos] && probed < kProbeLimit) {
      pos = (pos + 1) % kRingPositions;
      ++probed;
    }
    if (probed >= kProbeLimit) continue;  // contrib drops it, even when this last position is free
    taken[pos] = true;
    points_.push_back({pos, c.endpoint});
  }
  std::sort(points_.begin(), points_.end(),
            [](const Point& a, const Point& b) { return a.position < b.position; });
}

std::size_t HashRing::PointAt(std::uint32_t position) const {
  auto it = std::lower_bound(points_.begin(), points_.end(), position,
                             [](const Point& p, std::uint32_t pos) { return p.position < pos; });
  if (it == points_.end()) return 0;
  return static_cast<std::size_t>(it - points_.begin());
}

int HashRing::EndpointFor(std::string_view identifier, const std::function<bool(std::uint32_t)>& skip) const {
  if (points_.empty()) return -1;
  const std::size_t first = PointAt(PositionOf(identifier));
  const std::uint32_t choice = points_[first].endpoint;
  if (!skip || !skip(choice)) return static_cast<int>(choice);
  for (std::size_t step = 1; step < points_.size(); ++step) {
    const std::uint32_t e = points_[(first + step) % points_.size()].endpoint;
    if (e != choice && !skip(e)) return static_cast<int>(e);
  }
  return static_cast<int>(choice);
}

}  // namespace otlpd::exporters::loadbalancing
