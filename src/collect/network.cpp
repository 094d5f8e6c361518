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
  auto text = read_file(join(roots.procfs, "net/dev"));
  if (!text) return;
  const auto first = out.size();
  parse_net_dev(*text, out);
  // node_exporter 1.5 reads the counters over netlink, whose rtnl_link_stats64 also counts the
  // packets no protocol took (rx_nohandler); sysfs has the same counter per device (Linux 4.6+).
  std::vector<std::string> devices;
  for (auto i = first; i < out.size(); ++i)
    if (out[i].name == "node_network_receive_bytes_total")
      devices.push_back(out[i].labels[0].value);
  for (const auto& device : devices) {
    if (device.find('/') != std::string::npos) continue;  // not a name the kernel gives
    auto text = read_value(join(roots.sysfs, "class/net/" + device + "/statistics/rx_nohandler"));
    if (auto v = text ? to_u64(*text) : std::nullopt)
      add(out, "node_network_receive_nohandler_total", static_cast<double>(*v),
          {{"device", device}});
  }
}

}  // namespace tt::collect
