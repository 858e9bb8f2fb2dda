#include "bench/line_generator.h"

#include <fmt/format.h>

#include <array>
#include <cstdio>
#include <stdexcept>
#include <string_view>

namespace drover::bench {
namespace {

constexpr std::array<std::string_view, 8> kPaths{
    "/api/v1/orders", "/api/v1/orders/search", "/static/app.js",  "/login", "/api/v2/users/profile",
    "/healthz",       "/api/v1/cart/items",    "/images/logo.png"};
constexpr std::array<std::string_view, 6> kServices{"billing", "search",  "checkout",
                                                    "auth",    "catalog", "gateway"};
constexpr std::array<std::string_view, 6> kMessages{
    "request completed",      "cache miss, loading from database",
    "retrying upstream call", "user session refreshed",
    "payment authorised",     "slow query detected"};
constexpr std::array<std::string_view, 4> kLevels{"INFO", "WARN", "DEBUG", "ERROR"};

template <size_t N>
std::string_view pick(const std::array<std::string_view, N>& options, uint64_t random) {
  return options[random % N];
}

}  // namespace

uint64_t LineGenerator::next() {  // xorshift64*: fast, and the same lines on every machine
  state_ ^= state_ >> 12;
  state_ ^= state_ << 25;
  state_ ^= state_ >> 27;
  return state_ * 0x2545F4914F6CDD1DULL;
}

void LineGenerator::line(uint64_t sequence, std::string& out) {
  out.clear();
  const uint64_t r = next();
  const unsigned second = static_cast<unsigned>(sequence / 1000 % 86400);
  const unsigned millis = static_cast<unsigned>(sequence % 1000);
  switch (sequence % 3) {
    case 0:
      fmt::format_to(std::back_inserter(out),
                     "10.{}.{}.{} - - [23/Nov/2026:{:02}:{:02}:{:02} +0000] \"GET {}?id={} "
                     "HTTP/1.1\" {} {} \"https://shop.example.com/catalog?page={}\" \"Mozilla/5.0 "
                     "(X11; Linux x86_64) AppleWebKit/537.36 drover-bench/1.0\" rt={}.{:03}",
                     r % 256, (r >> 8) % 256, (r >> 16) % 256, second / 3600, second / 60 % 60,
                     second % 60, pick(kPaths, r >> 24), sequence, (r >> 32) % 5 == 0 ? 404 : 200,
                     (r >> 36) % 50000, (r >> 20) % 40, (r >> 40) % 3, (r >> 44) % 1000);
      break;
    case 1:
      fmt::format_to(std::back_inserter(out),
                     "{{\"ts\":\"2026-11-23T{:02}:{:02}:{:02}.{:03}Z\",\"level\":\"{}\","
                     "\"service\":\"{}\",\"host\":\"web-{:02}.eu-west-1\",\"trace_id\":\"{:016x}\","
                     "\"seq\":{},\"msg\":\"{}\",\"user\":\"u-{:06x}\",\"duration_ms\":{}}}",
                     second / 3600, second / 60 % 60, second % 60, millis, pick(kLevels, r >> 8),
                     pick(kServices, r >> 16), (r >> 4) % 40, r, sequence, pick(kMessages, r >> 24),
                     (r >> 12) & 0xFFFFFF, (r >> 32) % 2000);
      break;
    default:
      fmt::format_to(
          std::back_inserter(out),
          "2026-11-23 {:02}:{:02}:{:02},{:03} {} [worker-{}] com.example.{}.Handler - "
          "{} (request {} for tenant t-{:x}, attempt {}, pool db-{}:5432, {} rows, {} ms)",
          second / 3600, second / 60 % 60, second % 60, millis, pick(kLevels, r >> 8), r % 16,
          pick(kServices, r >> 16), pick(kMessages, r >> 24), sequence, (r >> 32) & 0xFFFFFF,
          (r >> 56) % 3 + 1, (r >> 4) % 8, (r >> 8) % 500, (r >> 20) % 3000);
      break;
  }
}

uint64_t write_lines(const std::filesystem::path& path, uint64_t lines, uint64_t first_sequence,
                     uint32_t line_bytes) {
  FILE* file = std::fopen(path.c_str(), "w");
  if (file == nullptr) throw std::runtime_error("cannot write " + path.string());
  std::setvbuf(file, nullptr, _IOFBF, 1 << 20);
  LineGenerator generator;
  std::string line;
  std::string text;
  uint64_t bytes = 0;
  for (uint64_t i = 0; i < lines; ++i) {
    generator.line(first_sequence + i, line);
    if (line_bytes != 0) {
      text = fmt::format("{:012} ", first_sequence + i);
      for (uint64_t more = i + 1; text.size() + 1 < line_bytes; ++more) {
        text += line;
        text += " | ";
        generator.line(first_sequence + more, line);
      }
      text.resize(line_bytes - 1);
      line.swap(text);
    }
    line.push_back('\n');
    std::fwrite(line.data(), 1, line.size(), file);
    bytes += line.size();
  }
  if (std::fclose(file) != 0) throw std::runtime_error("cannot write " + path.string());
  return bytes;
}

}  // namespace drover::bench
