#include "inputs/host_metrics/tcp_sockets.h"

#include "agent/unique_fd.h"
#include "inputs/host_metrics/system_stats.h"

#include <array>
#include <cerrno>
#include <cstring>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>

namespace drover::inputs {
namespace {

// Dumps one family's TCP sockets; adds their states to `by_state` (index = kernel state).
bool dump_family(int fd, uint8_t family, std::array<uint64_t, 16>& by_state) {
  struct {
    nlmsghdr header;
    inet_diag_req_v2 request;
  } message{};
  message.header.nlmsg_len = sizeof message;
  message.header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  message.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  message.request.sdiag_family = family;
  message.request.sdiag_protocol = IPPROTO_TCP;
  message.request.idiag_states = ~0U;  // every state, listening and time-wait included
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (::sendto(fd, &message, sizeof message, 0, reinterpret_cast<sockaddr*>(&kernel),
               sizeof kernel) < 0) {
    return false;
  }
  alignas(nlmsghdr) char buffer[32 << 10];
  while (true) {
    const ssize_t received = ::recv(fd, buffer, sizeof buffer, 0);
    if (received < 0 && errno == EINTR) continue;
    if (received <= 0) return false;
    auto remaining = static_cast<unsigned>(received);
// The NLMSG_* macros are C casts.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wold-style-cast"
#pragma GCC diagnostic ignored "-Wsign-conversion"
#pragma GCC diagnostic ignored "-Wcast-align"
    for (auto* header = reinterpret_cast<nlmsghdr*>(buffer); NLMSG_OK(header, remaining);
         header = NLMSG_NEXT(header, remaining)) {
      if (header->nlmsg_type == NLMSG_DONE) return true;
      if (header->nlmsg_type == NLMSG_ERROR) {
        // EAFNOSUPPORT for IPv6 on a kernel without it: no sockets of that family.
        const auto* error = static_cast<const nlmsgerr*>(NLMSG_DATA(header));
        return error->error == -EAFNOSUPPORT;
      }
      if (header->nlmsg_type != SOCK_DIAG_BY_FAMILY) continue;
      const auto* socket = static_cast<const inet_diag_msg*>(NLMSG_DATA(header));
      if (socket->idiag_state < by_state.size()) ++by_state[socket->idiag_state];
    }
#pragma GCC diagnostic pop
  }
}

}  // namespace

bool count_tcp_states_by_netlink(std::map<std::string, uint64_t>& counts) {
  const UniqueFd fd(::socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG));
  if (fd.get() < 0) return false;
  std::array<uint64_t, 16> by_state{};
  if (!dump_family(fd.get(), AF_INET, by_state) || !dump_family(fd.get(), AF_INET6, by_state)) {
    return false;
  }
  for (unsigned state = 1; state < by_state.size(); ++state) {
    if (by_state[state] == 0) continue;
    if (const char* name = tcp_state_name(state)) counts[name] += by_state[state];
  }
  return true;
}

}  // namespace drover::inputs
