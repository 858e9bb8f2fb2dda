#include "inputs/events/listeners.h"

#include <cstring>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

namespace drover::inputs {
namespace {

constexpr int kBacklog = 1024;  // connections waiting for accept()

Error socket_error(std::string_view what, const std::string& where) {
  return Error{fmt::format("cannot {} {}: {}", what, where, std::strerror(errno))};
}

}  // namespace

Result<Listener> listen_unix(const std::string& path, uint32_t mode) {
  sockaddr_un socket_address{};
  socket_address.sun_family = AF_UNIX;
  if (path.size() >= sizeof socket_address.sun_path) {
    return Error{fmt::format("{}: longer than a Unix socket path may be", path)};
  }
  std::memcpy(socket_address.sun_path, path.c_str(), path.size() + 1);
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      return Error{fmt::format("{} exists and is not a socket; not replacing it", path)};
    }
    UniqueFd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (probe.valid() && ::connect(probe.get(), reinterpret_cast<sockaddr*>(&socket_address),
                                   sizeof socket_address) == 0) {
      return Error{fmt::format("{}: another process is listening on it", path)};
    }
    ::unlink(path.c_str());  // left by a process that is gone
  }
  // Bound and listening under a temporary name, then renamed: a client that finds the path can
  // connect (between bind and listen, it would be refused).
  const std::string bound_path = fmt::format("{}.{}.tmp", path, ::getpid());
  if (bound_path.size() >= sizeof socket_address.sun_path) {
    return Error{fmt::format("{}: longer than a Unix socket path may be (with \".{}.tmp\")", path,
                             ::getpid())};
  }
  std::memcpy(socket_address.sun_path, bound_path.c_str(), bound_path.size() + 1);
  ::unlink(bound_path.c_str());
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return socket_error("open a socket for", path);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&socket_address), sizeof socket_address) != 0) {
    return socket_error("listen on", path);
  }
  if (::chmod(bound_path.c_str(), mode) != 0 || ::listen(fd.get(), kBacklog) != 0 ||
      ::rename(bound_path.c_str(), path.c_str()) != 0) {
    Error error = socket_error("listen on", path);
    ::unlink(bound_path.c_str());
    return error;
  }
  return Listener{std::move(fd), path};
}

}  // namespace drover::inputs
