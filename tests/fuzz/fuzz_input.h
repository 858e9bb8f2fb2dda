// What the fuzz targets share: a scratch directory for the parsers that read files, and a way
// to cut one fuzz input into the several files such a parser reads.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <system_error>
#include <unistd.h>
#include <vector>

namespace drover::fuzz {

/// Separates the files of one input ("snapshot\n--8<--\njournal"): seeds stay readable and the
/// fuzzer finds the separator in them to splice.
inline constexpr std::string_view kFileSeparator = "\n--8<--\n";

inline std::vector<std::string_view> split_files(std::string_view input, size_t max_parts) {
  std::vector<std::string_view> parts;
  while (parts.size() + 1 < max_parts) {
    const size_t at = input.find(kFileSeparator);
    if (at == std::string_view::npos) break;
    parts.push_back(input.substr(0, at));
    input.remove_prefix(at + kFileSeparator.size());
  }
  parts.push_back(input);
  parts.resize(max_parts);
  return parts;
}

/// One directory per fuzzing process, on tmpfs when there is one, removed at exit.
class ScratchDir {
 public:
  ScratchDir() {
    std::error_code ec;
    const std::filesystem::path base =
        std::filesystem::is_directory("/dev/shm", ec) ? "/dev/shm" : "/tmp";
    path_ = base / ("drover-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(path_, ec);
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  /// Empties the directory for the next input.
  const std::filesystem::path& fresh() {
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(path_, ec)) {
      std::filesystem::remove_all(entry.path(), ec);
    }
    return path_;
  }

 private:
  std::filesystem::path path_;
};

inline void write_file(const std::filesystem::path& file, std::string_view bytes) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

/// Stops the fuzzer with a message: libFuzzer saves the input that got here.
[[noreturn]] inline void fail(const char* what) {
  std::fprintf(stderr, "fuzz invariant broken: %s\n", what);
  std::abort();
}

}  // namespace drover::fuzz
