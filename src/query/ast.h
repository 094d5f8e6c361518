// query/ast.h — the PromQL syntax tree produced by parse_expr() and read by the Engine.
// Nodes are immutable once parsed; an expression may be evaluated many times and concurrently.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "query/query.h"

namespace tt::query {

// PromQL's duration units, largest first: a duration spells each at most once, in this order
// (parsed by the lexer, written back when an expression is printed).
struct DurationUnit {
  std::string_view unit;
  TimeMs ms;
};
inline constexpr DurationUnit kDurationUnits[] = {{"y", 365LL * 86400000},
                                                  {"w", 7LL * 86400000},
                                                  {"d", 86400000},
                                                  {"h", 3600000},
                                                  {"m", 60000},
                                                  {"s", 1000},
                                                  {"ms", 1}};

enum class ValueType { scalar, vector, matrix, string };
const char* value_type_name(ValueType t);

enum class ExprKind {
  number,
  string,
  vector_selector,
  matrix_selector,
  call,
  aggregate,
  binary,
  unary_minus,
  paren
};

enum class BinOp { add, sub, mul, div, mod, pow, eq, ne, gt, lt, ge, le, land, lor, lunless };
bool is_comparison(BinOp op);
bool is_set_op(BinOp op);
const char* binop_name(BinOp op);

enum class AggOp { sum, avg, min, max, count, group, stddev, stdvar, topk, bottomk, quantile };
const char* aggop_name(AggOp op);

enum class Cardinality { one_to_one, many_to_one, one_to_many, many_to_many };

// How the two sides of a vector/vector binary operation are paired.
struct VectorMatching {
  Cardinality card = Cardinality::one_to_one;
  bool on = false;                   // true: match on `labels` only; false: ignore `labels`
  std::vector<std::string> labels;   // on(...) / ignoring(...)
  std::vector<std::string> include;  // group_left(...) / group_right(...) extra labels
};

struct FunctionInfo;  // query/functions.h

struct Expr {
  ExprKind kind = ExprKind::number;
  std::size_t pos = 0;  // byte offset in the query text, for messages
  int depth = 1;        // height of the subtree, bounded by kMaxParseDepth

  double number = 0;  // number
  std::string text;   // string literal; metric name of a selector (may be empty)

  // vector_selector / matrix_selector
  std::vector<Matcher> matchers;
  TimeMs offset_ms = 0;
  TimeMs range_ms = 0;  // matrix_selector only
  bool has_offset = false;

  // call
  const FunctionInfo* func = nullptr;
  std::vector<ExprPtr> args;  // call arguments; aggregate: [param?, expr] see below

  // aggregate: `expr` is the aggregated vector, `param` the k/quantile parameter (or null)
  AggOp agg = AggOp::sum;
  bool without = false;
  std::vector<std::string> grouping;
  ExprPtr param;

  // binary: lhs, rhs; unary_minus / paren: lhs
  BinOp op = BinOp::add;
  bool return_bool = false;
  VectorMatching matching;
  bool has_matching = false;  // on(...) or ignoring(...) was written
  ExprPtr lhs, rhs;
  ExprPtr expr;  // aggregate operand

  ValueType type() const;
};

}  // namespace tt::query
