// CRC-32C (Castagnoli), the checksum of every disk-queue frame: SSE4.2's crc32 instruction where
// the CPU has it, a table otherwise. Same values as iSCSI, ext4 and Kafka's record batches.
#pragma once

#include <cstdint>
#include <string_view>

namespace drover {

/// Extends `crc` (0 to start) with `data`.
uint32_t crc32c(std::string_view data, uint32_t crc = 0);

}  // namespace drover
