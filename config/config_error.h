// The one exception drover throws: configuration problems found while starting up.
// main() catches it once, prints every problem and exits 2.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace drover {

class ConfigError : public std::runtime_error {
 public:
  explicit ConfigError(std::vector<std::string> problems)
      : std::runtime_error(join(problems)), problems_(std::move(problems)) {}

  const std::vector<std::string>& problems() const { return problems_; }

 private:
  static std::string join(const std::vector<std::string>& problems) {
    std::string all;
    for (const auto& p : problems) {
      if (!all.empty()) all += '\n';
      all += p;
    }
    return all;
  }

  std::vector<std::string> problems_;
};

}  // namespace drover
