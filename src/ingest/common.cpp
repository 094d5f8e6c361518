// Shared pieces of the ingest parsers: number syntax, label validation, the result collector,
// and the public make_label_set / parse_precision.
#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <cstring>
#include <limits>

#include "core/text.h"
#include "ingest/detail.h"

namespace tt::ingest {
namespace detail {

std::string quote(std::string_view s) {
  constexpr std::size_t kMax = 64;
  std::string out = "\"";
  for (std::size_t i = 0; i < s.size() && i < kMax; ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c >= 0x20 && c < 0x7F) {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("\\x{:02x}", c);
    }
  }
  out += '"';
  if (s.size() > kMax) out += "...";
  return out;
}

double normal_nan() { return std::bit_cast<double>(kNormalNanBits); }

namespace {

// For a decimal that from_chars found out of range: true when it is too large (as opposed to
// too small). Decides by the decimal exponent of the first significant digit.
bool overflows(std::string_view s) {
  std::size_t i = 0;
  std::int64_t mag = 0;
  bool seen_nonzero = false;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
    if (s[i] != '0') seen_nonzero = true;
    if (seen_nonzero) ++mag;
    ++i;
  }
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (!seen_nonzero && i < s.size() && s[i] == '0') {
      --mag;
      ++i;
    }
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
  }
  std::int64_t exp = 0;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    bool neg = false;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
    for (; i < s.size(); ++i) exp = std::min<std::int64_t>(exp * 10 + (s[i] - '0'), 1'000'000'000);
    if (neg) exp = -exp;
  }
  return mag + exp > 0;
}

}  // namespace

bool parse_float(std::string_view s, Specials specials, double& out) {
  if (s.empty()) return false;
  bool neg = false;
  std::string_view rest = s;
  if (rest[0] == '+' || rest[0] == '-') {
    neg = rest[0] == '-';
    rest.remove_prefix(1);
    if (rest.empty()) return false;
  }
  char c0 = rest[0];
  if (!((c0 >= '0' && c0 <= '9') || c0 == '.')) {
    if (specials == Specials::reject) return false;
    if (rest.size() == s.size() && iequals(rest, "nan")) {  // Go takes no sign on NaN
      out = normal_nan();
      return true;
    }
    if (iequals(rest, "inf") || iequals(rest, "infinity")) {
      out =
          neg ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
      return true;
    }
    return false;
  }
  double v = 0;
  auto r = std::from_chars(rest.data(), rest.data() + rest.size(), v, std::chars_format::general);
  if (r.ptr != rest.data() + rest.size()) return false;
  if (r.ec == std::errc::result_out_of_range) {
    if (overflows(rest)) return false;
    v = 0;  // underflow: Go returns zero too
  } else if (r.ec != std::errc()) {
    return false;
  }
  out = neg ? -v : v;
  return true;
}

bool parse_int64(std::string_view s, std::int64_t& out) {
  if (s.empty()) return false;
  std::string_view rest = s;
  if (rest[0] == '+') {
    rest.remove_prefix(1);
    if (rest.empty() || rest[0] == '-' || rest[0] == '+') return false;
  }
  auto r = std::from_chars(rest.data(), rest.data() + rest.size(), out);
  return r.ec == std::errc() && r.ptr == rest.data() + rest.size();
}

std::optional<std::string> check_metric_name(std::string_view metric) {
  if (metric.empty()) return std::string("empty metric name");
  if (metric.size() > kMaxMetricNameBytes)
    return fmt::format("metric name {} is longer than {} bytes", quote(metric),
                       kMaxMetricNameBytes);
  if (!valid_metric_name(metric))
    return fmt::format("invalid metric name {}: must match [a-zA-Z_:][a-zA-Z0-9_:]*",
                       quote(metric));
  return std::nullopt;
}

std::optional<LabelIssue> normalize_labels(std::vector<RawLabel>& labels, bool check_names) {
  for (const auto& l : labels) {
    auto issue = [&](std::string msg) {
      return LabelIssue{LabelIssue::Kind::invalid, l.column, std::move(msg), std::string(l.name)};
    };
    if (l.name.empty()) return issue("empty label name");
    if (l.name.size() > kMaxLabelNameBytes)
      return issue(
          fmt::format("label name {} is longer than {} bytes", quote(l.name), kMaxLabelNameBytes));
    if (check_names && !valid_label_name(l.name))
      return issue(
          fmt::format("invalid label name {}: must match [a-zA-Z_][a-zA-Z0-9_]*", quote(l.name)));
    if (l.name.size() >= 2 && l.name[0] == '_' && l.name[1] == '_')
      return issue(
          fmt::format("label name {} is reserved (names starting with \"__\")", quote(l.name)));
    if (l.value.size() > kMaxLabelValueBytes)
      return issue(fmt::format("value of label {} is longer than {} bytes", quote(l.name),
                               kMaxLabelValueBytes));
    if (!valid_utf8(l.value))
      return issue(fmt::format("value of label {} is not valid UTF-8", quote(l.name)));
  }
  auto by_name = [](const RawLabel& a, const RawLabel& b) { return a.name < b.name; };
  if (labels.size() <= 16) {
    for (std::size_t i = 1; i < labels.size(); ++i)  // insertion sort: few labels, often sorted
      for (std::size_t j = i; j > 0 && by_name(labels[j], labels[j - 1]); --j)
        std::swap(labels[j], labels[j - 1]);
  } else {
    std::sort(labels.begin(), labels.end(), by_name);
  }
  for (std::size_t i = 1; i < labels.size(); ++i) {
    if (labels[i].name == labels[i - 1].name) {
      return LabelIssue{LabelIssue::Kind::duplicate,
                        std::max(labels[i].column, labels[i - 1].column),
                        fmt::format("duplicate label name {}", quote(labels[i].name)),
                        std::string(labels[i].name)};
    }
  }
  std::erase_if(labels, [](const RawLabel& l) { return l.value.empty(); });
  if (labels.size() > kMaxLabelsPerSeries)
    return LabelIssue{
        LabelIssue::Kind::too_many,
        0,
        fmt::format("too many labels: {} (limit {})", labels.size(), kMaxLabelsPerSeries),
        {}};
  return std::nullopt;
}

bool same_labels(const LabelSet& ls, std::string_view metric, std::span<const RawLabel> sorted) {
  if (ls.size() != sorted.size() + 1) return false;
  std::size_t j = 0;
  bool name_done = false;
  for (const auto& l : ls) {
    if (!name_done && l.name == kMetricNameLabel) {
      if (l.value != metric) return false;
      name_done = true;
      continue;
    }
    if (j >= sorted.size() || l.name != sorted[j].name || l.value != sorted[j].value) return false;
    ++j;
  }
  return name_done;
}

void build_label_set(std::string_view metric, std::span<const RawLabel> sorted, LabelSet& out) {
  out.clear();
  out.reserve(sorted.size() + 1);
  bool name_done = false;
  for (const auto& l : sorted) {
    if (!name_done && kMetricNameLabel < l.name) {
      out.push_back(Label{std::string(kMetricNameLabel), std::string(metric)});
      name_done = true;
    }
    out.push_back(Label{std::string(l.name), std::string(l.value)});
  }
  if (!name_done) out.push_back(Label{std::string(kMetricNameLabel), std::string(metric)});
}

void Collector::error(std::size_t line, std::size_t column, std::string message, std::string path) {
  ++m_out.error_count;
  if (m_out.errors.size() < kMaxErrorsKept)
    m_out.errors.push_back(LineError{line, column, std::move(message), std::move(path)});
}

SeriesSamples* Collector::series_for(std::string_view metric, std::span<const RawLabel> sorted) {
  if (!m_out.series.empty() && same_labels(m_out.series.back().labels, metric, sorted))
    return &m_out.series.back();
  if (m_out.series.size() >= kMaxSeriesPerRequest) return nullptr;
  auto& s = m_out.series.emplace_back();
  build_label_set(metric, sorted, s.labels);
  return &s;
}

SeriesSamples* Collector::series_for(LabelSet&& labels) {
  if (!m_out.series.empty() && m_out.series.back().labels == labels) return &m_out.series.back();
  if (m_out.series.size() >= kMaxSeriesPerRequest) return nullptr;
  auto& s = m_out.series.emplace_back();
  s.labels = std::move(labels);
  return &s;
}

std::string Collector::too_many_series_message() {
  return fmt::format("too many series in one request (limit {})", kMaxSeriesPerRequest);
}

}  // namespace detail

Result<LabelSet> make_label_set(std::string_view metric, std::vector<Label> labels) {
  if (auto msg = detail::check_metric_name(metric)) {
    Error e = Error::make(ErrorKind::validation, "INVALID_METRIC_NAME", *msg);
    e.fields.push_back(FieldError{"metric", *msg});
    return e;
  }
  std::vector<detail::RawLabel> raw;
  raw.reserve(labels.size());
  for (const auto& l : labels) raw.push_back(detail::RawLabel{l.name, l.value, 0});
  if (auto issue = detail::normalize_labels(raw)) {
    using Kind = detail::LabelIssue::Kind;
    std::string code = issue->kind == Kind::duplicate  ? "DUPLICATE_LABEL"
                       : issue->kind == Kind::too_many ? "TOO_MANY_LABELS"
                                                       : "INVALID_LABEL";
    Error e = Error::make(ErrorKind::validation, std::move(code), issue->message);
    e.fields.push_back(FieldError{issue->kind == Kind::too_many
                                      ? std::string("labels")
                                      : fmt::format("labels.{}", issue->label),
                                  issue->message});
    return e;
  }
  LabelSet out;
  detail::build_label_set(metric, raw, out);
  return out;
}

Result<Precision> parse_precision(std::string_view text) {
  if (text == "n" || text == "ns") return Precision::ns;
  if (text == "u" || text == "us") return Precision::us;
  if (text == "ms") return Precision::ms;
  if (text == "s") return Precision::s;
  if (text == "m") return Precision::m;
  if (text == "h") return Precision::h;
  return Error::make(
      ErrorKind::invalid_input, "INVALID_PRECISION",
      fmt::format("invalid precision {}: use one of ns, u, ms, s, m, h", detail::quote(text)));
}

}  // namespace tt::ingest
