// Evaluation: Prometheus 2.42 semantics for the subset in query.h. Selectors are fetched from
// Storage once per query (for the whole time span), then every step slices them in memory.
// Instant-vector lookback and range windows are closed intervals, [t-d, t], as in Prometheus 2.x.
#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <unordered_map>

#include "query/ast.h"
#include "query/functions.h"

namespace tt::query {
namespace {

Error eval_error(const std::string& msg) {
  return Error::make(ErrorKind::validation, "BAD_QUERY", msg);
}
Error limit_error(const std::string& msg) {
  return Error::make(ErrorKind::too_large, "QUERY_TOO_LARGE", msg);
}

TimeMs sat_sub(TimeMs a, TimeMs b) {
  TimeMs r;
  if (__builtin_sub_overflow(a, b, &r)) return b > 0 ? INT64_MIN : INT64_MAX;
  return r;
}

// Go's math.Max / math.Min: NaN wins, unlike std::fmax.
double go_max(double a, double b) {
  if (std::isinf(a) && a > 0) return a;
  if (std::isinf(b) && b > 0) return b;
  if (std::isnan(a) || std::isnan(b)) return NAN;
  return a > b ? a : b;
}
double go_min(double a, double b) {
  if (std::isinf(a) && a < 0) return a;
  if (std::isinf(b) && b < 0) return b;
  if (std::isnan(a) || std::isnan(b)) return NAN;
  return a < b ? a : b;
}

void kahan_inc(double inc, double& sum, double& c) {
  double t = sum + inc;
  if (std::fabs(sum) >= std::fabs(inc))
    c += (sum - t) + inc;
  else
    c += (inc - t) + sum;
  sum = t;
}

double quantile(double q, std::vector<double> values) {
  if (values.empty() || std::isnan(q)) return NAN;
  if (q < 0) return -HUGE_VAL;
  if (q > 1) return HUGE_VAL;
  std::sort(values.begin(), values.end(),
            [](double a, double b) { return a < b || (std::isnan(a) && !std::isnan(b)); });
  double n = static_cast<double>(values.size());
  double rank = q * (n - 1);
  double lower = std::max(0.0, std::floor(rank));
  double upper = std::min(n - 1, lower + 1);
  double weight = rank - std::floor(rank);
  return values[static_cast<std::size_t>(lower)] * (1 - weight) +
         values[static_cast<std::size_t>(upper)] * weight;
}

LabelSet drop_name(LabelSet ls) {
  std::erase_if(ls, [](const Label& l) { return l.name == kMetricNameLabel; });
  return ls;
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// The labels a vector/vector operation matches on.
LabelSet signature(const LabelSet& ls, bool on, const std::vector<std::string>& names) {
  LabelSet out;
  for (const auto& l : ls) {
    bool listed = contains(names, l.name);
    if (on ? listed : (!listed && l.name != kMetricNameLabel)) out.push_back(l);
  }
  return out;
}

void set_label(LabelSet& ls, const std::string& name, const std::string& value) {
  auto it = std::lower_bound(ls.begin(), ls.end(), name,
                             [](const Label& l, const std::string& n) { return l.name < n; });
  if (it != ls.end() && it->name == name) {
    if (value.empty())
      ls.erase(it);
    else
      it->value = value;
  } else if (!value.empty()) {
    ls.insert(it, Label{name, value});
  }
}

std::string get_label(const LabelSet& ls, std::string_view name) {
  for (const auto& l : ls)
    if (l.name == name) return l.value;
  return {};
}

bool less_labels(const InstantSample& a, const InstantSample& b) { return a.labels < b.labels; }

// The labels absent() reports: equality matchers other than __name__, minus names that also
// appear in any other matcher (Prometheus' createLabelsForAbsentFunction).
LabelSet absent_labels(const Expr& arg) {
  LabelSet out;
  if (arg.kind != ExprKind::vector_selector && arg.kind != ExprKind::matrix_selector) return out;
  std::vector<std::string> drop;
  for (const auto& m : arg.matchers) {
    if (m.name == kMetricNameLabel) continue;
    if (m.op == MatchOp::equal && get_label(out, m.name).empty())
      set_label(out, m.name, m.value);
    else
      drop.push_back(m.name);
  }
  for (const auto& d : drop) set_label(out, d, "");
  return out;
}

double arith(BinOp op, double l, double r) {
  switch (op) {
    case BinOp::add:
      return l + r;
    case BinOp::sub:
      return l - r;
    case BinOp::mul:
      return l * r;
    case BinOp::div:
      return l / r;
    case BinOp::mod:
      return std::fmod(l, r);
    case BinOp::pow:
      return std::pow(l, r);
    default:
      return NAN;
  }
}

bool compare(BinOp op, double l, double r) {
  switch (op) {
    case BinOp::eq:
      return l == r;
    case BinOp::ne:
      return l != r;
    case BinOp::gt:
      return l > r;
    case BinOp::lt:
      return l < r;
    case BinOp::ge:
      return l >= r;
    case BinOp::le:
      return l <= r;
    default:
      return false;
  }
}

// Prometheus' vectorElemBinop: (value, keep).
std::pair<double, bool> elem_binop(BinOp op, double l, double r) {
  if (is_comparison(op)) return {l, compare(op, l, r)};
  return {arith(op, l, r), true};
}

// One query's evaluation state. Not shared between threads.
class Evaluator {
 public:
  Evaluator(Storage& storage, const EngineOptions& opts) : m_storage(storage), m_opts(opts) {}

  Result<void> prefetch(const Expr& e, TimeMs start, TimeMs end) {
    if (start == end && streams(e)) return reduce_while_reading(e, start);
    switch (e.kind) {
      case ExprKind::vector_selector:
      case ExprKind::matrix_selector: {
        if (m_data.count(&e)) return ok();
        auto r = m_storage.select(e.matchers, window(e, start).from, window(e, end).to);
        if (!r) return r.error();
        m_series += static_cast<std::int64_t>(r->size());
        if (m_series > m_opts.limits.max_series)
          return limit_error("query selects more than " + std::to_string(m_opts.limits.max_series) +
                             " series");
        for (const auto& s : r.value()) TT_TRY(touch(static_cast<std::int64_t>(s.samples.size())));
        m_data.emplace(&e, std::move(r.value()));
        return ok();
      }
      default:
        break;
    }
    for (const auto* c : {&e.lhs, &e.rhs, &e.expr, &e.param})
      if (*c) TT_TRY(prefetch(**c, start, end));
    for (const auto& a : e.args) TT_TRY(prefetch(*a, start, end));
    return ok();
  }

  Result<Value> eval(const Expr& e, TimeMs t) {
    switch (e.kind) {
      case ExprKind::number:
        return Value(Scalar{e.number});
      case ExprKind::string:
        return Value(String{e.text});
      case ExprKind::paren:
        return eval(*e.lhs, t);
      case ExprKind::vector_selector:
        return select_vector(e, t);
      case ExprKind::matrix_selector: {
        auto m = select_matrix(e, t);
        if (!m) return m.error();
        return Value(std::move(m.value()));
      }
      case ExprKind::unary_minus: {
        auto v = eval(*e.lhs, t);
        if (!v) return v;
        if (auto* s = std::get_if<Scalar>(&v.value())) return Value(Scalar{-s->value});
        Vector out = std::get<Vector>(std::move(v.value()));
        for (auto& s : out) {
          s.labels = drop_name(std::move(s.labels));
          s.value = -s.value;
        }
        TT_TRY(check_unique(out));
        return Value(std::move(out));
      }
      case ExprKind::binary:
        return eval_binary(e, t);
      case ExprKind::aggregate:
        return eval_aggregate(e, t);
      case ExprKind::call:
        return eval_call(e, t);
    }
    return eval_error("unknown expression");
  }

 private:
  // The sample times a selector reads when evaluated at t: [t - offset - range, t - offset],
  // with the look-back as the range of an instant selector.
  struct Window {
    TimeMs from, to;
  };
  Window window(const Expr& e, TimeMs t) const {
    TimeMs to = sat_sub(t, e.offset_ms);
    return {sat_sub(to, e.kind == ExprKind::matrix_selector ? e.range_ms : m_opts.lookback_ms), to};
  }

  Result<void> touch(std::int64_t n) {
    m_samples += n;
    if (m_samples > m_opts.limits.max_samples)
      return limit_error("query touches more than " + std::to_string(m_opts.limits.max_samples) +
                         " samples");
    return ok();
  }

  static Result<void> check_unique(Vector& v) {
    std::sort(v.begin(), v.end(), less_labels);
    for (std::size_t i = 1; i < v.size(); ++i)
      if (v[i].labels == v[i - 1].labels)
        return eval_error("vector cannot contain metrics with the same labelset " +
                          format_labels(v[i].labels));
    return ok();
  }

  Result<Value> select_vector(const Expr& e, TimeMs t) {
    Vector out;
    auto [min_t, ref] = window(e, t);
    for (const auto& s : m_data.at(&e)) {
      auto it = first_after(s.samples.begin(), s.samples.end(), ref);
      if (it == s.samples.begin()) continue;
      --it;
      if (it->t < min_t || is_stale_nan(it->v)) continue;
      out.push_back(InstantSample{s.labels, it->v});
    }
    TT_TRY(touch(static_cast<std::int64_t>(out.size())));
    return Value(std::move(out));
  }

  // Samples in [t - offset - range, t - offset], stale markers dropped; series without
  // samples in the window are left out.
  Result<Matrix> select_matrix(const Expr& e, TimeMs t) {
    Matrix out;
    auto [min_t, ref] = window(e, t);
    for (const auto& s : m_data.at(&e)) {
      auto lo = first_at_or_after(s.samples.begin(), s.samples.end(), min_t);
      auto hi = first_after(lo, s.samples.end(), ref);
      SeriesData sd{s.labels, {}};
      for (auto it = lo; it != hi; ++it)
        if (!is_stale_nan(it->v)) sd.samples.push_back(*it);
      TT_TRY(touch(static_cast<std::int64_t>(sd.samples.size())));
      if (!sd.samples.empty()) out.push_back(std::move(sd));
    }
    return out;
  }

  // ---- binary operators -----------------------------------------------------------------

  Result<Value> eval_binary(const Expr& e, TimeMs t) {
    auto l = eval(*e.lhs, t);
    if (!l) return l;
    auto r = eval(*e.rhs, t);
    if (!r) return r;
    auto* ls = std::get_if<Scalar>(&l.value());
    auto* rs = std::get_if<Scalar>(&r.value());
    if (ls && rs) {
      if (is_comparison(e.op))
        return Value(Scalar{compare(e.op, ls->value, rs->value) ? 1.0 : 0.0});
      return Value(Scalar{arith(e.op, ls->value, rs->value)});
    }
    if (ls || rs) {
      bool swap = ls != nullptr;  // scalar on the left
      double sv = swap ? ls->value : rs->value;
      Vector vec = std::get<Vector>(std::move(swap ? r.value() : l.value()));
      Vector out;
      out.reserve(vec.size());
      for (auto& s : vec) {
        double lv = swap ? sv : s.value, rv = swap ? s.value : sv;
        auto [value, keep] = elem_binop(e.op, lv, rv);
        if (is_comparison(e.op) && swap) value = rv;
        if (e.return_bool) {
          value = keep ? 1.0 : 0.0;
          keep = true;
        }
        if (!keep) continue;
        if (!is_comparison(e.op) || e.return_bool) s.labels = drop_name(std::move(s.labels));
        out.push_back(InstantSample{std::move(s.labels), value});
      }
      TT_TRY(check_unique(out));
      return Value(std::move(out));
    }
    Vector& lv = std::get<Vector>(l.value());
    Vector& rv = std::get<Vector>(r.value());
    const auto& m = e.matching;
    auto sig = [&](const LabelSet& ls) { return signature(ls, m.on, m.labels); };
    Vector out;
    if (is_set_op(e.op)) {
      std::map<LabelSet, bool> other;
      if (e.op == BinOp::lor) {
        for (auto& s : lv) {
          other[sig(s.labels)] = true;
          out.push_back(std::move(s));
        }
        for (auto& s : rv)
          if (!other.count(sig(s.labels))) out.push_back(std::move(s));
      } else {
        for (const auto& s : rv) other[sig(s.labels)] = true;
        bool want = e.op == BinOp::land;
        for (auto& s : lv)
          if (other.count(sig(s.labels)) == (want ? 1u : 0u)) out.push_back(std::move(s));
      }
      std::sort(out.begin(), out.end(), less_labels);
      return Value(std::move(out));
    }
    Vector* lhs = &lv;
    Vector* rhs = &rv;
    if (m.card == Cardinality::one_to_many) std::swap(lhs, rhs);
    std::map<LabelSet, const InstantSample*> right;
    for (const auto& s : *rhs) {
      auto [it, inserted] = right.emplace(sig(s.labels), &s);
      if (!inserted)
        return eval_error(
            "found duplicate series for the match group " + format_labels(it->first) + " on the " +
            (m.card == Cardinality::one_to_many ? "left" : "right") +
            " hand-side of the operation: [" + format_labels(s.labels) + ", " +
            format_labels(it->second->labels) +
            "];many-to-many matching not allowed: matching labels must be unique on one side");
    }
    std::map<LabelSet, std::vector<LabelSet>> matched;
    for (const auto& s : *lhs) {
      LabelSet key = sig(s.labels);
      auto it = right.find(key);
      if (it == right.end()) continue;
      double vl = s.value, vr = it->second->value;
      if (m.card == Cardinality::one_to_many) std::swap(vl, vr);
      auto [value, keep] = elem_binop(e.op, vl, vr);
      if (e.return_bool)
        value = keep ? 1.0 : 0.0;
      else if (!keep)
        continue;
      // Prometheus' resultMetric.
      LabelSet metric = s.labels;
      if (!is_comparison(e.op) || e.return_bool) metric = drop_name(std::move(metric));
      if (m.card == Cardinality::one_to_one) {
        std::erase_if(metric, [&](const Label& l) { return m.on != contains(m.labels, l.name); });
      }
      for (const auto& inc : m.include) set_label(metric, inc, get_label(it->second->labels, inc));
      auto& seen = matched[key];
      if (m.card == Cardinality::one_to_one) {
        if (!seen.empty())
          return eval_error(
              "multiple matches for labels: many-to-one matching must be explicit "
              "(group_left/group_right)");
      } else if (std::find(seen.begin(), seen.end(), metric) != seen.end()) {
        return eval_error(
            "multiple matches for labels: grouping labels must ensure unique results");
      }
      seen.push_back(metric);
      out.push_back(InstantSample{std::move(metric), value});
    }
    TT_TRY(check_unique(out));
    return Value(std::move(out));
  }

  // ---- aggregations ---------------------------------------------------------------------

  Result<Value> eval_aggregate(const Expr& e, TimeMs t) {
    double param = 0;
    if (e.param) {
      auto p = eval(*e.param, t);
      if (!p) return p;
      param = std::get<Scalar>(p.value()).value;
    }
    auto v = eval(*e.expr, t);
    if (!v) return v;
    Vector in = std::get<Vector>(std::move(v.value()));
    auto group_key = [&](const LabelSet& ls) {
      LabelSet out;
      for (const auto& l : ls) {
        bool listed = contains(e.grouping, l.name);
        if (e.without ? (!listed && l.name != kMetricNameLabel) : listed) out.push_back(l);
      }
      return out;
    };
    Vector out;
    if (e.agg == AggOp::topk || e.agg == AggOp::bottomk) {
      if (std::isnan(param) || param < 1) return Value(Vector{});
      std::size_t k = param >= 1e15 ? SIZE_MAX : static_cast<std::size_t>(param);
      std::map<LabelSet, std::vector<InstantSample*>> groups;
      for (auto& s : in) groups[group_key(s.labels)].push_back(&s);
      bool top = e.agg == AggOp::topk;
      for (auto& [key, members] : groups) {
        std::stable_sort(members.begin(), members.end(),
                         [&](const InstantSample* a, const InstantSample* b) {
                           if (std::isnan(a->value) || std::isnan(b->value))
                             return !std::isnan(a->value) && std::isnan(b->value);
                           return top ? a->value > b->value : a->value < b->value;
                         });
        for (std::size_t i = 0; i < members.size() && i < k; ++i)
          out.push_back(std::move(*members[i]));
      }
      std::sort(out.begin(), out.end(), less_labels);
      return Value(std::move(out));
    }
    struct Group {
      double value = 0, mean = 0;
      std::int64_t count = 0;
      std::vector<double> values;
    };
    std::map<LabelSet, Group> groups;
    for (const auto& s : in) {
      auto [it, fresh] = groups.try_emplace(group_key(s.labels));
      Group& g = it->second;
      double x = s.value;
      if (fresh) {
        g.value = x;
        g.mean = x;
        g.count = 1;
        if (e.agg == AggOp::stddev || e.agg == AggOp::stdvar) g.value = 0;
        if (e.agg == AggOp::quantile) g.values.push_back(x);
        continue;
      }
      switch (e.agg) {
        case AggOp::sum:
          g.value += x;
          break;
        case AggOp::avg: {
          ++g.count;
          if (std::isinf(g.mean)) {
            if (std::isinf(x) && (g.mean > 0) == (x > 0)) break;
            if (!std::isinf(x) && !std::isnan(x)) break;
          }
          double n = static_cast<double>(g.count);
          g.mean += x / n - g.mean / n;
          break;
        }
        case AggOp::count:
        case AggOp::group:
          ++g.count;
          break;
        case AggOp::max:
          if (g.value < x || std::isnan(g.value)) g.value = x;
          break;
        case AggOp::min:
          if (g.value > x || std::isnan(g.value)) g.value = x;
          break;
        case AggOp::stddev:
        case AggOp::stdvar: {
          ++g.count;
          double delta = x - g.mean;
          g.mean += delta / static_cast<double>(g.count);
          g.value += delta * (x - g.mean);
          break;
        }
        case AggOp::quantile:
          g.values.push_back(x);
          break;
        default:
          break;
      }
    }
    for (auto& [key, g] : groups) {
      double value = g.value;
      switch (e.agg) {
        case AggOp::avg:
          value = g.mean;
          break;
        case AggOp::count:
          value = static_cast<double>(g.count);
          break;
        case AggOp::group:
          value = 1;
          break;
        case AggOp::stdvar:
          value = g.value / static_cast<double>(g.count);
          break;
        case AggOp::stddev:
          value = std::sqrt(g.value / static_cast<double>(g.count));
          break;
        case AggOp::quantile:
          value = quantile(param, std::move(g.values));
          break;
        default:
          break;
      }
      out.push_back(InstantSample{key, value});
    }
    return Value(std::move(out));
  }

  // ---- functions ------------------------------------------------------------------------

  Result<Value> eval_call(const Expr& e, TimeMs t) {
    FuncId id = e.func->id;
    switch (id) {
      case FuncId::time:
        return Value(Scalar{static_cast<double>(t) / 1000.0});
      case FuncId::vector: {
        auto a = eval(*e.args[0], t);
        if (!a) return a;
        return Value(Vector{InstantSample{{}, std::get<Scalar>(a.value()).value}});
      }
      case FuncId::scalar: {
        auto a = eval(*e.args[0], t);
        if (!a) return a;
        const auto& v = std::get<Vector>(a.value());
        return Value(Scalar{v.size() == 1 ? v[0].value : NAN});
      }
      case FuncId::absent: {
        auto a = eval(*e.args[0], t);
        if (!a) return a;
        if (!std::get<Vector>(a.value()).empty()) return Value(Vector{});
        return Value(Vector{InstantSample{absent_labels(*e.args[0]), 1}});
      }
      default:
        break;
    }
    if (e.func->arg_types[0] == ValueType::matrix ||
        (e.args.size() == 2 && id == FuncId::quantile_over_time))
      return eval_range_function(e, t);
    // Elementwise vector functions; scalar arguments evaluated first.
    std::vector<double> sargs;
    for (std::size_t i = 1; i < e.args.size(); ++i) {
      auto a = eval(*e.args[i], t);
      if (!a) return a;
      sargs.push_back(std::get<Scalar>(a.value()).value);
    }
    auto a = eval(*e.args[0], t);
    if (!a) return a;
    Vector in = std::get<Vector>(std::move(a.value()));
    if (id == FuncId::clamp && sargs[1] < sargs[0]) return Value(Vector{});
    Vector out;
    out.reserve(in.size());
    for (auto& s : in) {
      double x = s.value, y = 0;
      if (e.func->math) {
        out.push_back(InstantSample{drop_name(std::move(s.labels)), e.func->math(x)});
        continue;
      }
      switch (id) {
        case FuncId::round: {
          double inv = 1.0 / (sargs.empty() ? 1.0 : sargs[0]);
          y = std::floor(x * inv + 0.5) / inv;
          break;
        }
        case FuncId::sgn:
          y = x < 0 ? -1 : x > 0 ? 1 : x;
          break;
        case FuncId::clamp:
          y = go_max(sargs[0], go_min(sargs[1], x));
          break;
        case FuncId::clamp_min:
          y = go_max(sargs[0], x);
          break;
        case FuncId::clamp_max:
          y = go_min(sargs[0], x);
          break;
        default:
          return eval_error("unsupported function");
      }
      out.push_back(InstantSample{drop_name(std::move(s.labels)), y});
    }
    TT_TRY(check_unique(out));
    return Value(std::move(out));
  }

  Result<Value> eval_range_function(const Expr& e, TimeMs t) {
    if (auto it = m_reduced.find(&e); it != m_reduced.end()) return Value(it->second);
    FuncId id = e.func->id;
    double q = 0;
    const Expr* sel = e.args.back().get();
    if (id == FuncId::quantile_over_time) {
      auto qa = eval(*e.args[0], t);
      if (!qa) return qa;
      q = std::get<Scalar>(qa.value()).value;
    }
    auto m = select_matrix(*sel, t);
    if (!m) return m.error();
    Matrix& mat = m.value();
    if (id == FuncId::absent_over_time) {
      if (!mat.empty()) return Value(Vector{});
      return Value(Vector{InstantSample{absent_labels(*sel), 1}});
    }
    const Window range = window(*sel, t);
    Vector out;
    for (auto& s : mat)
      if (auto y = reduce(e, s.samples, range, q))
        out.push_back(InstantSample{output_labels(id, std::move(s.labels)), *y});
    TT_TRY(check_unique(out));
    return Value(std::move(out));
  }

  // An instant query's range function over a selector is read one series at a time and each
  // reduced to its value as it comes (what alert rules such as avg_over_time(x[5m]) over every
  // check would otherwise hold at once: all samples of the window, twice). quantile_over_time
  // qualifies when its quantile is a literal; absent_over_time needs the whole set.
  static bool streams(const Expr& e) {
    if (e.kind != ExprKind::call || e.args.empty() ||
        e.args.back()->kind != ExprKind::matrix_selector || e.func->id == FuncId::absent_over_time)
      return false;
    if (e.func->id == FuncId::quantile_over_time) return e.args[0]->kind == ExprKind::number;
    return e.func->arg_types[0] == ValueType::matrix;
  }

  Result<void> reduce_while_reading(const Expr& e, TimeMs t) {
    if (m_reduced.count(&e)) return ok();
    const Expr& sel = *e.args.back();
    const Window range = window(sel, t);
    const double q = e.func->id == FuncId::quantile_over_time ? e.args[0]->number : 0;
    Vector out;
    std::vector<Sample> live;  // the series' samples less stale markers, reused
    TT_TRY(m_storage.select_each(
        sel.matchers, range.from, range.to, [&](SeriesData&& s) -> Result<void> {
          if (++m_series > m_opts.limits.max_series)
            return limit_error("query selects more than " +
                               std::to_string(m_opts.limits.max_series) + " series");
          TT_TRY(touch(static_cast<std::int64_t>(s.samples.size())));
          live.clear();
          for (const auto& x : s.samples)
            if (!is_stale_nan(x.v)) live.push_back(x);
          TT_TRY(touch(static_cast<std::int64_t>(live.size())));
          if (live.empty()) return ok();
          if (auto y = reduce(e, live, range, q))
            out.push_back(InstantSample{output_labels(e.func->id, std::move(s.labels)), *y});
          return ok();
        }));
    TT_TRY(check_unique(out));
    m_reduced.emplace(&e, std::move(out));
    return ok();
  }

  // last_over_time keeps the metric name, as in Prometheus; every other range function drops it.
  static LabelSet output_labels(FuncId id, LabelSet labels) {
    return id == FuncId::last_over_time ? std::move(labels) : drop_name(std::move(labels));
  }

  // The value of range function e over one series' samples p (not empty, stale markers
  // removed) in the window `range`; nothing when the function has no value for them (a rate of
  // one sample).
  static std::optional<double> reduce(const Expr& e, const std::vector<Sample>& p, Window range,
                                      double q) {
    const FuncId id = e.func->id;
    const Expr* sel = e.args.back().get();
    double y = 0;
    switch (id) {
      case FuncId::rate:
      case FuncId::increase:
      case FuncId::delta: {
        if (p.size() < 2) return std::nullopt;
        y = extrapolated_rate(p, range.from, range.to, sel->range_ms, id != FuncId::delta,
                              id == FuncId::rate);
        break;
      }
      case FuncId::irate:
      case FuncId::idelta: {
        if (p.size() < 2) return std::nullopt;
        const Sample& last = p[p.size() - 1];
        const Sample& prev = p[p.size() - 2];
        bool is_rate = id == FuncId::irate;
        y = (is_rate && last.v < prev.v) ? last.v : last.v - prev.v;
        TimeMs interval = last.t - prev.t;
        if (interval == 0) return std::nullopt;
        if (is_rate) y /= static_cast<double>(interval) / 1000.0;
        break;
      }
      case FuncId::changes:
      case FuncId::resets: {
        double n = 0;
        for (std::size_t i = 1; i < p.size(); ++i) {
          double prev = p[i - 1].v, cur = p[i].v;
          if (id == FuncId::changes ? (cur != prev && !(std::isnan(cur) && std::isnan(prev)))
                                    : cur < prev)
            ++n;
        }
        y = n;
        break;
      }
      case FuncId::avg_over_time: {
        double mean = 0, c = 0, count = 0;
        for (const auto& x : p) {
          ++count;
          if (std::isinf(mean)) {
            if (std::isinf(x.v) && (mean > 0) == (x.v > 0)) continue;
            if (!std::isinf(x.v) && !std::isnan(x.v)) continue;
          }
          kahan_inc(x.v / count - mean / count, mean, c);
        }
        y = std::isinf(mean) ? mean : mean + c;
        break;
      }
      case FuncId::sum_over_time: {
        double sum = 0, c = 0;
        for (const auto& x : p) kahan_inc(x.v, sum, c);
        y = std::isinf(sum) ? sum : sum + c;
        break;
      }
      case FuncId::min_over_time:
      case FuncId::max_over_time: {
        y = p[0].v;
        bool is_max = id == FuncId::max_over_time;
        for (const auto& x : p)
          if ((is_max ? x.v > y : x.v < y) || std::isnan(y)) y = x.v;
        break;
      }
      case FuncId::count_over_time:
        y = static_cast<double>(p.size());
        break;
      case FuncId::present_over_time:
        y = 1;
        break;
      case FuncId::last_over_time:
        y = p.back().v;
        break;
      case FuncId::quantile_over_time: {
        std::vector<double> vals;
        vals.reserve(p.size());
        for (const auto& x : p) vals.push_back(x.v);
        y = quantile(q, std::move(vals));
        break;
      }
      case FuncId::stddev_over_time:
      case FuncId::stdvar_over_time: {
        double count = 0, mean = 0, c_mean = 0, aux = 0, c_aux = 0;
        for (const auto& x : p) {
          ++count;
          double delta = x.v - (mean + c_mean);
          kahan_inc(delta / count, mean, c_mean);
          kahan_inc(delta * (x.v - (mean + c_mean)), aux, c_aux);
        }
        y = (aux + c_aux) / count;
        if (id == FuncId::stddev_over_time) y = std::sqrt(y);
        break;
      }
      default:
        return std::nullopt;  // not a range function: streams() and eval_call never ask
    }
    return y;
  }

  // Prometheus 2.42 extrapolatedRate for floats. Requires at least two samples.
  static double extrapolated_rate(const std::vector<Sample>& p, TimeMs range_start,
                                  TimeMs range_end, TimeMs range_ms, bool is_counter,
                                  bool is_rate) {
    double result = p.back().v - p.front().v;
    if (is_counter) {
      double prev = p.front().v;
      for (std::size_t i = 1; i < p.size(); ++i) {
        if (p[i].v < prev) result += prev;
        prev = p[i].v;
      }
    }
    double to_start = static_cast<double>(p.front().t - range_start) / 1000;
    double to_end = static_cast<double>(range_end - p.back().t) / 1000;
    double sampled = static_cast<double>(p.back().t - p.front().t) / 1000;
    double avg_between = sampled / static_cast<double>(p.size() - 1);
    if (is_counter && result > 0 && p.front().v >= 0) {
      double to_zero = sampled * (p.front().v / result);
      if (to_zero < to_start) to_start = to_zero;
    }
    double threshold = avg_between * 1.1;
    double interval = sampled;
    interval += to_start < threshold ? to_start : avg_between / 2;
    interval += to_end < threshold ? to_end : avg_between / 2;
    // In Prometheus' order of operations: folding the division by the range into the factor
    // changes the last bit of some rates.
    result *= interval / sampled;
    if (is_rate) result /= static_cast<double>(range_ms) / 1000;
    return result;
  }

  Storage& m_storage;
  const EngineOptions& m_opts;
  std::unordered_map<const Expr*, std::vector<SeriesData>> m_data;
  std::unordered_map<const Expr*, Vector> m_reduced;  // reduce_while_reading's answers
  std::int64_t m_samples = 0;
  std::int64_t m_series = 0;
};

void sort_value(Value& v) {
  if (auto* vec = std::get_if<Vector>(&v)) std::sort(vec->begin(), vec->end(), less_labels);
  if (auto* mat = std::get_if<Matrix>(&v))
    std::sort(mat->begin(), mat->end(),
              [](const SeriesData& a, const SeriesData& b) { return a.labels < b.labels; });
}

}  // namespace

Result<Value> Engine::eval_instant(const Expr& expr, TimeMs t_ms) {
  Evaluator ev(m_storage, m_options);
  TT_TRY(ev.prefetch(expr, t_ms, t_ms));
  auto v = ev.eval(expr, t_ms);
  if (!v) return v;
  sort_value(v.value());
  return v;
}

Result<Matrix> Engine::eval_range(const Expr& expr, TimeMs start_ms, TimeMs end_ms,
                                  TimeMs step_ms) {
  if (step_ms <= 0)
    return eval_error("zero or negative query resolution step widths are not accepted");
  if (end_ms < start_ms) return eval_error("end timestamp must not be before start time");
  ValueType type = expr.type();
  if (type != ValueType::scalar && type != ValueType::vector)
    return eval_error(std::string("invalid expression type \"") + value_type_name(type) +
                      "\" for range query, must be scalar or instant vector");
  // end - start fits in 64 unsigned bits whatever the two are (end >= start): no overflow, and no
  // __int128, which 32-bit ARM lacks. Steps are span / step + 1.
  const std::uint64_t span_ms =
      static_cast<std::uint64_t>(end_ms) - static_cast<std::uint64_t>(start_ms);
  if (span_ms / static_cast<std::uint64_t>(step_ms) >=
      static_cast<std::uint64_t>(m_options.limits.max_steps))
    return limit_error("exceeded maximum resolution of " +
                       std::to_string(m_options.limits.max_steps) + " points per timeseries");
  Evaluator ev(m_storage, m_options);
  TT_TRY(ev.prefetch(expr, start_ms, end_ms));
  std::map<LabelSet, std::vector<Sample>> series;
  for (TimeMs t = start_ms; t <= end_ms; t += step_ms) {
    auto v = ev.eval(expr, t);
    if (!v) return v.error();
    if (auto* s = std::get_if<Scalar>(&v.value())) {
      series[LabelSet{}].push_back(Sample{t, s->value});
    } else {
      for (auto& s : std::get<Vector>(v.value()))
        series[std::move(s.labels)].push_back(Sample{t, s.value});
    }
    if (end_ms - t < step_ms) break;
  }
  Matrix out;
  out.reserve(series.size());
  for (auto& [labels, samples] : series) out.push_back(SeriesData{labels, std::move(samples)});
  return out;
}

}  // namespace tt::query
