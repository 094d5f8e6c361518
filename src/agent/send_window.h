// agent/send_window.h — what one connection to the hub has sent of the buffer and what the hub
// acknowledged. The backlog goes oldest first with at most kRecords batches (and kBytes) in
// flight, many times real time. While the backlog is more than a window behind the newest
// record, that record goes ahead of it: live data reaches the hub within an interval however long
// the replay after an outage. The hub stores each seq once in any order (fleet/seqs.h), so
// acknowledgements come out of order too; the buffer learns the seq up to which all are.
// Pure: the runner reads and sends, this decides.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <set>

namespace tt::agent {

class SendWindow {
 public:
  static constexpr std::size_t kRecords = 64;
  static constexpr std::size_t kBytes = 4u << 20;

  // `acked`: every record up to it is acknowledged (or gone).
  explicit SendWindow(std::uint64_t acked) : m_cursor(acked), m_acked(acked) {}

  // Room for more in flight, and how much.
  std::size_t records_room() const;
  std::size_t bytes_room() const;
  // The backlog goes on after this seq.
  std::uint64_t cursor() const { return m_cursor; }
  // Whether the newest record in the buffer should go ahead of the backlog now.
  bool goes_ahead(std::uint64_t newest) const;
  // A record sent ahead of the backlog.
  void sent_ahead(std::uint64_t seq, std::size_t bytes);
  // The backlog's next record, read after cursor(): false when it went ahead already (skip it).
  bool next_in_order(std::uint64_t seq, std::size_t bytes);
  // The hub acknowledged (or refused for good) `seq`. Returns the seq up to which every record
  // is acknowledged, for the buffer.
  std::uint64_t acked(std::uint64_t seq);

 private:
  std::map<std::uint64_t, std::size_t> m_in_flight;  // seq -> payload bytes
  std::set<std::uint64_t> m_ahead;                   // sent ahead and not yet passed by the cursor
  std::uint64_t m_cursor;                            // every record up to it was sent
  std::uint64_t m_acked;
  std::uint64_t m_newest_ahead = 0;
  std::size_t m_bytes = 0;
};

}  // namespace tt::agent
