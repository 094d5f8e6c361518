#include "snmp/interfaces.h"

#include <doctest/doctest.h>

using namespace tt::snmp;

namespace {

constexpr double k2to32 = 4294967296.0;

// The columns of kPollColumns in order, for one walk.
enum Col {
  name,
  admin,
  oper,
  hc_in,
  hc_out,
  in32,
  out32,
  in_err,
  out_err,
  in_disc,
  out_disc,
  kCols
};

struct Walk {
  std::vector<std::vector<VarBind>> columns = std::vector<std::vector<VarBind>>(kCols);
  Walk& add(Col c, std::uint32_t index, Value v) {
    Oid oid = kPollColumns[c];
    oid.push_back(index);
    columns[c].push_back({oid, std::move(v)});
    return *this;
  }
  Walk& c32(Col c, std::uint32_t index, std::uint64_t v) {
    return add(c, index, Value::make_unsigned(Type::counter32, v));
  }
  Walk& c64(Col c, std::uint32_t index, std::uint64_t v) {
    return add(c, index, Value::make_unsigned(Type::counter64, v));
  }
  Walk& status(Col c, std::uint32_t index, std::int64_t v) {
    return add(c, index, Value::make_integer(v));
  }
};

double in_octets(const Poll& p, std::size_t i = 0) { return *p.interfaces.at(i).totals[0]; }
CounterStep in_step(const Poll& p, std::size_t i = 0) { return p.interfaces.at(i).steps[0]; }

}  // namespace

TEST_CASE("snmp counters: advance, wrap of 32-bit values, reset on restart and on a 64-bit drop") {
  CounterMemory m;
  CHECK(advance(m, 100, false, false) == CounterStep::first);
  CHECK(m.total == 100);
  CHECK(advance(m, 150, false, false) == CounterStep::advanced);
  CHECK(m.total == 150);
  // 32-bit: down without a restart is a wrap: 2^32 - 150 + 20 more.
  CHECK(advance(m, 20, false, false) == CounterStep::wrapped);
  CHECK(m.total == k2to32 + 20);
  CHECK(advance(m, 30, false, false) == CounterStep::advanced);
  CHECK(m.total == k2to32 + 30);
  // A restart starts the total over at the raw value, even when raw went up.
  CHECK(advance(m, 40, false, true) == CounterStep::reset);
  CHECK(m.total == 40);

  CounterMemory w;
  CHECK(advance(w, 1'000'000'000'000, true, false) == CounterStep::first);
  CHECK(advance(w, 5, true, false) ==
        CounterStep::reset);  // a Counter64 that went down was cleared
  CHECK(w.total == 5);
  CHECK(advance(w, 7, false, false) == CounterStep::reset);  // now a Counter32: another counter
  CHECK(w.total == 7);
}

TEST_CASE("snmp interfaces: 64-bit columns win, 32-bit fill in, names and statuses are read") {
  InterfaceMemory mem;
  Walk w;
  w.add(name, 1, Value::make_bytes(Type::octet_string, "lo"))
      .status(admin, 1, 1)
      .status(oper, 1, 1)
      .status(admin, 2, 1)
      .status(oper, 2, 2)
      .c64(hc_in, 1, 5'000'000'000)
      .c32(in32, 1, 705'032'704)
      .c32(in32, 2, 42)
      .c64(hc_out, 1, 10)
      .c32(out32, 1, 10)
      .c32(in_err, 2, 3);
  auto p = mem.apply(100, w.columns);
  REQUIRE(p.interfaces.size() == 2);
  CHECK(p.interfaces[0].name == "lo");
  CHECK(p.interfaces[1].name == "if2");  // no ifName
  CHECK(in_octets(p, 0) == 5'000'000'000);
  CHECK(in_octets(p, 1) == 42);
  CHECK(*p.interfaces[0].totals[1] == 10);
  CHECK_FALSE(p.interfaces[0].totals[2]);  // no ifInErrors for 1
  CHECK(*p.interfaces[1].totals[2] == 3);
  CHECK(p.interfaces[1].oper_status == 2);
  CHECK(p.transitions.empty());  // nothing to compare with yet
  CHECK_FALSE(p.restarted);
}

TEST_CASE(
    "snmp interfaces: a 32-bit wrap keeps the total monotonic; sysUpTime going back is a reset") {
  InterfaceMemory mem;
  auto poll = [&](std::uint64_t uptime, std::uint64_t in) {
    return mem.apply(uptime, Walk().c32(in32, 3, in).columns);
  };
  CHECK(in_octets(poll(1000, 4'294'967'000)) == 4'294'967'000);
  auto wrapped = poll(2000, 700);  // 296 to the top, 700 past it
  CHECK(in_step(wrapped) == CounterStep::wrapped);
  CHECK(in_octets(wrapped) == 4'294'967'000 + 296 + 700);
  CHECK_FALSE(wrapped.restarted);
  auto restarted = poll(50, 900);  // the agent restarted: 900 since then
  CHECK(restarted.restarted);
  CHECK(in_step(restarted) == CounterStep::reset);
  CHECK(in_octets(restarted) == 900);
  auto after = poll(150, 1900);
  CHECK(in_step(after) == CounterStep::advanced);
  CHECK(in_octets(after) == 1900);
}

TEST_CASE("snmp interfaces: up/down transitions, and interfaces that vanish are forgotten") {
  InterfaceMemory mem;
  auto poll = [&](std::int64_t st1, std::optional<std::int64_t> st2) {
    Walk w;
    w.status(oper, 1, st1).add(name, 1, Value::make_bytes(Type::octet_string, "eth0"));
    if (st2) w.status(oper, 2, *st2);
    return mem.apply(10, w.columns);
  };
  CHECK(poll(1, 1).transitions.empty());
  auto down = poll(2, 1);
  REQUIRE(down.transitions.size() == 1);
  CHECK(down.transitions[0].index == 1);
  CHECK(down.transitions[0].name == "eth0");
  CHECK(down.transitions[0].from == 1);
  CHECK(down.transitions[0].to == 2);
  CHECK(poll(7, 1).transitions.empty());  // down to lowerLayerDown: neither is up
  auto up = poll(1, std::nullopt);
  REQUIRE(up.transitions.size() == 1);
  CHECK(up.transitions[0].to == 1);
  CHECK(poll(1, 2).transitions.empty());  // interface 2 came back: no memory of it
}
