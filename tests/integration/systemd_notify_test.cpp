// Type=notify: drover tells systemd READY=1 only once its pipelines run, RELOADING=1 then
// READY=1 around a reload, STOPPING=1 at shutdown. The test plays systemd: a Unix datagram
// socket named by NOTIFY_SOCKET.
#include "tests/support/drover_process.h"
#include "tests/support/http_get.h"
#include "tests/support/minimal_pipeline.h"
#include "tests/support/mock_kafka.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <sys/socket.h>
#include <sys/un.h>

namespace drover {
namespace {

using testing::DroverProcess;
using testing::MockKafka;
using testing::TempDir;
using testing::wait_until;

class NotifySocket {
 public:
  explicit NotifySocket(const std::filesystem::path& path) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::snprintf(address.sun_path, sizeof address.sun_path, "%s", path.c_str());
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      throw std::runtime_error("cannot bind the notify socket");
    }
  }
  ~NotifySocket() { ::close(fd_); }

  /// The next message, waiting up to `timeout`; empty if none came.
  std::string next(std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char buffer[4096];
    const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
    return n > 0 ? std::string(buffer, static_cast<size_t>(n)) : std::string();
  }

 private:
  int fd_ = -1;
};

TEST(SystemdNotifyTest, ReadyOnlyOncePipelinesRunReloadingAroundAReloadStoppingAtTheEnd) {
  TempDir dir;
  MockKafka kafka;
  kafka.create_topic("t", 1);
  std::filesystem::create_directories(dir / "logs");
  const auto config = dir / "drover.toml";
  testing::write_file(config, testing::minimal_pipeline(
                                  dir.path(), kafka.bootstrap(),
                                  "admin_address = \"127.0.0.1:0\"\nshutdown_timeout = \"2s\""));
  NotifySocket systemd(dir / "notify.sock");
  ::setenv("NOTIFY_SOCKET", (dir / "notify.sock").c_str(), 1);
  DroverProcess drover({"run", "--config", config.string()}, dir / "out", dir / "err");
  ::unsetenv("NOTIFY_SOCKET");

  const std::string ready = systemd.next();
  ASSERT_TRUE(ready.starts_with("READY=1\n")) << ready << drover.log();
  // At READY=1 the admin endpoint already says the pipelines run.
  const std::string admin = testing::read_file(dir / "data" / "admin.address");
  EXPECT_EQ(testing::http_get(admin, "/readyz").first, 200);
  EXPECT_NE(drover.log().find("started: 1 input(s), 1 output(s)"), std::string::npos);

  drover.signal(SIGHUP);
  const std::string reloading = systemd.next();
  EXPECT_TRUE(reloading.starts_with("RELOADING=1\n")) << reloading;
  EXPECT_NE(reloading.find("MONOTONIC_USEC="), std::string::npos) << reloading;
  const std::string ready_again = systemd.next();
  EXPECT_TRUE(ready_again.starts_with("READY=1\n")) << ready_again;
  EXPECT_NE(drover.log().find("reload applied"), std::string::npos) << drover.log();

  drover.signal(SIGTERM);
  const std::string stopping = systemd.next();
  EXPECT_TRUE(stopping.starts_with("STOPPING=1\n")) << stopping;
  EXPECT_EQ(drover.wait_exit(), 0) << drover.log();
}

}  // namespace
}  // namespace drover
