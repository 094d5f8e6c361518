// What the agent sends when (agent/send_window.h): the backlog in order within the window, the
// newest record ahead of a long backlog, and the buffer acknowledged only up to where every
// record is.
#include <doctest/doctest.h>

#include <vector>

#include "agent/send_window.h"

using tt::agent::SendWindow;

namespace {

// The backlog's records from the cursor on, as the runner reads and sends them.
std::vector<std::uint64_t> fill(SendWindow& w, std::uint64_t newest) {
  std::vector<std::uint64_t> sent;
  for (std::uint64_t seq = w.cursor() + 1; seq <= newest && w.records_room() > 0; ++seq)
    if (w.next_in_order(seq, 100)) sent.push_back(seq);
  return sent;
}

}  // namespace

TEST_CASE("send window: a short backlog goes in order, a window at a time") {
  SendWindow w(0);
  CHECK_FALSE(w.goes_ahead(SendWindow::kRecords));
  auto sent = fill(w, SendWindow::kRecords);
  CHECK(sent.size() == SendWindow::kRecords);
  CHECK(w.records_room() == 0);
  // Acknowledgements in order move the buffer's mark with them.
  CHECK(w.acked(1) == 1);
  CHECK(w.acked(3) == 1);  // 2 is still out
  CHECK(w.acked(2) == 3);
  CHECK(w.records_room() == 3);
}

TEST_CASE("send window: the newest goes ahead of a long backlog, once, and is not sent again") {
  SendWindow w(100);
  const std::uint64_t newest = 100 + 10 * SendWindow::kRecords;
  REQUIRE(w.goes_ahead(newest));
  w.sent_ahead(newest, 100);
  CHECK_FALSE(w.goes_ahead(newest));
  CHECK(w.acked(newest) == 100);  // the backlog before it is not acknowledged
  auto sent = fill(w, newest);
  CHECK(sent.front() == 101);
  CHECK(sent.size() == SendWindow::kRecords);
  for (auto seq : sent) w.acked(seq);
  // Each new collection goes ahead while the backlog is more than a window behind.
  CHECK(w.goes_ahead(newest + 1));
  // The backlog reaches the record that went ahead: skipped, and the mark passes it.
  while (w.cursor() < newest) {
    for (auto seq : fill(w, newest)) {
      CHECK(seq != newest);
      w.acked(seq);
    }
  }
  CHECK(w.acked(newest) == newest);
  CHECK_FALSE(w.goes_ahead(newest + 1));  // within a window now: in order
}

TEST_CASE("send window: bytes bound what is in flight") {
  SendWindow w(0);
  CHECK(w.next_in_order(1, SendWindow::kBytes - 10));
  CHECK(w.bytes_room() == 10);
  CHECK(w.next_in_order(2, 20));
  CHECK(w.records_room() == 0);
  CHECK_FALSE(w.goes_ahead(1000));
  CHECK(w.acked(1) == 1);
  CHECK(w.records_room() > 0);
  CHECK(w.acked(2) == 2);
  CHECK(w.bytes_room() == SendWindow::kBytes);
}
