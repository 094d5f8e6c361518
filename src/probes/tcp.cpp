// probes/tcp.cpp — TCP connect, optionally followed by a TLS handshake.
#include "probes/kinds.h"

namespace tt::probes {

const KindDescriptor& tcp_kind() {
  static const KindDescriptor k{
      "tcp",
      "TCP port",
      "host:port, IPv6 in brackets: [2001:db8::1]:22",
      check_host_port,
      {
          {"tls", OptionType::boolean, false, "perform a TLS handshake after connecting"},
          {"tls_verify", OptionType::boolean, true, "verify the certificate chain and host name"},
          {"server_name", OptionType::string, nullptr, "TLS server name (SNI) when it differs from the host"},
          {"send", OptionType::string, nullptr, "bytes to send after connecting"},
          {"expect", OptionType::string, nullptr, "text the first answer must contain"},
      },
      {
          {"latency", FactType::duration, "time to connect (and handshake, with TLS)"},
          {"connect_time", FactType::duration, "time to connect"},
          {"tls_time", FactType::duration, "time of the TLS handshake"},
          {"cert_days", FactType::number, "days until the server certificate expires"},
          {"cert_issuer", FactType::string, "issuer of the server certificate"},
          {"cert_subject", FactType::string, "subject of the server certificate"},
          {"tls_version", FactType::string, "negotiated TLS version"},
          {"response", FactType::string, "the first bytes the server sent"},
          {"address", FactType::string, "the address connected to"},
      },
      60000,
      10000,
      512,
      {},
  };
  return k;
}

}  // namespace tt::probes
