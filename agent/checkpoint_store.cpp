#include "agent/checkpoint_store.h"

#include "agent/json_escape.h"
#include "agent/unique_fd.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <system_error>
#include <unistd.h>

namespace drover {
namespace {

constexpr int kFormatVersion = 2;  // 1: no head, tail or seen fields (still read)

}  // namespace

CheckpointStore::CheckpointStore(std::filesystem::path file)
    : file_(std::move(file)), journal_file_(file_.string() + ".journal") {}

CheckpointStore::~CheckpointStore() {
  if (journal_fd_ >= 0) ::close(journal_fd_);
}

namespace {

/// One entry, as the snapshot's array and the journal's lines hold it.
void append_entry(std::string& out, const std::string& key, const Checkpoint& checkpoint) {
  out += "{\"key\":\"";
  append_json_escaped(out, key);
  out += "\",\"path\":\"";
  append_json_escaped(out, checkpoint.path);
  fmt::format_to(
      std::back_inserter(out),
      "\",\"offset\":{},\"head_bytes\":{},\"head_hash\":{},\"tail_hash\":{},\"seen\":{}}}",
      checkpoint.offset, checkpoint.head_bytes, checkpoint.head_hash, checkpoint.tail_hash,
      checkpoint.seen_unix_ms);
}

/// False when a required field is missing.
bool parse_entry(simdjson::dom::element entry, std::string_view& key, Checkpoint& checkpoint) {
  std::string_view path;
  if (entry["key"].get(key) || entry["path"].get(path) || entry["offset"].get(checkpoint.offset)) {
    return false;
  }
  checkpoint.path = std::string(path);
  // Optional: absent in version 1 files, and zero means unknown.
  uint64_t head_bytes = 0;
  if (entry["head_bytes"].get(head_bytes) == simdjson::SUCCESS) {
    checkpoint.head_bytes = static_cast<uint32_t>(head_bytes);
  }
  if (entry["head_hash"].get(checkpoint.head_hash) != simdjson::SUCCESS) checkpoint.head_hash = 0;
  if (entry["tail_hash"].get(checkpoint.tail_hash) != simdjson::SUCCESS) checkpoint.tail_hash = 0;
  if (entry["seen"].get(checkpoint.seen_unix_ms) != simdjson::SUCCESS) checkpoint.seen_unix_ms = 0;
  return true;
}

Status write_all(int fd, std::string_view content, const std::filesystem::path& file) {
  size_t written = 0;
  while (written < content.size()) {
    const ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_error("cannot write", file);
    written += static_cast<size_t>(n);
  }
  return Status::ok();
}

constexpr uint64_t kMinJournalBytes = 64 << 10;  // below this a journal is never folded

}  // namespace

Status write_file_atomically(const std::filesystem::path& file, std::string_view content) {
  std::error_code ec;
  std::filesystem::create_directories(file.parent_path(), ec);
  if (ec) {
    return Error{fmt::format("cannot create {}: {}", file.parent_path().string(), ec.message())};
  }
  const std::filesystem::path temp = file.string() + ".tmp";
  {
    UniqueFd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640));
    if (fd.get() < 0) return errno_error("cannot create", temp);
    if (Status status = write_all(fd.get(), content, temp); !status) return status;
    if (::fsync(fd.get()) != 0) return errno_error("cannot fsync", temp);
  }
  if (::rename(temp.c_str(), file.c_str()) != 0) return errno_error("cannot rename onto", file);
  UniqueFd dir(::open(file.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() < 0 || ::fsync(dir.get()) != 0)
    return errno_error("cannot fsync", file.parent_path());
  return Status::ok();
}

Result<Checkpoints> CheckpointStore::load() {
  Checkpoints checkpoints;
  std::error_code ec;
  if (!std::filesystem::exists(file_, ec)) return checkpoints;

  simdjson::padded_string text;
  if (auto error = simdjson::padded_string::load(file_.string()).get(text); error) {
    return Error{fmt::format("cannot read checkpoint file {}: {}", file_.string(),
                             simdjson::error_message(error))};
  }
  const auto corrupt = [&](std::string_view what) {
    return Error{fmt::format("checkpoint file {} is corrupt ({} bytes): {}", file_.string(),
                             text.size(), what)};
  };
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (auto error = parser.parse(text).get(root); error) {
    return corrupt(simdjson::error_message(error));
  }
  int64_t version = 0;
  if (root["version"].get(version) || version < 1 || version > kFormatVersion) {
    return corrupt(
        fmt::format("unsupported or missing version (expected 1 to {})", kFormatVersion));
  }
  if (root["generation"].get(generation_) != simdjson::SUCCESS) generation_ = 0;
  simdjson::dom::array entries;
  if (root["entries"].get(entries)) return corrupt("missing 'entries' array");
  size_t index = 0;
  for (simdjson::dom::element entry : entries) {
    std::string_view key;
    Checkpoint checkpoint;
    if (!parse_entry(entry, key, checkpoint)) {
      return corrupt(fmt::format("entry {} lacks key, path or offset", index));
    }
    checkpoints[std::string(key)] = std::move(checkpoint);
    ++index;
  }
  snapshot_bytes_ = text.size();
  replay_journal(checkpoints);
  return checkpoints;
}

void CheckpointStore::replay_journal(Checkpoints& checkpoints) const {
  simdjson::padded_string text;
  if (simdjson::padded_string::load(journal_file_.string()).get(text) != simdjson::SUCCESS) return;
  simdjson::dom::parser parser;
  std::string_view rest(text.data(), text.size());
  bool header = true;
  while (!rest.empty()) {
    const size_t end = rest.find('\n');
    if (end == std::string_view::npos) return;  // torn: written up to here only
    const std::string_view line = rest.substr(0, end);
    rest.remove_prefix(end + 1);
    simdjson::dom::element element;
    if (parser.parse(line.data(), line.size()).get(element) != simdjson::SUCCESS) return;
    if (header) {
      // The journal of an older snapshot: a crash came between writing the new snapshot and
      // starting its journal, and the snapshot already holds all of it.
      uint64_t generation = 0;
      if (element["generation"].get(generation) || generation != generation_) return;
      header = false;
      continue;
    }
    std::string_view key;
    bool forget = false;
    if (element["forget"].get(forget) == simdjson::SUCCESS && forget) {
      if (element["key"].get(key) != simdjson::SUCCESS) return;
      checkpoints.erase(std::string(key));
      continue;
    }
    Checkpoint checkpoint;
    if (!parse_entry(element, key, checkpoint)) return;
    checkpoints[std::string(key)] = std::move(checkpoint);
  }
}

Status CheckpointStore::save(const Checkpoints& all) {
  const uint64_t generation = generation_ + 1;
  std::string out =
      fmt::format("{{\"version\":{},\"generation\":{},\"entries\":[", kFormatVersion, generation);
  bool first = true;
  for (const auto& [key, checkpoint] : all) {
    if (!first) out += ',';
    first = false;
    out += '\n';
    append_entry(out, key, checkpoint);
  }
  out += "\n]}\n";
  if (journal_fd_ >= 0) {
    ::close(journal_fd_);
    journal_fd_ = -1;
  }
  if (Status status = write_file_atomically(file_, out); !status) return status;
  generation_ = generation;
  snapshot_bytes_ = out.size();
  // The snapshot holds everything: the journal starts over, tied to this snapshot.
  const std::string header = fmt::format("{{\"journal\":1,\"generation\":{}}}\n", generation);
  if (Status status = write_file_atomically(journal_file_, header); !status) return status;
  journal_fd_ = ::open(journal_file_.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (journal_fd_ < 0) return errno_error("cannot open", journal_file_);
  journal_bytes_ = header.size();
  return Status::ok();
}

Status CheckpointStore::save_changes(const Checkpoints& changed,
                                     const std::vector<std::string>& forgotten,
                                     const Checkpoints& all) {
  if (changed.empty() && forgotten.empty()) return Status::ok();
  if (journal_fd_ < 0 || journal_bytes_ > std::max(kMinJournalBytes, snapshot_bytes_)) {
    return save(all);
  }
  std::string out;
  for (const auto& [key, checkpoint] : changed) {
    append_entry(out, key, checkpoint);
    out += '\n';
  }
  for (const auto& key : forgotten) {
    out += "{\"key\":\"";
    append_json_escaped(out, key);
    out += "\",\"forget\":true}\n";
  }
  Status status = write_all(journal_fd_, out, journal_file_);
  if (status && ::fdatasync(journal_fd_) != 0) status = errno_error("cannot fsync", journal_file_);
  if (!status) {
    // Maybe half a line on disk: the next save writes a whole snapshot instead.
    ::close(journal_fd_);
    journal_fd_ = -1;
    return status;
  }
  journal_bytes_ += out.size();
  return Status::ok();
}

void CheckpointStore::quarantine() const {
  std::error_code ec;
  std::filesystem::rename(file_, file_.string() + ".corrupt", ec);
  std::filesystem::rename(journal_file_, journal_file_.string() + ".corrupt", ec);
}

}  // namespace drover
