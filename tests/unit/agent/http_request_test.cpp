#include "agent/http_request.h"

#include <gtest/gtest.h>

#include <string>

namespace drover {
namespace {

using State = RequestReader::State;

/// Feeds `bytes` to `reader` `piece` bytes at a time, as a slow client sends them, and drops
/// what it took; returns what is left (a Content-Length body, and what follows it).
std::string feed_in_pieces(RequestReader& reader, const std::string& bytes, size_t piece) {
  std::string buffer;
  for (size_t at = 0; at < bytes.size(); at += piece) {
    buffer += bytes.substr(at, piece);
    buffer.erase(0, reader.feed(buffer));
  }
  return buffer;
}

TEST(HttpRequestTest, ReadsAHeadOnceItIsWholeAndLeavesALengthBodyInPlace) {
  const std::string request =
      "POST /v1/events?ack=durable&x=1 HTTP/1.1\r\nHost: h\r\ncontent-length: 8\r\n"
      "Expect: 100-continue\r\nauthorization:  Bearer abc \r\n\r\n{\"a\":1}\n";
  RequestReader reader(1 << 20);
  EXPECT_EQ(reader.feed(request.substr(0, 40)), 0U);
  EXPECT_EQ(reader.state(), State::kHead);
  EXPECT_EQ(reader.feed(request), request.find('{'));
  ASSERT_EQ(reader.state(), State::kBody) << reader.error();
  const RequestHead& head = reader.head();
  EXPECT_EQ(head.method, "POST");
  EXPECT_EQ(head.path, "/v1/events");
  EXPECT_EQ(query_value(head.query, "ack"), "durable");
  EXPECT_EQ(query_value(head.query, "x"), "1");
  EXPECT_EQ(query_value(head.query, "y"), "");
  EXPECT_EQ(head.content_length, 8U);
  EXPECT_EQ(reader.body_bytes(), 8U);
  EXPECT_FALSE(head.chunked);
  EXPECT_TRUE(head.keep_alive);
  EXPECT_TRUE(head.expect_continue);
  EXPECT_EQ(head.authorization, "Bearer abc");
}

TEST(HttpRequestTest, KeepAliveFollowsTheVersionAndConnectionHeader) {
  const auto keep_alive = [](const std::string& request) {
    RequestReader reader(0);
    reader.feed(request);
    EXPECT_EQ(reader.state(), State::kBody) << request << reader.error();
    return reader.head().keep_alive;
  };
  EXPECT_FALSE(keep_alive("GET / HTTP/1.0\r\n\r\n"));
  EXPECT_TRUE(keep_alive("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
  EXPECT_FALSE(keep_alive("GET / HTTP/1.1\r\nConnection: close\r\n\r\n"));
  EXPECT_TRUE(keep_alive("GET / HTTP/1.1\r\nHost: h\r\n\r\n"));
}

TEST(HttpRequestTest, AChunkedBodySentAByteAtATimeIsReadWhole) {
  const std::string request =
      "POST /v1/events HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
      "8\r\n{\"a\":1}\n\r\n1;ext=1\r\n{\r\n7\r\n\"b\":2}\n\r\n0\r\nTrailer: x\r\n\r\n"
      "GET /next HTTP/1.1\r\n\r\n";
  RequestReader reader(1 << 20);
  std::string buffer;
  for (char byte : request) {
    buffer += byte;
    buffer.erase(0, reader.feed(buffer));
    if (reader.state() == State::kComplete) break;
  }
  ASSERT_EQ(reader.state(), State::kComplete) << reader.error();
  EXPECT_TRUE(reader.head().chunked);
  EXPECT_EQ(reader.body_bytes(), 0U);
  EXPECT_EQ(reader.body(), "{\"a\":1}\n{\"b\":2}\n");
  // Nothing of the next request was taken with it.
  const std::string rest = request.substr(request.find("GET /next"));
  reader.next();
  EXPECT_EQ(reader.feed(rest), rest.size());
  EXPECT_EQ(reader.head().path, "/next");
}

TEST(HttpRequestTest, PipelinedRequestsAreReadOneAfterAnother) {
  const std::string two =
      "POST /a HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc"
      "POST /b HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nde\r\n0\r\n\r\n";
  RequestReader reader(1 << 20);
  std::string buffer = two;
  buffer.erase(0, reader.feed(buffer));
  ASSERT_EQ(reader.state(), State::kBody);
  EXPECT_EQ(reader.head().path, "/a");
  EXPECT_EQ(buffer.substr(0, reader.body_bytes()), "abc");
  buffer.erase(0, reader.body_bytes());
  reader.next();
  buffer.erase(0, reader.feed(buffer));
  ASSERT_EQ(reader.state(), State::kComplete) << reader.error();
  EXPECT_EQ(reader.head().path, "/b");
  EXPECT_EQ(reader.body(), "de");
  EXPECT_TRUE(buffer.empty());
}

TEST(HttpRequestTest, RefusesWhatItDoesNotTakeWithTheRightStatus) {
  const auto status_of = [](const std::string& request, uint64_t max_body = 100) {
    RequestReader reader(max_body);
    feed_in_pieces(reader, request, 7);
    EXPECT_EQ(reader.state(), State::kBad) << request;
    EXPECT_FALSE(reader.error().empty());
    return reader.status();
  };
  EXPECT_EQ(status_of("POST /v1/events HTTP/1.1\r\nHost: h\r\n\r\n"), 411);
  EXPECT_EQ(status_of("POST /v1/events HTTP/1.1\r\nContent-Length: 1x\r\n\r\n"), 400);
  EXPECT_EQ(status_of("POST /v1/events HTTP/1.1\r\nContent-Length: 101\r\n\r\n"), 413);
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                      "40\r\n" +
                      std::string(64, 'x') + "\r\n40\r\n" + std::string(64, 'x')),
            413);
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"), 501);
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n"), 501);
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nContent-Length: 1\r\nExpect: magic\r\n\r\n"), 417);
  EXPECT_EQ(status_of("POST /v1/events HTTP/2.0\r\n\r\n"), 505);
  EXPECT_EQ(status_of("GARBAGE\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nNoColon\r\n\r\n"), 400);
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"), 400);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nX: " + std::string(kMaxRequestHeadBytes, 'x')), 431);
}

TEST(HttpRequestTest, ResponsesCarryLengthAndRetryAfter) {
  EXPECT_EQ(http_response(503, "{}", false, 1),
            "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
            "Content-Length: 3\r\nConnection: close\r\nRetry-After: 1\r\n\r\n{}\n");
  EXPECT_EQ(http_response(401, "text/plain", "no\n", true, {}),
            "HTTP/1.1 401 Unauthorized\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n"
            "WWW-Authenticate: Bearer realm=\"drover\"\r\n\r\nno\n");
}

}  // namespace
}  // namespace drover
