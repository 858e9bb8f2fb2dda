#include "agent/batch_queue.h"

#include "tests/support/wait.h"

#include <gtest/gtest.h>

#include <thread>

namespace drover {
namespace {

BatchPtr batch_of(size_t bytes) {
  auto batch = std::make_shared<Batch>(std::make_shared<SourceInfo>(), 0);
  batch->add_record(std::string(bytes, 'x'));
  return batch;
}

TEST(BatchQueueTest, KeepsOrderAndCountsBytes) {
  BatchQueue queue(10'000);
  std::stop_source stop;
  const BatchPtr small = batch_of(100);
  const BatchPtr large = batch_of(200);
  ASSERT_TRUE(queue.push(small, stop.get_token()));
  ASSERT_TRUE(queue.push(large, stop.get_token()));
  EXPECT_EQ(queue.bytes(), small->memory_bytes() + large->memory_bytes());
  EXPECT_EQ((*queue.try_pop())->byte_size(), 100U);
  EXPECT_EQ((*queue.try_pop())->byte_size(), 200U);
  EXPECT_FALSE(queue.try_pop().has_value());
  EXPECT_EQ(queue.bytes(), 0U);
}

TEST(BatchQueueTest, BlocksWhenFullUntilSpaceIsFreed) {
  const BatchPtr first = batch_of(200);
  const BatchPtr second = batch_of(100);
  BatchQueue queue(first->memory_bytes() + second->memory_bytes() - 1);
  std::stop_source stop;
  ASSERT_TRUE(queue.push(first, stop.get_token()));
  std::atomic<bool> pushed{false};
  std::jthread producer([&] { pushed = queue.push(second, stop.get_token()); });
  // The second push cannot fit: it must still be waiting once the queue reports it is full.
  EXPECT_EQ(queue.batches(), 1U);
  EXPECT_FALSE(pushed.load());
  ASSERT_TRUE(queue.try_pop().has_value());
  ASSERT_TRUE(testing::wait_until([&] { return pushed.load(); }));
  EXPECT_EQ(queue.bytes(), second->memory_bytes());
}

TEST(BatchQueueTest, CountsTheMemoryABatchHoldsNotJustItsRecords) {
  // A batch with little content but a large buffer holds the buffer (I4): two of them do not
  // fit where their contents alone would.
  const auto reserved = [] {
    auto batch = std::make_shared<Batch>(std::make_shared<SourceInfo>(), 0);
    batch->reserve(1 << 20, 16);
    batch->add_record("tiny");
    return batch;
  };
  const BatchPtr first = reserved();
  const BatchPtr second = reserved();
  EXPECT_GE(first->memory_bytes(), 1U << 20);
  BatchQueue queue(first->memory_bytes() + (1 << 19));
  // With stop already requested, push() answers at once whether the batch fits now.
  std::stop_source stopped;
  stopped.request_stop();
  ASSERT_TRUE(queue.push(first, stopped.get_token()));
  EXPECT_FALSE(queue.push(second, stopped.get_token())) << "the second batch must wait for room";
  ASSERT_TRUE(queue.try_pop().has_value());
  EXPECT_TRUE(queue.push(second, stopped.get_token()));
}

TEST(BatchQueueTest, OversizedBatchIsAdmittedIntoAnEmptyQueue) {
  BatchQueue queue(10);
  std::stop_source stop;
  const BatchPtr oversized = batch_of(500);
  EXPECT_TRUE(queue.push(oversized, stop.get_token()));
  EXPECT_EQ(queue.bytes(), oversized->memory_bytes());
}

TEST(BatchQueueTest, StopReleasesABlockedPush) {
  BatchQueue queue(batch_of(100)->memory_bytes());
  std::stop_source stop;
  ASSERT_TRUE(queue.push(batch_of(100), stop.get_token()));
  std::atomic<int> result{-1};
  std::jthread producer([&] { result = queue.push(batch_of(50), stop.get_token()) ? 1 : 0; });
  stop.request_stop();
  ASSERT_TRUE(testing::wait_until([&] { return result.load() != -1; }));
  EXPECT_EQ(result.load(), 0);
  EXPECT_EQ(queue.batches(), 1U);
}

TEST(BatchQueueTest, CloseRefusesPushesAndDrainsWhatIsThere) {
  BatchQueue queue(1000);
  std::stop_source stop;
  ASSERT_TRUE(queue.push(batch_of(10), stop.get_token()));
  queue.close();
  EXPECT_FALSE(queue.push(batch_of(10), stop.get_token()));
  EXPECT_FALSE(queue.closed_and_empty());
  EXPECT_TRUE(queue.pop_for(std::chrono::milliseconds(1)).has_value());
  EXPECT_TRUE(queue.closed_and_empty());
  EXPECT_FALSE(queue.pop_for(std::chrono::milliseconds(1)).has_value());
}

}  // namespace
}  // namespace drover
