#include "config/toml_reader.h"

#include "config/env_expand.h"
#include "config/units.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

namespace drover::config {
namespace {

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

std::string_view toml_type_name(const toml::value& value) {
  switch (value.type()) {
    case toml::value_t::boolean:
      return "a boolean";
    case toml::value_t::integer:
      return "an integer";
    case toml::value_t::floating:
      return "a float";
    case toml::value_t::string:
      return "a string";
    case toml::value_t::array:
      return "an array";
    case toml::value_t::table:
      return "a table";
    case toml::value_t::empty:
      return "empty";
    default:
      return "a date/time";
  }
}

void Diagnostics::add(uint32_t line, std::string_view key_path, std::string_view message) {
  problems_.emplace_back(line, fmt::format("{}:{}: {}: {}", file_, line, key_path, message));
}

void Diagnostics::add(const toml::value& at, std::string_view key_path, std::string_view message) {
  add(static_cast<uint32_t>(at.location().line()), key_path, message);
}

void Diagnostics::warn(uint32_t line, std::string_view key_path, std::string_view message) {
  warnings_.push_back(fmt::format("{}:{}: {}: {}", file_, line, key_path, message));
}

std::vector<std::string> Diagnostics::problems() const {
  auto sorted = problems_;
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::string> out;
  out.reserve(sorted.size());
  for (auto& [line, text] : sorted) out.push_back(std::move(text));
  return out;
}

TomlReader::TomlReader(const toml::value& table, std::string key_path, Diagnostics& diagnostics)
    : table_(&table), key_path_(std::move(key_path)), diagnostics_(&diagnostics) {}

std::string TomlReader::key_path(std::string_view key) const {
  return key_path_.empty() ? std::string(key) : fmt::format("{}.{}", key_path_, key);
}

bool TomlReader::has(const std::string& key) const {
  return table_->is_table() && table_->as_table().count(key) != 0;
}

std::vector<std::string> TomlReader::keys() const {
  std::vector<std::pair<uint32_t, std::string>> keyed;
  if (table_->is_table()) {
    for (const auto& [key, value] : table_->as_table()) {
      keyed.emplace_back(static_cast<uint32_t>(value.location().line()), key);
    }
  }
  std::sort(keyed.begin(), keyed.end());
  std::vector<std::string> out;
  for (auto& [line, key] : keyed) out.push_back(std::move(key));
  return out;
}

const toml::value* TomlReader::find(const std::string& key) {
  read_.insert(key);
  if (!table_->is_table()) return nullptr;
  const auto& table = table_->as_table();
  auto it = table.find(key);
  return it == table.end() ? nullptr : &it->second;
}

void TomlReader::mark_read(const std::string& key) { read_.insert(key); }

void TomlReader::error(const std::string& key, std::string_view message) {
  const toml::value* at = nullptr;
  if (table_->is_table()) {
    auto it = table_->as_table().find(key);
    if (it != table_->as_table().end()) at = &it->second;
  }
  diagnostics_->add(at != nullptr ? *at : *table_, key_path(key), message);
}

void TomlReader::warn(const std::string& key, std::string_view message) {
  const toml::value* at =
      table_->is_table() && table_->as_table().contains(key) ? &table_->as_table().at(key) : table_;
  diagnostics_->warn(static_cast<uint32_t>(at->location().line()), key_path(key), message);
}

void TomlReader::type_error(const std::string& key, const toml::value& value,
                            std::string_view expected) {
  diagnostics_->add(value, key_path(key),
                    fmt::format("expected {}, found {}", expected, toml_type_name(value)));
}

std::optional<std::string> TomlReader::expand(const std::string& key, const toml::value& value) {
  auto expanded = expand_env(value.as_string().str);
  if (!expanded) {
    diagnostics_->add(value, key_path(key), expanded.error().message);
    return std::nullopt;
  }
  return std::move(*expanded);
}

std::optional<std::string> TomlReader::optional_string(const std::string& key) {
  const toml::value* value = find(key);
  if (value == nullptr) return std::nullopt;
  if (!value->is_string()) {
    type_error(key, *value, "a string");
    return std::nullopt;
  }
  return expand(key, *value);
}

std::string TomlReader::string(const std::string& key, std::string fallback) {
  return optional_string(key).value_or(std::move(fallback));
}

std::string TomlReader::required_string(const std::string& key) {
  if (!has(key)) {
    read_.insert(key);
    diagnostics_->add(*table_, key_path(key), "is required");
    return {};
  }
  return optional_string(key).value_or("");
}

std::string TomlReader::one_of(const std::string& key, std::string fallback,
                               std::initializer_list<std::string_view> choices) {
  auto value = optional_string(key);
  if (!value) return fallback;
  if (std::find(choices.begin(), choices.end(), *value) == choices.end()) {
    error(key, fmt::format("'{}' is not one of: {}", *value, fmt::join(choices, ", ")));
    return fallback;
  }
  return *value;
}

bool TomlReader::boolean(const std::string& key, bool fallback) {
  const toml::value* value = find(key);
  if (value == nullptr) return fallback;
  if (!value->is_boolean()) {
    type_error(key, *value, "a boolean (true or false)");
    return fallback;
  }
  return value->as_boolean();
}

int64_t TomlReader::integer(const std::string& key, int64_t fallback, int64_t min, int64_t max) {
  const toml::value* value = find(key);
  if (value == nullptr) return fallback;
  if (!value->is_integer()) {
    type_error(key, *value, "an integer");
    return fallback;
  }
  const int64_t n = value->as_integer();
  if (n < min || n > max) {
    error(key, fmt::format("{} is out of range [{}, {}]", n, min, max));
    return fallback;
  }
  return n;
}

std::chrono::milliseconds TomlReader::duration(const std::string& key,
                                               std::chrono::milliseconds fallback) {
  const toml::value* value = find(key);
  if (value == nullptr) return fallback;
  if (!value->is_string()) {
    type_error(key, *value, "a duration string such as \"10s\"");
    return fallback;
  }
  auto text = expand(key, *value);
  if (!text) return fallback;
  auto parsed = parse_duration(*text);
  if (!parsed) {
    error(key, parsed.error().message);
    return fallback;
  }
  return *parsed;
}

uint64_t TomlReader::size(const std::string& key, uint64_t fallback, uint64_t min) {
  const toml::value* value = find(key);
  if (value == nullptr) return fallback;
  uint64_t bytes = 0;
  if (value->is_integer()) {
    if (value->as_integer() < 0) {
      error(key, "a size cannot be negative");
      return fallback;
    }
    bytes = static_cast<uint64_t>(value->as_integer());
  } else if (value->is_string()) {
    auto text = expand(key, *value);
    if (!text) return fallback;
    auto parsed = parse_size(*text);
    if (!parsed) {
      error(key, parsed.error().message);
      return fallback;
    }
    bytes = *parsed;
  } else {
    type_error(key, *value, "a size such as \"64MiB\" or a number of bytes");
    return fallback;
  }
  if (bytes < min) {
    error(key, fmt::format("{} bytes is below the minimum of {} bytes", bytes, min));
    return fallback;
  }
  return bytes;
}

std::vector<std::string> TomlReader::string_list(const std::string& key,
                                                 std::vector<std::string> fallback) {
  const toml::value* value = find(key);
  if (value == nullptr) return fallback;
  if (!value->is_array()) {
    type_error(key, *value, "an array of strings");
    return fallback;
  }
  std::vector<std::string> out;
  size_t index = 0;
  for (const auto& item : value->as_array()) {
    const std::string item_path = fmt::format("{}[{}]", key, index++);
    if (!item.is_string()) {
      type_error(item_path, item, "a string");
      continue;
    }
    if (auto text = expand(item_path, item)) out.push_back(std::move(*text));
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> TomlReader::scalar_map(const std::string& key) {
  std::vector<std::pair<std::string, std::string>> out;
  const toml::value* value = find(key);
  if (value == nullptr) return out;
  if (!value->is_table()) {
    type_error(key, *value, "a table");
    return out;
  }
  for (const auto& [name, item] : value->as_table()) {
    const std::string item_path = fmt::format("{}.{}", key, name);
    if (item.is_string()) {
      if (auto text = expand(item_path, item)) out.emplace_back(name, std::move(*text));
    } else if (item.is_integer()) {
      out.emplace_back(name, std::to_string(item.as_integer()));
    } else if (item.is_boolean()) {
      out.emplace_back(name, item.as_boolean() ? "true" : "false");
    } else {
      type_error(item_path, item, "a string, integer or boolean");
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

TomlReader* TomlReader::table(const std::string& key) {
  const toml::value* value = find(key);
  if (value == nullptr) return nullptr;
  if (!value->is_table()) {
    type_error(key, *value, "a table");
    return nullptr;
  }
  return &children_.emplace_back(*value, key_path(key), *diagnostics_);
}

void TomlReader::finish() {
  for (auto& child : children_) child.finish();
  if (!table_->is_table()) return;
  for (const auto& [key, value] : table_->as_table()) {
    if (read_.count(key) != 0) continue;
    std::string hint;
    size_t best = std::numeric_limits<size_t>::max();
    for (const auto& known : read_) {
      const size_t distance = edit_distance(key, known);
      if (distance < best && distance <= 2 && distance < key.size()) {
        best = distance;
        hint = fmt::format(" (did you mean '{}'?)", known);
      }
    }
    diagnostics_->add(value, key_path(key), fmt::format("unknown key{}", hint));
  }
}

namespace {

void append_canonical(std::string& out, const toml::value& value) {
  if (value.is_table()) {
    std::vector<std::string> keys;
    for (const auto& [key, child] : value.as_table()) keys.push_back(key);
    std::sort(keys.begin(), keys.end());
    out += '{';
    for (const auto& key : keys) {
      out += fmt::format("{:?}=", key);
      append_canonical(out, value.as_table().at(key));
      out += ',';
    }
    out += '}';
  } else if (value.is_array()) {
    out += '[';
    for (const auto& item : value.as_array()) {
      append_canonical(out, item);
      out += ',';
    }
    out += ']';
  } else if (value.is_string()) {
    out += fmt::format("{:?}", value.as_string().str);
  } else {
    out += toml::format(value);  // numbers, booleans, dates: one line, no comments
  }
}

}  // namespace

std::string TomlReader::fingerprint(std::initializer_list<std::string_view> skip) const {
  std::string out = "{";
  std::vector<std::string> keys;
  for (const auto& [key, child] : table_->as_table()) {
    if (std::find(skip.begin(), skip.end(), key) == skip.end()) keys.push_back(key);
  }
  std::sort(keys.begin(), keys.end());
  for (const auto& key : keys) {
    out += fmt::format("{:?}=", key);
    append_canonical(out, table_->as_table().at(key));
    out += ',';
  }
  out += '}';
  return out;
}

}  // namespace drover::config
