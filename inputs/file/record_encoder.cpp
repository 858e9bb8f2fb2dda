#include "inputs/file/record_encoder.h"

#include "agent/json_escape.h"

#include <fmt/format.h>

#include <charconv>
#include <chrono>
#include <ctime>
#include <iterator>

namespace drover::inputs {
namespace {

void append_offset(std::string& out, uint64_t offset) {
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, offset);
  out.append(digits, end);
}

}  // namespace

RecordEncoder::RecordEncoder(Codec codec, const SourceInfo& source, InvalidUtf8 invalid_utf8)
    : codec_(codec), invalid_utf8_(invalid_utf8) {
  const std::string_view values[] = {source.host, source.input, source.path};
  for (size_t i = 0; i < std::size(values); ++i) {
    std::string& field = source_fields_[i];
    field = fmt::format("\"{}\":\"", kEnvelopeFields[i + 1]);
    append_json_escaped(field, values[i]);
    field += '"';
  }
  after_timestamp_ = fmt::format("\",{},{},{},\"offset\":", source_fields_[0], source_fields_[1],
                                 source_fields_[2]);
}

RecordEncoder::Outcome RecordEncoder::encode(Batch& batch, const Line& line,
                                             std::string_view timestamp,
                                             JsonLineParser* json) const {
  Outcome outcome;
  if (json == nullptr) {
    outcome.replaced_utf8_bytes = encode_text(batch, line, timestamp, nullptr);
    return outcome;
  }
  const ParsedJsonLine& parsed = json->parse(line.text, codec_ == Codec::kJson);
  outcome.json = &parsed;
  if (!parsed.is_object) {
    outcome.replaced_utf8_bytes = encode_text(batch, line, timestamp, &parsed);
    return outcome;
  }
  if (codec_ == Codec::kRaw) {
    batch.add_record(line.text, line.offset);  // valid JSON: valid UTF-8 too
  } else {
    encode_object(batch, line, timestamp, parsed);
  }
  if (parsed.timestamp_ms) batch.set_record_timestamp(*parsed.timestamp_ms);
  if (parsed.key) batch.set_record_key(*parsed.key);
  return outcome;
}

size_t RecordEncoder::encode_text(Batch& batch, const Line& line, std::string_view timestamp,
                                  const ParsedJsonLine* failed_json) const {
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
  append_offset(out, line.offset);
  out += ",\"message\":\"";
  const size_t replaced = append_json_escaped(out, line.text);
  out += '"';
  if (line.truncated) out += ",\"truncated\":true";
  if (failed_json != nullptr) {
    out += ",\"json_error\":\"";
    append_json_escaped(out, failed_json->error);
    out += '"';
  }
  out += '}';
  batch.seal_record(line.offset);
  return replaced;
}

void RecordEncoder::encode_object(Batch& batch, const Line& line, std::string_view timestamp,
                                  const ParsedJsonLine& json) const {
  batch.start_record();
  std::string& out = batch.buffer();
  out += '{';
  // A member the line has already keeps its value: drover's is left out, never duplicated.
  const auto has = [&](size_t field) { return (json.envelope_names & (1U << field)) != 0; };
  bool first = true;
  const auto separate = [&] {
    if (!first) out += ',';
    first = false;
  };
  if (!has(0)) {
    separate();
    out += "\"@timestamp\":\"";
    if (json.timestamp_ms) {
      append_timestamp(out, *json.timestamp_ms);  // in place: no string per record
    } else {
      out += timestamp;
    }
    out += '"';
  }
  for (size_t i = 0; i < std::size(source_fields_); ++i) {
    if (has(i + 1)) continue;
    separate();
    out += source_fields_[i];
  }
  if (!has(4)) {
    separate();
    out += "\"offset\":";
    append_offset(out, line.offset);
  }
  if (!first && !json.empty_object) out += ',';
  out.append(line.text.substr(json.open_brace + 1));
  batch.seal_record(line.offset);
}

int64_t unix_ms_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void append_timestamp(std::string& out, int64_t unix_ms) {
  const time_t seconds = static_cast<time_t>(unix_ms / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  fmt::format_to(std::back_inserter(out), "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
                 utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min,
                 utc.tm_sec, unix_ms % 1000);
}

std::string format_timestamp(int64_t unix_ms) {
  std::string text;
  append_timestamp(text, unix_ms);
  return text;
}

}  // namespace drover::inputs
