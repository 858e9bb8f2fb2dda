// Events over the Unix socket with replies → Kafka (librdkafka's mock cluster): a connection
// whose first line is a header such as {"ack":"delivered"} sends batches (header, NDJSON, an
// empty line) and gets one reply line per batch, in order, at every ack level.
#include "tests/integration/events_fixture.h"
#include "tests/support/topic_reader.h"
#include "tests/support/unix_client.h"

#include <gtest/gtest.h>
#include <simdjson.h>

namespace drover {
namespace {

using testing::TopicReader;
using testing::UnixConnection;
using testing::wait_until;

std::string batch(std::string_view ack, const std::string& ndjson) {
  return fmt::format("{{\"ack\":\"{}\"}}\n{}\n", ack, ndjson);
}

class EventsOverUnixSocketTest : public EventsToKafkaTest {
 protected:
  std::string socket_path() const { return (dir / "events.sock").string(); }
};

TEST_F(EventsOverUnixSocketTest, BatchesAreAnsweredInOrderAtEveryAckLevel) {
  start(1, "max_request_bytes = \"64KiB\"");  // no key: one partition, in order
  UnixConnection socket(socket_path());
  ASSERT_TRUE(socket.connected());
  // Three batches sent at once: each is answered when its own level is reached, in order.
  ASSERT_TRUE(socket.send(batch("delivered", events(0, 0, 50)) +
                          batch("durable", events(0, 50, 50)) +
                          batch("accepted", events(0, 100, 50))));
  simdjson::dom::parser parser;
  const std::string delivered = socket.read_line();
  simdjson::dom::element reply = parser.parse(delivered);
  EXPECT_EQ(int64_t(reply["status"]), 200) << delivered;
  EXPECT_EQ(int64_t(reply["accepted"]), 50) << delivered;
  EXPECT_EQ(std::string_view(reply["ack"]), "delivered") << delivered;
  simdjson::dom::array records = reply["records"];
  ASSERT_EQ(records.size(), 50U) << delivered;
  int64_t expected_offset = 0;
  for (simdjson::dom::element record : records) {
    EXPECT_EQ(int64_t(record["offset"]), expected_offset++) << delivered;
  }
  EXPECT_EQ(socket.read_line(), R"({"status":200,"accepted":50,"ack":"durable"})");
  EXPECT_EQ(socket.read_line(), R"({"status":200,"accepted":50})");

  // One bad event refuses its batch, and the connection goes on with the next.
  ASSERT_TRUE(socket.send(batch("durable", events(0, 1000, 2) + "not json\n") +
                          batch("durable", events(0, 150, 10))));
  const std::string refused = socket.read_line();
  EXPECT_EQ(member(refused, "status"), 400) << refused;
  EXPECT_EQ(member(refused, "invalid"), 1) << refused;
  EXPECT_NE(refused.find("line 3"), std::string::npos) << refused;
  EXPECT_EQ(socket.read_line(), R"({"status":200,"accepted":10,"ack":"durable"})");

  // A batch larger than max_request_bytes: 413, and the connection closes (its framing is lost).
  ASSERT_TRUE(socket.send(batch("accepted", events(0, 2000, 2000))));
  const std::string too_large = socket.read_line();
  EXPECT_EQ(member(too_large, "status"), 413) << too_large;
  EXPECT_NE(too_large.find("max_request_bytes"), std::string::npos) << too_large;
  EXPECT_TRUE(socket.closed_by_peer());

  // A line where a header belongs: 400, and the connection closes.
  UnixConnection second(socket_path());
  ASSERT_TRUE(second.send(batch("accepted", events(1, 160, 5)) + "{\"n\":1}\n"));
  EXPECT_EQ(second.read_line(), R"({"status":200,"accepted":5})");
  const std::string no_header = second.read_line();
  EXPECT_EQ(member(no_header, "status"), 400) << no_header;
  EXPECT_NE(no_header.find("header line"), std::string::npos) << no_header;
  EXPECT_TRUE(second.closed_by_peer());

  // The sender's last batch may end with the connection instead of an empty line.
  UnixConnection last(socket_path());
  ASSERT_TRUE(last.send("{\"ack\":\"delivered\"}\n" + events(2, 165, 5)));
  last.shutdown_sending();
  EXPECT_EQ(member(last.read_line(), "accepted"), 5);
  EXPECT_TRUE(last.closed_by_peer());

  // A connection whose first line is an event is a stream: it is never answered.
  UnixConnection stream(socket_path());
  ASSERT_TRUE(stream.send(events(3, 170, 5)));
  stream.shutdown_sending();
  EXPECT_TRUE(stream.closed_by_peer());

  TopicReader reader(kafka.bootstrap(), "events", 1);
  ASSERT_TRUE(wait_until([&] { return reader.poll().size() >= 175; }));
  std::vector<int64_t> order;
  for (const auto& record : reader.records()) order.push_back(member(record.value, "n"));
  ASSERT_EQ(order.size(), 175U) << "refused batches put nothing into Kafka";
  for (size_t n = 0; n < order.size(); ++n) ASSERT_EQ(order[n], static_cast<int64_t>(n));
  EXPECT_NE(metrics().find("drover_events_requests_total{input=\"ev\",code=\"413\"} 1\n"),
            std::string::npos)
      << metrics();
  stop();
}

TEST_F(EventsOverUnixSocketTest, ABatchKafkaDoesNotTakeInTimeIs504AndItsEventsStayQueued) {
  start(1, "ack_timeout = \"1s\"");
  kafka.set_all_brokers_down();
  UnixConnection socket(socket_path());
  ASSERT_TRUE(socket.send(batch("durable", events(0, 0, 3))));
  const std::string late = socket.read_line();
  EXPECT_EQ(member(late, "status"), 504) << late;
  EXPECT_NE(late.find("not durable within 1000 ms"), std::string::npos) << late;
  kafka.set_all_brokers_up();
  // Kafka may take longer than ack_timeout to come back: repeated with its key until answered,
  // the batch is stored once.
  std::string delivered;
  ASSERT_TRUE(wait_until([&] {
    socket.send("{\"ack\":\"delivered\",\"idempotency_key\":\"n3\"}\n" + events(0, 3, 1) + "\n");
    delivered = socket.read_line();
    return member(delivered, "status") != 504;
  }));
  EXPECT_EQ(member(delivered, "status"), 200) << delivered;
  EXPECT_NE(delivered.find("\"offset\":3"), std::string::npos) << "behind the 504's three";
  stop();
}

}  // namespace
}  // namespace drover
