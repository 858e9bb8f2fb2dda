#include "inputs/host_metrics/tcp_sockets.h"

#include "agent/unique_fd.h"
#include "inputs/host_metrics/system_stats.h"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <vector>

namespace drover::inputs {
namespace {

UniqueFd loopback_listener(sockaddr_in& address) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  address = {};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof address;
  EXPECT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  EXPECT_EQ(::listen(fd.get(), 4), 0);
  EXPECT_EQ(::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&address), &size), 0);
  return fd;
}

// Other processes open and close sockets meanwhile: the counts must hold at least ours.
TEST(TcpSocketsTest, NetlinkCountsTheSocketsThisNamespaceHasByState) {
  std::vector<UniqueFd> sockets;
  sockaddr_in address{};
  for (int i = 0; i < 5; ++i) sockets.push_back(loopback_listener(address));
  for (int i = 0; i < 2; ++i) {
    UniqueFd client(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    ASSERT_EQ(::connect(client.get(), reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    sockets.push_back(std::move(client));
    sockets.emplace_back(::accept4(sockets[4].get(), nullptr, nullptr, SOCK_CLOEXEC));
  }

  auto counts = empty_tcp_states();
  ASSERT_TRUE(count_tcp_states_by_netlink(counts));
  EXPECT_GE(counts["listen"], 5U);
  EXPECT_GE(counts["established"], 4U) << "both ends of two loopback connections";
  EXPECT_EQ(counts.size(), empty_tcp_states().size()) << "no state outside the kernel's 12";
}

}  // namespace
}  // namespace drover::inputs
