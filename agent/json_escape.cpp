#include "agent/json_escape.h"

#include <array>
#include <cstdint>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

namespace drover {
namespace {

// 0: copy as is; 1: needs a JSON escape; 2: start of a multi-byte UTF-8 sequence (or invalid).
constexpr std::array<uint8_t, 256> make_classes() {
  std::array<uint8_t, 256> classes{};
  for (int c = 0; c < 0x20; ++c) classes[static_cast<size_t>(c)] = 1;
  classes['"'] = 1;
  classes['\\'] = 1;
  for (int c = 0x80; c < 0x100; ++c) classes[static_cast<size_t>(c)] = 2;
  return classes;
}
constexpr std::array<uint8_t, 256> kClasses = make_classes();

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

// The first byte at or after `i` that cannot be copied as is (a quote, a backslash, a control
// character, or the start of a UTF-8 sequence), or `size`. Sixteen bytes at a time: most of a
// log line is plain ASCII, and this loop is most of the JSON envelope's cost.
size_t skip_plain(const unsigned char* p, size_t i, size_t size) {
#ifdef __SSE2__
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  const __m128i space = _mm_set1_epi8(0x20);
  for (; i + 16 <= size; i += 16) {
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    // As signed bytes, 0x00-0x1F and 0x80-0xFF are exactly those below 0x20.
    const __m128i special =
        _mm_or_si128(_mm_cmplt_epi8(bytes, space),
                     _mm_or_si128(_mm_cmpeq_epi8(bytes, quote), _mm_cmpeq_epi8(bytes, backslash)));
    if (const int mask = _mm_movemask_epi8(special); mask != 0) {
      return i + static_cast<size_t>(__builtin_ctz(static_cast<unsigned>(mask)));
    }
  }
#endif
  while (i < size && kClasses[p[i]] == 0) ++i;
  return i;
}

// The same for bytes copied unescaped: only the start of a UTF-8 sequence stops it.
size_t skip_ascii(const unsigned char* p, size_t i, size_t size) {
#ifdef __SSE2__
  for (; i + 16 <= size; i += 16) {
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    if (const int mask = _mm_movemask_epi8(bytes); mask != 0) {
      return i + static_cast<size_t>(__builtin_ctz(static_cast<unsigned>(mask)));
    }
  }
#endif
  while (i < size && p[i] < 0x80) ++i;
  return i;
}

// Length of the valid UTF-8 sequence at `p` (RFC 3629: no overlongs, no surrogates,
// nothing above U+10FFFF), or 0 if it is invalid.
size_t utf8_sequence_length(const unsigned char* p, size_t available) {
  const unsigned char c = p[0];
  size_t length = 0;
  unsigned char low = 0x80;
  unsigned char high = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    length = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    length = 3;
    if (c == 0xE0) low = 0xA0;
    if (c == 0xED) high = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    length = 4;
    if (c == 0xF0) low = 0x90;
    if (c == 0xF4) high = 0x8F;
  } else {
    return 0;
  }
  if (available < length) return 0;
  if (p[1] < low || p[1] > high) return 0;
  for (size_t i = 2; i < length; ++i) {
    if (p[i] < 0x80 || p[i] > 0xBF) return 0;
  }
  return length;
}

void append_escape(std::string& out, unsigned char c) {
  static constexpr char kHex[] = "0123456789abcdef";
  switch (c) {
    case '"':
      out += "\\\"";
      return;
    case '\\':
      out += "\\\\";
      return;
    case '\n':
      out += "\\n";
      return;
    case '\r':
      out += "\\r";
      return;
    case '\t':
      out += "\\t";
      return;
    case '\b':
      out += "\\b";
      return;
    case '\f':
      out += "\\f";
      return;
    default: {
      const char escaped[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
      out.append(escaped, sizeof escaped);
    }
  }
}

}  // namespace

size_t append_json_escaped(std::string& out, std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const size_t size = text.size();
  size_t replaced = 0;
  size_t run_start = 0;
  size_t i = 0;
  while ((i = skip_plain(p, i, size)) < size) {
    const uint8_t cls = kClasses[p[i]];
    if (cls == 2) {
      const size_t length = utf8_sequence_length(p + i, size - i);
      if (length != 0) {
        i += length;
        continue;
      }
    }
    out.append(text.data() + run_start, i - run_start);
    if (cls == 1) {
      append_escape(out, p[i]);
    } else {
      out += kReplacement;
      ++replaced;
    }
    run_start = ++i;
  }
  out.append(text.data() + run_start, size - run_start);
  return replaced;
}

size_t append_utf8_replacing_invalid(std::string& out, std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const size_t size = text.size();
  size_t replaced = 0;
  size_t run_start = 0;
  size_t i = 0;
  while ((i = skip_ascii(p, i, size)) < size) {
    if (const size_t length = utf8_sequence_length(p + i, size - i); length != 0) {
      i += length;
      continue;
    }
    out.append(text.data() + run_start, i - run_start);
    out += kReplacement;
    ++replaced;
    run_start = ++i;
  }
  out.append(text.data() + run_start, size - run_start);
  return replaced;
}

size_t first_invalid_utf8(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const size_t size = text.size();
  size_t i = 0;
  while ((i = skip_ascii(p, i, size)) < size) {
    const size_t length = utf8_sequence_length(p + i, size - i);
    if (length == 0) return i;
    i += length;
  }
  return size;
}

}  // namespace drover
