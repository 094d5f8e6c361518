#include "fleet/seqs.h"

#include <doctest/doctest.h>

#include <random>
#include <set>

using tt::fleet::SeqSet;

TEST_CASE("seqs: in order, nothing but the floor is kept") {
  SeqSet s;
  for (std::uint64_t seq = 1; seq <= 100; ++seq) {
    CHECK_FALSE(s.contains(seq));
    s.add(seq);
  }
  CHECK(s.floor() == 100);
  CHECK(s.ranges().empty());
  CHECK(s.contains(1));
  CHECK_FALSE(s.contains(101));
}

TEST_CASE("seqs: the newest ahead of a backlog, then the backlog") {
  SeqSet s(10);
  s.add(500);  // live, ahead of 11..499
  s.add(501);
  CHECK(s.ranges() == "500-501");
  for (std::uint64_t seq = 11; seq < 300; ++seq) s.add(seq);
  CHECK(s.floor() == 299);
  CHECK(s.ranges() == "500-501");
  CHECK(s.contains(500));
  CHECK_FALSE(s.contains(300));
  for (std::uint64_t seq = 300; seq < 500; ++seq) s.add(seq);
  CHECK(s.floor() == 501);
  CHECK(s.range_count() == 0);
}

TEST_CASE("seqs: a sender's floor closes gaps it will never fill") {
  SeqSet s(10);
  s.add(20);
  s.add(40);
  s.raise_floor(5);  // lower: nothing changes
  CHECK(s.floor() == 10);
  s.raise_floor(19);  // 11..19 were dropped by the sender's buffer
  CHECK(s.floor() == 20);
  CHECK(s.ranges() == "40-40");
  s.raise_floor(45);
  CHECK(s.floor() == 45);
  CHECK(s.ranges().empty());
}

TEST_CASE("seqs: a sender that leaves gaps keeps at most kMaxRanges") {
  SeqSet s;
  for (std::uint64_t seq = 2; seq < 2 + 2 * (SeqSet::kMaxRanges + 10); seq += 2) s.add(seq);
  CHECK(s.range_count() == SeqSet::kMaxRanges);
  // The lowest gaps were closed: their seqs are taken as done, the newest ones are not.
  CHECK(s.contains(3));
  CHECK_FALSE(s.contains(2 + 2 * (SeqSet::kMaxRanges + 10) - 1));
}

TEST_CASE("seqs: the stored form round-trips, and a damaged one is refused") {
  SeqSet s(3);
  s.add(7);
  s.add(8);
  s.add(12);
  CHECK(s.ranges() == "7-8,12-12");
  auto back = SeqSet::parse(s.floor(), s.ranges());
  REQUIRE(back);
  CHECK(back->floor() == 3);
  CHECK(back->ranges() == s.ranges());
  CHECK(SeqSet::parse(3, "")->range_count() == 0);
  for (const char* bad : {"4-5", "7-6", "7-8,9-9", "9-9,7-8", "7-8,", "7", "x-1", "7-8;9-9", "-1-2",
                          "5-18446744073709551615,7-8", "7-99999999999999999999"})
    CHECK_MESSAGE(!SeqSet::parse(3, bad), bad);
}

TEST_CASE("seqs: any order of adds agrees with a plain set") {
  std::mt19937 rng(7);
  for (int round = 0; round < 50; ++round) {
    SeqSet s;
    std::set<std::uint64_t> plain;
    for (int i = 0; i < 200; ++i) {
      const std::uint64_t seq = 1 + rng() % 100;
      CHECK(s.contains(seq) == plain.contains(seq));
      if (!plain.contains(seq)) {
        s.add(seq);
        plain.insert(seq);
      }
      REQUIRE(SeqSet::parse(s.floor(), s.ranges()));
    }
    for (std::uint64_t seq = 1; seq <= 100; ++seq) CHECK(s.contains(seq) == plain.contains(seq));
  }
}
