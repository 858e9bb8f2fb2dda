// `type = "file"`: tails the files matching `include` globs from one thread, turns their
// lines into batches and commits each file's position once its batches are safe.
#pragma once

#include "agent/checkpoint_store.h"
#include "agent/plugin.h"
#include "inputs/file/file_input_config.h"

#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace drover::inputs {

class FileInput final : public Input {
 public:
  FileInput(FileInputConfig config, const ComponentContext& context);
  ~FileInput() override;

  Status run(BatchSink& out, std::stop_token stop) override;
  Status save_positions() override;

 private:
  struct Tailer;
  using Clock = std::chrono::steady_clock;

  void load_checkpoints();
  void rescan(bool at_startup);
  void open_file(const std::string& path, const std::string& identity, uint64_t size,
                 bool at_startup);
  /// Reads what one file has, up to one batch; false if the sink refused (stopping).
  bool read_turn(Tailer& tailer, BatchSink& out, std::stop_token stop, bool& progressed);
  bool push(Tailer& tailer, BatchSink& out, std::stop_token stop);
  void close_finished_files();
  Checkpoints snapshot() const;
  void save_if_changed();

  FileInputConfig config_;
  ComponentContext context_;
  CheckpointStore store_;
  Checkpoints loaded_;
  Checkpoints last_saved_;
  std::map<std::string, std::unique_ptr<Tailer>> tailers_;  // by file identity
  std::vector<std::unique_ptr<Tailer>> closing_;            // closed, batches still in flight
  std::vector<char> read_buffer_;
  std::set<std::string> unopenable_;  // paths whose open failed, so it is logged once

  Counter* records_;
  Counter* bytes_;
  Counter* truncated_lines_;
  Counter* invalid_utf8_bytes_;
  Counter* files_opened_;
  Counter* read_errors_;
  Counter* checkpoint_errors_;
};

}  // namespace drover::inputs
