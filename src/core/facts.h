// core/facts.h — the named values one probe run observed (status, latency, body, cert_days, ...),
// in base units, that conditions test and the API shows as a check's last result. A flat list:
// a run has a dozen at most, and a map would cost an allocation per name on every run of
// every check.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tt {

class Facts {
 public:
  Facts() = default;
  // The members of a JSON object (anything else gives no facts).
  explicit Facts(const nlohmann::json& object) {
    if (!object.is_object()) return;
    for (const auto& [name, value] : object.items()) (*this)[name] = value;
  }

  // The fact's value, added as null when absent. The reference lasts until the next addition.
  nlohmann::json& operator[](std::string_view name) {
    for (auto& [n, v] : m_items)
      if (n == name) return v;
    return m_items.emplace_back(std::string(name), nullptr).second;
  }
  // The fact's value, null when absent.
  const nlohmann::json& operator[](std::string_view name) const {
    static const nlohmann::json absent;
    const auto* v = find(name);
    return v ? *v : absent;
  }
  // nullptr when absent.
  const nlohmann::json* find(std::string_view name) const {
    for (const auto& [n, v] : m_items)
      if (n == name) return &v;
    return nullptr;
  }
  // Probes that know how many facts they report say so: one allocation, no slack kept per
  // check in its last result.
  void reserve(std::size_t n) { m_items.reserve(n); }
  bool contains(std::string_view name) const { return find(name) != nullptr; }
  void erase(std::string_view name) {
    std::erase_if(m_items, [&](const auto& item) { return item.first == name; });
  }
  bool empty() const { return m_items.empty(); }
  auto begin() const { return m_items.begin(); }
  auto end() const { return m_items.end(); }

 private:
  std::vector<std::pair<std::string, nlohmann::json>> m_items;
};

}  // namespace tt
