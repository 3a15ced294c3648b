#include "config/compression/gzip_sender.h"

#include <spdlog/spdlog.h>

#include "config/compression/gzip_members.h"

namespace otlpd::config::compression {
namespace {

constexpr int kFastLevel = 1;

const char* WayName(GzipSender::Way w) {
  return w == GzipSender::Way::kFast ? "gzip level 1" : "gzip level 6";
}

}  // namespace

GzipSender::GzipSender(int level)
    : adaptive_(level == 0), configured_(Compression::kGzip, level), fast_(Compression::kGzip, kFastLevel) {}

Result<std::string> GzipSender::Gzip(Signal signal, std::string_view bytes, std::string_view senders_gzip) {
  if (!adaptive_) return configured_.Take()->CompressToString(bytes);
  const std::size_t i = SignalIndex(signal);
  if (sends_[i].fetch_add(1, std::memory_order_relaxed) % kSampleEvery == 0) {
    return Measure(signal, bytes, senders_gzip);
  }
  if (!senders_gzip.empty() && pass_on_[i].load(std::memory_order_relaxed)) {
    if (auto joined = JoinGzipMembers(senders_gzip, bytes.size()); joined.ok()) return joined;
  }
  CompressorPool& pool = ways_[i].load(std::memory_order_relaxed) == Way::kFast ? fast_ : configured_;
  return pool.Take()->CompressToString(bytes);
}

Result<std::string> GzipSender::Measure(Signal signal, std::string_view bytes,
                                        std::string_view senders_gzip) {
  const std::size_t i = SignalIndex(signal);
  CompressorPool::Lease level6 = configured_.Take();
  Result<std::string_view> def = level6->Compress(bytes);
  if (!def.ok()) return def.status();
  const double limit = static_cast<double>(def->size()) * (1 + kTolerance);
  CompressorPool::Lease level1 = fast_.Take();
  Result<std::string_view> fast = level1->Compress(bytes);
  Result<std::string> joined = Status::InvalidArgument("no senders' gzip");
  if (!senders_gzip.empty()) joined = JoinGzipMembers(senders_gzip, bytes.size());

  const bool pass_on = joined.ok() && static_cast<double>(joined->size()) <= limit;
  const Way way = fast.ok() && static_cast<double>(fast->size()) <= limit ? Way::kFast : Way::kDefault;
  const Way was = ways_[i].exchange(way, std::memory_order_relaxed);
  const bool passed_on = pass_on_[i].exchange(pass_on, std::memory_order_relaxed);
  if (was != way || passed_on != pass_on) {
    spdlog::debug("gzip for {}: {} bytes at level 6, {} at level 1, {} as the senders made it: {}{}",
                  SignalName(signal), def->size(), fast.ok() ? fast->size() : 0,
                  joined.ok() ? joined->size() : 0, pass_on ? "passing their gzip on, else " : "",
                  WayName(way));
  }
  // The smallest of what was made goes out.
  if (pass_on && joined->size() <= def->size()) return joined;
  if (fast.ok() && fast->size() < def->size()) return std::string(*fast);
  return std::string(*def);
}

}  // namespace otlpd::config::compression
