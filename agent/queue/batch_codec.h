// A batch as bytes, for the disk queue: its source, time, and records with their positions.
// Decoding checks every length against the payload, so a frame whose CRC matched by chance
// still cannot make drover read out of bounds (I7).
#pragma once

#include "agent/batch.h"
#include "base/status.h"

#include <memory>
#include <string>
#include <string_view>

namespace drover {

/// Appends the encoding of `batch` to `out`.
void encode_batch(const Batch& batch, std::string& out);

/// The batch encoded in `payload`; its ack is unset (the disk queue attaches its own).
Result<std::shared_ptr<Batch>> decode_batch(std::string_view payload);

}  // namespace drover
