#include "exporters/file/output_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <utility>

#include <spdlog/spdlog.h>

#include "exporters/file/directories.h"

namespace otlpd::exporters::file {
namespace {

using SysClock = std::chrono::system_clock;

// Go layout 2006-01-02T15-04-05.000: 23 characters.
constexpr std::size_t kTimestampSize = 23;

std::string FormatTimestamp(SysClock::time_point t, bool localtime) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  // Floor division, so times before 1970 keep a positive millisecond part.
  std::time_t secs = static_cast<std::time_t>(ms / 1000 - (ms % 1000 < 0 ? 1 : 0));
  const int millis = static_cast<int>(((ms % 1000) + 1000) % 1000);
  std::tm tm{};
  if (localtime) {
    localtime_r(&secs, &tm);
  } else {
    gmtime_r(&secs, &tm);
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d-%02d-%02d.%03d", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
  return buf;
}

std::optional<SysClock::time_point> ParseTimestamp(std::string_view s, bool localtime) {
  if (s.size() != kTimestampSize) return std::nullopt;
  // Positions of the separators in 2006-01-02T15-04-05.000.
  static constexpr std::pair<std::size_t, char> kSeparators[] = {{4, '-'},  {7, '-'},  {10, 'T'},
                                                                 {13, '-'}, {16, '-'}, {19, '.'}};
  for (auto [pos, c] : kSeparators) {
    if (s[pos] != c) return std::nullopt;
  }
  auto number = [&](std::size_t pos, std::size_t len, int& out) {
    out = 0;
    for (std::size_t i = pos; i < pos + len; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      out = out * 10 + (s[i] - '0');
    }
    return true;
  };
  int year, month, day, hour, minute, second, millis;
  if (!number(0, 4, year) || !number(5, 2, month) || !number(8, 2, day) || !number(11, 2, hour) ||
      !number(14, 2, minute) || !number(17, 2, second) || !number(20, 3, millis)) {
    return std::nullopt;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) {
    return std::nullopt;
  }
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  tm.tm_isdst = -1;
  const std::time_t secs = localtime ? std::mktime(&tm) : timegm(&tm);
  return SysClock::time_point(std::chrono::seconds(secs)) + std::chrono::milliseconds(millis);
}

struct NameParts {
  std::string dir;     // "." when the path has none
  std::string prefix;  // base name without extension, then "-"
  std::string ext;     // from the last dot of the base name, as Go's filepath.Ext
};

NameParts SplitName(std::string_view path) {
  NameParts p;
  const std::size_t slash = path.rfind('/');
  std::string_view base = path;
  if (slash == std::string_view::npos) {
    p.dir = ".";
  } else {
    p.dir = slash == 0 ? "/" : std::string(path.substr(0, slash));
    base = path.substr(slash + 1);
  }
  const std::size_t dot = base.rfind('.');
  if (dot != std::string_view::npos) p.ext = std::string(base.substr(dot));
  p.prefix = std::string(base.substr(0, base.size() - p.ext.size())) + "-";
  return p;
}

struct Backup {
  std::string path;
  SysClock::time_point time;
};

// A backup of timberjack (contrib v0.165.1's rotation): prefix, timestamp,
// "-" and the rotation's reason ("size"; "size_1"... when a name was taken),
// then the extension, optionally compressed (".gz", ".zst"). As timberjack's
// timeFromName, the timestamp runs up to the last "-" before the extension.
std::optional<SysClock::time_point> BackupTime(std::string_view name, const std::string& prefix,
                                               const std::string& ext, bool localtime) {
  for (std::string_view compressed : {"", ".gz", ".zst"}) {
    const std::string suffix = ext + std::string(compressed);
    if (name.size() < prefix.size() + suffix.size()) continue;
    if (name.substr(0, prefix.size()) != prefix) continue;
    if (name.substr(name.size() - suffix.size()) != suffix) continue;
    const std::string_view middle = name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
    const std::size_t hyphen = middle.rfind('-');
    if (hyphen == std::string_view::npos) continue;
    if (auto t = ParseTimestamp(middle.substr(0, hyphen), localtime)) return t;
  }
  return std::nullopt;
}

std::vector<Backup> ListBackups(const std::string& dir, const std::string& prefix, const std::string& ext,
                                bool localtime) {
  std::vector<Backup> out;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code type_ec;
    if (it->is_directory(type_ec)) continue;
    auto t = BackupTime(it->path().filename().string(), prefix, ext, localtime);
    if (!t) continue;
    out.push_back(Backup{it->path().string(), *t});
  }
  std::sort(out.begin(), out.end(), [](const Backup& a, const Backup& b) { return a.time > b.time; });
  return out;
}

// Backups named by lumberjack (otlpd before, otelcol before v0.165): prefix,
// timestamp, extension. Renamed to timberjack's names at open, with the
// "-size" reason, as contrib's migrateLegacyBackups does, so that max_backups
// and max_days go on counting them; a name already taken drops the old file.
void MigrateLegacyBackups(const std::string& dir, const std::string& prefix, const std::string& ext,
                          bool localtime) {
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code type_ec;
    if (it->is_directory(type_ec)) continue;
    const std::string name = it->path().filename().string();
    if (name.size() != prefix.size() + kTimestampSize + ext.size()) continue;
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    if (name.compare(name.size() - ext.size(), ext.size(), ext) != 0) continue;
    const std::string ts = name.substr(prefix.size(), kTimestampSize);
    if (!ParseTimestamp(ts, localtime)) continue;
    const std::string target = dir + "/" + prefix + ts + "-size" + ext;
    struct stat st {};
    if (::stat(target.c_str(), &st) == 0) {
      if (::unlink(it->path().c_str()) != 0 && errno != ENOENT) {
        spdlog::warn("file exporter: cannot remove migrated legacy backup {}: {}", it->path().string(),
                     std::strerror(errno));
      }
      continue;
    }
    if (::rename(it->path().c_str(), target.c_str()) != 0) {
      spdlog::warn("file exporter: cannot rename legacy backup {} to {}: {}", it->path().string(), target,
                   std::strerror(errno));
    }
  }
}

}  // namespace

OutputFile::OutputFile(OutputFileOptions options) : options_(std::move(options)) {
  NameParts parts = SplitName(options_.path);
  dir_ = std::move(parts.dir);
  prefix_ = std::move(parts.prefix);
  ext_ = std::move(parts.ext);
}

OutputFile::~OutputFile() { Close(false); }

std::string OutputFile::BackupName(std::string_view path, SysClock::time_point t, bool localtime) {
  NameParts p = SplitName(path);
  std::string name = p.prefix + FormatTimestamp(t, localtime) + "-size" + p.ext;
  const std::size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) return name;
  return std::string(path.substr(0, slash + 1)) + name;
}

Status OutputFile::Open() {
  if (fd_ >= 0) return Status::Ok();
  last_errno_ = 0;
  if (options_.rotation) return OpenExistingOrNew();
  const int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (options_.truncate ? O_TRUNC : O_APPEND);
  fd_ = ::open(options_.path.c_str(), flags, 0644);
  if (fd_ < 0) {
    last_errno_ = errno;
    return Status::Internal("cannot open " + options_.path + ": " + std::strerror(last_errno_));
  }
  // Truncated once; a later reopen continues the file.
  options_.truncate = false;
  return Status::Ok();
}

Status OutputFile::OpenExistingOrNew() {
  MigrateLegacyBackups(dir_, prefix_, ext_, options_.rotation->localtime);
  RemoveOldBackups();
  struct stat st {};
  if (::stat(options_.path.c_str(), &st) != 0) {
    if (errno != ENOENT) {
      last_errno_ = errno;
      return Status::Internal("cannot stat " + options_.path + ": " + std::strerror(last_errno_));
    }
    return OpenNew();
  }
  // Rotation renames what is at the path; that must be a file of ours, not
  // a directory or device someone pointed the exporter at.
  if (!S_ISREG(st.st_mode)) {
    last_errno_ = EINVAL;
    return Status::Internal("cannot rotate " + options_.path + ": it is not a regular file");
  }
  if (static_cast<std::uint64_t>(st.st_size) >= options_.rotation->max_bytes) return Rotate();
  fd_ = ::open(options_.path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd_ < 0) return OpenNew();  // as lumberjack: start over when the old file cannot be continued
  size_ = static_cast<std::uint64_t>(st.st_size);
  return Status::Ok();
}

Status OutputFile::OpenNew() {
  // lumberjack creates the directory itself (0755), create_directory or not.
  if (!MakeDirectories(dir_, 0755)) {
    last_errno_ = errno;
    return Status::Internal("cannot create directory " + dir_ + ": " + std::strerror(last_errno_));
  }
  mode_t mode = 0644;
  struct stat st {};
  if (::stat(options_.path.c_str(), &st) == 0) {
    mode = st.st_mode & 07777;
    // A backup is never named earlier than (or the same as) an existing one:
    // two rotations within a millisecond, or a clock that stepped back, would
    // otherwise overwrite a backup or have the newest data deleted as the
    // oldest. The name then moves a millisecond past the newest backup.
    SysClock::time_point t = std::chrono::floor<std::chrono::milliseconds>(options_.now());
    const std::vector<Backup> existing = ListBackups(dir_, prefix_, ext_, options_.rotation->localtime);
    if (!existing.empty() && existing.front().time >= t)
      t = existing.front().time + std::chrono::milliseconds(1);
    std::string backup = BackupName(options_.path, t, options_.rotation->localtime);
    struct stat taken {};
    for (int i = 0; i < 1000 && ::lstat(backup.c_str(), &taken) == 0; ++i) {
      t += std::chrono::milliseconds(1);
      backup = BackupName(options_.path, t, options_.rotation->localtime);
    }
    if (::rename(options_.path.c_str(), backup.c_str()) != 0) {
      last_errno_ = errno;
      return Status::Internal("cannot rename " + options_.path + " to " + backup + ": " +
                              std::strerror(last_errno_));
    }
  }
  fd_ = ::open(options_.path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd_ < 0) {
    last_errno_ = errno;
    return Status::Internal("cannot open " + options_.path + ": " + std::strerror(last_errno_));
  }
  size_ = 0;
  return Status::Ok();
}

Status OutputFile::Rotate() {
  Close(false);
  Status s = OpenNew();
  RemoveOldBackups();
  return s;
}

void OutputFile::RemoveOldBackups() {
  const RotationPolicy& r = *options_.rotation;
  if (r.max_backups == 0 && r.max_days == 0) return;
  std::vector<Backup> backups = ListBackups(dir_, prefix_, ext_, r.localtime);
  for (std::size_t i = 0; i < backups.size(); ++i) {
    const bool too_many = r.max_backups > 0 && i >= static_cast<std::size_t>(r.max_backups);
    const bool too_old =
        r.max_days > 0 && backups[i].time < options_.now() - std::chrono::hours(24) * r.max_days;
    if (!too_many && !too_old) continue;
    if (::unlink(backups[i].path.c_str()) != 0 && errno != ENOENT) {
      spdlog::warn("file exporter: cannot remove old backup {}: {}", backups[i].path, std::strerror(errno));
    }
  }
}

std::vector<std::string> OutputFile::Backups() const {
  std::vector<std::string> out;
  const bool localtime = options_.rotation && options_.rotation->localtime;
  for (Backup& b : ListBackups(dir_, prefix_, ext_, localtime)) out.push_back(std::move(b.path));
  return out;
}

bool OutputFile::WriteChunk(std::string_view data, WriteOutcome& outcome) {
  const off_t start = ::lseek(fd_, 0, SEEK_END);
  std::size_t done = 0;
  int err = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd_, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      err = errno;
      break;
    }
    if (n == 0) {  // not expected of a regular file; do not spin on it
      err = EIO;
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  if (err == 0) {
    size_ += data.size();
    return true;
  }
  outcome.error_number = err;
  outcome.error = "writing " + options_.path + " failed: " + std::strerror(err);
  // Cut the partial write back off so the file ends on a record boundary.
  if (start >= 0 && done > 0) {
    if (::ftruncate(fd_, start) != 0) {
      spdlog::error("file exporter: cannot truncate {} after a failed write: {}", options_.path,
                    std::strerror(errno));
    }
    (void)::lseek(fd_, start, SEEK_SET);
  }
  return false;
}

WriteOutcome OutputFile::Write(std::string_view bytes, std::span<const std::size_t> ends) {
  WriteOutcome out;
  if (ends.empty()) return out;
  if (fd_ < 0) {
    Status s = Open();
    if (!s.ok()) {
      out.error = s.message();
      out.error_number = last_errno_ != 0 ? last_errno_ : EIO;
      return out;
    }
  }
  if (!options_.rotation) {
    if (WriteChunk(bytes.substr(0, ends.back()), out)) out.records = ends.size();
    return out;
  }
  const std::uint64_t max = options_.rotation->max_bytes;
  std::size_t chunk_begin = 0;
  for (std::size_t i = 0; i < ends.size(); ++i) {
    const std::size_t record_begin = i == 0 ? 0 : ends[i - 1];
    const std::uint64_t record_size = ends[i] - record_begin;
    const std::uint64_t before = size_ + (record_begin - chunk_begin);
    // A record larger than max_bytes goes into a file of its own, whole.
    if (before + record_size <= max || before == 0) continue;
    if (record_begin > chunk_begin) {
      if (!WriteChunk(bytes.substr(chunk_begin, record_begin - chunk_begin), out)) return out;
      out.records = i;
    }
    chunk_begin = record_begin;
    Status s = Rotate();
    if (!s.ok()) {
      out.error = s.message();
      out.error_number = last_errno_ != 0 ? last_errno_ : EIO;
      return out;
    }
  }
  if (WriteChunk(bytes.substr(chunk_begin, ends.back() - chunk_begin), out)) out.records = ends.size();
  return out;
}

void OutputFile::Close(bool sync) {
  if (fd_ < 0) return;
  if (sync) ::fsync(fd_);
  ::close(fd_);
  fd_ = -1;
}

}  // namespace otlpd::exporters::file
