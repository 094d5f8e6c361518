// The function table and the expression printer.
#include "query/functions.h"

#include <cmath>
#include <cstdio>

namespace tt::query {

const FunctionInfo* find_function(std::string_view name) {
  using enum ValueType;
  static const FunctionInfo kFunctions[] = {
      {FuncId::rate, "rate", {matrix}, 1, vector},
      {FuncId::irate, "irate", {matrix}, 1, vector},
      {FuncId::increase, "increase", {matrix}, 1, vector},
      {FuncId::delta, "delta", {matrix}, 1, vector},
      {FuncId::idelta, "idelta", {matrix}, 1, vector},
      {FuncId::changes, "changes", {matrix}, 1, vector},
      {FuncId::resets, "resets", {matrix}, 1, vector},
      {FuncId::avg_over_time, "avg_over_time", {matrix}, 1, vector},
      {FuncId::min_over_time, "min_over_time", {matrix}, 1, vector},
      {FuncId::max_over_time, "max_over_time", {matrix}, 1, vector},
      {FuncId::sum_over_time, "sum_over_time", {matrix}, 1, vector},
      {FuncId::count_over_time, "count_over_time", {matrix}, 1, vector},
      {FuncId::last_over_time, "last_over_time", {matrix}, 1, vector},
      {FuncId::quantile_over_time, "quantile_over_time", {scalar, matrix}, 2, vector},
      {FuncId::stddev_over_time, "stddev_over_time", {matrix}, 1, vector},
      {FuncId::stdvar_over_time, "stdvar_over_time", {matrix}, 1, vector},
      {FuncId::absent_over_time, "absent_over_time", {matrix}, 1, vector},
      {FuncId::present_over_time, "present_over_time", {matrix}, 1, vector},
      {FuncId::abs, "abs", {vector}, 1, vector, [](double x) { return std::fabs(x); }},
      {FuncId::ceil, "ceil", {vector}, 1, vector, [](double x) { return std::ceil(x); }},
      {FuncId::floor, "floor", {vector}, 1, vector, [](double x) { return std::floor(x); }},
      {FuncId::round, "round", {vector, scalar}, 1, vector},
      {FuncId::exp, "exp", {vector}, 1, vector, [](double x) { return std::exp(x); }},
      {FuncId::ln, "ln", {vector}, 1, vector, [](double x) { return std::log(x); }},
      {FuncId::log2, "log2", {vector}, 1, vector, [](double x) { return std::log2(x); }},
      {FuncId::log10, "log10", {vector}, 1, vector, [](double x) { return std::log10(x); }},
      {FuncId::sqrt, "sqrt", {vector}, 1, vector, [](double x) { return std::sqrt(x); }},
      {FuncId::sgn, "sgn", {vector}, 1, vector},
      {FuncId::clamp, "clamp", {vector, scalar, scalar}, 3, vector},
      {FuncId::clamp_min, "clamp_min", {vector, scalar}, 2, vector},
      {FuncId::clamp_max, "clamp_max", {vector, scalar}, 2, vector},
      {FuncId::scalar, "scalar", {vector}, 1, scalar},
      {FuncId::vector, "vector", {scalar}, 1, vector},
      {FuncId::time, "time", {}, 0, scalar},
      {FuncId::absent, "absent", {vector}, 1, vector},
  };
  for (const auto& f : kFunctions)
    if (f.name == name) return &f;
  return nullptr;
}

namespace {

std::string quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out + '"';
}

std::string duration(TimeMs ms) {
  if (ms == 0) return "0s";
  std::string out;
  if (ms < 0) {
    out = "-";
    ms = -ms;
  }
  for (const auto& u : kDurationUnits)
    if (ms >= u.ms) {
      out += std::to_string(ms / u.ms) + std::string(u.unit);
      ms %= u.ms;
    }
  return out;
}

std::string label_list(const std::vector<std::string>& ls) {
  std::string out = "(";
  for (std::size_t i = 0; i < ls.size(); ++i) out += (i ? ", " : "") + ls[i];
  return out + ")";
}

}  // namespace

std::string to_string(const Expr& e) {
  switch (e.kind) {
    case ExprKind::number: {
      if (std::isnan(e.number)) return "NaN";
      if (std::isinf(e.number)) return e.number > 0 ? "Inf" : "-Inf";
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.17g", e.number);
      return buf;
    }
    case ExprKind::string:
      return quote(e.text);
    case ExprKind::vector_selector:
    case ExprKind::matrix_selector: {
      std::string out = e.text;
      std::string inner;
      for (const auto& m : e.matchers) {
        if (!e.text.empty() && m.name == kMetricNameLabel && m.op == MatchOp::equal &&
            m.value == e.text)
          continue;
        static const char* kOps[] = {"=", "!=", "=~", "!~"};
        if (!inner.empty()) inner += ", ";
        inner += m.name + kOps[static_cast<int>(m.op)] + quote(m.value);
      }
      if (!inner.empty() || out.empty()) out += "{" + inner + "}";
      if (e.kind == ExprKind::matrix_selector) out += "[" + duration(e.range_ms) + "]";
      if (e.has_offset) out += " offset " + duration(e.offset_ms);
      return out;
    }
    case ExprKind::call: {
      std::string out = e.text + "(";
      for (std::size_t i = 0; i < e.args.size(); ++i)
        out += (i ? ", " : "") + to_string(*e.args[i]);
      return out + ")";
    }
    case ExprKind::aggregate: {
      std::string out = aggop_name(e.agg);
      if (e.without || !e.grouping.empty())
        out += std::string(e.without ? " without " : " by ") + label_list(e.grouping);
      out += " (";
      if (e.param) out += to_string(*e.param) + ", ";
      return out + to_string(*e.expr) + ")";
    }
    case ExprKind::binary: {
      std::string out = "(" + to_string(*e.lhs) + " " + binop_name(e.op);
      if (e.return_bool) out += " bool";
      if (e.has_matching) {
        out += std::string(e.matching.on ? " on" : " ignoring") + label_list(e.matching.labels);
        if (e.matching.card == Cardinality::many_to_one)
          out += " group_left" + label_list(e.matching.include);
        if (e.matching.card == Cardinality::one_to_many)
          out += " group_right" + label_list(e.matching.include);
      }
      return out + " " + to_string(*e.rhs) + ")";
    }
    case ExprKind::unary_minus:
      return "-" + to_string(*e.lhs);
    case ExprKind::paren:
      return e.lhs->kind == ExprKind::binary ? to_string(*e.lhs) : "(" + to_string(*e.lhs) + ")";
  }
  return "";
}

}  // namespace tt::query
