// Which malloc the process runs on. drover links mimalloc (Debian's libmimalloc2.0), which then
// serves librdkafka's allocations too. Per record, librdkafka allocates a message, a header list
// and the drover-id header on the output thread and frees them after delivery, while 1 MiB batch
// buffers come and go between the input and output threads: on glibc's malloc that pattern took
// about a quarter of drover's CPU (_int_malloc, _int_free, malloc_consolidate), and mimalloc
// shipped a file to Kafka with a third less CPU (bench/RESULTS.md). Sanitizer builds keep glibc's,
// which the sanitizers replace.
#pragma once

#include <string>

namespace drover {

/// "mimalloc 2.0.9" when mimalloc serves malloc(), "glibc malloc" otherwise.
std::string allocator_in_use();

}  // namespace drover
