#include "service/telemetry/otlp_logs_export.h"

#include <spdlog/spdlog.h>

#include "opentelemetry/proto/collector/logs/v1/logs_service.pb.h"

namespace otlpd::selftelemetry {
namespace {

namespace pb = opentelemetry::proto;

// True on an exporter's own thread: what it logs is not exported again.
thread_local bool t_exporting = false;

// The OTel log data model's severity for each level (otelcol's zap levels
// map the same way: debug 5, info 9, warn 13, error 17, above that fatal).
pb::logs::v1::SeverityNumber Severity(spdlog::level::level_enum l) {
  switch (l) {
    case spdlog::level::trace: return pb::logs::v1::SEVERITY_NUMBER_TRACE;
    case spdlog::level::debug: return pb::logs::v1::SEVERITY_NUMBER_DEBUG;
    case spdlog::level::info: return pb::logs::v1::SEVERITY_NUMBER_INFO;
    case spdlog::level::warn: return pb::logs::v1::SEVERITY_NUMBER_WARN;
    case spdlog::level::err: return pb::logs::v1::SEVERITY_NUMBER_ERROR;
    default: return pb::logs::v1::SEVERITY_NUMBER_FATAL;
  }
}

// Zap's level names, which otelcol's records carry as severity text.
const char* SeverityText(spdlog::level::level_enum l) {
  switch (l) {
    case spdlog::level::trace:
    case spdlog::level::debug: return "debug";
    case spdlog::level::info: return "info";
    case spdlog::level::warn: return "warn";
    case spdlog::level::err: return "error";
    default: return "fatal";
  }
}

}  // namespace

std::string EncodeOwnLogs(const std::vector<OwnLogRecord>& records, const Attributes& resource) {
  pb::collector::logs::v1::ExportLogsServiceRequest req;
  auto* rl = req.add_resource_logs();
  auto* sl = rl->add_scope_logs();
  SetOwnOrigin(*rl->mutable_resource(), *sl->mutable_scope(), resource);
  for (const OwnLogRecord& r : records) {
    auto* lr = sl->add_log_records();
    lr->set_time_unix_nano(r.time_unix_nano);
    lr->set_observed_time_unix_nano(r.time_unix_nano);
    lr->set_severity_number(Severity(r.level));
    lr->set_severity_text(SeverityText(r.level));
    lr->mutable_body()->set_string_value(r.message);
    if (!r.logger.empty()) {
      auto* kv = lr->add_attributes();
      kv->set_key("logger");
      kv->mutable_value()->set_string_value(r.logger);
    }
  }
  return req.SerializeAsString();
}

LogsExporter::LogsExporter(OtlpLogsProcessor config, Attributes resource)
    : config_(std::move(config)), resource_(std::move(resource)), sender_(config_.exporter, Signal::kLogs) {}

LogsExporter::~LogsExporter() { Stop(); }

void LogsExporter::Start() {
  thread_ = std::thread([this] {
    t_exporting = true;
    Loop();
  });
}

void LogsExporter::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) return;
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void LogsExporter::Enqueue(spdlog::level::level_enum level, std::chrono::system_clock::time_point time,
                           std::string_view logger, std::string_view message) {
  if (t_exporting) return;
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(time.time_since_epoch()).count();
  std::lock_guard<std::mutex> lock(mu_);
  if (stop_ || queue_.size() >= config_.max_queue_size) {
    ++dropped_;
    return;
  }
  queue_.push_back({static_cast<std::uint64_t>(ns), level, std::string(logger), std::string(message)});
  if (!config_.batch || queue_.size() >= config_.max_export_batch_size) cv_.notify_one();
}

std::uint64_t LogsExporter::dropped() const {
  std::lock_guard<std::mutex> lock(mu_);
  return dropped_;
}

std::uint64_t LogsExporter::exported() const {
  std::lock_guard<std::mutex> lock(mu_);
  return exported_;
}

void LogsExporter::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    if (config_.batch) {
      cv_.wait_for(lock, config_.schedule_delay,
                   [this] { return stop_ || queue_.size() >= config_.max_export_batch_size; });
    } else {
      cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
    }
    while (!queue_.empty() && !stop_) ExportSome(lock);
  }
  // What is queued at Stop goes out, within one export_timeout in all.
  const auto deadline = Clock::now() + config_.export_timeout;
  while (!queue_.empty() && Clock::now() < deadline && !failing_) ExportSome(lock);
}

void LogsExporter::ExportSome(std::unique_lock<std::mutex>& lock) {
  const std::size_t n = config_.batch ? std::min(queue_.size(), config_.max_export_batch_size) : 1;
  std::vector<OwnLogRecord> batch(std::make_move_iterator(queue_.begin()),
                                  std::make_move_iterator(queue_.begin() + static_cast<std::ptrdiff_t>(n)));
  queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
  lock.unlock();
  const Status s = sender_.Send(EncodeOwnLogs(batch, resource_), config_.export_timeout);
  // As the SDK's processors: a failed batch is dropped, not retried.
  if (!s.ok() && !failing_) {
    spdlog::warn(
        "telemetry: exporting otlpd's own logs to {} failed: {} (records are dropped until it works)",
        config_.exporter.endpoint, s.message());
  } else if (s.ok() && failing_) {
    spdlog::info("telemetry: exporting otlpd's own logs to {} works again", config_.exporter.endpoint);
  }
  lock.lock();
  failing_ = !s.ok();
  if (s.ok()) exported_ += n;
}

}  // namespace otlpd::selftelemetry
