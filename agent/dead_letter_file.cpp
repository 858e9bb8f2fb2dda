#include "agent/dead_letter_file.h"

#include "agent/base64.h"
#include "agent/json_escape.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace drover {
namespace {

void append_field(std::string& out, std::string_view name, std::string_view value) {
  out += ",\"";
  out += name;
  out += "\":\"";
  append_json_escaped(out, value);
  out += '"';
}

}  // namespace

DeadLetterFile::~DeadLetterFile() {
  if (fd_ >= 0) ::close(fd_);
}

Status DeadLetterFile::open() {
  std::error_code ec;
  std::filesystem::create_directories(path_.parent_path(), ec);
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd_ < 0) {
    return Error{
        fmt::format("cannot open dead-letter file {}: {}", path_.string(), std::strerror(errno))};
  }
  return Status::ok();
}

Status DeadLetterFile::append(const DeadLetter& letter) {
  if (fd_ < 0) {
    if (Status s = open(); !s) return s;
  }
  line_.clear();
  line_ += fmt::format("{{\"time_ms\":{}", letter.time_ms);
  append_field(line_, "output", output_);
  append_field(line_, "error", letter.error);
  append_field(line_, "reason", letter.reason);
  append_field(line_, "topic", letter.topic);
  append_field(line_, "key", letter.key);
  line_ += ",\"headers\":{";
  for (size_t i = 0; i < letter.headers.size(); ++i) {
    if (i > 0) line_ += ',';
    line_ += '"';
    append_json_escaped(line_, letter.headers[i].first);
    line_ += "\":\"";
    append_json_escaped(line_, letter.headers[i].second);
    line_ += '"';
  }
  line_ += "},\"origin\":{\"input\":\"";
  if (letter.origin != nullptr) {
    append_json_escaped(line_, letter.origin->input);
    append_field(line_, "host", letter.origin->host);
    append_field(line_, "path", letter.origin->path);
  } else {
    line_ += '"';
  }
  line_ += fmt::format(",\"position\":{}}}", letter.position);
  if (simdjson::validate_utf8(letter.value.data(), letter.value.size())) {
    append_field(line_, "value", letter.value);
  } else {
    line_ += ",\"value_base64\":\"";
    append_base64(line_, letter.value);
    line_ += '"';
  }
  line_ += "}\n";
  size_t written = 0;
  while (written < line_.size()) {
    const ssize_t n = ::write(fd_, line_.data() + written, line_.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      return Error{fmt::format("cannot write dead-letter file {}: {}", path_.string(),
                               std::strerror(errno))};
    }
    written += static_cast<size_t>(n);
  }
  return Status::ok();
}

Status DeadLetterFile::sync() {
  if (fd_ >= 0 && ::fdatasync(fd_) != 0) {
    return Error{
        fmt::format("cannot sync dead-letter file {}: {}", path_.string(), std::strerror(errno))};
  }
  return Status::ok();
}

}  // namespace drover
