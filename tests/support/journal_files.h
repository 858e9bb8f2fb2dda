// Journal files written at test time: entries in the journal export format, piped into
// systemd-journal-remote (Debian's systemd-journal-remote package; scripts/setup.sh --tests
// installs it), which appends them to a journal file.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace drover::testing {

inline constexpr const char* kJournalRemote = "/lib/systemd/systemd-journal-remote";

struct JournalEntryText {
  uint64_t realtime_us = 0;
  std::vector<std::pair<std::string, std::string>> fields;  // any bytes in the values
};

/// Appends one field in the export format: text as NAME=value, anything else (a newline, bytes
/// that are not text) as NAME, a little-endian 64-bit size and the bytes.
inline void append_export_field(std::string& out, const std::string& name,
                                const std::string& value) {
  bool plain = true;
  for (const char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    plain = plain && c >= 32 && c < 127;
  }
  if (plain) {
    out += name + "=" + value + "\n";
    return;
  }
  out += name + "\n";
  uint64_t size = value.size();
  for (int i = 0; i < 8; ++i) out += static_cast<char>((size >> (8 * i)) & 0xff);
  out += value + "\n";
}

/// Appends `entries` to the journal file `file` (created if missing); false if the tool failed.
inline bool append_journal(const std::filesystem::path& file,
                           const std::vector<JournalEntryText>& entries) {
  static uint64_t seqnum = 0;
  std::string text;
  for (const auto& entry : entries) {
    text += fmt::format("__CURSOR=s=0;i={}\n", ++seqnum);
    text += fmt::format("__REALTIME_TIMESTAMP={}\n", entry.realtime_us);
    text += fmt::format("__MONOTONIC_TIMESTAMP={}\n", entry.realtime_us);
    text += "_BOOT_ID=0123456789abcdef0123456789abcdef\n";
    for (const auto& [name, value] : entry.fields) append_export_field(text, name, value);
    text += "\n";
  }
  const std::string command =
      fmt::format("{} --output='{}' - >/dev/null 2>&1", kJournalRemote, file.string());
  FILE* pipe = ::popen(command.c_str(), "w");
  if (pipe == nullptr) return false;
  const bool written = std::fwrite(text.data(), 1, text.size(), pipe) == text.size();
  return ::pclose(pipe) == 0 && written;
}

/// `count` entries numbered from `first`: MESSAGE "entry <n>", unit a.service for even numbers
/// and b.service for odd, PRIORITY n % 8, realtime 1.8e15 µs + n.
inline std::vector<JournalEntryText> numbered_entries(int first, int count) {
  std::vector<JournalEntryText> entries;
  for (int n = first; n < first + count; ++n) {
    entries.push_back({uint64_t{1'800'000'000'000'000} + static_cast<uint64_t>(n),
                       {{"MESSAGE", fmt::format("entry {}", n)},
                        {"PRIORITY", std::to_string(n % 8)},
                        {"_SYSTEMD_UNIT", n % 2 == 0 ? "a.service" : "b.service"},
                        {"_PID", std::to_string(1000 + n)},
                        {"_HOSTNAME", "journal-host"},
                        {"SYSLOG_IDENTIFIER", "app"},
                        {"N", std::to_string(n)}}});
  }
  return entries;
}

}  // namespace drover::testing
