#include "inputs/file/record_encoder.h"

#include "agent/json_escape.h"

#include <fmt/format.h>

#include <charconv>
#include <chrono>
#include <ctime>

namespace drover::inputs {

RecordEncoder::RecordEncoder(Codec codec, const SourceInfo& source, InvalidUtf8 invalid_utf8)
    : codec_(codec), invalid_utf8_(invalid_utf8) {
  after_timestamp_ = "\",\"host\":\"";
  append_json_escaped(after_timestamp_, source.host);
  after_timestamp_ += "\",\"input\":\"";
  append_json_escaped(after_timestamp_, source.input);
  after_timestamp_ += "\",\"path\":\"";
  append_json_escaped(after_timestamp_, source.path);
  after_timestamp_ += "\",\"offset\":";
}

size_t RecordEncoder::encode(Batch& batch, const Line& line, std::string_view timestamp) const {
  if (codec_ == Codec::kRaw) {
    if (invalid_utf8_ == InvalidUtf8::kKeep) {
      batch.add_record(line.text, line.offset);
      return 0;
    }
    batch.start_record();
    const size_t replaced = append_utf8_replacing_invalid(batch.buffer(), line.text);
    batch.seal_record(line.offset);
    return replaced;
  }
  batch.start_record();
  std::string& out = batch.buffer();
  out += "{\"@timestamp\":\"";
  out += timestamp;
  out += after_timestamp_;
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, line.offset);
  out.append(digits, end);
  out += ",\"message\":\"";
  const size_t replaced = append_json_escaped(out, line.text);
  out += line.truncated ? "\",\"truncated\":true}" : "\"}";
  batch.seal_record(line.offset);
  return replaced;
}

int64_t unix_ms_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string format_timestamp(int64_t unix_ms) {
  const time_t seconds = static_cast<time_t>(unix_ms / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", utc.tm_year + 1900,
                     utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                     unix_ms % 1000);
}

}  // namespace drover::inputs
