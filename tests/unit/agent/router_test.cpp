#include "agent/router.h"

#include <gtest/gtest.h>

#include <vector>

namespace drover {
namespace {

class RecordingReceiver final : public AckReceiver {
 public:
  void on_batch_safe(uint64_t ticket) override { safe.push_back(ticket); }
  std::vector<uint64_t> safe;
};

std::shared_ptr<Batch> batch_with_ack(const std::shared_ptr<RecordingReceiver>& receiver,
                                      uint64_t ticket) {
  auto batch = std::make_shared<Batch>(std::make_shared<SourceInfo>(), 0);
  batch->add_record("line");
  batch->set_ack(std::make_shared<AckGroup>(receiver, ticket));
  return batch;
}

TEST(RouterTest, FansOutToEveryOutputOfTheInputOnly) {
  BatchQueue a(1 << 20), b(1 << 20), other(1 << 20);
  Router router;
  router.connect("app", &a);
  router.connect("app", &b);
  router.connect("metrics", &other);
  std::stop_source stop;
  auto receiver = std::make_shared<RecordingReceiver>();
  ASSERT_TRUE(router.sink_for("app").push(batch_with_ack(receiver, 7), stop.get_token()));
  EXPECT_EQ(a.batches(), 1U);
  EXPECT_EQ(b.batches(), 1U);
  EXPECT_EQ(other.batches(), 0U);
  // Both outputs see the same encoded bytes: routing copies nothing.
  EXPECT_EQ((*a.try_pop()).get(), (*b.try_pop()).get());
}

TEST(RouterTest, SourceIsAckedOnlyWhenEveryOutputMadeTheBatchSafe) {
  BatchQueue a(1 << 20), b(1 << 20);
  Router router;
  router.connect("app", &a);
  router.connect("app", &b);
  std::stop_source stop;
  auto receiver = std::make_shared<RecordingReceiver>();
  ASSERT_TRUE(router.sink_for("app").push(batch_with_ack(receiver, 42), stop.get_token()));
  BatchPtr from_a = *a.try_pop();
  BatchPtr from_b = *b.try_pop();
  from_a->complete();
  EXPECT_TRUE(receiver->safe.empty());
  from_b->complete();
  EXPECT_EQ(receiver->safe, std::vector<uint64_t>{42});
}

TEST(RouterTest, SetQueuesRepointsAnInputForTheNextBatch) {
  BatchQueue a(1 << 20), b(1 << 20);
  Router router;
  router.connect("app", &a);
  std::stop_source stop;
  auto receiver = std::make_shared<RecordingReceiver>();
  BatchSink& sink = router.sink_for("app");
  ASSERT_TRUE(sink.push(batch_with_ack(receiver, 1), stop.get_token()));
  router.set_queues("app", {&b});
  ASSERT_TRUE(sink.push(batch_with_ack(receiver, 2), stop.get_token()));
  EXPECT_EQ(a.batches(), 1U);
  ASSERT_EQ(b.batches(), 1U);
  (*b.try_pop())->complete();  // only b was expected to ack batch 2
  EXPECT_EQ(receiver->safe, std::vector<uint64_t>{2});
}

}  // namespace
}  // namespace drover
