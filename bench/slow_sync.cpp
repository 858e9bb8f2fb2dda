// LD_PRELOAD'ed into drover by the events scenario: every fsync and fdatasync takes
// DROVER_BENCH_SYNC_DELAY_US longer, as on a disk slower to sync than this machine's (a cloud
// block device takes milliseconds). What group commit is for shows there: one client waits a
// whole sync per request, many share one.
#include <cstdlib>
#include <ctime>
#include <dlfcn.h>

namespace {

using SyncFunction = int (*)(int);

long delay_us() {
  static const long delay = [] {
    const char* text = std::getenv("DROVER_BENCH_SYNC_DELAY_US");
    return text != nullptr ? std::atol(text) : 0L;
  }();
  return delay;
}

int slowed(const char* name, int fd) {
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): dlsym's documented use
  const auto real = reinterpret_cast<SyncFunction>(::dlsym(RTLD_NEXT, name));
  const int result = real(fd);
  if (const long us = delay_us(); us > 0) {
    const timespec pause{us / 1'000'000, (us % 1'000'000) * 1000};
    ::nanosleep(&pause, nullptr);
  }
  return result;
}

}  // namespace

extern "C" int fsync(int fd) { return slowed("fsync", fd); }
extern "C" int fdatasync(int fd) { return slowed("fdatasync", fd); }
