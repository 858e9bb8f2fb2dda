// TCP connections by state, asked of the kernel over NETLINK_SOCK_DIAG as ss(8) does: one dump
// per address family, binary, no text per socket. Reading /proc/net/tcp and tcp6 instead took
// most of a host-metrics reading on an idle host (the kernel walks its whole connection hash
// table, bucket by bucket, on every read of those files), and grows with every connection.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace drover::inputs {

/// Adds the counts of this network namespace's TCP sockets (IPv4 and IPv6) to `counts`, keyed
/// as count_tcp_states() keys them. False when the kernel does not answer (no sock_diag, or a
/// seccomp profile that forbids netlink): then nothing was added.
bool count_tcp_states_by_netlink(std::map<std::string, uint64_t>& counts);

}  // namespace drover::inputs
