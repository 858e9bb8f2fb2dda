// Bearer tokens for the HTTP listeners other hosts can reach (the admin endpoint, the events
// input): a request must carry "Authorization: Bearer <token>" with one of the tokens of a file
// only drover reads. Several tokens let a token be rotated without a gap. Tokens are compared
// in constant time and never logged.
#pragma once

#include "base/status.h"

#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace drover {

class BearerTokens {
 public:
  /// Reads `file`: one token per line; blank lines and lines starting with '#' are skipped,
  /// spaces around a token ignored. An error names the file and line, never a token's text.
  static Result<BearerTokens> load(const std::filesystem::path& file);

  BearerTokens() = default;  // no tokens: every request is allowed
  bool required() const { return !tokens_.empty(); }
  /// The first token, for drover's own CLI to send; "" when there is none.
  std::string first() const { return tokens_.empty() ? "" : tokens_.front(); }
  /// True when no token is required, or `authorization` (the header's value, or nullopt when
  /// the request has none) is "Bearer <one of the tokens>".
  bool allows(std::optional<std::string_view> authorization) const;

 private:
  std::vector<std::string> tokens_;
};

/// A listener's tokens, read again from their file on SIGHUP, so a token is added or revoked
/// without a restart. The listener's thread checks requests while the main thread re-reads.
class ListenerTokens {
 public:
  /// As tokens_for_listener().
  static Result<std::shared_ptr<ListenerTokens>> open(std::string_view listen,
                                                      const std::string& token_file,
                                                      std::string_view token_file_key);
  explicit ListenerTokens(BearerTokens tokens = {}, std::string file = {})
      : file_(std::move(file)), tokens_(std::make_shared<const BearerTokens>(std::move(tokens))) {}

  bool allows(std::optional<std::string_view> authorization) const {
    return current()->allows(authorization);
  }
  /// Reads the file again; if it cannot be read or holds no valid token, the tokens in use stay
  /// and the error names the file and line.
  Status reread();

 private:
  std::shared_ptr<const BearerTokens> current() const {
    std::lock_guard lock(mutex_);
    return tokens_;
  }
  const std::string file_;  // empty: no token file (a loopback listener): nothing to re-read
  mutable std::mutex mutex_;
  std::shared_ptr<const BearerTokens> tokens_;
};

/// The tokens a listener on `listen` requires: those of `token_file`; none when it is empty and
/// `listen` is on loopback; an error when it is empty and other hosts can reach `listen` (naming
/// `token_file_key`, the setting to set), or when the file cannot be read.
Result<BearerTokens> tokens_for_listener(std::string_view listen, const std::string& token_file,
                                         std::string_view token_file_key);

/// True for "127.x.x.x:port", "localhost:port" and "[::1]:port": listeners only this host reaches.
bool is_loopback_listen(std::string_view listen);

}  // namespace drover
