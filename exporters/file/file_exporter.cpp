#include "exporters/file/file_exporter.h"

#include <cerrno>
#include <cstring>
#include <utility>

#include <spdlog/spdlog.h>

#include "exporters/file/directories.h"
#include "exporters/file/record.h"
#include "exporters/file/resource_groups.h"
#include "internal/text.h"

namespace otlpd::exporters::file {
namespace {

std::string ParentDirectory(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  if (slash == std::string::npos) return {};
  return slash == 0 ? "/" : path.substr(0, slash);
}

// Open failures worth retrying later rather than giving the records up.
bool Transient(int error_number) {
  switch (error_number) {
    case ENOSPC:
    case EDQUOT:
    case EMFILE:
    case ENFILE:
    case EINTR:
    case EAGAIN:
    case ENOMEM:
    case EIO:
    case EBUSY: return true;
    default: return false;
  }
}

// Text holding a value from the data (group_by puts it in file paths), fit
// for one log line: control bytes escaped (no forged log lines), long text cut.
std::string Printable(std::string_view value, std::size_t max = 200) {
  std::string out;
  for (char c : value.substr(0, max)) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f || c == '\\' || c == '"') {
      out += "\\x";
      AppendHexByte(out, u);
    } else {
      out.push_back(c);
    }
  }
  if (value.size() > max) out += "...";
  return out;
}

}  // namespace

void FileExporter::Batch::Add(std::string_view record, Signal signal, std::uint64_t items) {
  bytes.append(record);
  ends.push_back(bytes.size());
  meta.push_back(Meta{signal, items});
}

FileExporter::Batch FileExporter::Batch::Tail(std::size_t first) const {
  Batch out;
  if (first >= ends.size()) return out;
  const std::size_t offset = first == 0 ? 0 : ends[first - 1];
  out.bytes = bytes.substr(offset);
  for (std::size_t i = first; i < ends.size(); ++i) out.ends.push_back(ends[i] - offset);
  out.meta.assign(meta.begin() + static_cast<std::ptrdiff_t>(first), meta.end());
  return out;
}

void FileExporter::Batch::Prepend(Batch front) {
  const std::size_t offset = front.bytes.size();
  front.bytes += bytes;
  for (std::size_t end : ends) front.ends.push_back(end + offset);
  front.meta.insert(front.meta.end(), meta.begin(), meta.end());
  *this = std::move(front);
}

void FileExporter::Batch::Count(std::size_t first, std::size_t last,
                                std::atomic<std::uint64_t> SignalCounters::*counter,
                                ComponentTelemetry& telemetry) const {
  for (std::size_t i = first; i < last; ++i)
    SignalCounters::Add(telemetry[meta[i].signal].*counter, meta[i].items);
}

FileExporter::FileExporter(std::string id, Config config, ComponentTelemetry* telemetry, WallClock now)
    : id_(std::move(id)), config_(std::move(config)), telemetry_(telemetry), now_(std::move(now)) {
  if (config_.group_by.enabled) group_path_.emplace(config_.path);
}

FileExporter::~FileExporter() { Shutdown(Clock::now()); }

Status FileExporter::Start() {
  const std::string dir =
      ParentDirectory(group_path_ ? config_.path.substr(0, config_.path.find('*')) : config_.path);
  if (config_.create_directory && !dir.empty() && !MakeDirectories(dir, config_.directory_permissions)) {
    const int err = errno;
    return Status::Internal("exporter " + id_ + ": cannot create directory " + dir + ": " +
                            std::strerror(err));
  }
  if (!group_path_) {
    std::lock_guard<std::mutex> lock(write_mu_);
    std::string error;
    int error_number = 0;
    if (Acquire(config_.path, &error, &error_number) == nullptr)
      return Status::Internal("exporter " + id_ + ": " + error);
  }
  flusher_ = std::thread([this] { FlushLoop(); });
  return Status::Ok();
}

std::size_t FileExporter::open_files() const {
  std::lock_guard<std::mutex> lock(write_mu_);
  return open_.size();
}

void FileExporter::RefuseValue(std::string_view value, std::uint64_t items, Signal signal) {
  SignalCounters::Add((*telemetry_)[signal].dropped, items);
  // A sender repeating a bad value must not flood the log: the first and
  // then every 1000th refusal are logged.
  const std::uint64_t n = refused_values_.fetch_add(1, std::memory_order_relaxed);
  if (n % 1000 == 0) {
    spdlog::warn(
        "exporter {}: refusing resource attribute {}=\"{}\" as a path segment (it could leave the "
        "directory of {}); its {} items are dropped ({} refused so far)",
        id_, config_.group_by.resource_attribute, Printable(value), config_.path, items, n + 1);
  }
}

Status FileExporter::Consume(const PayloadPtr& payload) {
  SignalCounters& counters = (*telemetry_)[payload->signal];
  struct Record {
    std::string path;
    std::string bytes;
    std::uint64_t items;
  };
  std::vector<Record> records;
  Status failure = Status::Ok();
  auto encode = [&](std::string path, std::string_view request, std::uint64_t items) {
    Result<std::string> record = EncodeRecord(payload->signal, request, config_.format, config_.compression,
                                              config_.compression_level);
    if (!record.ok()) {
      SignalCounters::Add(counters.send_failed, items);
      failure = record.status();
      return;
    }
    // lumberjack refuses a write larger than a whole file; refusing it here
    // keeps it out of the buffer, where it would be retried for ever.
    if (config_.rotation && record->size() > config_.rotation->MaxBytes()) {
      SignalCounters::Add(counters.send_failed, items);
      failure =
          Status::InvalidArgument("exporter " + id_ + ": a record of " + std::to_string(record->size()) +
                                  " bytes is larger than rotation.max_megabytes allows");
      return;
    }
    records.push_back(Record{std::move(path), std::move(*record), items});
  };

  if (!group_path_) {
    encode(config_.path, payload->bytes, payload->items);
  } else {
    Result<GroupedRequest> grouped =
        GroupByResourceAttribute(payload->signal, payload->bytes, config_.group_by.resource_attribute);
    if (!grouped.ok()) {
      SignalCounters::Add(counters.send_failed, payload->items);
      return grouped.status();
    }
    if (grouped->dropped_resources > 0) {
      SignalCounters::Add(counters.dropped, grouped->dropped_items);
      spdlog::debug("exporter {}: {} resources without a string {} attribute dropped ({} items)", id_,
                    grouped->dropped_resources, config_.group_by.resource_attribute, grouped->dropped_items);
    }
    for (ResourceGroup& g : grouped->groups) {
      std::optional<std::string> path = group_path_->For(g.value);
      if (!path) {
        RefuseValue(g.value, g.items, payload->signal);
        continue;
      }
      encode(std::move(*path), g.request, g.items);
    }
  }
  if (records.empty()) return failure;

  std::size_t bytes = 0;
  std::uint64_t items = 0;
  for (const Record& r : records) {
    bytes += r.bytes.size();
    items += r.items;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) return Status::Unavailable("file exporter " + id_ + " is shut down");
    if (pending_bytes_ + bytes > kMaxBuffered && pending_bytes_ > 0) {
      SignalCounters::Add(counters.enqueue_failed, items);
      return Status::Unavailable("file exporter " + id_ + ": " + config_.path + " is not taking writes");
    }
    for (const Record& r : records) pending_[r.path].Add(r.bytes, payload->signal, r.items);
    pending_bytes_ += bytes;
  }
  if (config_.flush_interval.count() == 0) {
    std::lock_guard<std::mutex> lock(write_mu_);
    Flush();
  }
  return failure;
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

OutputFile* FileExporter::Acquire(const std::string& path, std::string* error, int* error_number) {
  if (auto it = open_.find(path); it != open_.end()) {
    lru_.splice(lru_.begin(), lru_, it->second.lru);
    return it->second.file.get();
  }
  if (group_path_) {
    while (!lru_.empty() && open_.size() >= static_cast<std::size_t>(config_.group_by.max_open_files)) {
      open_.erase(lru_.back());  // closes it
      lru_.pop_back();
    }
    // otelcol creates a group file's directory whatever create_directory says.
    const std::string dir = ParentDirectory(path);
    if (!dir.empty() && !MakeDirectories(dir, config_.directory_permissions)) {
      *error_number = errno;
      *error = "cannot create directory " + dir + ": " + std::strerror(*error_number);
      return nullptr;
    }
  }
  OutputFileOptions options;
  options.path = path;
  options.truncate = !config_.append && !opened_before_.contains(path);
  if (config_.rotation) {
    options.rotation = RotationPolicy{config_.rotation->MaxBytes(), config_.rotation->max_days,
                                      config_.rotation->max_backups, config_.rotation->localtime};
  }
  options.now = now_;
  auto file = std::make_unique<OutputFile>(std::move(options));
  Status s = file->Open();
  if (!s.ok()) {
    *error_number = file->last_errno();
    *error = s.message();
    return nullptr;
  }
  opened_before_.insert(path);
  lru_.push_front(path);
  OutputFile* out = file.get();
  open_.emplace(path, OpenFile{std::move(file), lru_.begin()});
  return out;
}

void FileExporter::Flush() {
  std::unordered_map<std::string, Batch> batches;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (pending_.empty()) return;
    batches.swap(pending_);
  }
  std::unordered_map<std::string, Batch> retry;
  std::size_t done_bytes = 0;
  for (auto& [path, batch] : batches) {
    std::string error;
    int error_number = 0;
    OutputFile* file = Acquire(path, &error, &error_number);
    WriteOutcome w;
    if (file != nullptr) {
      w = file->Write(batch.bytes, batch.ends);
    } else {
      w.error = error;
      w.error_number = error_number;
    }
    batch.Count(0, w.records, &SignalCounters::sent, *telemetry_);
    if (w.records == batch.ends.size()) {
      done_bytes += batch.bytes.size();
      continue;
    }
    const std::size_t written = w.records == 0 ? 0 : batch.ends[w.records - 1];
    done_bytes += written;
    // A group file that cannot be opened for good must not hold back every
    // other file through the shared buffer: its records are given up.
    if (file == nullptr && group_path_ && !Transient(error_number)) {
      batch.Count(w.records, batch.ends.size(), &SignalCounters::send_failed, *telemetry_);
      done_bytes += batch.bytes.size() - written;
      spdlog::error("exporter {}: {}; {} records dropped", id_, Printable(error, 1000),
                    batch.ends.size() - w.records);
      continue;
    }
    spdlog::error("exporter {}: {}; will retry", id_, Printable(w.error, 1000));
    retry.emplace(path, w.records == 0 ? std::move(batch) : batch.Tail(w.records));
  }
  std::lock_guard<std::mutex> lock(mu_);
  pending_bytes_ -= done_bytes;
  for (auto& [path, batch] : retry) pending_[path].Prepend(std::move(batch));
}

void FileExporter::Shutdown(Clock::time_point /*deadline*/) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (flusher_.joinable()) flusher_.join();
  std::lock_guard<std::mutex> wl(write_mu_);
  if (shut_down_) return;
  shut_down_ = true;
  Flush();
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [path, batch] : pending_) {
      batch.Count(0, batch.ends.size(), &SignalCounters::send_failed, *telemetry_);
      spdlog::error("exporter {}: {} records for {} could not be written before shutdown", id_,
                    batch.ends.size(), Printable(path, 1000));
    }
    pending_.clear();
    pending_bytes_ = 0;
  }
  for (auto& [path, open] : open_) open.file->Close(true);
  open_.clear();
  lru_.clear();
}

}  // namespace otlpd::exporters::file
