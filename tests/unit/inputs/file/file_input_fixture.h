// A file input running on its own thread against a temporary directory, feeding a capturing
// sink; and a writer that keeps its descriptor across a rotation, as applications do.
#pragma once

#include "inputs/file/file_input.h"
#include "tests/support/capturing_sink.h"
#include "tests/support/checkpoints.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fcntl.h>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

namespace drover::inputs {

class FileInputTest : public ::testing::Test {
 protected:
  FileInputConfig config() const {
    FileInputConfig c;
    c.include = {(dir / "logs" / "*.log").string()};
    c.codec = Codec::kRaw;
    c.poll_interval = std::chrono::milliseconds(5);
    c.rescan_interval = std::chrono::milliseconds(20);
    c.checkpoint_interval = std::chrono::milliseconds(5);
    c.rotate_wait = std::chrono::milliseconds(300);
    return c;
  }
  ComponentContext context() { return {"app", "host", dir / "data", &metrics, 0}; }
  uint64_t committed_offset(const std::string& file) const {
    return testing::committed_offset(dir / "data", "app", dir / "logs" / file);
  }
  uint64_t metric(const std::string& name) const { return metrics.value(name, {{"input", "app"}}); }

  struct Running {
    Running(const FileInputConfig& config, const ComponentContext& context)
        : input(config, context),
          thread([this](std::stop_token stop) { (void)input.run(sink, stop); }) {}
    void stop() {
      thread.request_stop();
      thread.join();
    }
    FileInput input;
    testing::CapturingSink sink;
    std::jthread thread;
  };

  /// Waits until `running` shipped as many records as `expected` holds and has no rotated file
  /// left to finish, then compares the multisets: every line once, none twice.
  void expect_exactly(Running& running, std::vector<std::string> expected) {
    const bool settled = testing::wait_until([&] {
      return running.sink.records().size() >= expected.size() &&
             metric("drover_input_rotated_files") == 0;
    });
    std::vector<std::string> actual = running.sink.records();
    EXPECT_TRUE(settled) << actual.size() << " of " << expected.size() << " records";
    std::sort(actual.begin(), actual.end());
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(actual.size(), expected.size());
    std::vector<std::string> missing;
    std::vector<std::string> extra;
    std::set_difference(expected.begin(), expected.end(), actual.begin(), actual.end(),
                        std::back_inserter(missing));
    std::set_difference(actual.begin(), actual.end(), expected.begin(), expected.end(),
                        std::back_inserter(extra));
    EXPECT_TRUE(missing.empty()) << missing.size() << " missing, first: " << missing.front();
    EXPECT_TRUE(extra.empty()) << extra.size() << " extra (duplicates?), first: " << extra.front();
  }

  void SetUp() override { std::filesystem::create_directories(dir / "logs"); }

  testing::TempDir dir;
  Metrics metrics;
};

/// Appends numbered lines through one descriptor, as a logging library does: a rename does
/// not redirect it, only reopen() does.
class LineWriter {
 public:
  LineWriter(std::filesystem::path path, std::string prefix)
      : path_(std::move(path)), prefix_(std::move(prefix)) {
    reopen();
  }
  ~LineWriter() { ::close(fd_); }
  void reopen() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  }
  /// Writes `count` lines, one write each; returns them.
  std::vector<std::string> write(size_t count) {
    std::vector<std::string> lines;
    for (size_t i = 0; i < count; ++i) {
      lines.push_back(prefix_ + "-" + std::to_string(next_++));
      const std::string line = lines.back() + "\n";
      EXPECT_EQ(::write(fd_, line.data(), line.size()), static_cast<ssize_t>(line.size()));
    }
    return lines;
  }

 private:
  std::filesystem::path path_;
  std::string prefix_;
  int fd_ = -1;
  size_t next_ = 0;
};

inline void append_to(std::vector<std::string>& all, const std::vector<std::string>& more) {
  all.insert(all.end(), more.begin(), more.end());
}

}  // namespace drover::inputs
