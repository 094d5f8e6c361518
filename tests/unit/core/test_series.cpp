#include <doctest/doctest.h>

#include <string>

#include "core/series.h"

using namespace tt;

TEST_CASE("packed labels: round-trip, lookups and one hash with the unpacked form") {
  LabelSet ls{{"__name__", "probe_icmp_rtt_seconds"},
              {"check", std::string(300, 'c')},  // a length past one varint byte
              {"kind", "icmp"},
              {"note", std::string("a\0b\xe2\x82\xac", 6)},  // any bytes, NUL too
              {"stat", "avg"}};
  PackedLabels p(ls);
  CHECK(p.unpack() == ls);
  CHECK(p.equals(ls));
  CHECK(p.value_of("kind") == "icmp");
  CHECK(p.value_of("check").size() == 300);
  CHECK(p.value_of("absent").empty());
  CHECK(hash_labels(p) == hash_labels(ls));
  CHECK(PackedLabels(ls) == p);

  auto other = ls;
  other[4].value = "max";
  CHECK_FALSE(p.equals(other));
  CHECK_FALSE(PackedLabels(other) == p);
  other.pop_back();
  CHECK_FALSE(p.equals(other));  // a prefix is not the same set
  CHECK_FALSE(PackedLabels(other).equals(ls));

  CHECK(PackedLabels(LabelSet{}).unpack().empty());
  CHECK(PackedLabels().empty());
  CHECK(PackedLabels().value_of("x").empty());
  // The text and a few bytes: the LabelSet took 64 bytes a label besides its long strings.
  CHECK(p.memory_bytes() < 300 + 60 + 64);
  // With the store's id in the same block: a shared object of its own took 48 bytes more.
  PackedLabels up(LabelSet{{"__name__", "probe_up"}, {"check", "web-1"}});
  CHECK(up.memory_bytes() <= 80);
  CHECK(up.cached_id() == 0);
  up.cache_id(42);
  CHECK(PackedLabels(up).cached_id() == 42);
  CHECK(up == PackedLabels(LabelSet{{"__name__", "probe_up"}, {"check", "web-1"}}));  // not by id
  CHECK(PackedLabels().cached_id() == 0);
}
