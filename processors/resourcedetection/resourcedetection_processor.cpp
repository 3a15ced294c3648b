#include "processors/resourcedetection/resourcedetection_processor.h"

#include <algorithm>
#include <future>
#include <random>

#include <spdlog/spdlog.h>

#include "config/retry/retry_config.h"
#include "otlp/wire/field_numbers.h"
#include "otlp/wire/wire_format.h"
#include "otlp/wire/wire_walker.h"
#include "processors/resource/resource_processor.h"

namespace otlpd::processors::resourcedetection {
namespace {

// Gives every resource entry without a schema_url the detectors' one, as
// otelcol's MergeSchemaURL does (an entry's own URL is kept). nullopt when
// every entry has one already.
Result<std::optional<std::string>> FillSchemaUrls(Signal signal, std::string_view request,
                                                  std::string_view url) {
  std::optional<std::string> out;
  const char* copied_to = request.data();
  wire::EntryRange entries = wire::Resources(signal, request);
  for (const wire::Entry& e : entries) {
    bool has_url = false;
    wire::Reader reader(e.message);
    wire::Field f;
    while (!reader.AtEnd()) {
      if (!reader.ReadField(f)) return Status::InvalidArgument("malformed resource entry");
      // The last occurrence wins, as protobuf parses a repeated scalar.
      if (f.number == wire::kEntrySchemaUrl && f.type == wire::WireType::kLen) has_url = !f.payload.empty();
    }
    if (has_url) continue;
    if (!out) {
      out.emplace();
      out->reserve(request.size() + 64);
    }
    out->append(copied_to, static_cast<std::size_t>(e.field.data() - copied_to));
    std::string body(e.message);
    wire::AppendLengthDelimited(body, wire::kEntrySchemaUrl, url);
    wire::AppendLengthDelimited(*out, wire::kRequestEntries, body);
    copied_to = e.field.data() + e.field.size();
  }
  if (entries.malformed()) return Status::InvalidArgument("malformed request");
  if (out) out->append(copied_to, static_cast<std::size_t>(request.data() + request.size() - copied_to));
  return out;
}

double UniformRandom() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

}  // namespace

ResourceProvider::ResourceProvider(Config config, std::vector<NamedDetector> detectors)
    : config_(std::move(config)),
      detectors_(std::move(detectors)),
      snapshot_(std::make_shared<Detection>()) {}

ResourceProvider::~ResourceProvider() { Stop(); }

bool ResourceProvider::WaitUntil(Clock::time_point until) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_until(lock, until, [&] { return stopping_; });
  return !stopping_;
}

Result<Detected> ResourceProvider::DetectWithRetry(Detector& detector, Clock::time_point deadline) {
  const Clock::time_point start = Clock::now();
  config::ExponentialBackoff backoff(config_.retry, UniformRandom);
  while (true) {
    Result<Detected> r = detector.Detect(deadline);
    if (r.ok() || !config_.retry.enabled) return r;
    const auto wait = backoff.Next();
    const Clock::time_point next = Clock::now() + wait;
    if (next >= deadline) return r;
    if (config_.retry.max_elapsed_time.count() > 0 && next - start > config_.retry.max_elapsed_time) return r;
    spdlog::warn("resourcedetection: detection failed, retrying: {}", r.status().message());
    if (!WaitUntil(next)) return r;
  }
}

Detection ResourceProvider::Refresh() {
  const Clock::time_point deadline =
      config_.timeout.count() > 0 ? Clock::now() + config_.timeout : Clock::time_point::max();
  std::vector<std::future<Result<Detected>>> results;
  for (NamedDetector& d : detectors_) {
    results.push_back(std::async(std::launch::async,
                                 [this, &d, deadline] { return DetectWithRetry(*d.detector, deadline); }));
  }
  Detection out;
  for (std::size_t i = 0; i < results.size(); ++i) {
    Result<Detected> r = results[i].get();
    if (!r.ok()) {
      if (!out.errors.empty()) out.errors += "; ";
      out.errors += detectors_[i].name + ": " + r.status().message();
      continue;
    }
    ++out.successes;
    // Schema URLs: the first one set wins (otelcol ignores a conflicting one).
    if (out.merged.schema_url.empty()) out.merged.schema_url = r->schema_url;
    for (auto& [key, value] : r->attributes) {
      if (out.merged.Find(key) == nullptr) out.merged.attributes.emplace_back(key, value);
    }
  }
  if (out.successes == 0) out.merged = Detected{};
  for (const auto& [key, value] : out.merged.attributes) {
    attraction::Action a;
    a.type = config_.override ? attraction::ActionType::kUpsert : attraction::ActionType::kInsert;
    a.key = key;
    a.value = value;
    out.actions.push_back(std::move(a));
  }
  spdlog::info("resourcedetection: detected {} attribute(s){}", out.merged.attributes.size(),
               out.errors.empty() ? "" : " (errors: " + out.errors + ")");

  std::lock_guard<std::mutex> lock(mu_);
  const bool had_good = snapshot_->errors.empty() && !snapshot_->merged.attributes.empty();
  if (!(had_good && !out.errors.empty())) snapshot_ = std::make_shared<Detection>(out);
  return out;
}

void ResourceProvider::StartRefreshing() {
  if (config_.refresh_interval.count() <= 0 || refresher_.joinable()) return;
  refresher_ = std::thread([this] {
    while (WaitUntil(Clock::now() + config_.refresh_interval)) {
      Detection d = Refresh();
      if (!d.errors.empty()) spdlog::warn("resourcedetection: resource refresh failed: {}", d.errors);
    }
  });
}

void ResourceProvider::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (refresher_.joinable()) refresher_.join();
}

Status ResourceProvider::Acquire(const std::string& id) {
  std::lock_guard<std::mutex> lock(start_mu_);
  if (!started_) {
    started_ = true;
    Detection d = Refresh();
    start_status_ = d.errors.empty()
                        ? Status::Ok()
                        : Status::Internal("processor " + id + ": resource detection failed: " + d.errors);
    if (start_status_.ok()) StartRefreshing();
  }
  if (start_status_.ok()) ++users_;
  return start_status_;
}

void ResourceProvider::Release() {
  std::lock_guard<std::mutex> lock(start_mu_);
  if (users_ > 0 && --users_ == 0) Stop();
}

std::shared_ptr<const Detection> ResourceProvider::snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  return snapshot_;
}

ResourceDetectionProcessor::ResourceDetectionProcessor(std::string id, Signal signal,
                                                       std::shared_ptr<ResourceProvider> provider,
                                                       Consumer* next)
    : id_(std::move(id)), signal_(signal), provider_(std::move(provider)), next_(next) {}

Status ResourceDetectionProcessor::Start() {
  Status s = provider_->Acquire(id_);
  acquired_ = s.ok();
  return s;
}

void ResourceDetectionProcessor::Shutdown(Clock::time_point) {
  if (acquired_) provider_->Release();
  acquired_ = false;
}

Status ResourceDetectionProcessor::Consume(const PayloadPtr& payload) {
  std::shared_ptr<const Detection> d = provider_->snapshot();
  if (d->actions.empty()) return next_->Consume(payload);
  Result<std::optional<std::string>> rewritten =
      resource::RewriteResources(signal_, payload->bytes, d->actions, nullptr);
  if (!rewritten.ok()) return rewritten.status();
  std::string_view bytes = rewritten->has_value() ? std::string_view(**rewritten) : payload->bytes;
  if (!d->merged.schema_url.empty()) {
    Result<std::optional<std::string>> with_url = FillSchemaUrls(signal_, bytes, d->merged.schema_url);
    if (!with_url.ok()) return with_url.status();
    if (with_url->has_value()) *rewritten = std::move(*with_url);
  }
  if (!rewritten->has_value()) return next_->Consume(payload);
  return next_->Consume(DerivePayload(*payload, std::move(**rewritten), payload->items));
}

}  // namespace otlpd::processors::resourcedetection
