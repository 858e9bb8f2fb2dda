#include "agent/admin_server.h"

#include "tests/support/http_get.h"

#include <gtest/gtest.h>

#include <atomic>

namespace drover {
namespace {

using testing::http_get;

TEST(AdminServerTest, ServesMetricsHealthReadinessAndStatus) {
  std::atomic<bool> ready{false};
  std::string problems;
  auto server = AdminServer::start(
      "127.0.0.1:0",
      {[] { return std::string("a_total 1\n"); }, [&] { return problems; },
       [&] { return ready ? std::string() : std::string("recovering the disk queue of kafka"); },
       [] { return std::string(R"({"version":"x"})"); }});
  ASSERT_TRUE(server.has_value()) << server.error().message;
  const std::string address = (*server)->address();
  EXPECT_EQ(http_get(address, "/metrics"), (std::pair<int, std::string>{200, "a_total 1\n"}));
  EXPECT_EQ(http_get(address, "/readyz"),
            (std::pair<int, std::string>{503, "not ready: recovering the disk queue of kafka\n"}));
  ready = true;
  EXPECT_EQ(http_get(address, "/readyz").first, 200);
  EXPECT_EQ(http_get(address, "/status"),
            (std::pair<int, std::string>{200, "{\"version\":\"x\"}\n"}));
  EXPECT_EQ(http_get(address, "/healthz"), (std::pair<int, std::string>{200, "ok\n"}));
  problems = "output kafka: cannot write to standard output\n";
  EXPECT_EQ(http_get(address, "/healthz"), (std::pair<int, std::string>{503, problems}));
  EXPECT_EQ(http_get(address, "/other").first, 404);
}

TEST(AdminServerTest, RefusesABadAddressOrABusyPort) {
  auto bad = AdminServer::start("localhost", {});
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message.find("not an IPv4 address:port"), std::string::npos);
  auto first = AdminServer::start("127.0.0.1:0",
                                  {[] { return std::string(); }, [] { return std::string(); },
                                   [] { return std::string(); }, [] { return std::string(); }});
  ASSERT_TRUE(first.has_value());
  auto second = AdminServer::start((*first)->address(), {});
  ASSERT_FALSE(second.has_value());
  EXPECT_NE(second.error().message.find("cannot listen on"), std::string::npos);
}

}  // namespace
}  // namespace drover
