#include "agent/queue/segment.h"

#include "agent/queue/crc32c.h"

#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

namespace drover {
namespace {

constexpr char kMagic[8] = {'D', 'R', 'V', 'Q', 'S', 'E', 'G', '\n'};
constexpr uint32_t kVersion = 1;
constexpr uint32_t kFrameMarker = 0xD20FF2A3;

template <typename T>
void put(char* at, T value) {
  std::memcpy(at, &value, sizeof(T));
}
template <typename T>
T get(const char* at) {
  T value;
  std::memcpy(&value, at, sizeof(T));
  return value;
}

uint32_t frame_crc(uint32_t length, std::string_view payload) {
  char bytes[4];
  put(bytes, length);
  return crc32c(payload, crc32c(std::string_view(bytes, 4)));
}

Status write_all(int fd, std::string_view data, const std::filesystem::path& path) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_error("cannot write", path);
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::ok();
}

/// Header and payload in one call, without copying the payload next to its header.
Status write_frame(int fd, std::string_view header, std::string_view payload,
                   const std::filesystem::path& path) {
  size_t done = 0;
  const size_t total = header.size() + payload.size();
  while (done < total) {
    iovec parts[2];
    int count = 0;
    if (done < header.size()) {
      parts[count++] = {const_cast<char*>(header.data()) + done, header.size() - done};
      parts[count++] = {const_cast<char*>(payload.data()), payload.size()};
    } else {
      parts[count++] = {const_cast<char*>(payload.data()) + (done - header.size()), total - done};
    }
    const ssize_t n = ::writev(fd, parts, count);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_error("cannot write", path);
    done += static_cast<size_t>(n);
  }
  return Status::ok();
}

/// Why the frame at `offset` is not valid, or "" if it is.
std::string check_frame(std::string_view file, uint64_t offset) {
  const size_t left = file.size() - offset;
  if (left < kFrameHeaderBytes) {
    return fmt::format("{} bytes, too few for a frame header", left);
  }
  const char* at = file.data() + offset;
  if (get<uint32_t>(at) != kFrameMarker) return "no frame marker";
  const auto length = get<uint32_t>(at + 4);
  if (length > left - kFrameHeaderBytes) {
    return fmt::format("frame of {} bytes runs past the end of the file ({} bytes left)", length,
                       left - kFrameHeaderBytes);
  }
  if (frame_crc(length, std::string_view(at + kFrameHeaderBytes, length)) !=
      get<uint32_t>(at + 8)) {
    return "checksum mismatch";
  }
  return {};
}

/// The offset of the next valid frame after `from`, or the file's size if there is none.
uint64_t next_valid_frame(std::string_view file, uint64_t from) {
  char marker[4];
  put(marker, kFrameMarker);
  for (uint64_t at = from; at + kFrameHeaderBytes <= file.size(); ++at) {
    const void* hit = ::memmem(file.data() + at, file.size() - at, marker, 4);
    if (hit == nullptr) break;
    at = static_cast<uint64_t>(static_cast<const char*>(hit) - file.data());
    if (check_frame(file, at).empty()) return at;
  }
  return file.size();
}

}  // namespace

std::filesystem::path segment_path(const std::filesystem::path& dir, uint64_t id) {
  return dir / fmt::format("{:020}.seg", id);
}

int64_t segment_id_of(const std::filesystem::path& file) {
  const std::string name = file.filename().string();
  if (name.size() != 24 || !name.ends_with(".seg")) return -1;
  int64_t id = 0;
  for (size_t i = 0; i < 20; ++i) {
    if (name[i] < '0' || name[i] > '9') return -1;
    id = id * 10 + (name[i] - '0');
  }
  return id;
}

Result<std::unique_ptr<SegmentWriter>> SegmentWriter::create(const std::filesystem::path& dir,
                                                             uint64_t id) {
  return create_at(dir, segment_path(dir, id), id);
}

Result<std::unique_ptr<SegmentWriter>> SegmentWriter::create_at(const std::filesystem::path& dir,
                                                                const std::filesystem::path& path,
                                                                uint64_t id) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0640));
  if (!fd.valid()) return errno_error("cannot create", path);
  char header[kSegmentHeaderBytes];
  std::memcpy(header, kMagic, 8);
  put(header + 8, kVersion);
  put(header + 12, id);
  put(header + 20, crc32c(std::string_view(header, 20)));
  Status status = write_all(fd.get(), std::string_view(header, sizeof header), path);
  if (status && ::fdatasync(fd.get()) != 0) status = errno_error("cannot sync", path);
  UniqueFd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (status && (!dir_fd.valid() || ::fsync(dir_fd.get()) != 0)) {
    status = errno_error("cannot sync", dir);
  }
  if (!status) {
    ::unlink(path.c_str());  // half a header would read as a damaged segment
    return status.error();
  }
  return std::unique_ptr<SegmentWriter>(
      new SegmentWriter(path, id, std::move(fd), kSegmentHeaderBytes));
}

Result<uint64_t> SegmentWriter::append(std::string_view payload) {
  if (payload.size() > kMaxFramePayload) {
    return Error{fmt::format("a batch of {} bytes is larger than a queue frame may be ({} bytes)",
                             payload.size(), kMaxFramePayload)};
  }
  const auto length = static_cast<uint32_t>(payload.size());
  char header[kFrameHeaderBytes];
  put(header, kFrameMarker);
  put(header + 4, length);
  put(header + 8, frame_crc(length, payload));
  const uint64_t offset = size_;
  if (Status status =
          write_frame(fd_.get(), std::string_view(header, sizeof header), payload, path_);
      !status) {
    // A partial frame would be cut as a torn tail anyway; cutting it now lets the next append
    // (after space is freed) continue a valid file.
    if (::ftruncate(fd_.get(), static_cast<off_t>(offset)) != 0) { /* the scan will cut it */
    }
    return status.error();
  }
  size_ += sizeof header + payload.size();
  return offset;
}

Status SegmentWriter::sync() {
  if (::fdatasync(fd_.get()) != 0) return errno_error("cannot sync", path_);
  return Status::ok();
}

Result<SegmentScan> scan_segment(const std::filesystem::path& file) {
  SegmentScan scan;
  scan.path = file;
  UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return errno_error("cannot open", file);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return errno_error("cannot stat", file);
  scan.file_size = static_cast<uint64_t>(st.st_size);
  if (scan.file_size < kSegmentHeaderBytes) {
    scan.header_error = fmt::format("{} bytes, shorter than a segment header", scan.file_size);
    scan.torn_tail = true;
    scan.damaged.push_back({0, scan.file_size, scan.header_error});
    return scan;
  }
  void* mapped = ::mmap(nullptr, scan.file_size, PROT_READ, MAP_PRIVATE, fd.get(), 0);
  if (mapped == MAP_FAILED) return errno_error("cannot map", file);
  ::madvise(mapped, scan.file_size, MADV_SEQUENTIAL);
  const std::string_view data(static_cast<const char*>(mapped), scan.file_size);

  if (std::memcmp(data.data(), kMagic, 8) != 0) {
    scan.header_error = "not a drover queue segment (no DRVQSEG marker)";
  } else if (crc32c(data.substr(0, 20)) != get<uint32_t>(data.data() + 20)) {
    scan.header_error = "header checksum mismatch";
  } else if (get<uint32_t>(data.data() + 8) != kVersion) {
    scan.header_error = fmt::format("segment format version {} (this drover reads {})",
                                    get<uint32_t>(data.data() + 8), kVersion);
  } else {
    scan.id = get<uint64_t>(data.data() + 12);
  }
  if (!scan.header_error.empty()) {
    scan.damaged.push_back({0, scan.file_size, scan.header_error});
    ::munmap(mapped, scan.file_size);
    return scan;
  }

  uint64_t at = kSegmentHeaderBytes;
  scan.valid_end = at;
  while (at < data.size()) {
    if (std::string reason = check_frame(data, at); !reason.empty()) {
      const uint64_t next = next_valid_frame(data, at + 1);
      scan.damaged.push_back({at, next, std::move(reason)});
      if (next == data.size()) {
        scan.torn_tail = true;
        break;
      }
      at = next;
      continue;
    }
    const auto length = get<uint32_t>(data.data() + at + 4);
    scan.frames.push_back({at, length});
    at += kFrameHeaderBytes + length;
    scan.valid_end = at;
  }
  ::munmap(mapped, scan.file_size);
  return scan;
}

Status read_frame(int fd, const FrameLocation& frame, std::string& payload) {
  char header[kFrameHeaderBytes];
  payload.resize(frame.length);
  const auto read_at = [&](char* into, size_t size, uint64_t offset) {
    size_t done = 0;
    while (done < size) {
      const ssize_t n = ::pread(fd, into + done, size - done, static_cast<off_t>(offset + done));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      done += static_cast<size_t>(n);
    }
    return true;
  };
  if (!read_at(header, sizeof header, frame.offset) ||
      !read_at(payload.data(), frame.length, frame.offset + kFrameHeaderBytes)) {
    return Error{fmt::format("cannot read the frame at byte {}: {}", frame.offset,
                             errno != 0 ? std::strerror(errno) : "the file is shorter")};
  }
  if (get<uint32_t>(header) != kFrameMarker || get<uint32_t>(header + 4) != frame.length ||
      frame_crc(frame.length, payload) != get<uint32_t>(header + 8)) {
    return Error{
        fmt::format("the frame at byte {} changed on disk since it was checked", frame.offset)};
  }
  return Status::ok();
}

Result<std::vector<FrameLocation>> rewrite_segment(const std::filesystem::path& file, uint64_t id,
                                                   const std::vector<FrameLocation>& frames) {
  const std::filesystem::path dir = file.parent_path();
  const std::filesystem::path temp = file.string() + ".rewrite";
  ::unlink(temp.c_str());  // from an earlier attempt cut short
  auto writer = SegmentWriter::create_at(dir, temp, id);
  if (!writer) return writer.error();
  UniqueFd in(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (!in.valid()) return errno_error("cannot open", file);
  std::vector<FrameLocation> moved;
  std::string payload;
  Status status = Status::ok();
  for (const auto& frame : frames) {
    status = read_frame(in.get(), frame, payload);
    if (!status) break;
    auto offset = (*writer)->append(payload);
    if (!offset) {
      status = offset.error();
      break;
    }
    moved.push_back({*offset, frame.length});
  }
  if (status) status = (*writer)->sync();
  if (status && ::rename(temp.c_str(), file.c_str()) != 0) {
    status = errno_error("cannot rename onto", file);
  }
  UniqueFd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (status && (!dir_fd.valid() || ::fsync(dir_fd.get()) != 0)) {
    status = errno_error("cannot sync", dir);
  }
  if (!status) {
    ::unlink(temp.c_str());
    return status.error();
  }
  return moved;
}

}  // namespace drover
