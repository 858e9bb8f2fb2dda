#include "bench/report.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sys/utsname.h>
#include <unistd.h>

namespace drover::bench {
namespace {

std::string first_line_of_command(const char* command) {
  FILE* pipe = ::popen(command, "r");
  if (pipe == nullptr) return {};
  std::array<char, 512> buffer{};
  std::string out;
  if (std::fgets(buffer.data(), buffer.size(), pipe) != nullptr) out = buffer.data();
  ::pclose(pipe);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

}  // namespace

std::string fixed(double value, int decimals) { return fmt::format("{:.{}f}", value, decimals); }

double median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const size_t middle = values.size() / 2;
  return values.size() % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
}

std::string markdown(const Table& table) {
  std::string out = fmt::format("### {}\n\n|", table.title);
  for (const auto& column : table.columns) out += fmt::format(" {} |", column);
  out += "\n|";
  for (size_t i = 0; i < table.columns.size(); ++i) out += i == 0 ? "---|" : "--:|";
  out += '\n';
  for (const auto& row : table.rows) {
    out += '|';
    for (const auto& cell : row) out += fmt::format(" {} |", cell);
    out += '\n';
  }
  for (const auto& note : table.notes) out += fmt::format("\n{}\n", note);
  return out + '\n';
}

void Report::add(Table table) {
  std::cout << '\n' << markdown(table) << std::flush;
  tables_.push_back(std::move(table));
}

void Report::append_to(const std::filesystem::path& results) const {
  if (tables_.empty()) return;
  std::ofstream out(results, std::ios::app);
  const auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  out << fmt::format("\n## {:%Y-%m-%d %H:%M} UTC, commit {}\n\n", fmt::gmtime(now), git_commit());
  out << fmt::format("- machine: {}\n- settings: {}\n\n", machine_description(), settings_);
  for (const auto& table : tables_) out << markdown(table);
}

std::string machine_description() {
  std::string cpu = first_line_of_command(
      "sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -1");
  utsname name{};
  ::uname(&name);
  const double memory_gib = static_cast<double>(::sysconf(_SC_PHYS_PAGES)) *
                            static_cast<double>(::sysconf(_SC_PAGE_SIZE)) /
                            static_cast<double>(1ULL << 30);
  return fmt::format("{}, {} cores, {:.0f} GiB RAM, Linux {}", cpu.empty() ? "unknown CPU" : cpu,
                     ::sysconf(_SC_NPROCESSORS_ONLN), memory_gib, name.release);
}

std::string git_commit() {
  std::string commit = first_line_of_command("git rev-parse --short HEAD 2>/dev/null");
  if (commit.empty()) return "unknown";
  if (!first_line_of_command("git status --porcelain --untracked-files=no 2>/dev/null").empty()) {
    commit += " (uncommitted changes)";
  }
  return commit;
}

}  // namespace drover::bench
