// An eventfd a thread polls beside its own descriptors, so that another thread (a stop
// callback) can wake it: once woken it stays readable.
#pragma once

#include "agent/unique_fd.h"

#include <cstdint>
#include <sys/eventfd.h>
#include <unistd.h>

namespace drover {

class WakeFd {
 public:
  WakeFd() : fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}
  int get() const { return fd_.get(); }
  void wake() const {
    const uint64_t one = 1;
    [[maybe_unused]] const auto written = ::write(fd_.get(), &one, sizeof one);
  }

 private:
  UniqueFd fd_;
};

}  // namespace drover
