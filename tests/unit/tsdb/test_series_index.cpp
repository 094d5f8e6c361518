#include <doctest/doctest.h>

#include "tsdb/series_index.h"

using namespace tt;
using namespace tt::tsdb;

namespace {

LabelSet labels(std::initializer_list<Label> ls) {
  LabelSet out(ls);
  sort_labels(out);
  return out;
}

query::Matcher is(const char* name, query::MatchOp op, const char* value) {
  return query::make_matcher(name, op, value).value();
}

}  // namespace

TEST_CASE("series index: a label set and its packed form find one id; restores keep theirs") {
  SeriesIndex index;
  auto up_a = labels({{"__name__", "probe_up"}, {"check", "a"}});
  auto up_b = labels({{"__name__", "probe_up"}, {"check", "b"}, {"node", "gw1"}});
  bool created = false;
  const SeriesId a = index.get_or_assign(up_a, created);
  CHECK(created);
  CHECK(index.get_or_assign(PackedLabels(up_a), created) == a);
  CHECK_FALSE(created);
  const SeriesId b = index.get_or_assign(PackedLabels(up_b), created);
  CHECK(created);
  CHECK(b != a);
  CHECK(index.get_or_assign(up_b, created) == b);
  CHECK(index.labels_of(b) == up_b);
  CHECK_FALSE(index.labels_of(0));
  CHECK_FALSE(index.labels_of(999));

  // Rows loaded from the database, with gaps in their ids; a later id for the same labels wins.
  index.restore(10, labels({{"__name__", "x"}}));
  index.restore(12, labels({{"__name__", "x"}}));
  CHECK(index.get_or_assign(labels({{"__name__", "x"}}), created) == 12);
  CHECK_FALSE(created);
  CHECK(index.labels_of(10));  // still readable by its id
  CHECK(index.get_or_assign(labels({{"__name__", "y"}}), created) == 13);
  CHECK(index.size() == 5);
  CHECK(index.memory_bytes() > 0);

  using query::MatchOp;
  CHECK(index.select({is("__name__", MatchOp::equal, "probe_up")}) == std::vector<SeriesId>{a, b});
  CHECK(index.select({is("node", MatchOp::equal, "")}) ==
        std::vector<SeriesId>{a, 10, 12, 13});  // absent labels match the empty value
  CHECK(index.select({is("check", MatchOp::regex, "b|c")}) == std::vector<SeriesId>{b});
  CHECK(index.label_values("check") == std::vector<std::string>{"a", "b"});
}
