#include "inputs/file/path_glob.h"

#include <dirent.h>
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

/// Adds `path` when it is a regular file or a link to one.
void add_if_regular_file(const std::string& path, GlobMatches& out) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return;
  const bool link = S_ISLNK(st.st_mode);
  if (link && ::stat(path.c_str(), &st) != 0) return;
  if (!S_ISREG(st.st_mode)) return;
  out.files[path] = st;
  if (link) out.links.insert(path);
}

bool is_directory(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

struct Entry {
  std::string name;
  bool real_directory;  // a directory, not a link to one
};

std::vector<Entry> list(const std::string& directory) {
  std::vector<Entry> entries;
  DIR* dir = ::opendir(directory.c_str());
  if (dir == nullptr) return entries;
  while (const dirent* entry = ::readdir(dir)) {
    const std::string_view name = entry->d_name;
    if (name == "." || name == "..") continue;
    bool real_directory = entry->d_type == DT_DIR;
    if (entry->d_type == DT_UNKNOWN) {
      struct stat st {};
      real_directory = ::lstat(join(directory, name).c_str(), &st) == 0 && S_ISDIR(st.st_mode);
    }
    entries.push_back({std::string(name), real_directory});
  }
  ::closedir(dir);
  return entries;
}

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
      for (const Entry& entry : list(directory)) {
        if (entry.real_directory && entry.name.front() != '.')
          walk(join(directory, entry.name), index);
      }
      return;
    }
    if (!has_wildcard(component)) {
      const std::string path = join(directory, component);
      if (last) {
        out_.directories.insert(directory);  // a rotation re-creates the file here
        add_if_regular_file(path, out_);
      } else if (is_directory(path)) {
        walk(path, index + 1);
      }
      return;
    }
    out_.directories.insert(directory);
    for (const Entry& entry : list(directory)) {
      if (::fnmatch(component.c_str(), entry.name.c_str(), FNM_PERIOD) != 0) continue;
      const std::string path = join(directory, entry.name);
      if (last) {
        add_if_regular_file(path, out_);
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
