// The head of a hub's answer to the agent's WebSocket upgrade: parsing it must never crash, the
// headers it gives have names, and what the check accepts is a 101 with the key's accept value.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ws/client_handshake.h"
#include "ws/handshake.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  constexpr std::string_view kKey = "dGhlIHNhbXBsZSBub25jZQ==";
  const std::string_view head(reinterpret_cast<const char*>(data), size);
  auto parsed = tt::ws::parse_response_head(head);
  if (!parsed.ok()) return 0;
  const auto& r = parsed.value();
  if (r.status < 0 || r.status > 999) __builtin_trap();
  for (const auto& [name, value] : r.headers)
    if (name.empty() || name.find_first_of(" \t:") != std::string::npos) __builtin_trap();
  if (tt::ws::check_upgrade_response(r, kKey).ok() &&
      (r.status != 101 || r.header("Sec-WebSocket-Accept") != tt::ws::compute_accept(kKey)))
    __builtin_trap();
  return 0;
}
