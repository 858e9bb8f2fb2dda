// What a bench run found: tables printed as they fill and appended, as Markdown, to
// bench/RESULTS.md with the date, commit, settings and machine.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace drover::bench {

struct Table {
  std::string title;
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> notes;  // printed under the table
};

class Report {
 public:
  explicit Report(std::string settings) : settings_(std::move(settings)) {}
  /// Prints the table at once (a long bench shows its progress) and keeps it for the file.
  void add(Table table);
  void append_to(const std::filesystem::path& results) const;

 private:
  std::string settings_;
  std::vector<Table> tables_;
};

std::string markdown(const Table& table);
/// "1.23" style figures.
std::string fixed(double value, int decimals = 2);
double median(std::vector<double> values);
/// "lscpu"-like one-liner: CPU model, cores, memory, kernel.
std::string machine_description();
std::string git_commit();

}  // namespace drover::bench
