// An output's dead-letter file: NDJSON, one line per record the destination will never take,
// with the error and the record's origin, so nothing is dropped without a trace (I3).
// Owned by one output's sender thread. Opened on first use; append() then sync() before the
// records are acknowledged.
#pragma once

#include "agent/batch.h"
#include "base/status.h"

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace drover {

struct DeadLetter {
  int64_t time_ms = 0;
  std::string_view error;   // a stable code, e.g. "MSG_SIZE_TOO_LARGE"
  std::string_view reason;  // the human text
  std::string_view topic;
  std::string_view key;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string_view value;  // written as "value" when UTF-8, else as "value_base64"
  const SourceInfo* origin = nullptr;
  uint64_t position = 0;  // of the record in its source
};

class DeadLetterFile {
 public:
  DeadLetterFile(std::filesystem::path path, std::string output)
      : path_(std::move(path)), output_(std::move(output)) {}
  ~DeadLetterFile();
  DeadLetterFile(const DeadLetterFile&) = delete;
  DeadLetterFile& operator=(const DeadLetterFile&) = delete;

  Status append(const DeadLetter& letter);
  /// Makes every appended line durable (fdatasync): only then may the records be acknowledged.
  Status sync();
  const std::filesystem::path& path() const { return path_; }

 private:
  Status open();

  std::filesystem::path path_;
  std::string output_;
  std::string line_;
  int fd_ = -1;
};

}  // namespace drover
