// Base64 (RFC 4648, with padding): bytes that are not text, written into JSON (a dead letter's
// value, a journal field's binary data).
#pragma once

#include <string>
#include <string_view>

namespace drover {

void append_base64(std::string& out, std::string_view bytes);

}  // namespace drover
