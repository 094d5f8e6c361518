// checks/conditions.h — the condition language of checks: `status == 200 && latency < 300ms`,
// parsed once against the facts a probe kind offers and evaluated against each observation.
// Pure code, no I/O; anyone may call it from any thread (a Condition is immutable once parsed).
//
// Grammar (docs/api.md has the user's view):
//   condition  := or
//   or         := and (('||' | 'or') and)*
//   and        := unary (('&&' | 'and') unary)*
//   unary      := ('!' | 'not') unary | '(' condition ')' | operand [compare operand]
//   compare    := == != < <= > >= contains !contains startswith endswith (the last three also
//                 negated with '!' or 'not ')
//   operand    := number | duration | percentage | "string" | true | false | fact
//               | json("<path>") | header("<name>") | len(operand)
// A bare operand must be boolean (or json(...), compared with true). '!' binds tighter than a
// comparison, so `!status == 200` is an error that suggests `!(status == 200)`.
#pragma once

#include <cstddef>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "probes/descriptor.h"

namespace tt::checks {

inline constexpr std::size_t kMaxConditionBytes = 4096;
inline constexpr int kMaxConditionDepth = 32;  // parentheses, '!' and function calls

struct ConditionError {
  std::size_t position = 0;  // 0-based byte offset into the text
  std::string message;
};

struct ConditionNode;  // conditions.cpp

class Condition {
 public:
  // Parses `text` against the facts a kind offers; unknown names, type mismatches (a duration
  // fact against a plain number, `<` on strings, ...) and malformed text are errors with the
  // position where they start.
  static std::optional<Condition> parse(std::string_view text,
                                        const std::vector<probes::FactSpec>& facts,
                                        ConditionError& err);

  struct Verdict {
    bool pass = false;
    std::string detail;  // for people: "latency = 412ms, wanted < 300ms"
  };
  // `facts` as probes produce them: durations in seconds, ratios 0..1, headers
  // as an object with lowercase names. A comparison that cannot be made (fact absent, body not
  // JSON, value of another type) fails, also under '!', so missing data never passes a check.
  // Never throws.
  Verdict evaluate(const Facts& facts) const;

  const std::string& text() const { return m_text; }

 private:
  Condition(std::string text, std::shared_ptr<const ConditionNode> root);

  std::string m_text;
  std::shared_ptr<const ConditionNode> m_root;  // immutable, so copies share it
};

}  // namespace tt::checks
