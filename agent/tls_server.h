// TLS for drover's own listeners (OpenSSL): a server context made from certificate and key
// files, with client certificates required when a CA file is given (mutual TLS), read again on
// SIGHUP; and one non-blocking session per connection, driven by the listener's epoll loop.
#pragma once

#include "base/status.h"

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>

struct ssl_ctx_st;
struct ssl_st;

namespace drover {

struct TlsFiles {
  std::string cert_file;       // PEM: the server's certificate (and its chain)
  std::string key_file;        // PEM: its private key, unencrypted
  std::string client_ca_file;  // PEM: clients must show a certificate signed by one of these
  bool enabled() const { return !cert_file.empty(); }
};

/// Reads the files and checks that they make a usable server context (for a config check);
/// the error names the file and what is wrong with it.
Status check_tls_files(const TlsFiles& files);

class TlsSession;

class TlsServerContext {
 public:
  /// Errors begin with `setting` (e.g. "inputs.ev.tls").
  static Result<std::shared_ptr<TlsServerContext>> open(TlsFiles files, std::string setting);
  ~TlsServerContext();
  /// The files again: new connections use what they now hold; open ones keep theirs. An
  /// error leaves the context in use as it was.
  Status reread();
  /// A server session on a connected, non-blocking socket.
  std::unique_ptr<TlsSession> session(int fd);

 private:
  TlsServerContext(TlsFiles files, std::string setting, ssl_ctx_st* context);
  TlsFiles files_;
  std::string setting_;
  std::mutex mutex_;
  ssl_ctx_st* context_;  // owned: SSL_CTX_free
};

class TlsSession {
 public:
  explicit TlsSession(ssl_st* ssl) : ssl_(ssl) {}
  ~TlsSession();
  TlsSession(const TlsSession&) = delete;
  TlsSession& operator=(const TlsSession&) = delete;

  enum class Io {
    kDone,       // `bytes` were read or written
    kWantRead,   // nothing more until the socket is readable
    kWantWrite,  // ... or writable
    kClosed,     // the peer ended the session
    kFailed,     // error() says why; the connection should close
  };
  struct Outcome {
    Io io;
    size_t bytes = 0;
  };
  /// The handshake happens within the first reads and writes.
  Outcome read(char* buffer, size_t capacity);
  Outcome write(const char* data, size_t size);
  const std::string& error() const { return error_; }
  bool handshake_done() const;
  /// Bytes OpenSSL has decrypted that no read took yet (epoll does not see them).
  bool has_buffered() const;

 private:
  Outcome outcome_of(int result);
  ssl_st* ssl_;
  std::string error_;
};

}  // namespace drover
