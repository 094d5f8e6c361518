#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <random>

#include "tsdb/id_set.h"

using tt::tsdb::IdSet;

TEST_CASE("id set: finds what was inserted, through collisions, growth and erasures") {
  // Few distinct hashes, so runs of colliding slots are long and wrap around the table's end;
  // the model says which ids are in and with what hash.
  std::mt19937_64 rng(7);
  IdSet set;
  std::map<IdSet::Id, std::size_t> model;
  auto hash_of = [&](IdSet::Id id) -> std::size_t {
    return (static_cast<std::size_t>(id) % 13) * 0x9e3779b97f4a7c15ull;
  };
  IdSet::Id next = 1;
  std::size_t most = 0;
  for (int step = 0; step < 20'000; ++step) {
    if (model.empty() || rng() % 3 != 0) {
      const IdSet::Id id = next++;
      set.insert(hash_of(id), id);
      model[id] = hash_of(id);
      most = std::max(most, model.size());
    } else {
      auto it = model.begin();
      std::advance(it, static_cast<long>(rng() % model.size()));
      set.erase(it->second, it->first);
      model.erase(it);
    }
    if (step % 997 == 0) {
      for (IdSet::Id id = 1; id < next; ++id) {
        const bool in = model.contains(id);
        CHECK(set.find(hash_of(id), [&](IdSet::Id x) { return x == id; }) == (in ? id : 0));
      }
    }
  }
  CHECK(set.size() == model.size());
  // Full to between three eighths and three quarters: at most 22 bytes for each of the most ids
  // it held (it does not shrink).
  CHECK(set.memory_bytes() <= 22 * most);
  // An absent id with a present hash, and an erase of what is not there, change nothing.
  const auto before = set.size();
  set.erase(hash_of(next + 5), next + 5);
  CHECK(set.size() == before);
  CHECK(set.find(hash_of(1), [](IdSet::Id) { return false; }) == 0);
  CHECK(IdSet().find(1, [](IdSet::Id) { return true; }) == 0);
}
