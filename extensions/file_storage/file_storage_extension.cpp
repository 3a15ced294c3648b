#include "extensions/file_storage/file_storage_extension.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <system_error>

namespace otlpd::extensions::file_storage {
namespace {

std::string ErrnoText(int e) { return std::system_category().message(e); }

bool IsSafe(char32_t c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
         c == '_';
}

// One code point from the front of `s` as Go's `range` decodes it: an invalid or
// truncated sequence is U+FFFD, one byte long.
char32_t DecodeUtf8(std::string_view s, std::size_t* len) {
  const auto b0 = static_cast<unsigned char>(s[0]);
  *len = 1;
  if (b0 < 0x80) return b0;
  int n = 0;
  char32_t c = 0, min = 0;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    n = 1, c = b0 & 0x1F, min = 0x80;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    n = 2, c = b0 & 0x0F, min = 0x800;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    n = 3, c = b0 & 0x07, min = 0x10000;
  } else {
    return 0xFFFD;
  }
  if (s.size() < static_cast<std::size_t>(n) + 1) return 0xFFFD;
  for (int i = 1; i <= n; ++i) {
    const auto b = static_cast<unsigned char>(s[static_cast<std::size_t>(i)]);
    if ((b & 0xC0) != 0x80) return 0xFFFD;
    c = c << 6 | (b & 0x3F);
  }
  if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return 0xFFFD;
  *len = static_cast<std::size_t>(n) + 1;
  return c;
}

std::string Escape(char32_t c) {
  char b[16];
  std::snprintf(b, sizeof b, "~%04X", static_cast<unsigned>(c));
  return b;
}

}  // namespace

std::string SanitizeQueueName(std::string_view name) {
  if (name == "." || name == "..") {
    std::string out;
    for (std::size_t i = 0; i < name.size(); ++i) out += Escape('.');
    return out;
  }
  std::string out;
  out.reserve(name.size());
  while (!name.empty()) {
    std::size_t len = 0;
    const char32_t c = DecodeUtf8(name, &len);
    if (IsSafe(c)) {
      out += static_cast<char>(c);
    } else {
      out += Escape(c);
    }
    name.remove_prefix(len);
  }
  return out;
}

FileStorageExtension::FileStorageExtension(std::string id, std::string path, Config config,
                                           std::uint64_t segment_bytes)
    : id_(std::move(id)), path_(std::move(path)), config_(std::move(config)), segment_bytes_(segment_bytes) {}

Status FileStorageExtension::CheckDirectory(const std::string& dir, const std::string& key) const {
  const std::string where = path_ + "." + key + ": \"" + dir + "\"";
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) {
    const int e = errno;
    if (e != ENOENT) return Status::Internal(where + " cannot be accessed: " + ErrnoText(e));
    if (!config_.create_directory) {
      return Status::Internal(where + " does not exist; create it or set create_directory: true");
    }
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return Status::Internal(where + " cannot be created: " + ec.message());
    // Exactly the configured bits, whatever the umask.
    if (::chmod(dir.c_str(), config_.permissions) != 0) {
      return Status::Internal(where + " cannot be given permissions " + config_.directory_permissions + ": " +
                              ErrnoText(errno));
    }
    if (::stat(dir.c_str(), &st) != 0)
      return Status::Internal(where + " cannot be accessed: " + ErrnoText(errno));
  }
  if (!S_ISDIR(st.st_mode)) return Status::Internal(where + " is not a directory");
  // Whoever else may write here could plant a symlink or hard link where a
  // segment or LOCK file goes and have otlpd write through it.
  if (st.st_uid != ::geteuid()) {
    return Status::Internal(where + " is owned by uid " + std::to_string(st.st_uid) +
                            ", not by otlpd's uid " + std::to_string(::geteuid()) +
                            "; chown it to the user otlpd runs as");
  }
  if ((st.st_mode & 022) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return Status::Internal(where + " has mode " + mode +
                            ": the group or others may write in it; remove that (chmod go-w)");
  }
  return Status::Ok();
}

Status FileStorageExtension::Start() {
  if (Status s = CheckDirectory(config_.directory, "directory"); !s.ok()) return s;
  // Writing is the only check that also holds for root and read-only mounts.
  const std::string probe = config_.directory + "/.file_storage_probe_" + std::to_string(::getpid());
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    return Status::Internal(path_ + ".directory: \"" + config_.directory +
                            "\" is not writable: " + ErrnoText(errno));
  }
  ::close(fd);
  ::unlink(probe.c_str());
  const CompactionConfig& cc = config_.compaction;
  if ((cc.on_start || cc.cleanup_on_start) && cc.directory != config_.directory) {
    if (Status s = CheckDirectory(cc.directory, "compaction.directory"); !s.ok()) return s;
  }
  started_ = true;
  return Status::Ok();
}

void FileStorageExtension::Shutdown(Clock::time_point) { started_ = false; }

std::filesystem::path FileStorageExtension::QueueDirectory(std::string_view name) const {
  return std::filesystem::path(config_.directory) / SanitizeQueueName(name);
}

Result<std::unique_ptr<QueueStorage>> FileStorageExtension::OpenQueue(std::string_view name) {
  if (!started_) {
    return Status::Unavailable("extension " + id_ +
                               ": a queue can only be opened between Start and Shutdown");
  }
  if (name.empty()) return Status::InvalidArgument("extension " + id_ + ": a queue needs a name");
  SegmentLogOptions options;
  options.fsync = config_.fsync;
  options.lock_timeout = config_.timeout;
  options.segment_bytes = segment_bytes_;
  options.directory_mode = config_.permissions;
  options.compact_on_start = config_.compaction.on_start;
  options.max_bytes = static_cast<std::uint64_t>(config_.max_size);
  auto log = SegmentLog::Open(QueueDirectory(name), options);
  if (!log.ok()) return Status(log.status());
  return std::unique_ptr<QueueStorage>(std::move(log).value());
}

}  // namespace otlpd::extensions::file_storage
