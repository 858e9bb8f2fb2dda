#include "agent/batch_queue.h"

#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <mutex>
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

TEST(BatchQueueTest, WhatTheOutputHoldsLeavesLessRoomAndFreeingItWakesAPush) {
  const BatchPtr first = batch_of(100);
  const BatchPtr second = batch_of(100);
  BatchQueue queue(first->memory_bytes() * 3);
  std::stop_source stop;
  queue.set_held_by_output(first->memory_bytes() * 2);  // in flight: one budget for both (I4)
  ASSERT_TRUE(queue.push(first, stop.get_token()));     // an empty queue takes one batch
  std::atomic<bool> pushed{false};
  std::jthread producer([&] { pushed = queue.push(second, stop.get_token()); });
  EXPECT_FALSE(testing::wait_until([&] { return pushed.load(); }, std::chrono::milliseconds(200)))
      << "queue + output would exceed the budget";
  queue.set_held_by_output(first->memory_bytes());  // the output completed a batch
  ASSERT_TRUE(testing::wait_until([&] { return pushed.load(); }));
  EXPECT_EQ(queue.batches(), 2U);
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

TEST(BatchQueueTest, APausedConsumerFindsNothingWhileInputsGoOnPushing) {
  BatchQueue queue(10'000);
  std::stop_source stop;
  const BatchPtr taken = batch_of(1);
  ASSERT_TRUE(queue.push(taken, stop.get_token()));
  ASSERT_TRUE(queue.push(batch_of(2), stop.get_token()));
  ASSERT_EQ(*queue.try_pop(), taken);  // the old output holds it, unsettled

  queue.pause_consumer();
  EXPECT_TRUE(queue.closed_and_empty()) << "the old output's loop ends";
  EXPECT_FALSE(queue.pop_for(std::chrono::milliseconds(1)).has_value());
  ASSERT_TRUE(queue.push(batch_of(3), stop.get_token())) << "inputs are not refused";

  // The new output gets what the old one could not settle first, then the rest in order.
  queue.resume_consumer({taken});
  EXPECT_FALSE(queue.closed_and_empty());
  std::vector<size_t> order;
  while (auto batch = queue.try_pop()) order.push_back((*batch)->byte_size());
  EXPECT_EQ(order, (std::vector<size_t>{1, 2, 3}));
}

TEST(BatchQueueTest, ClosingWakesTheConsumerOnceThenItsWaitsLastTheirTimeout) {
  BatchQueue queue(10'000);
  std::thread consumer([&] { EXPECT_FALSE(queue.pop_for(std::chrono::hours(1)).has_value()); });
  queue.close();
  consumer.join();  // would hang for an hour without the wake-up
  // An output still settling what it sent waits for its reports, not in a busy loop.
  const auto before = std::chrono::steady_clock::now();
  EXPECT_FALSE(queue.pop_for(std::chrono::milliseconds(50)).has_value());
  EXPECT_GE(std::chrono::steady_clock::now() - before, std::chrono::milliseconds(50));
  EXPECT_TRUE(queue.closed_and_empty());
}

TEST(BatchQueueTest, APausedConsumerWaitsOutItsTimeoutEvenWithBatchesQueued) {
  BatchQueue queue(10'000);
  std::stop_source stop;
  ASSERT_TRUE(queue.push(batch_of(1), stop.get_token()));
  queue.pause_consumer();
  EXPECT_FALSE(queue.pop_for(std::chrono::milliseconds(1)).has_value());  // the one wake-up
  // Settling in-flight records during a reload: no busy loop while inputs keep pushing.
  const auto before = std::chrono::steady_clock::now();
  EXPECT_FALSE(queue.pop_for(std::chrono::milliseconds(50)).has_value());
  EXPECT_GE(std::chrono::steady_clock::now() - before, std::chrono::milliseconds(50));
}

TEST(BatchQueueTest, PausingWakesAConsumerWaitingForABatch) {
  BatchQueue queue(10'000);
  std::thread consumer([&] { EXPECT_FALSE(queue.pop_for(std::chrono::hours(1)).has_value()); });
  queue.pause_consumer();
  consumer.join();  // would hang for an hour without the wake-up
}

// --- with a disk part ---

class Tickets final : public AckReceiver {
 public:
  void on_batch_safe(uint64_t ticket) override {
    std::lock_guard lock(mutex_);
    safe_.push_back(ticket);
  }
  std::vector<uint64_t> safe() const {
    std::lock_guard lock(mutex_);
    return safe_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<uint64_t> safe_;
};

class HybridQueueTest : public ::testing::Test {
 protected:
  std::unique_ptr<BatchQueue> open(QueueOptions options = {}) {
    options.memory_bytes = options.memory_bytes == QueueOptions{}.memory_bytes
                               ? numbered(0)->memory_bytes() * 2
                               : options.memory_bytes;
    options.disk_bytes = options.disk_bytes == 0 ? 1 << 20 : options.disk_bytes;
    options.dir = dir / "queue" / "out";
    auto queue = BatchQueue::open(options, metrics, "out");
    EXPECT_TRUE(queue.has_value()) << queue.error().message;
    return std::move(*queue);
  }
  /// A batch whose one record is "batch <n>", acked to `tickets` under ticket n.
  std::shared_ptr<Batch> numbered(int n) {
    auto batch = std::make_shared<Batch>(source, 0);
    batch->add_record(fmt::format("batch {:04} {}", n, std::string(200, '.')));
    batch->set_ack(std::make_shared<AckGroup>(tickets, static_cast<uint64_t>(n)));
    return batch;
  }
  static int number_of(const BatchPtr& batch) {
    return std::stoi(std::string(batch->record(0).substr(6, 4)));
  }
  void push(BatchQueue& queue, int first, int last) {
    for (int n = first; n < last; ++n) ASSERT_TRUE(queue.push(numbered(n), stop.get_token()));
  }
  /// Pops everything there is; completes each batch (as an output does once it is delivered)
  /// unless `deliver` is false.
  std::vector<int> pop_all(BatchQueue& queue, bool deliver = true) {
    std::vector<int> numbers;
    while (auto batch = queue.try_pop()) {
      numbers.push_back(number_of(*batch));
      if (deliver) (*batch)->complete();
    }
    return numbers;
  }
  static std::vector<int> range(int first, int last) {
    std::vector<int> v;
    for (int n = first; n < last; ++n) v.push_back(n);
    return v;
  }
  static std::vector<uint64_t> range_u(uint64_t first, uint64_t last) {
    std::vector<uint64_t> v;
    for (uint64_t n = first; n < last; ++n) v.push_back(n);
    return v;
  }
  uint64_t counter_with_reason() const {
    return metrics.value("drover_queue_dropped_records_total",
                         {{"output", "out"}, {"reason", "queue_full"}});
  }
  uint64_t counter(const std::string& name) const {
    return metrics.value(name, {{"output", "out"}});
  }
  std::vector<uint64_t> safe_tickets() const {
    auto t = tickets->safe();
    std::sort(t.begin(), t.end());
    return t;
  }

  testing::TempDir dir;
  Metrics metrics;
  std::stop_source stop;
  std::shared_ptr<Tickets> tickets = std::make_shared<Tickets>();
  std::shared_ptr<const SourceInfo> source =
      std::make_shared<SourceInfo>(SourceInfo{"app", "host", "/var/log/app.log"});
};

TEST_F(HybridQueueTest, NothingIsWrittenToDiskWhileTheOutputKeepsUp) {
  auto queue = open();
  for (int n = 0; n < 100; ++n) {
    push(*queue, n, n + 1);
    EXPECT_EQ(pop_all(*queue), std::vector<int>{n});
  }
  EXPECT_EQ(counter("drover_queue_spilled_batches_total"), 0U);
  EXPECT_EQ(queue->disk_bytes(), 0U);
  size_t files = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir / "queue" / "out"))
    ++files;
  EXPECT_LE(files, 1U) << "at most the empty bookkeeping file";
}

TEST_F(HybridQueueTest, SpillsInOrderAndSpilledBatchesAreSafeOnceSynced) {
  auto queue = open();
  push(*queue, 0, 10);  // memory holds two; eight go to disk
  EXPECT_EQ(counter("drover_queue_spilled_batches_total"), 8U);
  EXPECT_TRUE(testing::wait_until([&] { return safe_tickets().size() == 8; }));
  EXPECT_EQ(safe_tickets(), (std::vector<uint64_t>{2, 3, 4, 5, 6, 7, 8, 9}))
      << "synced to disk: their sources may commit";
  // Memory has room again after a pop, but new batches go behind what is on disk.
  EXPECT_EQ(number_of(*queue->try_pop()), 0);
  push(*queue, 10, 11);
  EXPECT_EQ(pop_all(*queue), (std::vector<int>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}));
  EXPECT_EQ(counter("drover_queue_replayed_batches_total"), 9U);
  EXPECT_EQ(queue->disk_bytes(), 0U) << "delivered: the segments are gone";
}

// Group commit: pushes do not wait for the disk, and one fdatasync makes every batch appended
// before it safe. The syncer is held in its first sync while forty more batches spill.
TEST_F(HybridQueueTest, BatchesSpilledDuringASyncShareTheNextOne) {
  std::mutex held;
  std::unique_lock hold(held);
  std::atomic<int> syncs_started = 0;
  QueueOptions options;
  options.spill_after = std::chrono::milliseconds(0);
  options.before_sync = [&] {
    ++syncs_started;
    std::lock_guard wait_for_the_test(held);
  };
  auto queue = open(options);
  push(*queue, 0, 3);  // two in memory, the third to disk: the first sync starts and is held
  ASSERT_TRUE(testing::wait_until([&] { return syncs_started == 1; }));
  push(*queue, 3, 43);  // spilled while that sync is held: none of them waits for it
  EXPECT_EQ(counter("drover_queue_spilled_batches_total"), 41U);
  EXPECT_TRUE(safe_tickets().empty()) << "nothing is safe before its sync";
  hold.unlock();
  ASSERT_TRUE(testing::wait_until([&] { return safe_tickets().size() == 41; }));
  EXPECT_EQ(safe_tickets(), range_u(2, 43));
  EXPECT_EQ(counter("drover_queue_syncs_total"), 2U) << "one sync for the first, one for the 40";
}

TEST_F(HybridQueueTest, WhileTheOutputTakesBatchesAFullMemoryMakesThePushWaitNotSpill) {
  auto queue = open();  // memory for two
  push(*queue, 0, 2);
  ASSERT_EQ(number_of(*queue->try_pop()), 0);  // the output is taking batches
  push(*queue, 2, 3);                          // memory is full again
  // A push that has to wait gives up at once when asked to stop: it neither spilled nor queued.
  std::stop_source stopped;
  stopped.request_stop();
  EXPECT_FALSE(queue->push(numbered(3), stopped.get_token()));
  EXPECT_EQ(counter("drover_queue_spilled_batches_total"), 0U);

  // Woken by the output's next pop, it goes to memory.
  std::jthread pusher([&] { push(*queue, 3, 4); });
  ASSERT_EQ(number_of(*queue->try_pop()), 1);
  pusher.join();
  EXPECT_EQ(counter("drover_queue_spilled_batches_total"), 0U);
  EXPECT_EQ(pop_all(*queue), (std::vector<int>{2, 3}));
  EXPECT_EQ(queue->disk_bytes(), 0U);
}

TEST_F(HybridQueueTest, OnceTheOutputTakesNothingForSpillAfterBatchesGoToDisk) {
  QueueOptions options;
  options.spill_after = std::chrono::milliseconds(50);
  auto queue = open(options);
  push(*queue, 0, 2);
  ASSERT_EQ(number_of(*queue->try_pop()), 0);
  push(*queue, 2, 4);  // 2 fits; 3 waits for the output, which takes nothing: to disk
  EXPECT_EQ(counter("drover_queue_spilled_batches_total"), 1U);
  EXPECT_EQ(pop_all(*queue), range(1, 4));
}

TEST_F(HybridQueueTest, WithSpillAfterZeroOrWhenFullDroppingAFullMemorySpillsAtOnce) {
  std::stop_source stopped;  // a push that waited would give up, not spill
  stopped.request_stop();
  for (const auto when_full :
       {QueueOptions::WhenFull::kBlock, QueueOptions::WhenFull::kDropNewest}) {
    std::filesystem::remove_all(dir / "queue" / "out");  // the previous round's queue
    QueueOptions options;
    options.when_full = when_full;
    if (when_full == QueueOptions::WhenFull::kBlock) options.spill_after = {};
    auto queue = open(options);
    push(*queue, 0, 2);
    ASSERT_EQ(number_of(*queue->try_pop()), 0);
    push(*queue, 2, 3);
    const uint64_t spilled = counter("drover_queue_spilled_batches_total");
    EXPECT_TRUE(queue->push(numbered(3), stopped.get_token()));
    EXPECT_EQ(counter("drover_queue_spilled_batches_total"), spilled + 1);
    EXPECT_EQ(pop_all(*queue), range(1, 4));
  }
}

TEST_F(HybridQueueTest, SpillsWhenWhatTheOutputHoldsFillsTheBudget) {
  auto queue = open();  // memory for two batches
  queue->set_held_by_output(numbered(0)->memory_bytes());
  push(*queue, 0, 3);  // one fits beside what the output holds; two go to disk
  EXPECT_EQ(counter("drover_queue_spilled_batches_total"), 2U);
  queue->set_held_by_output(0);
  EXPECT_EQ(pop_all(*queue), range(0, 3));
}

TEST_F(HybridQueueTest, WithFsyncNeverASpilledBatchIsSafeOnlyOnceDelivered) {
  QueueOptions options;
  options.fsync = QueueOptions::Fsync::kNever;
  auto queue = open(options);
  push(*queue, 0, 4);
  EXPECT_TRUE(safe_tickets().empty());
  std::vector<BatchPtr> taken;
  while (auto batch = queue->try_pop()) taken.push_back(*batch);
  ASSERT_EQ(taken.size(), 4U);
  taken[3]->complete();  // delivered from disk
  EXPECT_EQ(safe_tickets(), std::vector<uint64_t>{3});
}

TEST_F(HybridQueueTest, WithFsyncIntervalSpilledBatchesBecomeSafeAtTheNextSync) {
  QueueOptions options;
  options.fsync = QueueOptions::Fsync::kInterval;
  options.fsync_interval = std::chrono::milliseconds(50);
  auto queue = open(options);
  push(*queue, 0, 4);
  // Becomes safe once an interval has passed and the queue is used (an idle output polls).
  ASSERT_TRUE(testing::wait_until([&] {
    (void)queue->pop_for(std::chrono::milliseconds(0)).has_value();
    return safe_tickets().size() >= 2;
  }));
  EXPECT_EQ(safe_tickets(), (std::vector<uint64_t>{2, 3}));
}

TEST_F(HybridQueueTest, RestartReplaysWhatWasSpilledAndNotDelivered) {
  {
    auto queue = open();
    push(*queue, 0, 6);
    EXPECT_EQ(pop_all(*queue, /*deliver=*/false), range(0, 6));
  }
  auto queue = open();
  EXPECT_EQ(pop_all(*queue), range(2, 6)) << "the two memory batches were never safe";
}

TEST_F(HybridQueueTest, StopSavesWhatTheOutputHeldAndMemoryAheadOfTheDisk) {
  {
    auto queue = open();
    push(*queue, 0, 6);             // 0, 1 in memory; 2..5 on disk
    auto held = *queue->try_pop();  // the output took 0 and Kafka never acknowledged it
    push(*queue, 6, 7);             // behind the disk
    ASSERT_TRUE(queue->spill_for_stop({held}));
    EXPECT_EQ(safe_tickets(), range_u(0, 7)) << "everything is safe on disk";
  }
  auto queue = open();
  EXPECT_EQ(pop_all(*queue), range(0, 7)) << "read order kept across the stop";
}

TEST_F(HybridQueueTest, WhenFullDropNewestAndDropOldestCountWhatTheyDrop) {
  QueueOptions options;
  options.disk_bytes = 3000;  // about six batches
  options.when_full = QueueOptions::WhenFull::kDropNewest;
  auto queue = open(options);
  push(*queue, 0, 20);
  const uint64_t dropped = counter_with_reason();
  EXPECT_GT(dropped, 0U);
  const auto kept = pop_all(*queue);
  EXPECT_EQ(kept, range(0, static_cast<int>(kept.size()))) << "the newest were dropped";
  EXPECT_EQ(kept.size() + dropped, 20U);
  EXPECT_EQ(safe_tickets(), range_u(0, 20)) << "dropped batches are counted, not pending";
}

TEST_F(HybridQueueTest, WhenFullDropOldestKeepsTheNewest) {
  QueueOptions options;
  options.disk_bytes = 1;  // effectively no disk room
  options.when_full = QueueOptions::WhenFull::kDropOldest;
  auto queue = open(options);
  push(*queue, 0, 10);
  EXPECT_EQ(pop_all(*queue), (std::vector<int>{8, 9}));
  EXPECT_EQ(counter_with_reason(), 8U);
}

}  // namespace
}  // namespace drover
