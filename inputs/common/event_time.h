// The time an event happened, read from a field of the event itself: RFC 3339 text or a number
// since the Unix epoch. What Kafka gets as the record's timestamp when a JSON line names one.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace drover::inputs {

enum class TimestampFormat {
  kAuto,         // text as RFC 3339, numbers by magnitude (seconds, ms, µs or ns)
  kRfc3339,      // "2026-11-23T09:56:56.123+01:00"; no offset means UTC
  kUnixSeconds,  // 1795000000.123
  kUnixMillis,
  kUnixMicros,
  kUnixNanos,
};

/// Milliseconds since the epoch, or nothing if `text` is not a valid RFC 3339 date-time (or a
/// number, for the unix formats and kAuto).
std::optional<int64_t> parse_event_time(std::string_view text, TimestampFormat format);
/// The same for a JSON number.
std::optional<int64_t> event_time_from_number(double value, TimestampFormat format);

}  // namespace drover::inputs
