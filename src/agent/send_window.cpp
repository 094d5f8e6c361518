#include "agent/send_window.h"

#include <algorithm>

namespace tt::agent {

std::size_t SendWindow::records_room() const {
  return m_bytes >= kBytes ? 0 : kRecords - std::min(kRecords, m_in_flight.size());
}

std::size_t SendWindow::bytes_room() const { return kBytes - std::min(kBytes, m_bytes); }

bool SendWindow::goes_ahead(std::uint64_t newest) const {
  // A backlog within one window goes in order: no batch then reaches the hub out of order.
  return records_room() > 0 && newest > m_newest_ahead && newest > m_cursor + kRecords;
}

void SendWindow::sent_ahead(std::uint64_t seq, std::size_t bytes) {
  m_in_flight.emplace(seq, bytes);
  m_bytes += bytes;
  m_ahead.insert(seq);
  m_newest_ahead = seq;
}

bool SendWindow::next_in_order(std::uint64_t seq, std::size_t bytes) {
  m_cursor = seq;
  // Records the buffer dropped before the cursor reached them leave their marks behind.
  m_ahead.erase(m_ahead.begin(), m_ahead.lower_bound(seq));
  if (m_ahead.erase(seq) != 0) return false;
  m_in_flight.emplace(seq, bytes);
  m_bytes += bytes;
  return true;
}

std::uint64_t SendWindow::acked(std::uint64_t seq) {
  if (auto it = m_in_flight.find(seq); it != m_in_flight.end()) {
    m_bytes -= it->second;
    m_in_flight.erase(it);
  }
  // Everything up to the cursor was sent: all of it is acknowledged below the oldest in flight.
  const bool waiting = !m_in_flight.empty() && m_in_flight.begin()->first <= m_cursor;
  m_acked = std::max(m_acked, waiting ? m_in_flight.begin()->first - 1 : m_cursor);
  return m_acked;
}

}  // namespace tt::agent
