#include "inputs/journald/journal_record.h"

#include "agent/base64.h"
#include "agent/json_escape.h"
#include "inputs/common/record_encoder.h"

#include <algorithm>

namespace drover::inputs {
namespace {

bool is_text(const std::vector<std::string_view>& values) {
  return std::all_of(values.begin(), values.end(),
                     [](std::string_view v) { return first_invalid_utf8(v) == v.size(); });
}

}  // namespace

JournalRecordEncoder::JournalRecordEncoder(const JournaldConfig& config, const SourceInfo& source)
    : fields_(config.fields), codec_(config.codec) {
  envelope_tail_ = "\",\"host\":\"";
  append_json_escaped(envelope_tail_, source.host);
  envelope_tail_ += "\",\"input\":\"";
  append_json_escaped(envelope_tail_, source.input);
  envelope_tail_ += '"';
}

size_t JournalRecordEncoder::encode(Batch& batch, const JournalEntry& entry) {
  const int64_t unix_ms = entry.realtime_us / 1000;
  const auto position = static_cast<uint64_t>(entry.realtime_us);
  size_t replaced = 0;
  if (codec_ == JournalCodec::kRaw) {
    batch.add_record(entry.message(), position);
  } else {
    batch.start_record();
    std::string& out = batch.buffer();
    out += "{\"@timestamp\":\"";
    append_timestamp(out, unix_ms);
    out += envelope_tail_;
    for (const auto& [name, value] : entry.fields) {
      if (name != "MESSAGE") continue;
      out += ",\"message\":\"";
      replaced = append_json_escaped(out, value);
      out += '"';
      break;
    }
    append_fields(out, entry);
    out += '}';
    batch.seal_record(position);
  }
  batch.set_record_timestamp(unix_ms);
  return replaced;
}

void JournalRecordEncoder::append_fields(std::string& out, const JournalEntry& entry) {
  if (fields_ == JournalFields::kDefault) {
    for (const char* wanted : kDefaultJournalFields) {
      values_.clear();
      for (const auto& [name, value] : entry.fields) {
        if (name == wanted) values_.push_back(value);
      }
      if (!values_.empty()) append_field(out, wanted, values_);
    }
    return;
  }
  // Every field, the ones an entry has several times together.
  sorted_.assign(entry.fields.begin(), entry.fields.end());
  std::stable_sort(sorted_.begin(), sorted_.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (size_t i = 0; i < sorted_.size();) {
    const std::string_view name = sorted_[i].first;
    values_.clear();
    for (; i < sorted_.size() && sorted_[i].first == name; ++i)
      values_.push_back(sorted_[i].second);
    // "message" has MESSAGE already, unless its bytes are not text: then they go here too.
    if (name == "MESSAGE" && is_text(values_)) continue;
    append_field(out, name, values_);
  }
}

void JournalRecordEncoder::append_field(std::string& out, std::string_view name,
                                        const std::vector<std::string_view>& values) {
  const bool text = is_text(values);
  out += ",\"";
  append_json_escaped(out, name);
  out += text ? "\":" : "_base64\":";
  if (values.size() > 1) out += '[';
  for (size_t v = 0; v < values.size(); ++v) {
    if (v > 0) out += ',';
    out += '"';
    if (text) {
      append_json_escaped(out, values[v]);
    } else {
      append_base64(out, values[v]);
    }
    out += '"';
  }
  if (values.size() > 1) out += ']';
}

}  // namespace drover::inputs
