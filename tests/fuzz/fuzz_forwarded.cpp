// The forwarding headers a trusted proxy sends (http/forwarded.h): any bytes as X-Forwarded-For,
// X-Forwarded-Proto, -Host and Forwarded are answered without a crash, the client named is an
// address in canonical form or the peer, and a scheme is only ever http or https.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "http/base_path.h"
#include "http/forwarded.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tt::http;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  static const auto xff = TrustedProxies::parse({"127.0.0.0/8", "10.0.0.0/8", "::1"}).value();
  static const auto fwd =
      TrustedProxies::parse({"127.0.0.0/8", "10.0.0.0/8"}, ForwardedHeader::forwarded).value();
  ForwardingFields f;
  f.forwarded = {text, text};
  f.x_forwarded_for = {text};
  f.x_forwarded_proto = {text};
  f.x_forwarded_host = {text};
  for (const auto* trusted : {&xff, &fwd}) {
    auto o = resolve_origin("127.0.0.1", f, *trusted);
    if (!o.proxied || canonical_address(o.address) != o.address) std::abort();
    if (!o.scheme.empty() && o.scheme != "http" && o.scheme != "https") std::abort();
  }
  (void)TrustedProxies::parse({std::string(text)});
  if (auto base = normalize_base_path(text);
      base.ok() && normalize_base_path(*base).value() != *base)
    std::abort();  // normalising is idempotent
  return 0;
}
