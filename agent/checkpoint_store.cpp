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
    size_t written = 0;
    while (written < content.size()) {
      const ssize_t n = ::write(fd.get(), content.data() + written, content.size() - written);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return errno_error("cannot write", temp);
      written += static_cast<size_t>(n);
    }
    if (::fsync(fd.get()) != 0) return errno_error("cannot fsync", temp);
  }
  if (::rename(temp.c_str(), file.c_str()) != 0) return errno_error("cannot rename onto", file);
  UniqueFd dir(::open(file.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() < 0 || ::fsync(dir.get()) != 0)
    return errno_error("cannot fsync", file.parent_path());
  return Status::ok();
}

Result<Checkpoints> CheckpointStore::load() const {
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
  simdjson::dom::array entries;
  if (root["entries"].get(entries)) return corrupt("missing 'entries' array");
  size_t index = 0;
  for (simdjson::dom::element entry : entries) {
    std::string_view key;
    std::string_view path;
    uint64_t offset = 0;
    if (entry["key"].get(key) || entry["path"].get(path) || entry["offset"].get(offset)) {
      return corrupt(fmt::format("entry {} lacks key, path or offset", index));
    }
    Checkpoint checkpoint{std::string(path), offset};
    // Optional: absent in version 1 files, and zero means unknown.
    uint64_t head_bytes = 0;
    if (entry["head_bytes"].get(head_bytes) == simdjson::SUCCESS) {
      checkpoint.head_bytes = static_cast<uint32_t>(head_bytes);
    }
    if (entry["head_hash"].get(checkpoint.head_hash) != simdjson::SUCCESS) checkpoint.head_hash = 0;
    if (entry["tail_hash"].get(checkpoint.tail_hash) != simdjson::SUCCESS) checkpoint.tail_hash = 0;
    if (entry["seen"].get(checkpoint.seen_unix_ms) != simdjson::SUCCESS)
      checkpoint.seen_unix_ms = 0;
    checkpoints[std::string(key)] = std::move(checkpoint);
    ++index;
  }
  return checkpoints;
}

Status CheckpointStore::save(const Checkpoints& checkpoints) const {
  std::string out = fmt::format("{{\"version\":{},\"entries\":[", kFormatVersion);
  bool first = true;
  for (const auto& [key, checkpoint] : checkpoints) {
    if (!first) out += ',';
    first = false;
    out += "\n{\"key\":\"";
    append_json_escaped(out, key);
    out += "\",\"path\":\"";
    append_json_escaped(out, checkpoint.path);
    out += fmt::format(
        "\",\"offset\":{},\"head_bytes\":{},\"head_hash\":{},\"tail_hash\":{},\"seen\":{}}}",
        checkpoint.offset, checkpoint.head_bytes, checkpoint.head_hash, checkpoint.tail_hash,
        checkpoint.seen_unix_ms);
  }
  out += "\n]}\n";
  return write_file_atomically(file_, out);
}

void CheckpointStore::quarantine() const {
  std::error_code ec;
  std::filesystem::rename(file_, file_.string() + ".corrupt", ec);
}

}  // namespace drover
