// The netdev collector.
#include "collect/collectors.h"
#include "collect/files.h"
#include "collect/parsers.h"
#include "core/text.h"

namespace tt::collect {

void parse_net_dev(std::string_view text, Samples& out) {
  // The columns after "iface:", in the order of the kernel's header lines.
  static constexpr std::string_view kFields[] = {
      "receive_bytes",  "receive_packets",  "receive_errs",       "receive_drop",
      "receive_fifo",   "receive_frame",    "receive_compressed", "receive_multicast",
      "transmit_bytes", "transmit_packets", "transmit_errs",      "transmit_drop",
      "transmit_fifo",  "transmit_colls",   "transmit_carrier",   "transmit_compressed"};
  for_each_line(text, [&](std::string_view line) {
    auto colon = line.find(':');
    if (colon == std::string_view::npos || line.find('|') != std::string_view::npos) return;
    auto device = trim(line.substr(0, colon));
    if (device.empty() || device == "lo") return;
    auto f = fields(line.substr(colon + 1));
    if (f.size() < std::size(kFields)) return;
    for (std::size_t i = 0; i < std::size(kFields); ++i)
      if (auto v = to_u64(f[i]))
        add(out, "node_network_" + std::string(kFields[i]) + "_total", static_cast<double>(*v),
            {{"device", std::string(device)}});
  });
}

void collect_netdev(const Roots& roots, Samples& out) {
  if (auto text = read_file(join(roots.procfs, "net/dev"))) parse_net_dev(*text, out);
}

}  // namespace tt::collect
