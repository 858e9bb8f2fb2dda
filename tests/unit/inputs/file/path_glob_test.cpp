#include "inputs/file/path_glob.h"

#include "tests/support/temp_dir.h"

#include <gtest/gtest.h>

namespace drover::inputs {
namespace {

class PathGlobTest : public ::testing::Test {
 protected:
  void touch(const std::string& relative) {
    const auto path = dir / relative;
    std::filesystem::create_directories(path.parent_path());
    testing::write_file(path, "x\n");
  }
  std::set<std::string> files(const std::string& pattern) {
    GlobMatches matches;
    expand_glob((dir.path() / pattern).string(), matches);
    std::set<std::string> relative;
    for (const auto& file : matches.files) {
      relative.insert(std::filesystem::relative(file.path, dir.path()).string());
    }
    return relative;
  }
  testing::TempDir dir;
};

TEST_F(PathGlobTest, DoubleStarSpansAnyNumberOfDirectoriesIncludingNone) {
  for (const char* file : {"a.log", "x/b.log", "x/y/c.log", "x/y/c.txt", "x/.hidden/d.log"}) {
    touch(file);
  }
  EXPECT_EQ(files("**/*.log"), (std::set<std::string>{"a.log", "x/b.log", "x/y/c.log"}));
  EXPECT_EQ(files("x/**/c.*"), (std::set<std::string>{"x/y/c.log", "x/y/c.txt"}));
  EXPECT_EQ(files("*/*.log"), (std::set<std::string>{"x/b.log"}));
}

TEST_F(PathGlobTest, DoesNotFollowALinkLoop) {
  touch("x/a.log");
  std::filesystem::create_directory_symlink(dir.path(), dir / "x" / "loop");
  EXPECT_EQ(files("**/*.log"), (std::set<std::string>{"x/a.log"}));
}

TEST_F(PathGlobTest, ReportsTheDirectoriesWhereNewMatchesWouldAppear) {
  touch("x/y/a.log");
  GlobMatches matches;
  expand_glob((dir.path() / "x" / "*" / "a.log").string(), matches);
  EXPECT_TRUE(matches.directories.contains((dir / "x").string()));
  EXPECT_TRUE(matches.directories.contains((dir / "x" / "y").string()));
}

TEST(GlobMatchesTest, MatchesWholePathsWithTheSameRules) {
  EXPECT_TRUE(glob_matches("/var/log/**/*.gz", "/var/log/a/b/c.gz"));
  EXPECT_TRUE(glob_matches("/var/log/**/*.gz", "/var/log/c.gz"));
  EXPECT_FALSE(glob_matches("/var/log/*.gz", "/var/log/a/c.gz"));
  EXPECT_FALSE(glob_matches("/var/log/*", "/var/log/.hidden"));
}

}  // namespace
}  // namespace drover::inputs
