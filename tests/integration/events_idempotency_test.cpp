// Idempotent retries (librdkafka's mock cluster): a request repeating an Idempotency-Key gets
// the first request's reply, over HTTP or in a socket batch's header, and its events are stored
// once, also when the first was answered 504 and the repeat comes while Kafka still has not
// taken them.
#include "tests/integration/events_fixture.h"
#include "tests/support/topic_reader.h"
#include "tests/support/unix_client.h"

#include <gtest/gtest.h>

namespace drover {
namespace {

using testing::HttpConnection;
using testing::HttpResponse;
using testing::TopicReader;
using testing::UnixConnection;
using testing::wait_until;

constexpr const char* kKey = "Idempotency-Key: order-4711\r\n";

TEST_F(EventsToKafkaTest, ARetryWithTheSameIdempotencyKeyIsAnsweredAsTheFirstAndStoredOnce) {
  start(1, "ack_timeout = \"1s\"");
  kafka.set_all_brokers_down();
  HttpConnection http(address);
  const HttpResponse timed_out = http.post("/v1/events?ack=delivered", events(0, 0, 3), kKey);
  ASSERT_EQ(timed_out.status, 504) << timed_out.body;
  EXPECT_NE(timed_out.body.find("unless it repeats the Idempotency-Key"), std::string::npos)
      << timed_out.body;

  // The retry after the 504: Kafka still does not have the first request's events. The retry
  // waits for them rather than sending them again.
  ASSERT_TRUE(http.send_post("/v1/events?ack=delivered", events(0, 0, 3), kKey));
  ASSERT_TRUE(wait_until([&] {
    return metrics().find(
               "drover_events_idempotent_repeats_total{input=\"ev\",first=\"waiting\"} "
               "1\n") != std::string::npos;
  })) << metrics();
  kafka.set_all_brokers_up();
  // Kafka may take longer than ack_timeout (1 s) to come back: a client repeats its request
  // until it is answered, and each repeat waits for the same events.
  HttpResponse delivered = http.read_response();
  ASSERT_TRUE(wait_until([&] {
    if (delivered.status != 504) return true;
    http.send_post("/v1/events?ack=delivered", events(0, 0, 3), kKey);
    delivered = http.read_response();
    return delivered.status != 504;
  }));
  ASSERT_EQ(delivered.status, 200) << delivered.body;
  EXPECT_NE(delivered.body.find("\"offset\":2"), std::string::npos) << delivered.body;

  // Later repeats, over either transport, get the same reply at once.
  HttpConnection other(address);
  const HttpResponse again = other.post("/v1/events?ack=delivered", events(0, 0, 3), kKey);
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.body, delivered.body);
  UnixConnection socket((dir / "events.sock").string());
  ASSERT_TRUE(socket.send("{\"ack\":\"delivered\",\"idempotency_key\":\"order-4711\"}\n" +
                          events(0, 0, 3) + "\n"));
  EXPECT_EQ(socket.read_line() + "\n", "{\"status\":200," + delivered.body.substr(1));
  EXPECT_NE(
      metrics().find("drover_events_idempotent_repeats_total{input=\"ev\",first=\"answered\"} "
                     "2\n"),
      std::string::npos)
      << metrics();

  // A key that is not one is refused, and a new key is a new request.
  EXPECT_EQ(other.post("/v1/events", events(0, 3, 1), "Idempotency-Key: two words\r\n").status,
            400);
  EXPECT_EQ(
      other.post("/v1/events?ack=delivered", events(0, 3, 1), "Idempotency-Key: k2\r\n").status,
      200);
  TopicReader reader(kafka.bootstrap(), "events", 1);
  ASSERT_TRUE(wait_until([&] { return reader.poll().size() >= 4; }));
  std::vector<int64_t> order;
  for (const auto& record : reader.poll()) order.push_back(member(record.value, "n"));
  EXPECT_EQ(order, (std::vector<int64_t>{0, 1, 2, 3})) << "each event once";
  stop();
}

}  // namespace
}  // namespace drover
