#include "inputs/common/event_time.h"

#include <charconv>
#include <cmath>

namespace drover::inputs {
namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil):
// no timegm, no time zone database, no locale.
int64_t days_from_civil(int64_t year, unsigned month, unsigned day) {
  year -= month <= 2 ? 1 : 0;
  const int64_t era = (year >= 0 ? year : year - 399) / 400;
  const auto year_of_era = static_cast<unsigned>(year - era * 400);
  const unsigned day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  const unsigned day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + static_cast<int64_t>(day_of_era) - 719468;
}

bool leap(int64_t year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

unsigned days_in_month(int64_t year, unsigned month) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && leap(year) ? 29 : kDays[month - 1];
}

class Cursor {
 public:
  explicit Cursor(std::string_view text) : text_(text) {}
  bool digits(size_t count, unsigned& value) {
    if (text_.size() - at_ < count) return false;
    value = 0;
    for (size_t i = 0; i < count; ++i) {
      const char c = text_[at_ + i];
      if (c < '0' || c > '9') return false;
      value = value * 10 + static_cast<unsigned>(c - '0');
    }
    at_ += count;
    return true;
  }
  bool take(char c) {
    if (at_ < text_.size() && text_[at_] == c) {
      ++at_;
      return true;
    }
    return false;
  }
  bool take_any(std::string_view set) {
    if (at_ < text_.size() && set.find(text_[at_]) != std::string_view::npos) {
      ++at_;
      return true;
    }
    return false;
  }
  bool at_digit() const { return at_ < text_.size() && text_[at_] >= '0' && text_[at_] <= '9'; }
  char peek() const { return at_ < text_.size() ? text_[at_] : '\0'; }
  bool done() const { return at_ == text_.size(); }

 private:
  std::string_view text_;
  size_t at_ = 0;
};

std::optional<int64_t> parse_rfc3339(std::string_view text) {
  Cursor in(text);
  unsigned year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!in.digits(4, year) || !in.take('-') || !in.digits(2, month) || !in.take('-') ||
      !in.digits(2, day) || !in.take_any("Tt ") || !in.digits(2, hour) || !in.take(':') ||
      !in.digits(2, minute) || !in.take(':') || !in.digits(2, second)) {
    return std::nullopt;
  }
  if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) || hour > 23 ||
      minute > 59 || second > 60) {
    return std::nullopt;
  }
  second = second == 60 ? 59 : second;  // a leap second: Unix time has none
  int64_t millis = 0;
  if (in.take('.') || in.take(',')) {
    if (!in.at_digit()) return std::nullopt;
    for (int place = 100; in.at_digit(); place /= 10) {
      unsigned digit = 0;
      in.digits(1, digit);
      millis += place * static_cast<int64_t>(digit);  // digits past the millisecond add 0
    }
  }
  int64_t offset_minutes = 0;
  if (in.take_any("Zz")) {
  } else if (in.peek() == '+' || in.peek() == '-') {
    const bool east = in.take('+');
    if (!east) in.take('-');
    unsigned offset_hour = 0, offset_minute = 0;
    if (!in.digits(2, offset_hour)) return std::nullopt;
    in.take(':');
    if (!in.digits(2, offset_minute) || offset_hour > 23 || offset_minute > 59) return std::nullopt;
    offset_minutes = (east ? 1 : -1) * static_cast<int64_t>(offset_hour * 60 + offset_minute);
  }
  if (!in.done()) return std::nullopt;
  const int64_t seconds = days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 +
                          second - offset_minutes * 60;
  const int64_t unix_ms = seconds * 1000 + millis;
  if (unix_ms < 0) return std::nullopt;  // Kafka has no timestamps before 1970
  return unix_ms;
}

}  // namespace

std::optional<int64_t> event_time_from_number(double value, TimestampFormat format) {
  if (!std::isfinite(value) || value < 0) return std::nullopt;
  if (format == TimestampFormat::kAuto) {
    // By magnitude: 1e11 seconds is the year 5138, 1e11 ms is 1973.
    format = value < 1e11   ? TimestampFormat::kUnixSeconds
             : value < 1e14 ? TimestampFormat::kUnixMillis
             : value < 1e17 ? TimestampFormat::kUnixMicros
                            : TimestampFormat::kUnixNanos;
  }
  double millis = 0;
  switch (format) {
    case TimestampFormat::kUnixSeconds:
      millis = std::round(value * 1e3);
      break;  // .123 → 123
    case TimestampFormat::kUnixMillis:
      millis = value;
      break;
    case TimestampFormat::kUnixMicros:
      millis = value / 1e3;
      break;
    case TimestampFormat::kUnixNanos:
      millis = value / 1e6;
      break;
    default:
      return std::nullopt;  // RFC 3339 wants text
  }
  if (millis >= 9.2e18) return std::nullopt;
  return static_cast<int64_t>(millis);
}

std::optional<int64_t> parse_event_time(std::string_view text, TimestampFormat format) {
  if (format == TimestampFormat::kRfc3339 || format == TimestampFormat::kAuto) {
    if (auto parsed = parse_rfc3339(text)) return parsed;
    if (format == TimestampFormat::kRfc3339) return std::nullopt;
  }
  double value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return event_time_from_number(value, format);
}

}  // namespace drover::inputs
