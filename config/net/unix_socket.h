#pragma once

// Listening on a Unix-domain socket path (`transport: unix`), as a sidecar
// shares a socket with its app through a volume.
//
// Go's net.Listen("unix", p) fails when p exists, and unlinks p when the
// listener closes; so a collector killed with -9 leaves a file that blocks its
// own restart. We take over such a stale socket (nobody accepts on it), and
// refuse a live one or anything that is not a socket. The file's mode is the
// process umask's, as with Go: with umask 022 only the owner may connect, so
// set the umask (or the volume's group) for the app's user.

#include <string>

#include "internal/status.h"

namespace otlpd::config::net {

// Makes `path` free to bind: absent, or a stale socket that is removed.
// Refuses an empty path, a path longer than sockaddr_un allows, a live socket
// and a file of another kind (left untouched).
Status PrepareUnixSocketPath(const std::string& path);

// Removes the socket file a listener created, when it is still a socket.
void RemoveUnixSocket(const std::string& path);

}  // namespace otlpd::config::net
