// tsdb/merge.h — internal to tsdb/: the merge of two ascending runs that the head's samples and
// the rollups' buckets share.
#pragma once

#include <cstddef>
#include <vector>

namespace tt::tsdb {

// Merges b into a, both ascending by key(x) with unique keys; for a key in both, a holds
// both(from_a, from_b) afterwards. Appends without copying a when b starts after a ends.
template <class T, class Key, class Both>
void merge_sorted(std::vector<T>& a, const std::vector<T>& b, Key key, Both both) {
  if (b.empty()) return;
  if (a.empty() || key(b.front()) > key(a.back())) {
    a.insert(a.end(), b.begin(), b.end());
    return;
  }
  std::vector<T> out;
  out.reserve(a.size() + b.size());
  std::size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    if (j == b.size() || (i < a.size() && key(a[i]) < key(b[j])))
      out.push_back(a[i++]);
    else if (i == a.size() || key(b[j]) < key(a[i]))
      out.push_back(b[j++]);
    else
      out.push_back(both(a[i++], b[j++]));
  }
  a.swap(out);
}

}  // namespace tt::tsdb
