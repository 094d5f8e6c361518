#include "tsdb/series_index.h"

#include <algorithm>
#include <mutex>
#include <type_traits>

#include "core/metrics.h"

namespace tt::tsdb {

std::string canonical_labels(const LabelSet& sorted) {
  std::string out;
  auto append = [&](const Label& l) {
    if (!out.empty()) out += ',';
    out += l.name;
    out += "=\"";
    metrics::append_escaped_label_value(out, l.value);
    out += '"';
  };
  for (const auto& l : sorted)
    if (l.name == kMetricNameLabel) append(l);
  for (const auto& l : sorted)
    if (l.name != kMetricNameLabel) append(l);
  return out;
}

Result<LabelSet> parse_canonical_labels(std::string_view text) {
  LabelSet out;
  std::size_t i = 0;
  auto bad = [&] {
    return Error::make(ErrorKind::internal, "SERIES_CORRUPT",
                       "unreadable series labels: " + std::string(text));
  };
  while (i < text.size()) {
    auto eq = text.find("=\"", i);
    if (eq == std::string_view::npos) return bad();
    Label l{std::string(text.substr(i, eq - i)), {}};
    i = eq + 2;
    for (;; ++i) {
      if (i >= text.size()) return bad();
      char c = text[i];
      if (c == '"') break;
      if (c == '\\') {
        if (++i >= text.size()) return bad();
        c = text[i] == 'n' ? '\n' : text[i];
      }
      l.value += c;
    }
    ++i;  // closing quote
    out.push_back(std::move(l));
    if (i < text.size()) {
      if (text[i] != ',') return bad();
      ++i;
    }
  }
  sort_labels(out);
  return out;
}

template <class Labels>
SeriesId SeriesIndex::find(const Labels& labels, std::size_t hash) const {
  return m_ids.find(hash, [&](SeriesId id) {
    if constexpr (std::is_same_v<Labels, PackedLabels>)
      return m_labels[id] == labels;
    else
      return m_labels[id].equals(labels);
  });
}

template <class Labels>
SeriesId SeriesIndex::get_or_assign_impl(const Labels& labels, bool& created) {
  const std::size_t hash = hash_labels(labels);
  created = false;
  {
    std::shared_lock lock(m_mutex);
    if (auto id = find(labels, hash)) return id;
  }
  std::unique_lock lock(m_mutex);
  if (auto id = find(labels, hash)) return id;
  created = true;
  if constexpr (std::is_same_v<Labels, PackedLabels>)
    return assign(labels, hash);
  else
    return assign(PackedLabels(labels), hash);
}

SeriesId SeriesIndex::get_or_assign(const LabelSet& labels, bool& created) {
  return get_or_assign_impl(labels, created);
}

SeriesId SeriesIndex::get_or_assign(const PackedLabels& labels, bool& created) {
  return get_or_assign_impl(labels, created);
}

void SeriesIndex::add_postings(SeriesId id, const PackedLabels& labels) {
  labels.for_each([&](std::string_view name, std::string_view value) {
    auto names = m_postings.find(name);
    if (names == m_postings.end()) {
      names = m_postings.emplace(std::string(name), decltype(names->second){}).first;
      m_postings_bytes += 64 + name.size();
    }
    auto values = names->second.find(value);
    if (values == names->second.end()) {
      values = names->second.emplace(std::string(value), std::vector<SeriesId>{}).first;
      m_postings_bytes += 96 + value.size();
    }
    auto& ids = values->second;
    m_postings_bytes -= ids.capacity() * sizeof(SeriesId);
    if (ids.empty() || ids.back() < id)
      ids.push_back(id);  // new series and rows loaded in id order
    else if (auto at = std::lower_bound(ids.begin(), ids.end(), id); at == ids.end() || *at != id)
      ids.insert(at, id);
    m_postings_bytes += ids.capacity() * sizeof(SeriesId);
  });
}

SeriesId SeriesIndex::assign(PackedLabels labels, std::size_t hash) {
  SeriesId id = m_next_id++;
  add_postings(id, labels);
  if (m_labels.size() <= static_cast<std::size_t>(id)) m_labels.resize(id + 1);
  m_labels_bytes += labels.memory_bytes();
  m_labels[id] = std::move(labels);
  ++m_count;
  m_ids.insert(hash, id);
  return id;
}

void SeriesIndex::restore(SeriesId id, LabelSet labels) {
  std::unique_lock lock(m_mutex);
  PackedLabels packed(labels);
  const std::size_t hash = hash_labels(packed);
  if (m_labels.size() <= static_cast<std::size_t>(id)) m_labels.resize(id + 1);
  if (!m_labels[id].empty()) {
    m_ids.erase(hash_labels(m_labels[id]), id);  // hashed by the labels about to be replaced
    m_labels_bytes -= m_labels[id].memory_bytes();
    --m_count;
  }
  // The same labels under another id: the restored one wins.
  if (auto other = find(packed, hash)) m_ids.erase(hash, other);
  m_labels_bytes += packed.memory_bytes();
  m_labels[id] = std::move(packed);
  ++m_count;
  m_ids.insert(hash, id);
  add_postings(id, m_labels[id]);
  m_next_id = std::max(m_next_id, id + 1);
}

void SeriesIndex::reserve_through(SeriesId id) {
  std::unique_lock lock(m_mutex);
  m_next_id = std::max(m_next_id, id + 1);
}

std::optional<LabelSet> SeriesIndex::labels_of(SeriesId id) const {
  std::shared_lock lock(m_mutex);
  if (id <= 0 || static_cast<std::size_t>(id) >= m_labels.size() || m_labels[id].empty())
    return std::nullopt;
  return m_labels[id].unpack();
}

std::vector<SeriesId> SeriesIndex::select(const std::vector<query::Matcher>& matchers) const {
  std::shared_lock lock(m_mutex);
  // Matchers that reject the empty value narrow the candidates through the postings; every
  // matcher is then checked on the candidates' labels.
  std::optional<std::vector<SeriesId>> candidates;
  for (const auto& m : matchers) {
    if (m.matches("")) continue;  // matches absent labels too: cannot narrow by postings
    auto name_it = m_postings.find(m.name);
    std::vector<SeriesId> ids;
    if (name_it != m_postings.end()) {
      if (m.op == query::MatchOp::equal) {
        if (auto v = name_it->second.find(m.value); v != name_it->second.end()) ids = v->second;
      } else {
        for (const auto& [value, list] : name_it->second)
          if (m.matches(value)) ids.insert(ids.end(), list.begin(), list.end());
        std::sort(ids.begin(), ids.end());  // a series has one value per name: no duplicates
      }
    }
    if (candidates) {
      std::vector<SeriesId> both;
      std::set_intersection(candidates->begin(), candidates->end(), ids.begin(), ids.end(),
                            std::back_inserter(both));
      ids.swap(both);
    }
    candidates = std::move(ids);
  }
  std::vector<SeriesId> out;
  auto accept = [&](SeriesId id) {
    const auto& labels = m_labels[id];
    for (const auto& m : matchers)
      if (!m.matches(labels.value_of(m.name))) return false;
    return true;
  };
  if (candidates) {
    for (SeriesId id : *candidates)
      if (accept(id)) out.push_back(id);
  } else {
    for (std::size_t id = 1; id < m_labels.size(); ++id)
      if (!m_labels[id].empty() && accept(static_cast<SeriesId>(id))) out.push_back(id);
  }
  return out;
}

std::vector<std::string> SeriesIndex::label_names() const {
  std::shared_lock lock(m_mutex);
  std::vector<std::string> out;
  for (const auto& [name, values] : m_postings) out.push_back(name);
  return out;
}

std::vector<std::string> SeriesIndex::label_values(const std::string& name) const {
  std::shared_lock lock(m_mutex);
  std::vector<std::string> out;
  if (auto it = m_postings.find(name); it != m_postings.end())
    for (const auto& [value, ids] : it->second) out.push_back(value);
  return out;
}

std::size_t SeriesIndex::size() const {
  std::shared_lock lock(m_mutex);
  return m_count;
}

std::size_t SeriesIndex::memory_bytes() const {
  std::shared_lock lock(m_mutex);
  return m_labels.capacity() * sizeof(PackedLabels) + m_labels_bytes + m_postings_bytes +
         m_ids.memory_bytes();
}

}  // namespace tt::tsdb
