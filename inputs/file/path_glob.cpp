#include "inputs/file/path_glob.h"

#include <cerrno>
#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <vector>

namespace drover::inputs {
namespace {

std::vector<std::string> split_components(std::string_view pattern) {
  std::vector<std::string> components;
  size_t start = 0;
  while (start <= pattern.size()) {
    const size_t slash = pattern.find('/', start);
    const size_t end = slash == std::string_view::npos ? pattern.size() : slash;
    if (end > start) components.emplace_back(pattern.substr(start, end - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return components;
}

bool has_wildcard(const std::string& component) {
  return component.find_first_of("*?[\\") != std::string::npos;
}

std::string join(const std::string& directory, std::string_view name) {
  std::string path = directory;
  if (path.empty() || path.back() != '/') path += '/';
  path += name;
  return path;
}

/// Adds `path` when it is a regular file or a link to one. `directory_fd` and `name` name the
/// same file: stat(2) by a name relative to its open directory resolves one path component, not
/// the whole path, which is most of a scan's cost with thousands of files.
void add_if_regular_file(int directory_fd, const char* name, const std::string& path,
                         GlobMatches& out) {
  struct stat st {};
  if (::fstatat(directory_fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) return;
  const bool link = S_ISLNK(st.st_mode);
  if (link && ::fstatat(directory_fd, name, &st, 0) != 0) return;
  if (!S_ISREG(st.st_mode)) return;
  out.files.push_back({path, st, link});
}

bool is_directory(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

struct Entry {
  std::string name;
  bool real_directory;  // a directory, not a link to one
};

/// An open directory and its entries, read once.
class Listing {
 public:
  Listing(const std::string& directory, GlobMatches& out) : dir_(::opendir(directory.c_str())) {
    if (dir_ == nullptr) {
      if (errno != ENOENT && errno != ENOTDIR && out.unlisted_error == 0) {
        out.unlisted_error = errno;
        out.unlisted_directory = directory;
      }
      return;
    }
    while (const dirent* entry = ::readdir(dir_)) {
      const std::string_view name = entry->d_name;
      if (name == "." || name == "..") continue;
      bool real_directory = entry->d_type == DT_DIR;
      if (entry->d_type == DT_UNKNOWN) {
        struct stat st {};
        real_directory =
            ::fstatat(fd(), entry->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
      }
      entries_.push_back({std::string(name), real_directory});
    }
  }
  ~Listing() {
    if (dir_ != nullptr) ::closedir(dir_);
  }
  Listing(const Listing&) = delete;
  Listing& operator=(const Listing&) = delete;

  int fd() const { return ::dirfd(dir_); }
  const std::vector<Entry>& entries() const { return entries_; }

 private:
  DIR* dir_;
  std::vector<Entry> entries_;
};

class Walker {
 public:
  Walker(std::vector<std::string> components, GlobMatches& out)
      : components_(std::move(components)), out_(out) {}

  void walk(const std::string& directory, size_t index) {
    if (index == components_.size()) return;
    const std::string& component = components_[index];
    const bool last = index + 1 == components_.size();
    if (component == "**") {
      walk(directory, index + 1);
      out_.directories.insert(directory);
      // Closed before descending: a deep tree must not hold a descriptor per level.
      const std::vector<Entry> entries = Listing(directory, out_).entries();
      for (const Entry& entry : entries) {
        if (entry.real_directory && entry.name.front() != '.')
          walk(join(directory, entry.name), index);
      }
      return;
    }
    if (!has_wildcard(component)) {
      const std::string path = join(directory, component);
      if (last) {
        out_.directories.insert(directory);  // a rotation re-creates the file here
        add_if_regular_file(AT_FDCWD, path.c_str(), path, out_);
      } else if (is_directory(path)) {
        walk(path, index + 1);
      }
      return;
    }
    out_.directories.insert(directory);
    const Listing listing(directory, out_);
    for (const Entry& entry : listing.entries()) {
      if (::fnmatch(component.c_str(), entry.name.c_str(), FNM_PERIOD) != 0) continue;
      if (last && entry.real_directory) continue;  // not a file; skips a stat
      const std::string path = join(directory, entry.name);
      if (last) {
        add_if_regular_file(listing.fd(), entry.name.c_str(), path, out_);
      } else if (is_directory(path)) {
        walk(path, index + 1);
      }
    }
  }

 private:
  std::vector<std::string> components_;
  GlobMatches& out_;
};

bool match_components(const std::vector<std::string>& pattern, size_t p,
                      const std::vector<std::string>& path, size_t i) {
  if (p == pattern.size()) return i == path.size();
  if (pattern[p] == "**") {
    for (size_t skip = i; skip <= path.size(); ++skip) {
      if (match_components(pattern, p + 1, path, skip)) return true;
      if (skip < path.size() && path[skip].front() == '.') return false;
    }
    return false;
  }
  return i < path.size() && ::fnmatch(pattern[p].c_str(), path[i].c_str(), FNM_PERIOD) == 0 &&
         match_components(pattern, p + 1, path, i + 1);
}

}  // namespace

void expand_glob(std::string_view pattern, GlobMatches& out) {
  Walker(split_components(pattern), out).walk("/", 0);
}

bool glob_matches(std::string_view pattern, std::string_view path) {
  return match_components(split_components(pattern), 0, split_components(path), 0);
}

}  // namespace drover::inputs
