#include "agent/allocator.h"

#include <fmt/format.h>

#include <cstdlib>

#ifdef DROVER_WITH_MIMALLOC
#include <mimalloc.h>
#endif

namespace drover {

std::string allocator_in_use() {
#ifdef DROVER_WITH_MIMALLOC
  // Linked is not enough: it must have replaced malloc() for the whole process (librdkafka
  // included), which a block from plain calloc() shows.
  void* block = std::calloc(1, 64);
  const bool in_use = mi_is_in_heap_region(block);
  std::free(block);
  if (in_use) {
    const int version = mi_version();
    return fmt::format("mimalloc {}.{}.{}", version / 100, version / 10 % 10, version % 10);
  }
#endif
  return "glibc malloc";
}

}  // namespace drover
