#include "agent/security_warnings.h"

#include <fmt/format.h>

#include <sys/stat.h>
#include <unistd.h>

namespace drover {
namespace {

bool writable_by_everyone(const std::filesystem::path& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && (st.st_mode & S_IWOTH) != 0;
}

}  // namespace

std::vector<std::string> security_warnings(const std::filesystem::path& config_file,
                                           const std::filesystem::path& data_dir) {
  std::vector<std::string> warnings;
  if (::geteuid() == 0) {
    warnings.emplace_back(
        "running as root: the packaged unit runs drover as user drover (group adm reads "
        "/var/log); root is needed only for files no group may read");
  }
  if (writable_by_everyone(config_file)) {
    warnings.push_back(
        fmt::format("{} is writable by every user: anyone could change what drover ships and where "
                    "(chmod o-w)",
                    config_file.string()));
  }
  if (writable_by_everyone(data_dir)) {
    warnings.push_back(fmt::format(
        "data_dir {} is writable by every user: anyone could change checkpoints and queued "
        "records (chmod o-w)",
        data_dir.string()));
  }
  return warnings;
}

}  // namespace drover
