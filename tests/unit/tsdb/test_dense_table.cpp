#include <doctest/doctest.h>

#include <string>

#include "tsdb/dense_table.h"

using tt::tsdb::DenseTable;

TEST_CASE("dense table: values by id, stable while it grows, visited in id order") {
  DenseTable<std::string> t;
  CHECK(t.find(1) == nullptr);
  CHECK(t.find(-1) == nullptr);
  t[3] = "three";
  std::string* three = &t[3];
  CHECK(t.find(2) != nullptr);  // its page is in use: a default value
  CHECK(t.find(2)->empty());
  CHECK(t.find(DenseTable<std::string>::kPage) == nullptr);
  t[5 * DenseTable<std::string>::kPage + 1] = "far";  // grows past empty pages
  CHECK(three == &t[3]);                              // nothing moved
  CHECK(*t.find(3) == "three");
  CHECK(t.find(2 * DenseTable<std::string>::kPage) == nullptr);  // a page never used
  std::string seen;
  t.for_each([&](std::int64_t id, const std::string& v) {
    if (!v.empty()) seen += std::to_string(id) + "=" + v + " ";
  });
  CHECK(seen == "3=three " + std::to_string(5 * DenseTable<std::string>::kPage + 1) + "=far ");
  CHECK(t.memory_bytes() >= 2 * DenseTable<std::string>::kPage * sizeof(std::string));
}
