#include "config/units.h"

#include <fmt/format.h>

#include <array>
#include <charconv>
#include <cmath>
#include <utility>

namespace drover::config {
namespace {

struct Unit {
  std::string_view suffix;
  double factor;
};

// Splits "1.5MiB" into 1.5 and "MiB"; whitespace between them is allowed.
bool split_number(std::string_view text, double& number, std::string_view& unit) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, number);
  if (ec != std::errc() || ptr == text.data()) return false;
  unit = std::string_view(ptr, static_cast<size_t>(end - ptr));
  while (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
  return std::isfinite(number) && number >= 0;
}

template <size_t N>
const Unit* find_unit(const std::array<Unit, N>& units, std::string_view suffix) {
  for (const auto& unit : units) {
    if (unit.suffix == suffix) return &unit;
  }
  return nullptr;
}

}  // namespace

Result<std::chrono::milliseconds> parse_duration(std::string_view text) {
  static constexpr std::array<Unit, 5> kUnits{
      {{"ms", 1}, {"s", 1e3}, {"m", 60e3}, {"h", 3600e3}, {"d", 86400e3}}};
  double number = 0;
  std::string_view suffix;
  if (!split_number(text, number, suffix)) {
    return Error{
        fmt::format("'{}' is not a duration (examples: \"250ms\", \"10s\", \"5m\")", text)};
  }
  const Unit* unit = find_unit(kUnits, suffix);
  if (unit == nullptr) {
    return Error{fmt::format("'{}' has no valid duration unit (use ms, s, m, h or d)", text)};
  }
  const double ms = number * unit->factor;
  if (ms > 1e15) return Error{fmt::format("'{}' is too long a duration", text)};
  return std::chrono::milliseconds(static_cast<int64_t>(std::llround(ms)));
}

Result<uint64_t> parse_size(std::string_view text) {
  static constexpr std::array<Unit, 10> kUnits{{{"", 1},
                                                {"B", 1},
                                                {"KB", 1e3},
                                                {"MB", 1e6},
                                                {"GB", 1e9},
                                                {"TB", 1e12},
                                                {"KiB", 1024.0},
                                                {"MiB", 1024.0 * 1024},
                                                {"GiB", 1024.0 * 1024 * 1024},
                                                {"TiB", 1024.0 * 1024 * 1024 * 1024}}};
  double number = 0;
  std::string_view suffix;
  if (!split_number(text, number, suffix)) {
    return Error{fmt::format("'{}' is not a size (examples: \"64MiB\", \"1MB\", 4096)", text)};
  }
  const Unit* unit = find_unit(kUnits, suffix);
  if (unit == nullptr) {
    return Error{
        fmt::format("'{}' has no valid size unit (use B, KB, MB, GB, KiB, MiB or GiB)", text)};
  }
  const double bytes = number * unit->factor;
  if (bytes > 9e18) return Error{fmt::format("'{}' is too large a size", text)};
  return static_cast<uint64_t>(std::llround(bytes));
}

}  // namespace drover::config
