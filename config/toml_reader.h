// Reads one TOML table of the config: typed getters that record which keys were read (so
// finish() can reject the rest: toml11 3.7.1 cannot list unread keys), expand ${VAR} in
// strings, and collect every problem as "file:line: key.path: message" instead of throwing.
#pragma once

#include <toml.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <initializer_list>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace drover::config {

/// Every problem found in one config file, reported together.
class Diagnostics {
 public:
  explicit Diagnostics(std::string file) : file_(std::move(file)) {}

  void add(uint32_t line, std::string_view key_path, std::string_view message);
  void add(const toml::value& at, std::string_view key_path, std::string_view message);
  bool empty() const { return problems_.empty(); }
  /// Sorted by line, each "file:line: key.path: message".
  std::vector<std::string> problems() const;
  /// What is allowed but risky, in the same form: said at start and by `drover check`.
  void warn(uint32_t line, std::string_view key_path, std::string_view message);
  const std::vector<std::string>& warnings() const { return warnings_; }
  const std::string& file() const { return file_; }

 private:
  std::string file_;
  std::vector<std::pair<uint32_t, std::string>> problems_;
  std::vector<std::string> warnings_;
};

class TomlReader {
 public:
  TomlReader(const toml::value& table, std::string key_path, Diagnostics& diagnostics);
  TomlReader(const TomlReader&) = delete;
  TomlReader& operator=(const TomlReader&) = delete;
  TomlReader(TomlReader&&) = default;

  const std::string& key_path() const { return key_path_; }
  std::string key_path(std::string_view key) const;
  bool has(const std::string& key) const;
  /// The table's own keys, in file order.
  std::vector<std::string> keys() const;

  std::string string(const std::string& key, std::string fallback);
  std::optional<std::string> optional_string(const std::string& key);
  std::string required_string(const std::string& key);
  /// A string that must be one of `choices`; the error lists them.
  std::string one_of(const std::string& key, std::string fallback,
                     std::initializer_list<std::string_view> choices);
  bool boolean(const std::string& key, bool fallback);
  int64_t integer(const std::string& key, int64_t fallback, int64_t min, int64_t max);
  std::chrono::milliseconds duration(const std::string& key, std::chrono::milliseconds fallback);
  /// A size string ("64MiB") or a plain integer of bytes, at least `min`.
  uint64_t size(const std::string& key, uint64_t fallback, uint64_t min = 0);
  std::vector<std::string> string_list(const std::string& key, std::vector<std::string> fallback);
  /// A table of scalars as strings (pass-through properties); booleans become "true"/"false".
  std::vector<std::pair<std::string, std::string>> scalar_map(const std::string& key);
  /// A child table, or nullptr when absent (an error if present but not a table).
  /// The child is finished together with this reader.
  TomlReader* table(const std::string& key);

  /// Marks a key as handled by someone else (e.g. keys the agent reads for every plugin).
  void mark_read(const std::string& key);
  /// Records a problem at the key's line (or the table's line if the key is absent).
  void error(const std::string& key, std::string_view message);
  void warn(const std::string& key, std::string_view message);
  /// Reports every key of this table (and of child tables) that nobody read.
  void finish();

  Diagnostics& diagnostics() { return *diagnostics_; }

  /// The table's settings as text that is equal exactly when the settings are (keys sorted,
  /// comments and layout ignored), leaving out the top-level keys in `skip`: what a reload
  /// compares to tell whether a component changed.
  std::string fingerprint(std::initializer_list<std::string_view> skip = {}) const;

 private:
  const toml::value* find(const std::string& key);
  void type_error(const std::string& key, const toml::value& value, std::string_view expected);
  std::optional<std::string> expand(const std::string& key, const toml::value& value);

  const toml::value* table_;
  std::string key_path_;
  Diagnostics* diagnostics_;
  std::set<std::string> read_;
  std::deque<TomlReader> children_;
};

/// "string", "integer", ... for error messages.
std::string_view toml_type_name(const toml::value& value);

}  // namespace drover::config
