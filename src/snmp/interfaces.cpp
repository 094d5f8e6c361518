#include "snmp/interfaces.h"

#include <fmt/format.h>

#include "snmp/mib.h"

namespace tt::snmp {

namespace {

Oid mib(const char* name) { return *resolve_name(name); }

// The order of kPollColumns.
enum class Column {
  name,
  admin_status,
  oper_status,
  hc_in_octets,
  hc_out_octets,
  in_octets,
  out_octets,
  in_errors,
  out_errors,
  in_discards,
  out_discards,
};

constexpr double kTwoTo32 = 4294967296.0;

// The counter a column feeds, and whether it is a 64-bit one that wins over its 32-bit twin.
std::optional<IfCounter> counter_of(Column c) {
  switch (c) {
    case Column::hc_in_octets:
    case Column::in_octets:
      return IfCounter::in_octets;
    case Column::hc_out_octets:
    case Column::out_octets:
      return IfCounter::out_octets;
    case Column::in_errors:
      return IfCounter::in_errors;
    case Column::out_errors:
      return IfCounter::out_errors;
    case Column::in_discards:
      return IfCounter::in_discards;
    case Column::out_discards:
      return IfCounter::out_discards;
    default:
      return std::nullopt;
  }
}

}  // namespace

const std::array<const char*, kIfCounters> kIfCounterNames = {
    "if_in_octets_total",  "if_out_octets_total",  "if_in_errors_total",
    "if_out_errors_total", "if_in_discards_total", "if_out_discards_total"};

const std::vector<Oid> kPollColumns = {
    mib("ifName"),        mib("ifAdminStatus"), mib("ifOperStatus"), mib("ifHCInOctets"),
    mib("ifHCOutOctets"), mib("ifInOctets"),    mib("ifOutOctets"),  mib("ifInErrors"),
    mib("ifOutErrors"),   mib("ifInDiscards"),  mib("ifOutDiscards")};

const char* if_status_name(std::int64_t s) {
  static constexpr const char* kNames[] = {"up",      "down",       "testing",       "unknown",
                                           "dormant", "notPresent", "lowerLayerDown"};
  return s >= 1 && s <= 7 ? kNames[s - 1] : nullptr;
}

CounterStep advance(CounterMemory& m, std::uint64_t raw, bool wide, bool restarted) {
  CounterStep step;
  if (!m.seen) {
    step = CounterStep::first;
  } else if (restarted || m.wide != wide) {
    step = CounterStep::reset;
  } else if (raw >= m.last_raw) {
    step = CounterStep::advanced;
  } else if (!wide) {
    step = CounterStep::wrapped;
  } else {
    // A Counter64 does not wrap in practice (ten years at 50 Gbit/s): it was cleared.
    step = CounterStep::reset;
  }
  switch (step) {
    case CounterStep::first:
    case CounterStep::reset:
      m.total = static_cast<double>(raw);
      break;
    case CounterStep::advanced:
      m.total += static_cast<double>(raw - m.last_raw);
      break;
    case CounterStep::wrapped:
      m.total += kTwoTo32 - static_cast<double>(m.last_raw) + static_cast<double>(raw);
      break;
  }
  m.last_raw = raw;
  m.seen = true;
  m.wide = wide;
  return step;
}

Poll InterfaceMemory::apply(std::uint64_t uptime_ticks,
                            const std::vector<std::vector<VarBind>>& columns) {
  Poll poll;
  poll.restarted = m_uptime && uptime_ticks < *m_uptime;
  m_uptime = uptime_ticks;

  struct Raw {
    std::uint64_t value = 0;
    bool wide = false;
  };
  std::map<std::uint32_t, PolledInterface> rows;
  std::map<std::uint32_t, std::array<std::optional<Raw>, kIfCounters>> raws;
  for (std::size_t c = 0; c < columns.size() && c < kPollColumns.size(); ++c) {
    const auto column = static_cast<Column>(c);
    for (const auto& vb : columns[c]) {
      // Both tables are indexed by ifIndex alone.
      if (vb.oid.size() != kPollColumns[c].size() + 1) continue;
      const std::uint32_t index = vb.oid.back();
      PolledInterface& row = rows[index];
      row.index = index;
      const Value& v = vb.value;
      switch (column) {
        case Column::name:
          if (v.type == Type::octet_string) row.name = text_of(v);
          break;
        case Column::admin_status:
          if (v.type == Type::integer) row.admin_status = v.integer;
          break;
        case Column::oper_status:
          if (v.type == Type::integer) row.oper_status = v.integer;
          break;
        default: {
          const bool wide = v.type == Type::counter64;
          if (!wide && v.type != Type::counter32) break;
          auto& slot = raws[index][static_cast<std::size_t>(*counter_of(column))];
          // The 64-bit column comes first in kPollColumns; its 32-bit twin only fills a gap.
          if (!slot || (wide && !slot->wide)) slot = Raw{v.number, wide};
        }
      }
    }
  }

  std::map<std::uint32_t, Remembered> kept;
  for (auto& [index, row] : rows) {
    if (row.name.empty()) row.name = fmt::format("if{}", index);
    auto old = m_interfaces.find(index);
    Remembered mem = old != m_interfaces.end() ? old->second : Remembered{};
    for (std::size_t k = 0; k < kIfCounters; ++k) {
      const auto& raw = raws[index][k];
      if (!raw) {
        mem.counters[k] = CounterMemory{};
        continue;
      }
      row.steps[k] = advance(mem.counters[k], raw->value, raw->wide, poll.restarted);
      row.totals[k] = mem.counters[k].total;
    }
    if (row.oper_status && mem.oper_status && *mem.oper_status != *row.oper_status &&
        (*mem.oper_status == 1 || *row.oper_status == 1))
      poll.transitions.push_back({index, row.name, *mem.oper_status, *row.oper_status});
    if (row.oper_status) mem.oper_status = row.oper_status;
    kept.emplace(index, mem);
    poll.interfaces.push_back(std::move(row));
  }
  m_interfaces = std::move(kept);
  return poll;
}

}  // namespace tt::snmp
