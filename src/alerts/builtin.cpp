#include "alerts/builtin.h"

namespace tt::alerts {

// Written as API bodies so that they are validated by the same decoder as people's rules (a unit
// test creates every one). Thresholds are the common ones: Uptime Kuma's 14 days of certificate,
// blackbox_exporter's usual 20 % loss over 5 minutes.
const std::vector<BuiltinRule>& builtin_rules() {
  static const std::vector<BuiltinRule> table = {
      {"check_down", R"json({
        "name": "CheckDown", "kind": "check_state", "check_selector": "{check=~\".+\"}",
        "severity": "critical",
        "annotations": {"summary": "Check {{ $labels.check }} is down"}})json"},
      // A node whose every check fails: the highest probe_up of its checks is 0. While it fires,
      // its checks' own alerts are inhibited (alerts/inhibit.h).
      {"node_down", R"json({
        "name": "NodeDown", "kind": "expr", "expr": "max by (node) (probe_up{node!=\"\"}) == 0",
        "for": "1m", "severity": "critical",
        "annotations": {"summary": "Node {{ $labels.node }} is down: every check of it fails"}})json"},
      {"certificate_expiring", R"json({
        "name": "CertificateExpiringSoon", "kind": "expr",
        "expr": "(probe_ssl_earliest_cert_expiry - time()) / 86400 < 14",
        "interval": "1m", "severity": "warning",
        "annotations": {"summary": "The certificate of {{ $labels.check }} expires in {{ humanize $value }} days"}})json"},
      {"packet_loss", R"json({
        "name": "PacketLossHigh", "kind": "expr",
        "expr": "avg_over_time(probe_icmp_loss_ratio[5m]) * 100 > 20",
        "for": "5m", "severity": "warning",
        "annotations": {"summary": "{{ $labels.check }} loses {{ humanize $value }} % of its packets (over 5 minutes)"}})json"},
  };
  return table;
}

}  // namespace tt::alerts
