// checks/condition_ast.h — internal to checks/: the parsed form of a condition, shared by the
// parser (conditions.cpp) and the evaluator (condition_eval.cpp), and the formatting both use
// for messages (condition_format.cpp). Not for other subsystems.
#pragma once

#include <cstddef>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace tt::checks {

using nlohmann::json;

// A value's type as far as the parser knows it; `dynamic` (json()) is only known at evaluation.
enum class ValueType { number, duration, ratio, string, boolean, dynamic };

enum class Op {
  eq,
  ne,
  lt,
  le,
  gt,
  ge,
  contains,
  not_contains,
  starts,
  not_starts,
  ends,
  not_ends
};

using PathStep = std::variant<std::string, std::size_t>;

struct Operand {
  enum class Kind { literal, fact, json, header, value, len };
  Kind kind = Kind::literal;
  ValueType type = ValueType::number;
  std::string source;            // as written, for details: latency, json("$.a"), 300ms
  std::size_t pos = 0;           // where it starts in the text
  json literal;                  // literal: the value in base units (seconds, 0..1)
  std::string name;              // fact name; header name in lowercase; oid() name
  std::vector<PathStep> path;    // json
  std::unique_ptr<Operand> arg;  // len
};

struct ConditionNode {
  enum class Kind { all, any, negate, compare };
  Kind kind = Kind::compare;
  std::vector<ConditionNode> children;  // all, any: two or more; negate: one
  Operand lhs, rhs;
  Op op = Op::eq;
};

std::string_view op_text(Op op);          // ==, not contains, ...
Op negated(Op op);                        // the operator that holds exactly when `op` does not
Op mirrored(Op op);                       // `a op b` == `b mirrored(op) a`
bool is_string_op(Op op);                 // contains, startswith, endswith and their negations
bool is_order_op(Op op);                  // < <= > >=
std::string_view type_name(ValueType t);  // "a duration"
std::string format_number(double v);      // shortest round-trip spelling
// Quoted, escaped, and cut to 80 bytes on a UTF-8 boundary.
std::string quote(std::string_view s);
// A value as people read it; numbers in the unit of `as`: 412ms, 1.2s, 25%, 200.
std::string format_value(const json& v, ValueType as);
std::string format_path(const std::vector<PathStep>& path);  // $.a["b c"][2]
// `s` cut to at most `max_bytes` on a UTF-8 boundary, with "…" when cut; messages quote the
// user's text, which may be 4 KiB long.
std::string shorten(std::string_view s, std::size_t max_bytes);

}  // namespace tt::checks
