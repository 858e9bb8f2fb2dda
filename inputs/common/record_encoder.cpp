#include "inputs/common/record_encoder.h"

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

RecordEncoder::RecordEncoder(Codec codec, const SourceInfo& source, InvalidUtf8 invalid_utf8,
                             bool with_origin)
    : codec_(codec), invalid_utf8_(invalid_utf8), with_origin_(with_origin) {
  const std::string_view values[] = {source.host, source.input, source.path};
  for (size_t i = 0; i < std::size(values); ++i) {
    std::string& field = source_fields_[i];
    field = fmt::format("\"{}\":\"", kEnvelopeFields[i + 1]);
    append_json_escaped(field, values[i]);
    field += '"';
  }
  after_timestamp_ = with_origin ? fmt::format("\",{},{},{},\"offset\":", source_fields_[0],
                                               source_fields_[1], source_fields_[2])
                                 : fmt::format("\",{},{}", source_fields_[0], source_fields_[1]);
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
  if (with_origin_) append_offset(out, line.offset);
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
  const size_t fields = with_origin_ ? std::size(source_fields_) : 2;  // without path
  for (size_t i = 0; i < fields; ++i) {
    if (has(i + 1)) continue;
    separate();
    out += source_fields_[i];
  }
  if (with_origin_ && !has(4)) {
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

namespace {

void put_digits(char* at, unsigned value, int width) {
  for (int i = width - 1; i >= 0; --i) {
    at[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
}

}  // namespace

void append_timestamp(std::string& out, int64_t unix_ms) {
  int64_t seconds = unix_ms / 1000;
  int64_t millis = unix_ms % 1000;
  if (millis < 0) {
    millis += 1000;
    --seconds;
  }
  int64_t days = seconds / 86400;
  int64_t second_of_day = seconds % 86400;
  if (second_of_day < 0) {
    second_of_day += 86400;
    --days;
  }
  // The civil date of a day number (Howard Hinnant's days-to-civil), not gmtime_r, which takes
  // the time-zone lock, and no format string to parse: this runs once per read, and once per
  // record whose time is lifted from it.
  const int64_t shifted = days + 719468;  // from 0000-03-01
  const int64_t era = (shifted >= 0 ? shifted : shifted - 146096) / 146097;
  const auto day_of_era = static_cast<unsigned>(shifted - era * 146097);
  const unsigned year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const unsigned day_of_year =
      day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const unsigned month_from_march = (5 * day_of_year + 2) / 153;
  const unsigned day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
  const unsigned month = month_from_march < 10 ? month_from_march + 3 : month_from_march - 9;
  const int64_t year = static_cast<int64_t>(year_of_era) + era * 400 + (month <= 2 ? 1 : 0);
  if (year < 0 || year > 9999) {
    // Beyond four digits: RFC 3339 has no form for it; shown as is rather than wrapped.
    fmt::format_to(std::back_inserter(out), "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", year,
                   month, day, second_of_day / 3600, second_of_day / 60 % 60, second_of_day % 60,
                   millis);
    return;
  }
  char text[] = "0000-00-00T00:00:00.000Z";
  put_digits(text, static_cast<unsigned>(year), 4);
  put_digits(text + 5, month, 2);
  put_digits(text + 8, day, 2);
  put_digits(text + 11, static_cast<unsigned>(second_of_day / 3600), 2);
  put_digits(text + 14, static_cast<unsigned>(second_of_day / 60 % 60), 2);
  put_digits(text + 17, static_cast<unsigned>(second_of_day % 60), 2);
  put_digits(text + 20, static_cast<unsigned>(millis), 3);
  out.append(text, sizeof(text) - 1);
}

std::string format_timestamp(int64_t unix_ms) {
  std::string text;
  append_timestamp(text, unix_ms);
  return text;
}

}  // namespace drover::inputs
