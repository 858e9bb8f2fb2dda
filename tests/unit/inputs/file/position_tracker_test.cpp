#include "inputs/file/position_tracker.h"

#include <gtest/gtest.h>

namespace drover::inputs {
namespace {

TEST(PositionTrackerTest, AdvancesOnlyOverContiguousAcknowledgedBatches) {
  PositionTracker tracker(10);
  const uint64_t first = tracker.add(100);
  const uint64_t second = tracker.add(200);
  const uint64_t third = tracker.add(300);
  tracker.on_batch_safe(second);
  EXPECT_EQ(tracker.committed(), 10U);  // the first batch is not safe yet (I1)
  tracker.on_batch_safe(first);
  EXPECT_EQ(tracker.committed(), 200U);
  EXPECT_FALSE(tracker.settled());
  tracker.on_batch_safe(third);
  EXPECT_EQ(tracker.committed(), 300U);
  EXPECT_TRUE(tracker.settled());
}

TEST(PositionTrackerTest, IgnoresUnknownAndRepeatedTickets) {
  PositionTracker tracker(0);
  const uint64_t ticket = tracker.add(50);
  tracker.on_batch_safe(ticket + 5);
  EXPECT_EQ(tracker.committed(), 0U);
  tracker.on_batch_safe(ticket);
  tracker.on_batch_safe(ticket);
  EXPECT_EQ(tracker.committed(), 50U);
}

// A copy that ends at 150 takes the tracker over: what the original read past it is not there.
TEST(PositionTrackerTest, ClampedPositionsStopAtTheLimit) {
  PositionTracker tracker(100, 1);
  const uint64_t first = tracker.add(120, 2);
  const uint64_t second = tracker.add(200, 3);
  tracker.clamp_to({150, 9});
  tracker.on_batch_safe(first);
  EXPECT_EQ(tracker.committed_position(), (PositionTracker::Position{120, 2}));
  tracker.on_batch_safe(second);
  EXPECT_EQ(tracker.committed_position(), (PositionTracker::Position{150, 9}));
  tracker.clamp_to({140, 7});  // a committed position past the limit is clamped too
  EXPECT_EQ(tracker.committed_position(), (PositionTracker::Position{140, 7}));
}

}  // namespace
}  // namespace drover::inputs
