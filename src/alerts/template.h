// alerts/template.h — the annotation and label templates of alert rules: the part of
// Prometheus' Go templates that alert texts use. `{{ $labels.name }}`, `{{ $value }}`,
// `{{ humanize $value }}` (also `.Labels.name`, `.Value`, and `{{-`/`-}}` trimming). Values print
// as Go prints a float64, so an expanded text is byte for byte what Prometheus would send.
// Parsed once when a rule is stored; expanded on the evaluator thread. Pure code.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/series.h"

namespace tt::alerts {

class Template {
 public:
  // Errors: validation TEMPLATE_INVALID, message "at position N: ..." (byte offset in `text`).
  static Result<Template> parse(std::string_view text);

  // A missing label expands to "" (Prometheus runs its templates with missingkey=zero).
  std::string expand(const LabelSet& labels, double value) const;
  const std::string& text() const { return m_text; }

 private:
  enum class Part { literal, value, humanized_value, label };
  struct Piece {
    Part part = Part::literal;
    std::string text;  // literal text or the label name
  };
  std::string m_text;
  std::vector<Piece> m_pieces;
};

// Go's `fmt.Sprint(v)` of a float64 (strconv 'g', shortest): 1, 0.5, 1e+06, +Inf, NaN.
std::string go_float(double v);
// Prometheus' `humanize`: 1234 -> "1.234k", 0.0012 -> "1.2m", with four significant digits.
std::string humanize(double v);

}  // namespace tt::alerts
