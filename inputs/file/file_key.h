// A file's identity while drover follows it: device and inode, "dev:inode".
#pragma once

#include <fmt/format.h>

#include <string>
#include <sys/stat.h>

namespace drover::inputs {

inline std::string key_of(const struct stat& st) {
  return fmt::format("{}:{}", st.st_dev, st.st_ino);
}

}  // namespace drover::inputs
