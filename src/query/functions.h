// query/functions.h — the table of PromQL functions the parser accepts and the Engine evaluates.
// Internal to query/.
#pragma once

#include <string_view>
#include <vector>

#include "query/ast.h"

namespace tt::query {

enum class FuncId {
  // matrix -> vector
  rate,
  irate,
  increase,
  delta,
  idelta,
  changes,
  resets,
  avg_over_time,
  min_over_time,
  max_over_time,
  sum_over_time,
  count_over_time,
  last_over_time,
  quantile_over_time,
  stddev_over_time,
  stdvar_over_time,
  absent_over_time,
  present_over_time,
  // vector -> vector, elementwise
  abs,
  ceil,
  floor,
  round,
  exp,
  ln,
  log2,
  log10,
  sqrt,
  sgn,
  clamp,
  clamp_min,
  clamp_max,
  // others
  scalar,
  vector,
  time,
  absent,
};

struct FunctionInfo {
  FuncId id;
  std::string_view name;
  std::vector<ValueType> arg_types;
  int min_args;  // arguments past min_args are optional; at most arg_types.size()
  ValueType result;
  // The elementwise functions that are one <cmath> call (abs, ceil, ...): that call.
  double (*math)(double) = nullptr;
};

// nullptr when the name is not a supported function. Names are case-sensitive.
const FunctionInfo* find_function(std::string_view name);

}  // namespace tt::query
