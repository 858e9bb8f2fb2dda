// Expands an `include` pattern: an absolute path whose components may hold fnmatch wildcards,
// plus `**` for any number of directories (none included), which glob(3) lacks. It also
// reports every directory whose entries decide the result, so they can be watched.
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <sys/stat.h>
#include <vector>

namespace drover::inputs {

struct MatchedFile {
  std::string path;
  struct stat st;  // of the file, through a link (the one system call a scan makes per file)
  bool link;       // `path` is a symbolic link to it
};

struct GlobMatches {
  // Regular files, or symbolic links to them, in directory order: a list, not a sorted map,
  // because thousands of paths sharing a long prefix make every comparison costly. Patterns
  // that overlap list a path once each.
  std::vector<MatchedFile> files;
  std::set<std::string> directories;  // where a new match could appear
  // A directory that exists could not be listed (no descriptor left, no permission): the files
  // not found may still be there, so none may be taken for gone. errno of the first failure.
  int unlisted_error = 0;
  std::string unlisted_directory;
};

/// Adds the matches of `pattern` to `out`. Hidden entries match only a pattern component that
/// starts with a dot, as in the shell. `**` does not follow symbolic links to directories, so
/// a link loop cannot make a scan endless.
void expand_glob(std::string_view pattern, GlobMatches& out);

/// True when `path` matches `pattern` with the same rules (used for `exclude`).
bool glob_matches(std::string_view pattern, std::string_view path);

}  // namespace drover::inputs
