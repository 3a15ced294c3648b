#include "config/net/unix_socket.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace otlpd::config::net {

namespace {

// True when a process accepts connections on the socket at `path`.
bool Live(const std::string& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return true;  // cannot tell: do not remove it
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.data(), path.size());
  const int rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr));
  const int err = errno;
  ::close(fd);
  // ECONNREFUSED: a socket file nobody listens on. Anything else (accepted,
  // EAGAIN on a full backlog, EACCES) counts as in use.
  return rc == 0 || err != ECONNREFUSED;
}

}  // namespace

Status PrepareUnixSocketPath(const std::string& path) {
  if (path.empty()) return Status::InvalidArgument("unix socket path is empty");
  if (path.size() >= sizeof(sockaddr_un::sun_path)) {
    return Status::InvalidArgument("unix socket path \"" + path + "\" is longer than " +
                                   std::to_string(sizeof(sockaddr_un::sun_path) - 1) + " bytes");
  }
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return Status::Ok();
    return Status::Internal("cannot stat unix socket path \"" + path + "\": " + std::strerror(errno));
  }
  if (!S_ISSOCK(st.st_mode)) {
    return Status::InvalidArgument("\"" + path + "\" exists and is not a socket; not replacing it");
  }
  if (Live(path)) return Status::Unavailable("unix socket \"" + path + "\" is in use by another process");
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return Status::Internal("cannot remove stale unix socket \"" + path + "\": " + std::strerror(errno));
  }
  return Status::Ok();
}

void RemoveUnixSocket(const std::string& path) {
  struct stat st {};
  if (!path.empty() && ::lstat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) ::unlink(path.c_str());
}

}  // namespace otlpd::config::net
