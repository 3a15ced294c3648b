// The consistent-hash ring of contrib's loadbalancing exporter (v0.161.0,
// consistent_hashing.go), reproduced position for position so that an otlpd
// agent and an otelcol agent in front of the same backends send each key to
// the same backend.
//
//   - The ring has kRingPositions (131071) positions; each endpoint gets
//     kPointsPerEndpoint (200) candidate points.
//   - Point i of endpoint E hashes CRC32-IEEE(E's bytes, then i as a uint32
//     little-endian); its position is that hash mod 131071.
//   - All candidates are sorted by (position, hash, endpoint) and placed in
//     that order; one that finds its position taken probes the next positions
//     (mod 131071), at most kProbeLimit (10) steps; a candidate that took all
//     ten steps is dropped, even when the tenth position was free (as contrib).
//   - A key hashes CRC32-IEEE(key) mod 131071 and belongs to the first point at
//     or after that position, wrapping to the first point of the ring.
//
// Adding or removing an endpoint only moves the keys of its own points (and
// the few whose probing shifts), which is what keeps traces on their backend
// while the backend set changes.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace otlpd::exporters::loadbalancing {

inline constexpr std::uint32_t kRingPositions = 131071;
inline constexpr int kPointsPerEndpoint = 200;
inline constexpr int kProbeLimit = 10;

// CRC32-IEEE (zlib's crc32, Go's crc32.ChecksumIEEE).
std::uint32_t Crc32Ieee(std::string_view bytes);

class HashRing {
 public:
  struct Point {
    std::uint32_t position = 0;
    std::uint32_t endpoint = 0;  // index into endpoints()
  };

  HashRing() = default;
  // `endpoints` as the resolver returned them (contrib sorts them first; the
  // ring does not depend on their order).
  explicit HashRing(std::vector<std::string> endpoints);

  bool empty() const { return points_.empty(); }
  const std::vector<std::string>& endpoints() const { return endpoints_; }
  const std::vector<Point>& points() const { return points_; }

  // The ring position of a routing identifier.
  static std::uint32_t PositionOf(std::string_view identifier) {
    return Crc32Ieee(identifier) % kRingPositions;
  }

  // The index of the point responsible for `position`: the first at or after it, wrapping. Ring not empty.
  std::size_t PointAt(std::uint32_t position) const;

  // The endpoint (index into endpoints()) for `identifier`, as contrib's
  // endpointFor. When `skip` says an endpoint is to be avoided (it failed),
  // the walk goes on clockwise to the next point of another endpoint; when
  // every endpoint is to be skipped, the first choice is returned. -1 when
  // the ring is empty.
  int EndpointFor(std::string_view identifier,
                  const std::function<bool(std::uint32_t)>& skip = nullptr) const;

  bool operator==(const HashRing& other) const { return endpoints_ == other.endpoints_; }

 private:
  std::vector<std::string> endpoints_;
  std::vector<Point> points_;  // sorted by position, positions unique
};

}  // namespace otlpd::exporters::loadbalancing
