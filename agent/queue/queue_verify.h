// `drover queue verify [--repair] DIR`: the start-up recovery of a disk queue, offline. Without
// --repair it changes nothing and reports every segment, what is pending and what is damaged;
// with --repair it does what drover does at start (cut torn tails, set aside unreadable
// segments, remove acknowledged leftovers) and reports the result.
#pragma once

#include <cstdio>
#include <filesystem>

namespace drover {

/// Exit status: 0 intact (or repaired), 1 damage found and not repaired, 2 not a queue directory.
int verify_queue(const std::filesystem::path& dir, bool repair, std::FILE* out);

}  // namespace drover
