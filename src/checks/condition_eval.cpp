// Evaluation of parsed conditions against a probe's facts, with the detail people read.
#include <exception>
#include <utility>

#include "checks/condition_ast.h"
#include "checks/conditions.h"
#include "core/text.h"

namespace tt::checks {
namespace {

// ---------------------------------------------------------------------------------------------
// Evaluation

constexpr std::size_t kMaxDetailBytes = 2000;

struct Outcome {
  bool pass = false;
  std::string detail;
};

// An operand's value: a pointer into the facts (or the literal), or a computed one; empty with
// `missing` saying why when there is none.
struct Value {
  const json* ref = nullptr;
  json owned;
  std::string missing;
  const json& get() const { return ref ? *ref : owned; }
  bool ok() const { return missing.empty(); }
};

class Evaluator {
 public:
  explicit Evaluator(const Facts& facts) : m_facts(facts) {}

  Outcome eval(const ConditionNode& n, bool negate) {
    switch (n.kind) {
      case ConditionNode::Kind::negate:
        return eval(n.children.front(), !negate);
      case ConditionNode::Kind::all:
      case ConditionNode::Kind::any: {
        // Under '!', all becomes any and the other way round (De Morgan), so details stay
        // about comparisons.
        bool need_all = (n.kind == ConditionNode::Kind::all) != negate;
        Outcome out{need_all, {}};
        for (const auto& c : n.children) {
          Outcome o = eval(c, negate);
          if (o.pass != need_all) return o;  // the first comparison that decides names itself
          append(out.detail, o.detail, need_all ? ", " : "; ");
        }
        return out;
      }
      case ConditionNode::Kind::compare:
        return compare(n, negate);
    }
    return {};
  }

 private:
  static void append(std::string& to, const std::string& what, std::string_view sep) {
    if (what.empty() || to.size() >= kMaxDetailBytes) return;
    if (!to.empty()) to += sep;
    to += what;
    if (to.size() > kMaxDetailBytes) to = shorten(to, kMaxDetailBytes);
  }

  Outcome compare(const ConditionNode& n, bool negate) {
    Op op = negate ? negated(n.op) : n.op;
    Value a = value(n.lhs), b = value(n.rhs);
    if (!a.ok()) return {false, a.missing};
    if (!b.ok()) return {false, b.missing};
    const json& x = a.get();
    const json& y = b.get();
    ValueType ta = n.lhs.type == ValueType::dynamic ? n.rhs.type : n.lhs.type;
    ValueType tb = n.rhs.type == ValueType::dynamic ? n.lhs.type : n.rhs.type;
    std::string said = n.lhs.source + " = " + format_value(x, ta);
    std::string wanted = ", wanted " + std::string(op_text(op)) + " " + n.rhs.source;
    if (n.rhs.kind != Operand::Kind::literal) wanted += " (" + format_value(y, tb) + ")";

    std::optional<bool> r = apply(op, x, y);
    if (!r) return {false, said + wanted + ", which cannot be compared"};
    if (!*r) return {false, said + wanted};
    return {true, said};
  }

  // Nullopt when the values are of types `op` cannot compare (a JSON value of another type).
  static std::optional<bool> apply(Op op, const json& x, const json& y) {
    if (is_string_op(op)) {
      if (!x.is_string() || !y.is_string()) return std::nullopt;
      std::string_view s = x.get_ref<const std::string&>(), t = y.get_ref<const std::string&>();
      bool hit = false;
      switch (op) {
        case Op::contains:
        case Op::not_contains:
          hit = s.find(t) != std::string_view::npos;
          break;
        case Op::starts:
        case Op::not_starts:
          hit = s.substr(0, t.size()) == t;
          break;
        default:
          hit = s.size() >= t.size() && s.substr(s.size() - t.size()) == t;
          break;
      }
      bool negative = op == Op::not_contains || op == Op::not_starts || op == Op::not_ends;
      return hit != negative;
    }
    if (x.is_number() && y.is_number()) {
      double p = x.get<double>(), q = y.get<double>();
      switch (op) {
        case Op::eq:
          return p == q;
        case Op::ne:
          return p != q;
        case Op::lt:
          return p < q;
        case Op::le:
          return p <= q;
        case Op::gt:
          return p > q;
        case Op::ge:
          return p >= q;
        default:
          return std::nullopt;
      }
    }
    if (op != Op::eq && op != Op::ne) return std::nullopt;
    bool same_type = (x.is_string() && y.is_string()) || (x.is_boolean() && y.is_boolean()) ||
                     (x.is_null() && y.is_null());
    if (!same_type) return std::nullopt;
    return (x == y) == (op == Op::eq);
  }

  Value value(const Operand& o) {
    Value v;
    switch (o.kind) {
      case Operand::Kind::literal:
        v.ref = &o.literal;
        return v;
      case Operand::Kind::fact: {
        const json* f = fact(o.name);
        if (!f) {
          v.missing = o.name + " is not available";
          return v;
        }
        bool fits = o.type == ValueType::string    ? f->is_string()
                    : o.type == ValueType::boolean ? f->is_boolean()
                                                   : f->is_number();
        if (!fits) {
          v.missing = o.name + " is not " + std::string(type_name(o.type)) + " but " +
                      format_value(*f, ValueType::number);
          return v;
        }
        v.ref = f;
        return v;
      }
      case Operand::Kind::header:
        return header(o);
      case Operand::Kind::json:
        return json_value(o);
      case Operand::Kind::value: {  // oid("name"): one of an SNMP check's values
        const json* vs = fact("values");
        if (vs && vs->is_object()) {
          auto it = vs->find(o.name);
          if (it != vs->end() && !it->is_null()) v.ref = &*it;
        }
        if (!v.ref) v.missing = o.source + " is not available";
        return v;
      }
      case Operand::Kind::len: {
        Value in = value(*o.arg);
        if (!in.ok()) return in;
        const json& x = in.get();
        if (x.is_string())
          v.owned = static_cast<double>(x.get_ref<const std::string&>().size());
        else if (x.is_array() || x.is_object())
          v.owned = static_cast<double>(x.size());
        else
          v.missing = o.source + ": " + o.arg->source + " is " +
                      format_value(x, ValueType::number) + ", not a string, array or object";
        return v;
      }
    }
    v.missing = "?";
    return v;
  }

  const json* fact(const std::string& name) const {
    const json* v = m_facts.find(name);
    return v && !v->is_null() ? v : nullptr;
  }

  Value header(const Operand& o) const {
    Value v;
    const json* hs = fact("headers");
    const json* h = nullptr;
    if (hs && hs->is_object()) {
      auto it = hs->find(o.name);
      if (it != hs->end()) h = &*it;
      for (auto i = hs->begin(); !h && i != hs->end(); ++i)
        if (ascii_lower(i.key()) == o.name) h = &*i;
    }
    if (h && h->is_string()) {
      v.ref = h;
    } else if (h && h->is_array()) {  // a repeated header, joined as HTTP does
      std::string joined;
      for (const auto& part : *h)
        if (part.is_string()) joined += (joined.empty() ? "" : ", ") + part.get<std::string>();
      v.owned = std::move(joined);
    } else {
      v.missing = o.source + " is not available";
    }
    return v;
  }

  Value json_value(const Operand& o) {
    Value v;
    if (!m_body_parsed) {
      m_body_parsed = true;
      const json* b = fact("body");
      if (b && b->is_string())
        m_body = json::parse(b->get_ref<const std::string&>(), nullptr, false);
      else if (b && (b->is_object() || b->is_array()))
        m_body = *b;
      else
        m_body = json(json::value_t::discarded);
      m_body_missing = !b;
    }
    if (m_body.is_discarded()) {
      v.missing = o.source + " is not available: " +
                  (m_body_missing ? "there is no body" : "the body is not JSON");
      return v;
    }
    const json* at = &m_body;
    for (const auto& step : o.path) {
      const json* next = nullptr;
      if (const auto* key = std::get_if<std::string>(&step)) {
        if (at->is_object()) {
          auto it = at->find(*key);
          if (it != at->end()) next = &*it;
        }
      } else if (at->is_array() && std::get<std::size_t>(step) < at->size()) {
        next = &(*at)[std::get<std::size_t>(step)];
      }
      if (!next) {
        v.missing =
            o.source + " is not available: the body has no " + shorten(format_path(o.path), 200);
        return v;
      }
      at = next;
    }
    v.ref = at;
    return v;
  }

  const Facts& m_facts;
  bool m_body_parsed = false, m_body_missing = false;
  json m_body;
};

}  // namespace

Condition::Verdict Condition::evaluate(const Facts& facts) const {
  try {
    Evaluator ev(facts);
    Outcome o = ev.eval(*m_root, false);
    return Verdict{o.pass, shorten(o.detail, kMaxDetailBytes)};
  } catch (const std::exception& e) {
    return Verdict{false, std::string("the condition could not be evaluated: ") + e.what()};
  }
}

}  // namespace tt::checks
