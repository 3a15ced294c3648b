#include "exporters/file/file_exporter.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <spdlog/spdlog.h>

#include "pipeline/json/otlp_json.h"

namespace otlpd::exporters::file {

FileExporter::FileExporter(std::string id, Config config, ComponentTelemetry* telemetry)
    : id_(std::move(id)), config_(std::move(config)), telemetry_(telemetry) {}

FileExporter::~FileExporter() {
  if (flusher_.joinable() || fd_ >= 0) Shutdown(Clock::now());
}

Status FileExporter::Start() {
  std::filesystem::path path(config_.path);
  if (config_.create_directory && path.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(path.parent_path(), ec);
    if (ec) return Status::Internal("cannot create directory for " + config_.path + ": " + ec.message());
  }
  int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (config_.append ? O_APPEND : O_TRUNC);
  fd_ = ::open(config_.path.c_str(), flags, 0644);
  if (fd_ < 0) return Status::Internal("cannot open " + config_.path + ": " + std::strerror(errno));
  flusher_ = std::thread([this] { FlushLoop(); });
  return Status::Ok();
}

Status FileExporter::Consume(const PayloadPtr& payload) {
  std::string record;
  if (config_.format == Format::kJson) {
    auto json = json::EncodeRequest(payload->signal, payload->bytes);
    if (!json.ok()) {
      SignalCounters::Add((*telemetry_)[payload->signal].send_failed, payload->items);
      return json.status();
    }
    record = std::move(*json);
    record.push_back('\n');
  } else {
    const auto n = static_cast<std::uint32_t>(payload->bytes.size());
    const char prefix[4] = {static_cast<char>(n >> 24), static_cast<char>(n >> 16), static_cast<char>(n >> 8),
                            static_cast<char>(n)};
    record.assign(prefix, 4);
    record += payload->bytes;
  }
  bool flush_now = config_.flush_interval.count() == 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) return Status::Unavailable("file exporter " + id_ + " is shut down");
    if (pending_.bytes.size() + record.size() > kMaxBuffered && !pending_.bytes.empty()) {
      SignalCounters::Add((*telemetry_)[payload->signal].enqueue_failed, payload->items);
      return Status::Unavailable("file exporter " + id_ + ": " + config_.path + " is not taking writes");
    }
    pending_.bytes += record;
    pending_.items[SignalIndex(payload->signal)] += payload->items;
  }
  if (flush_now) {
    std::lock_guard<std::mutex> lock(write_mu_);
    Flush();
  }
  return Status::Ok();
}

void FileExporter::FlushLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    auto interval = config_.flush_interval.count() > 0 ? config_.flush_interval
                                                       : std::chrono::nanoseconds(std::chrono::seconds(1));
    cv_.wait_for(lock, interval, [this] { return stop_; });
    lock.unlock();
    {
      std::lock_guard<std::mutex> wl(write_mu_);
      Flush();
    }
    lock.lock();
  }
}

void FileExporter::Flush() {
  Pending batch;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (pending_.bytes.empty()) return;
    batch = std::move(pending_);
    pending_ = Pending{};
  }
  off_t start = ::lseek(fd_, 0, SEEK_END);
  std::size_t done = 0;
  int err = 0;
  while (done < batch.bytes.size()) {
    ssize_t n = ::write(fd_, batch.bytes.data() + done, batch.bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      err = errno;
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  if (err == 0) {
    for (Signal s : kAllSignals) SignalCounters::Add((*telemetry_)[s].sent, batch.items[SignalIndex(s)]);
    return;
  }
  // Cut the partial write back off and keep the records for the next flush.
  if (start >= 0 && ::ftruncate(fd_, start) != 0) {
    spdlog::error("exporter {}: cannot truncate {} after a failed write: {}", id_, config_.path,
                  std::strerror(errno));
  }
  spdlog::error("exporter {}: writing {} failed: {}; will retry", id_, config_.path, std::strerror(err));
  std::lock_guard<std::mutex> lock(mu_);
  batch.bytes += pending_.bytes;
  for (Signal s : kAllSignals) batch.items[SignalIndex(s)] += pending_.items[SignalIndex(s)];
  pending_ = std::move(batch);
}

void FileExporter::Shutdown(Clock::time_point /*deadline*/) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (flusher_.joinable()) flusher_.join();
  if (fd_ >= 0) {
    std::lock_guard<std::mutex> wl(write_mu_);
    Flush();
    ::fsync(fd_);
    ::close(fd_);
    fd_ = -1;
  }
}

}  // namespace otlpd::exporters::file
