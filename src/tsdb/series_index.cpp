#include "tsdb/series_index.h"

#include <algorithm>
#include <mutex>

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

std::size_t SeriesIndex::LabelSetHash::operator()(const LabelSet* ls) const {
  std::size_t h = 0xcbf29ce484222325ull;
  std::hash<std::string_view> hs;
  for (const auto& l : *ls) {
    h = (h ^ hs(l.name)) * 0x100000001b3ull;
    h = (h ^ hs(l.value)) * 0x100000001b3ull;
  }
  return h;
}

SeriesId SeriesIndex::get_or_assign(const LabelSet& labels, bool& created) {
  {
    std::shared_lock lock(m_mutex);
    if (auto it = m_by_labels.find(&labels); it != m_by_labels.end()) {
      created = false;
      return it->second;
    }
  }
  std::unique_lock lock(m_mutex);
  if (auto it = m_by_labels.find(&labels); it != m_by_labels.end()) {
    created = false;
    return it->second;
  }
  created = true;
  return assign(std::make_shared<const LabelSet>(labels));
}

SeriesId SeriesIndex::get_or_assign(const std::shared_ptr<const LabelSet>& labels, bool& created) {
  {
    std::shared_lock lock(m_mutex);
    if (auto it = m_by_labels.find(labels.get()); it != m_by_labels.end()) {
      created = false;
      return it->second;
    }
  }
  std::unique_lock lock(m_mutex);
  if (auto it = m_by_labels.find(labels.get()); it != m_by_labels.end()) {
    created = false;
    return it->second;
  }
  created = true;
  return assign(labels);
}

SeriesId SeriesIndex::assign(std::shared_ptr<const LabelSet> labels) {
  SeriesId id = m_next_id++;
  for (const auto& l : *labels) m_postings[l.name][l.value].push_back(id);  // the largest id yet
  m_by_labels.emplace(labels.get(), id);
  m_labels.emplace(id, std::move(labels));
  return id;
}

void SeriesIndex::restore(SeriesId id, LabelSet labels) {
  std::unique_lock lock(m_mutex);
  auto [it, fresh] = m_labels.try_emplace(id);
  if (!fresh) {
    // The key points at the label set about to be replaced: take it out first.
    auto key = m_by_labels.find(it->second.get());
    if (key != m_by_labels.end() && key->second == id) m_by_labels.erase(key);
  }
  it->second = std::make_shared<const LabelSet>(std::move(labels));
  for (const auto& l : *it->second) {
    auto& ids = m_postings[l.name][l.value];
    if (ids.empty() || ids.back() < id)
      ids.push_back(id);  // rows load in id order
    else if (auto at = std::lower_bound(ids.begin(), ids.end(), id); at == ids.end() || *at != id)
      ids.insert(at, id);
  }
  m_by_labels.erase(it->second.get());  // the same labels under another id: the restored one wins
  m_by_labels.emplace(it->second.get(), id);
  m_next_id = std::max(m_next_id, id + 1);
}

void SeriesIndex::reserve_through(SeriesId id) {
  std::unique_lock lock(m_mutex);
  m_next_id = std::max(m_next_id, id + 1);
}

std::optional<LabelSet> SeriesIndex::labels_of(SeriesId id) const {
  std::shared_lock lock(m_mutex);
  auto it = m_labels.find(id);
  if (it == m_labels.end()) return std::nullopt;
  return *it->second;
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
    const auto& labels = *m_labels.at(id);
    for (const auto& m : matchers) {
      std::string_view value;
      for (const auto& l : labels)
        if (l.name == m.name) value = l.value;
      if (!m.matches(value)) return false;
    }
    return true;
  };
  if (candidates) {
    for (SeriesId id : *candidates)
      if (accept(id)) out.push_back(id);
  } else {
    for (const auto& [id, labels] : m_labels)
      if (accept(id)) out.push_back(id);
    std::sort(out.begin(), out.end());
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
  return m_labels.size();
}

}  // namespace tt::tsdb
