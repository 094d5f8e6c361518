// procfs and sysfs text and the root's /etc/localtime (a container's or a hostile host's files
// are outside bytes to the agent): every parser of collect/parsers.h must take any bytes
// without crashing or hanging, and what it returns must be samples a Prometheus text reader
// takes: metric names, sorted labels with values.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "collect/identity.h"
#include "collect/parsers.h"
#include "core/scan.h"

namespace {

void check(const tt::collect::Samples& samples) {
  for (const auto& s : samples) {
    if (s.name.empty() || !tt::scan::is_ident_start(s.name[0]) ||
        tt::scan::ident_end(s.name, 0) != s.name.size())
      std::abort();
    for (std::size_t i = 0; i < s.labels.size(); ++i)
      if (s.labels[i].value.empty() || (i && s.labels[i - 1].name >= s.labels[i].name))
        std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tt::collect;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  Samples out;
  parse_stat(text, out);
  parse_loadavg(text, out);
  parse_meminfo(text, out);
  for (auto resource : {"cpu", "io", "memory"}) parse_pressure(resource, text, out);
  parse_net_dev(text, out);
  parse_diskstats(text, out);
  check(out);
  disk_excluded(text);
  parse_udev_info(text);
  udev_samples(parse_udev(text), "sda", out);
  check(out);
  for (const auto& m : parse_mounts(text)) filesystem_excluded(m);
  parse_milli(text);
  // /etc/localtime and its footer, at times either side of the epoch and past 2038.
  for (std::int64_t t : {std::int64_t{-2'000'000'000}, std::int64_t{0}, std::int64_t{1'700'000'000},
                         std::int64_t{4'000'000'000}}) {
    zone_offset(text, t);
    posix_zone_offset(text, t);
  }
  clean_chip_name(text);
  parse_machine_id(text);
  parse_default_route(text);
  parse_default_route6(text);
  parse_os_release(text);
  parse_cpu_model(text);
  count_processors(text);
  return 0;
}
