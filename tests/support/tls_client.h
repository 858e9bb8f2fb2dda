// TLS for tests of drover's HTTPS listener: certificates made with the openssl command at test
// time, and one blocking HTTPS/1.1 connection (OpenSSL) that POSTs and reads responses.
#pragma once

#include "tests/support/http_client.h"

#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <string>

namespace drover::testing {

/// Makes `<name>.pem` and `<name>.key` in `dir`: a CA when `ca` is empty, else a certificate for
/// localhost and 127.0.0.1 signed by the CA named `ca`. False if openssl failed.
inline bool make_certificate(const std::filesystem::path& dir, const std::string& name,
                             const std::string& ca = "") {
  const std::string d = dir.string();
  std::string script;
  if (ca.empty()) {
    script = fmt::format(
        "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN={1} -keyout {0}/{1}.key "
        "-out {0}/{1}.pem",
        d, name);
  } else {
    script = fmt::format(
        "openssl req -newkey rsa:2048 -nodes -subj /CN={1} -keyout {0}/{1}.key -out {0}/{1}.csr "
        "&& printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n' > {0}/{1}.ext "
        "&& openssl x509 -req -in {0}/{1}.csr -CA {0}/{2}.pem -CAkey {0}/{2}.key "
        "-CAcreateserial -days 2 -extfile {0}/{1}.ext -out {0}/{1}.pem",
        d, name, ca);
  }
  const std::string command = fmt::format("({}) >{}/openssl.log 2>&1", script, d);
  return std::system(command.c_str()) == 0;
}

class HttpsConnection {
 public:
  /// Trusts `ca_file` for the server; shows `name`.pem/.key as its certificate when given.
  HttpsConnection(const std::string& address, const std::filesystem::path& ca_file,
                  const std::filesystem::path& cert_file = {},
                  const std::filesystem::path& key_file = {})
      : tcp_(address) {
    context_ = SSL_CTX_new(TLS_client_method());
    SSL_CTX_load_verify_locations(context_, ca_file.c_str(), nullptr);
    SSL_CTX_set_verify(context_, SSL_VERIFY_PEER, nullptr);
    if (!cert_file.empty()) {
      SSL_CTX_use_certificate_chain_file(context_, cert_file.c_str());
      SSL_CTX_use_PrivateKey_file(context_, key_file.c_str(), SSL_FILETYPE_PEM);
    }
    if (!tcp_.connected()) return;
    tcp_.set_timeout(std::chrono::seconds(20));
    ssl_ = SSL_new(context_);
    SSL_set_fd(ssl_, tcp_.fd());
    SSL_set1_host(ssl_, "127.0.0.1");
    handshake_ok_ = SSL_connect(ssl_) == 1;
    if (!handshake_ok_) error_ = errors();
  }
  ~HttpsConnection() {
    if (ssl_ != nullptr) SSL_free(ssl_);
    SSL_CTX_free(context_);
  }
  HttpsConnection(const HttpsConnection&) = delete;
  HttpsConnection& operator=(const HttpsConnection&) = delete;

  bool handshake_ok() const { return handshake_ok_; }
  const std::string& error() const { return error_; }
  /// The common name of the certificate the server showed.
  std::string server_name() const {
    X509* certificate = ssl_ ? SSL_get1_peer_certificate(ssl_) : nullptr;
    if (certificate == nullptr) return {};
    char name[256] = {};
    X509_NAME_get_text_by_NID(X509_get_subject_name(certificate), NID_commonName, name,
                              sizeof name);
    X509_free(certificate);
    return name;
  }

  /// {0, ...} when the session failed (with mutual TLS, a refused client finds out here).
  HttpResponse post(const std::string& target, const std::string& body) {
    HttpResponse response;
    if (!handshake_ok_) return response;
    const std::string request = "POST " + target + " HTTP/1.1\r\nHost: drover\r\nContent-Length: " +
                                std::to_string(body.size()) + "\r\n\r\n" + body;
    size_t written = 0;
    if (SSL_write_ex(ssl_, request.data(), request.size(), &written) != 1) {
      error_ = errors();
      return response;
    }
    return take_response(buffer_, [this] { return fill(); });
  }

 private:
  bool fill() {
    char chunk[16384];
    size_t got = 0;
    if (SSL_read_ex(ssl_, chunk, sizeof chunk, &got) != 1) {
      error_ = errors();
      return false;
    }
    buffer_.append(chunk, got);
    return true;
  }
  static std::string errors() {
    std::string text;
    while (const unsigned long code = ERR_get_error()) {
      char line[256];
      ERR_error_string_n(code, line, sizeof line);
      text += line;
      text += "; ";
    }
    return text;
  }

  HttpConnection tcp_;
  SSL_CTX* context_ = nullptr;
  SSL* ssl_ = nullptr;
  bool handshake_ok_ = false;
  std::string error_;
  std::string buffer_;
};

}  // namespace drover::testing
