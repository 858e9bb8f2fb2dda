#include "agent/tls_server.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

namespace drover {
namespace {

/// OpenSSL's queued errors, oldest first, as one line (and the queue emptied).
std::string openssl_errors() {
  std::string text;
  while (const unsigned long code = ERR_get_error()) {
    char line[256];
    ERR_error_string_n(code, line, sizeof line);
    if (!text.empty()) text += "; ";
    text += line;
  }
  return text.empty() ? "no detail from OpenSSL" : text;
}

/// The error names the file and what is wrong with it, for the caller to put behind its setting.
Result<SSL_CTX*> make_context(const TlsFiles& files) {
  ERR_clear_error();
  SSL_CTX* context = SSL_CTX_new(TLS_server_method());
  if (context == nullptr) return Error{openssl_errors()};
  const auto fail = [&](const std::string& what, const std::string& file) -> Result<SSL_CTX*> {
    SSL_CTX_free(context);
    return Error{fmt::format("{} '{}': {}", what, file, openssl_errors())};
  };
  SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION);
  SSL_CTX_set_options(context, SSL_OP_NO_RENEGOTIATION);
  // Replies go out in pieces as they are ready: a partial write is resumed with the rest.
  SSL_CTX_set_mode(context, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  if (SSL_CTX_use_certificate_chain_file(context, files.cert_file.c_str()) != 1) {
    return fail("cannot use the certificate", files.cert_file);
  }
  if (SSL_CTX_use_PrivateKey_file(context, files.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    const bool mismatch = ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH;
    return fail(mismatch ? "the private key does not belong to the certificate"
                         : "cannot use the private key",
                files.key_file);
  }
  if (SSL_CTX_check_private_key(context) != 1) {
    return fail("the private key does not belong to the certificate", files.key_file);
  }
  if (!files.client_ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(context, files.client_ca_file.c_str(), nullptr) != 1) {
      return fail("cannot read client CA certificates from", files.client_ca_file);
    }
    SSL_CTX_set_verify(context, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  }
  return context;
}

}  // namespace

Status check_tls_files(const TlsFiles& files) {
  if (files.cert_file.empty() || files.key_file.empty()) {
    return Error{"set both cert_file and key_file"};
  }
  auto context = make_context(files);
  if (!context) return context.error();
  SSL_CTX_free(*context);
  return Status::ok();
}

Result<std::shared_ptr<TlsServerContext>> TlsServerContext::open(TlsFiles files,
                                                                 std::string setting) {
  if (files.cert_file.empty() || files.key_file.empty()) {
    return Error{fmt::format("{}: set both cert_file and key_file", setting)};
  }
  auto context = make_context(files);
  if (!context) return Error{fmt::format("{}: {}", setting, context.error().message)};
  return std::shared_ptr<TlsServerContext>(
      new TlsServerContext(std::move(files), std::move(setting), *context));
}

TlsServerContext::TlsServerContext(TlsFiles files, std::string setting, SSL_CTX* context)
    : files_(std::move(files)), setting_(std::move(setting)), context_(context) {}

TlsServerContext::~TlsServerContext() { SSL_CTX_free(context_); }

Status TlsServerContext::reread() {
  auto context = make_context(files_);
  if (!context) return Error{fmt::format("{}: {}", setting_, context.error().message)};
  std::lock_guard lock(mutex_);
  SSL_CTX_free(context_);  // sessions made from it hold their own reference
  context_ = *context;
  return Status::ok();
}

std::unique_ptr<TlsSession> TlsServerContext::session(int fd) {
  SSL* ssl = nullptr;
  {
    std::lock_guard lock(mutex_);
    ssl = SSL_new(context_);
  }
  if (ssl == nullptr) return nullptr;
  SSL_set_fd(ssl, fd);
  SSL_set_accept_state(ssl);
  return std::make_unique<TlsSession>(ssl);
}

TlsSession::~TlsSession() { SSL_free(ssl_); }

bool TlsSession::handshake_done() const { return SSL_is_init_finished(ssl_) == 1; }

bool TlsSession::has_buffered() const { return SSL_pending(ssl_) > 0; }

TlsSession::Outcome TlsSession::read(char* buffer, size_t capacity) {
  ERR_clear_error();
  size_t bytes = 0;
  const int result = SSL_read_ex(ssl_, buffer, capacity, &bytes);
  if (result == 1) return {Io::kDone, bytes};
  return outcome_of(result);
}

TlsSession::Outcome TlsSession::write(const char* data, size_t size) {
  ERR_clear_error();
  size_t bytes = 0;
  const int result = SSL_write_ex(ssl_, data, size, &bytes);
  if (result == 1) return {Io::kDone, bytes};
  return outcome_of(result);
}

TlsSession::Outcome TlsSession::outcome_of(int result) {
  switch (SSL_get_error(ssl_, result)) {
    case SSL_ERROR_WANT_READ:
      return {Io::kWantRead};
    case SSL_ERROR_WANT_WRITE:
      return {Io::kWantWrite};
    case SSL_ERROR_ZERO_RETURN:
      return {Io::kClosed};
    case SSL_ERROR_SYSCALL:
      error_ = errno != 0 ? std::strerror(errno) : "the peer closed the connection";
      return {Io::kFailed};
    default:
      error_ = openssl_errors();
      return {Io::kFailed};
  }
}

}  // namespace drover
