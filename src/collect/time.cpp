// The time collector: the clock, the time zone of <rootfs>/etc/localtime (a TZif file, RFC 8536,
// and the POSIX TZ rule in its footer) and the kernel's clock sources.
#include <filesystem>

#include "collect/collectors.h"
#include "collect/files.h"
#include "collect/parsers.h"
#include "core/scan.h"

namespace tt::collect {

namespace {

constexpr std::int64_t kDay = 86400;

// Days from 1970-01-01 to y-m-d of the proleptic Gregorian calendar (Howard Hinnant's
// days_from_civil).
std::int64_t days_from_civil(std::int64_t y, int m, int d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const std::int64_t yoe = y - era * 400;
  const std::int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

bool is_leap(std::int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

// The year of a time (Howard Hinnant's civil_from_days).
std::int64_t year_of(std::int64_t unix_s) {
  std::int64_t z = unix_s / kDay - (unix_s % kDay < 0) + 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  return yoe + era * 400 + (mp >= 10);  // January and February belong to the next year
}

// A cursor over a POSIX TZ string.
struct TzText {
  std::string_view s;
  std::size_t i = 0;
  bool at(char c) const { return i < s.size() && s[i] == c; }
  bool eat(char c) {
    if (!at(c)) return false;
    ++i;
    return true;
  }
  std::optional<int> number(int max) {
    auto end = scan::digits_end(s, i);
    if (end == i || end - i > 3) return std::nullopt;
    int v = 0;
    for (; i < end; ++i) v = v * 10 + (s[i] - '0');
    if (v > max) return std::nullopt;
    return v;
  }
};

// A zone name: three or more letters, or <...> of letters, digits, '+' and '-'.
std::optional<std::string> tz_name(TzText& t) {
  std::size_t start = t.i;
  if (t.eat('<')) {
    auto quoted = [](char c) {
      return scan::is_alpha(c) || scan::is_digit(c) || c == '+' || c == '-';
    };
    while (t.i < t.s.size() && quoted(t.s[t.i])) ++t.i;
    if (t.i - start - 1 < 3 || !t.eat('>')) return std::nullopt;
    return std::string(t.s.substr(start + 1, t.i - start - 2));
  }
  while (t.i < t.s.size() && scan::is_alpha(t.s[t.i])) ++t.i;
  if (t.i - start < 3) return std::nullopt;
  return std::string(t.s.substr(start, t.i - start));
}

// [+-]hh[:mm[:ss]] in seconds; hours up to 167 (RFC 8536's extension for rule times).
std::optional<std::int64_t> tz_time(TzText& t) {
  std::int64_t sign = 1;
  if (t.eat('-'))
    sign = -1;
  else
    t.eat('+');
  auto h = t.number(167);
  if (!h) return std::nullopt;
  std::int64_t v = *h * 3600;
  for (int unit : {60, 1}) {
    if (!t.eat(':')) break;
    auto part = t.number(59);
    if (!part) return std::nullopt;
    v += *part * unit;
  }
  return sign * v;
}

// A rule's day and time: "Jn", "n" or "Mm.w.d", then "/time" (default 02:00), as the seconds
// from the start of year `y`, local time.
struct TzRule {
  char kind = 'M';
  int a = 0, b = 0, c = 0;
  std::int64_t time_s = 7200;

  std::int64_t local_s(std::int64_t y) const {
    std::int64_t day = 0;  // from January 1st
    if (kind == 'J') {
      day = a - 1 + (is_leap(y) && a >= 60);
    } else if (kind == 'n') {
      day = a;
    } else {
      static constexpr int kMonthDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
      int month_days = kMonthDays[a - 1] + (a == 2 && is_leap(y));
      auto first = days_from_civil(y, a, 1);
      int weekday = static_cast<int>(((first % 7) + 11) % 7);  // 1970-01-01 was a Thursday
      int date = 1 + (c - weekday + 7) % 7 + (b - 1) * 7;
      while (date > month_days) date -= 7;
      day = first - days_from_civil(y, 1, 1) + date - 1;
    }
    return day * kDay + time_s;
  }
};

std::optional<TzRule> tz_rule(TzText& t) {
  TzRule r;
  if (t.eat('J')) {
    r.kind = 'J';
    auto n = t.number(365);
    if (!n || *n < 1) return std::nullopt;
    r.a = *n;
  } else if (t.eat('M')) {
    auto m = t.number(12);
    auto w = m && t.eat('.') ? t.number(5) : std::nullopt;
    auto d = w && t.eat('.') ? t.number(6) : std::nullopt;
    if (!d || *m < 1 || *w < 1) return std::nullopt;
    r.a = *m, r.b = *w, r.c = *d;
  } else {
    r.kind = 'n';
    auto n = t.number(365);
    if (!n) return std::nullopt;
    r.a = *n;
  }
  if (t.eat('/')) {
    auto time = tz_time(t);
    if (!time) return std::nullopt;
    r.time_s = *time;
  }
  return r;
}

std::uint64_t be(std::string_view b, std::size_t at, int n) {
  std::uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | static_cast<std::uint8_t>(b[at + i]);
  return v;
}

// The length of the data block after the TZif header at `at`; nullopt when there is no whole
// header and block there, or no time type.
std::optional<std::uint64_t> tzif_block(std::string_view tzif, std::size_t at, int time_bytes) {
  if (tzif.size() < at + 44 || tzif.substr(at, 4) != "TZif") return std::nullopt;
  // Magic, version, 15 bytes unused, then six counts.
  std::uint64_t isut = be(tzif, at + 20, 4), isstd = be(tzif, at + 24, 4),
                leap = be(tzif, at + 28, 4), times = be(tzif, at + 32, 4),
                types = be(tzif, at + 36, 4), chars = be(tzif, at + 40, 4);
  std::uint64_t data =
      times * (time_bytes + 1) + types * 6 + chars + leap * (time_bytes + 4) + isstd + isut;
  if (types == 0 || chars == 0 || tzif.size() - at - 44 < data) return std::nullopt;
  return data;
}

// The path of <rootfs>/etc/localtime with its symbolic links followed inside the root (a link
// to /usr/share/zoneinfo/... means the root's, not ours).
std::string localtime_path(const std::string& rootfs) {
  auto path = join(rootfs, "etc/localtime");
  for (int hops = 0; hops < 8; ++hops) {
    std::error_code ec;
    auto target = std::filesystem::read_symlink(path, ec);
    if (ec) break;
    path = target.is_absolute() ? join(rootfs, target.string())
                                : (std::filesystem::path(path).parent_path() / target).string();
  }
  return path;
}

}  // namespace

std::optional<ZoneOffset> posix_zone_offset(std::string_view tz, std::int64_t unix_s) {
  TzText t{tz};
  auto std_name = tz_name(t);
  auto std_west = std_name ? tz_time(t) : std::nullopt;
  if (!std_west) return std::nullopt;
  ZoneOffset standard{*std_name, -*std_west};
  if (t.i == tz.size()) return standard;
  auto dst_name = tz_name(t);
  if (!dst_name) return std::nullopt;
  ZoneOffset daylight{*dst_name, standard.offset_s + 3600};
  if (t.i < tz.size() && !t.at(',')) {
    auto west = tz_time(t);
    if (!west) return std::nullopt;
    daylight.offset_s = -*west;
  }
  // Without rules POSIX leaves the dates to the implementation; zic always writes them in a
  // footer, so a zone without is not one we read (the caller falls back to the transitions).
  std::optional<TzRule> start, end;
  if (t.eat(',')) start = tz_rule(t);
  if (start && t.eat(',')) end = tz_rule(t);
  if (!end || t.i != tz.size()) return std::nullopt;
  // The rules' dates are local: the start in standard time, the end in daylight time.
  const auto y = year_of(unix_s + standard.offset_s);
  const auto year_s = days_from_civil(y, 1, 1) * kDay;
  const auto start_s = year_s + start->local_s(y) - standard.offset_s;
  const auto end_s = year_s + end->local_s(y) - daylight.offset_s;
  bool in_dst = start_s < end_s ? unix_s >= start_s && unix_s < end_s
                                : unix_s >= start_s || unix_s < end_s;  // the southern half
  return in_dst ? daylight : standard;
}

std::optional<ZoneOffset> zone_offset(std::string_view tzif, std::int64_t unix_s) {
  auto v1 = tzif_block(tzif, 0, 4);
  if (!v1) return std::nullopt;
  const bool v2 = tzif[4] >= '2';
  const std::size_t at = v2 ? 44 + *v1 : 0;  // v2+: the 64-bit header and block that follow
  const int time_bytes = v2 ? 8 : 4;
  auto block = tzif_block(tzif, at, time_bytes);
  if (!block) return std::nullopt;
  const std::uint64_t times = be(tzif, at + 32, 4), types = be(tzif, at + 36, 4),
                      chars = be(tzif, at + 40, 4);
  const std::size_t transitions = at + 44, indices = transitions + times * time_bytes,
                    infos = indices + times, abbreviations = infos + types * 6;

  auto type = [&](std::uint64_t index) -> std::optional<ZoneOffset> {
    if (index >= types) return std::nullopt;
    auto info = infos + index * 6;
    auto offset = static_cast<std::int32_t>(static_cast<std::uint32_t>(be(tzif, info, 4)));
    auto abbr = static_cast<std::uint8_t>(tzif[info + 5]);
    auto text = tzif.substr(abbreviations, chars);
    auto nul = text.find('\0', abbr);
    if (abbr >= chars || nul == std::string_view::npos) return std::nullopt;
    return ZoneOffset{std::string(text.substr(abbr, nul - abbr)), offset};
  };
  auto transition = [&](std::uint64_t i) {
    auto raw = be(tzif, transitions + i * time_bytes, time_bytes);
    return time_bytes == 8 ? static_cast<std::int64_t>(raw)
                           : static_cast<std::int32_t>(static_cast<std::uint32_t>(raw));
  };
  // The last transition at or before the time (they ascend); before the first, type 0.
  std::uint64_t lo = 0, hi = times;
  while (lo < hi) {
    auto mid = lo + (hi - lo) / 2;
    if (transition(mid) <= unix_s)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo == times && v2) {  // after the last transition the footer's rule, when there is one
    auto footer = tzif.substr(at + 44 + *block);  // "\n<TZ string>\n"
    auto end = footer.find('\n', 1);
    if (footer.starts_with('\n') && end != std::string_view::npos && end > 1)
      if (auto zone = posix_zone_offset(footer.substr(1, end - 1), unix_s)) return zone;
  }
  if (lo == 0) return type(0);
  return type(static_cast<std::uint8_t>(tzif[indices + lo - 1]));
}

void collect_time(const Roots& roots, Samples& out) {
  const auto now_ms = roots.clock->now_ms();
  add(out, "node_time_seconds", static_cast<double>(now_ms) / 1000);
  auto tzif = read_file(localtime_path(roots.rootfs));
  auto zone = tzif ? zone_offset(*tzif, now_ms / 1000 - (now_ms % 1000 < 0)) : std::nullopt;
  if (zone)
    add(out, "node_time_zone_offset_seconds", static_cast<double>(zone->offset_s),
        {{"time_zone", zone->abbreviation}});
  // As node_exporter (procfs' ClockSources): the device is the directory's place in the sorted
  // list, which is its number while there are fewer than 11.
  auto base = join(roots.sysfs, "devices/system/clocksource");
  std::size_t device = 0;
  for (const auto& dir : list_dir(base, "clocksource")) {
    if (dir.size() == 11 || !scan::is_digit(dir[11])) continue;  // clocksource[0-9]*
    auto available = read_value(base + "/" + dir + "/available_clocksource");
    auto current = read_value(base + "/" + dir + "/current_clocksource");
    if (!available || !current) continue;
    auto index = std::to_string(device++);
    for (auto source : fields(*available))
      add(out, "node_time_clocksource_available_info", 1,
          {{"clocksource", std::string(source)}, {"device", index}});
    add(out, "node_time_clocksource_current_info", 1,
        {{"clocksource", *current}, {"device", index}});
  }
}

}  // namespace tt::collect
