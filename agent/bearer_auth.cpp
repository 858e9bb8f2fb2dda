#include "agent/bearer_auth.h"

#include "agent/http_text.h"
#include "agent/unique_fd.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>

namespace drover {
namespace {

// RFC 6750's b64token: what may follow "Bearer ".
bool is_token_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~' || c == '+' || c == '/' || c == '=';
}

// Takes as long for a token that differs in its first byte as for one that differs in its
// last: the time depends only on the length of what the client sent.
bool equal_in_constant_time(std::string_view presented, std::string_view token) {
  unsigned char difference = presented.size() == token.size() ? 0 : 1;
  for (size_t i = 0; i < presented.size(); ++i) {
    difference |= static_cast<unsigned char>(presented[i] ^ token[i % token.size()]);
  }
  return difference == 0;
}

}  // namespace

Result<BearerTokens> BearerTokens::load(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) return errno_error("cannot read the token file", file);
  BearerTokens tokens;
  std::string line;
  for (size_t number = 1; std::getline(in, line); ++number) {
    const std::string_view token = trim_blanks(line);
    if (token.empty() || token.front() == '#') continue;
    if (!std::all_of(token.begin(), token.end(), is_token_char)) {
      return Error{fmt::format(
          "{}:{}: a token may use only letters, digits and -._~+/=", file.string(), number)};
    }
    if (token.size() < 16) {
      return Error{
          fmt::format("{}:{}: a token of {} characters is too easy to guess (use 16 or "
                      "more, e.g. openssl rand -hex 32)",
                      file.string(), number, token.size())};
    }
    tokens.tokens_.emplace_back(token);
  }
  if (tokens.tokens_.empty()) return Error{fmt::format("{}: no token in the file", file.string())};
  return tokens;
}

bool BearerTokens::allows(std::optional<std::string_view> authorization) const {
  if (tokens_.empty()) return true;
  if (!authorization) return false;
  constexpr std::string_view kScheme = "bearer ";
  if (authorization->size() <= kScheme.size() ||
      !ascii_iequals(authorization->substr(0, kScheme.size()), kScheme)) {
    return false;
  }
  const std::string_view presented = trim_blanks(authorization->substr(kScheme.size()));
  bool allowed = false;
  for (const auto& token : tokens_) allowed |= equal_in_constant_time(presented, token);
  return allowed;
}

Result<BearerTokens> tokens_for_listener(std::string_view listen, const std::string& token_file,
                                         std::string_view token_file_key) {
  if (!token_file.empty()) return BearerTokens::load(token_file);
  if (listen.empty() || is_loopback_listen(listen)) return BearerTokens();
  return Error{fmt::format(
      "{} can be reached from other hosts: set {} to a file of bearer tokens (one per line, "
      "readable only by drover), or listen on 127.0.0.1",
      listen, token_file_key)};
}

Result<std::shared_ptr<ListenerTokens>> ListenerTokens::open(std::string_view listen,
                                                             const std::string& token_file,
                                                             std::string_view token_file_key) {
  auto tokens = tokens_for_listener(listen, token_file, token_file_key);
  if (!tokens) return tokens.error();
  return std::make_shared<ListenerTokens>(std::move(*tokens), token_file);
}

Status ListenerTokens::reread() {
  if (file_.empty()) return Status::ok();
  auto tokens = BearerTokens::load(file_);
  if (!tokens) {
    return Error{fmt::format("{}; the tokens read before stay in use", tokens.error().message)};
  }
  auto fresh = std::make_shared<const BearerTokens>(std::move(*tokens));
  std::lock_guard lock(mutex_);
  tokens_ = std::move(fresh);
  return Status::ok();
}

bool is_loopback_listen(std::string_view listen) {
  const size_t colon = listen.rfind(':');
  const std::string_view host = listen.substr(0, colon == std::string_view::npos ? 0 : colon);
  return host.starts_with("127.") || host == "localhost" || host == "[::1]" || host == "::1";
}

}  // namespace drover
