// Names the calling thread as top -H, ps -L and perf show it, so an operator sees which input
// or output spends the CPU. Linux allows 15 bytes: longer names are cut.
#pragma once

#include <pthread.h>
#include <string>
#include <string_view>

namespace drover {

inline void name_this_thread(std::string_view name) {
  const std::string cut(name.substr(0, 15));
  ::pthread_setname_np(::pthread_self(), cut.c_str());
}

}  // namespace drover
