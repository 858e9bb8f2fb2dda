// Events sent to drover over HTTP and its Unix socket → Kafka (librdkafka's mock cluster):
// replies that tell the truth at each ack level, 503 when the queues are full with nothing
// taken, whole requests refused for one bad event, and streams that keep their order.
#include "tests/integration/events_fixture.h"
#include "tests/support/drover_process.h"
#include "tests/support/free_port.h"
#include "tests/support/http_client.h"
#include "tests/support/http_get.h"
#include "tests/support/mock_kafka.h"
#include "tests/support/temp_dir.h"
#include "tests/support/topic_reader.h"
#include "tests/support/wait.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <simdjson.h>

#include <map>
#include <numeric>
#include <sys/socket.h>
#include <sys/un.h>
#include <thread>

namespace drover {
namespace {

using testing::DroverProcess;
using testing::HttpConnection;
using testing::HttpResponse;
using testing::MockKafka;
using testing::TempDir;
using testing::TopicReader;
using testing::wait_until;

TEST_F(EventsToKafkaTest, DeliveredRepliesSayWhereEachEventIsAndKafkaHoldsItThere) {
  start(3);
  HttpConnection http(address);
  std::map<std::pair<int32_t, int64_t>, int> reported;  // (partition, offset) → n
  for (int request = 0; request < 10; ++request) {
    const HttpResponse response =
        http.post("/v1/events?ack=delivered", events(0, request * 100, 100));
    ASSERT_EQ(response.status, 200) << response.body;
    simdjson::dom::parser parser;
    simdjson::dom::element reply = parser.parse(response.body);
    EXPECT_EQ(int64_t(reply["accepted"]), 100);
    simdjson::dom::array records = reply["records"];
    ASSERT_EQ(records.size(), 100U) << response.body;
    for (simdjson::dom::element record : records) {
      EXPECT_EQ(std::string_view(record["topic"]), "events");
      EXPECT_EQ(std::string_view(record["output"]), "kafka");
      const int n = request * 100 + static_cast<int>(int64_t(record["record"]));
      reported[{static_cast<int32_t>(int64_t(record["partition"])), int64_t(record["offset"])}] = n;
    }
  }
  ASSERT_EQ(reported.size(), 1000U) << "each event at a place of its own";
  TopicReader reader(kafka.bootstrap(), "events", partitions_);
  ASSERT_TRUE(wait_until([&] { return reader.poll().size() >= 1000; }));
  std::map<std::string, int> last_n_of_user;
  for (const auto& record : reader.records()) {
    auto it = reported.find({record.partition, record.offset});
    ASSERT_NE(it, reported.end()) << record.value;
    EXPECT_EQ(member(record.value, "n"), it->second) << record.value;
    EXPECT_EQ(record.key, fmt::format("u{}", it->second % 5)) << "key_field lifts the key";
    // One connection's events of one key: one partition, in the order they were sent (I5).
    auto [last, first_seen] = last_n_of_user.try_emplace(record.key, -1);
    EXPECT_GT(it->second, last->second);
    last->second = it->second;
  }
  stop();
}

TEST_F(EventsToKafkaTest, AcceptedAnswersAtOnceAndDurableWaitsForKafkaOrSaysItTimedOut) {
  start(1, "ack_timeout = \"1s\"");  // events without a key: in order on one partition
  kafka.set_all_brokers_down();
  HttpConnection http(address);
  const HttpResponse accepted = http.post("/v1/events", events(0, 0, 1));
  EXPECT_EQ(accepted.status, 200) << accepted.body;
  EXPECT_EQ(accepted.body, "{\"accepted\":1}\n");
  for (const char* level : {"durable", "delivered"}) {
    const HttpResponse waited =
        http.post(fmt::format("/v1/events?ack={}", level), events(0, level[1] == 'u' ? 1 : 2, 1));
    EXPECT_EQ(waited.status, 504) << waited.body;
    EXPECT_NE(waited.body.find(fmt::format("not {} within 1000 ms", level)), std::string::npos)
        << waited.body;
    EXPECT_NE(waited.body.find("stay queued"), std::string::npos) << waited.body;
  }
  kafka.set_all_brokers_up();
  // What was answered 504 was still queued: it arrives, in order.
  TopicReader reader(kafka.bootstrap(), "events", 1);
  ASSERT_TRUE(wait_until([&] { return reader.poll().size() >= 3; }));
  const HttpResponse durable = http.post("/v1/events?ack=durable", events(0, 3, 1));
  EXPECT_EQ(durable.status, 200) << durable.body;
  EXPECT_EQ(durable.body, "{\"accepted\":1,\"ack\":\"durable\"}\n");
  ASSERT_TRUE(wait_until([&] { return reader.poll().size() >= 4; }));
  std::vector<int64_t> order;
  for (const auto& record : reader.records()) order.push_back(member(record.value, "n"));
  EXPECT_EQ(order, (std::vector<int64_t>{0, 1, 2, 3}));
  stop();
}

// A copy in the disk queue is durable, not delivered: the reply waits for the copy read back.
TEST_F(EventsToKafkaTest, DeliveredWaitsForKafkaEvenWhenTheEventsWentThroughTheDiskQueue) {
  start(1, "key_field = \"user\"",
        "queue = { memory_bytes = \"64KiB\", disk_bytes = \"16MiB\", spill_after = \"0s\" }");
  kafka.set_all_brokers_down();
  HttpConnection http(address);
  for (int request = 0; request < 20; ++request) {
    ASSERT_EQ(http.post("/v1/events", events(0, request * 100, 100)).status, 200);
  }
  ASSERT_TRUE(wait_until([&] {
    return metrics().find("drover_queue_spilled_batches_total{output=\"kafka\"} 0\n") ==
           std::string::npos;
  })) << metrics();
  ASSERT_TRUE(http.send_post("/v1/events?ack=delivered", events(0, 2000, 3)));
  ASSERT_TRUE(wait_until([&] {
    return metrics().find("drover_input_records_total{input=\"ev\"} 2003\n") != std::string::npos;
  }));
  kafka.set_all_brokers_up();
  const HttpResponse delivered = http.read_response();
  ASSERT_EQ(delivered.status, 200) << delivered.body;
  simdjson::dom::parser parser;
  simdjson::dom::element reply = parser.parse(delivered.body);
  simdjson::dom::array records = reply["records"];
  ASSERT_EQ(records.size(), 3U) << delivered.body;
  TopicReader reader(kafka.bootstrap(), "events", 1);
  ASSERT_TRUE(wait_until([&] { return reader.poll().size() >= 2003; }));
  size_t i = 0;
  for (simdjson::dom::element record : records) {
    const int64_t offset = record["offset"];
    ASSERT_GE(offset, 0) << delivered.body;
    ASSERT_LT(static_cast<size_t>(offset), reader.records().size());
    EXPECT_EQ(member(reader.records()[static_cast<size_t>(offset)].value, "n"),
              static_cast<int64_t>(2000 + i++));
  }
  stop();
}

TEST_F(EventsToKafkaTest, FullQueuesAnswer503WithRetryAfterAndTakeNothing) {
  start(1, "key_field = \"user\"\nbusy_timeout = \"200ms\"",
        "queue = { memory_bytes = \"64KiB\", disk_bytes = 0 }");
  kafka.set_all_brokers_down();
  HttpConnection http(address);
  int accepted_requests = 0;
  HttpResponse refused;
  while (accepted_requests < 500) {
    const HttpResponse response = http.post("/v1/events", events(0, accepted_requests * 100, 100));
    if (response.status != 200) {
      refused = response;
      break;
    }
    ++accepted_requests;
  }
  ASSERT_EQ(refused.status, 503) << refused.head << refused.body;
  EXPECT_NE(refused.head.find("Retry-After: 1"), std::string::npos) << refused.head;
  EXPECT_NE(refused.body.find("nothing was taken"), std::string::npos) << refused.body;
  EXPECT_GT(accepted_requests, 0);
  kafka.set_all_brokers_up();
  // Sent after everything accepted, on the one partition: once it is in, so is the rest.
  HttpConnection again(address);
  HttpResponse last;
  ASSERT_TRUE(wait_until([&] {
    last = again.post("/v1/events?ack=delivered", events(0, 1'000'000, 1));
    return last.status == 200;
  })) << last.body;
  TopicReader reader(kafka.bootstrap(), "events", 1);
  const size_t expected = static_cast<size_t>(accepted_requests) * 100 + 1;
  ASSERT_TRUE(wait_until([&] { return reader.poll().size() >= expected; }));
  std::vector<int64_t> order;
  for (const auto& record : reader.records()) order.push_back(member(record.value, "n"));
  ASSERT_EQ(order.size(), expected) << "the refused request's events were not taken";
  for (size_t n = 0; n < expected - 1; ++n) ASSERT_EQ(order[n], static_cast<int64_t>(n));
  // At least the one above; the retries until Kafka was back may have met full queues too.
  EXPECT_NE(metrics().find("drover_events_requests_total{input=\"ev\",code=\"503\"} "),
            std::string::npos)
      << metrics();
  stop();
}

TEST_F(EventsToKafkaTest, OneBadEventRefusesTheWholeRequestAndNamesItsLine) {
  start(1);
  HttpConnection http(address);
  const HttpResponse bad =
      http.post("/v1/events", events(0, 0, 2) + "\n{\"n\":2,\"text\":\"cut\n" + events(0, 3, 1));
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("no event was taken: line 4 (byte "), std::string::npos) << bad.body;
  EXPECT_NE(bad.body.find("\"invalid\":1"), std::string::npos) << bad.body;
  const HttpResponse good = http.post("/v1/events?ack=delivered", events(0, 100, 1));
  ASSERT_EQ(good.status, 200) << good.body;
  TopicReader reader(kafka.bootstrap(), "events", 1);
  ASSERT_TRUE(wait_until([&] { return !reader.poll().empty(); }));
  ASSERT_EQ(reader.records().size(), 1U);
  EXPECT_EQ(member(reader.records()[0].value, "n"), 100);
  EXPECT_EQ(http.post("/nowhere", "{}").status, 404);
  EXPECT_EQ(http.post("/v1/events?ack=maybe", "{}").status, 400);
  const std::string counters = metrics();
  for (const char* line : {"drover_events_requests_total{input=\"ev\",code=\"400\"} 2\n",
                           "drover_events_requests_total{input=\"ev\",code=\"404\"} 1\n",
                           "drover_input_json_invalid_total{input=\"ev\"} 1\n",
                           "drover_input_records_total{input=\"ev\"} 1\n"}) {
    EXPECT_NE(counters.find(line), std::string::npos) << line << counters;
  }
  stop();
}

// What HTTP clients send besides one Content-Length request at a time: a chunked body in many
// small chunks, two requests pipelined, a body that waits for 100 Continue, HTTP/1.0; and what
// is refused: a head over 16 KiB (431), a chunked body over max_request_bytes (413).
TEST_F(EventsToKafkaTest, ChunkedPipelinedContinuedAndOldRequestsAreAllTaken) {
  start(1, "key_field = \"user\"\nmax_request_bytes = \"4KiB\"");
  HttpConnection http(address);
  ASSERT_TRUE(http.send_raw(
      "POST /v1/events?ack=delivered HTTP/1.1\r\nHost: d\r\nTransfer-Encoding: chunked\r\n\r\n"));
  const std::string chunked = events(0, 0, 10);
  for (size_t at = 0; at < chunked.size(); at += 7) {
    const std::string piece = chunked.substr(at, 7);
    ASSERT_TRUE(http.send_raw(fmt::format("{:x}\r\n{}\r\n", piece.size(), piece)));
  }
  ASSERT_TRUE(http.send_raw("0\r\n\r\n"));
  const HttpResponse chunked_reply = http.read_response();
  ASSERT_EQ(chunked_reply.status, 200) << chunked_reply.body;
  EXPECT_EQ(member(chunked_reply.body, "accepted"), 10);

  ASSERT_TRUE(http.send_post("/v1/events?ack=durable", events(0, 10, 5)));
  ASSERT_TRUE(http.send_post("/v1/events?ack=durable", events(0, 15, 5)));
  for (int reply = 0; reply < 2; ++reply) {
    const HttpResponse pipelined = http.read_response();
    ASSERT_EQ(pipelined.status, 200) << pipelined.body;
    EXPECT_EQ(member(pipelined.body, "accepted"), 5);
  }

  const std::string waiting = events(0, 20, 3);
  ASSERT_TRUE(http.send_raw(fmt::format(
      "POST /v1/events?ack=durable HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: {}\r\n\r\n",
      waiting.size())));
  EXPECT_EQ(http.read_response().status, 100);
  ASSERT_TRUE(http.send_raw(waiting));
  EXPECT_EQ(http.read_response().status, 200);

  HttpConnection old(address);
  const std::string last = events(0, 23, 2);
  ASSERT_TRUE(old.send_raw(fmt::format(
      "POST /v1/events?ack=durable HTTP/1.0\r\nContent-Length: {}\r\n\r\n{}", last.size(), last)));
  const HttpResponse old_reply = old.read_response();
  EXPECT_EQ(old_reply.status, 200) << old_reply.body;
  EXPECT_NE(old_reply.head.find("Connection: close"), std::string::npos) << old_reply.head;

  HttpConnection big_head(address);
  EXPECT_EQ(big_head.post("/v1/events", "{}", "X-Big: " + std::string(20000, 'x') + "\r\n").status,
            431);
  HttpConnection big_body(address);
  ASSERT_TRUE(big_body.send_raw("POST /v1/events HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"));
  for (int chunk = 0; chunk < 5; ++chunk) {
    if (!big_body.send_raw(fmt::format("400\r\n{}\r\n", std::string(1024, ' ')))) break;
  }
  EXPECT_EQ(big_body.read_response().status, 413);

  TopicReader reader(kafka.bootstrap(), "events", 1);
  ASSERT_TRUE(wait_until([&] { return reader.poll().size() >= 25; }));
  std::vector<int64_t> numbers;
  for (const auto& record : reader.records()) numbers.push_back(member(record.value, "n"));
  std::vector<int64_t> expected(25);
  std::iota(expected.begin(), expected.end(), 0);
  EXPECT_EQ(numbers, expected);  // each once, in the order sent
  const std::string counters = metrics();
  for (const char* line : {"drover_events_requests_total{input=\"ev\",code=\"431\"} 1\n",
                           "drover_events_requests_total{input=\"ev\",code=\"413\"} 1\n",
                           "drover_input_records_total{input=\"ev\"} 25\n"}) {
    EXPECT_NE(counters.find(line), std::string::npos) << line << counters;
  }
  stop();
}

// A client that stalls cannot hold a connection: a head or a body that does not arrive in time
// is answered 408, a keep-alive connection left idle is closed; each is counted.
TEST_F(EventsToKafkaTest, LateHeadsAndBodiesAre408AndIdleConnectionsClose) {
  start(1, "header_timeout = \"300ms\"\nbody_timeout = \"300ms\"\nidle_timeout = \"300ms\"");
  HttpConnection slow_head(address);
  slow_head.set_timeout(std::chrono::seconds(5));
  ASSERT_TRUE(slow_head.send_raw("POST /v1/events HTTP/1.1\r\nHost: dro"));
  const HttpResponse late_head = slow_head.read_response();
  EXPECT_EQ(late_head.status, 408);
  EXPECT_NE(late_head.body.find("header_timeout"), std::string::npos) << late_head.body;

  HttpConnection slow_body(address);
  slow_body.set_timeout(std::chrono::seconds(5));
  ASSERT_TRUE(slow_body.send_raw("POST /v1/events HTTP/1.1\r\nContent-Length: 100\r\n\r\n{\"n\":"));
  const HttpResponse late_body = slow_body.read_response();
  EXPECT_EQ(late_body.status, 408);
  EXPECT_NE(late_body.body.find("body_timeout"), std::string::npos) << late_body.body;

  HttpConnection idle(address);
  EXPECT_EQ(idle.post("/v1/events", events(0, 0, 1)).status, 200);
  EXPECT_TRUE(wait_until([&] {
    return metrics().find("drover_events_idle_closed_total{input=\"ev\"} 1\n") != std::string::npos;
  })) << metrics();
  EXPECT_NE(metrics().find("drover_events_requests_total{input=\"ev\",code=\"408\"} 2\n"),
            std::string::npos)
      << metrics();
  stop();
}

TEST_F(EventsToKafkaTest, UnixSocketStreamsKeepTheirOrderAndShipBrokenLinesAsText) {
  start(3, "key_field = \"c\"");  // one partition per connection
  constexpr int kPerConnection = 3000;
  std::vector<std::jthread> senders;
  for (int c = 0; c < 2; ++c) {
    senders.emplace_back([this, c] {
      const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
      sockaddr_un socket_address{};
      socket_address.sun_family = AF_UNIX;
      const std::string path = (dir / "events.sock").string();
      std::memcpy(socket_address.sun_path, path.c_str(), path.size() + 1);
      ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&socket_address), sizeof socket_address),
                0);
      std::string stream = events(c, 0, kPerConnection / 2) + "broken {\n" +
                           events(c, kPerConnection / 2, kPerConnection / 2);
      stream.pop_back();  // the last event ends with the connection, not a newline
      for (size_t sent = 0; sent < stream.size();) {
        const ssize_t n = ::send(fd, stream.data() + sent,
                                 std::min<size_t>(4096, stream.size() - sent), MSG_NOSIGNAL);
        ASSERT_GT(n, 0);
        sent += static_cast<size_t>(n);
      }
      ::close(fd);
    });
  }
  senders.clear();
  TopicReader reader(kafka.bootstrap(), "events", 3);
  ASSERT_TRUE(wait_until([&] { return reader.poll().size() >= 2 * (kPerConnection + 1); }));
  std::map<std::string, std::vector<int64_t>> order;  // by key: connection
  int broken = 0;
  for (const auto& record : reader.records()) {
    if (record.value.find("\"message\":\"broken {\"") != std::string::npos) {
      EXPECT_NE(record.value.find("\"json_error\":"), std::string::npos) << record.value;
      ++broken;
      continue;
    }
    order[record.key].push_back(member(record.value, "n"));
  }
  EXPECT_EQ(broken, 2);
  ASSERT_EQ(order.size(), 2U);
  for (const auto& [key, numbers] : order) {
    ASSERT_EQ(numbers.size(), static_cast<size_t>(kPerConnection)) << key;
    for (size_t n = 0; n < numbers.size(); ++n)
      ASSERT_EQ(numbers[n], static_cast<int64_t>(n)) << key;
  }
  stop();
  EXPECT_FALSE(std::filesystem::exists(dir / "events.sock")) << "removed at stop";
}

TEST_F(EventsToKafkaTest, AnAddressInUseStopsStartUpAndNamesTheSetting) {
  HttpConnection probe(address);  // nothing there yet
  ASSERT_FALSE(probe.connected());
  const int taken = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in bound{};
  bound.sin_family = AF_INET;
  bound.sin_port = htons(static_cast<uint16_t>(std::stoi(address.substr(address.rfind(':') + 1))));
  bound.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(taken, reinterpret_cast<sockaddr*>(&bound), sizeof bound), 0);
  ASSERT_EQ(::listen(taken, 1), 0);
  testing::write_file(dir / "drover.toml",
                      fmt::format("[agent]\ndata_dir = \"{0}/data\"\nadmin_address = \"\"\n"
                                  "[inputs.ev]\ntype = \"events\"\nlisten = \"{1}\"\n"
                                  "[outputs.out]\ntype = \"stdout\"\ninputs = [\"ev\"]\n",
                                  dir.path().string(), address));
  const auto [code, output] =
      testing::run_drover({"run", "--config", (dir / "drover.toml").string()});
  ::close(taken);
  EXPECT_EQ(code, 2) << output;
  EXPECT_NE(output.find(fmt::format("inputs.ev.listen: cannot listen on {}: Address already in use",
                                    address)),
            std::string::npos)
      << output;
}

}  // namespace
}  // namespace drover
