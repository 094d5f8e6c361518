// The system bus's bytes (a compromised or buggy peer is outside the agent): message framing,
// the strict message parser and the bodies the systemd collector reads must take any bytes
// without crashing or hanging, and what they accept must hold together.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "collect/dbus.h"
#include "collect/parsers.h"

namespace {

void check(std::string_view bytes) {
  using namespace tt::collect::dbus;
  auto m = parse_message(bytes);
  if (!m) return;
  if (m->bytes != bytes || m->body_offset % 8 != 0 || m->body_offset > bytes.size() ||
      m->serial == 0)
    std::abort();
  if (auto units = parse_units(*m); units && units->size() > bytes.size() / 32) std::abort();
  (void)parse_string_variant(*m);
  (void)parse_uint_variant(*m);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  // A stream: messages one after another, as the connection reads them.
  for (std::string_view rest = bytes; !rest.empty();) {
    auto n = tt::collect::dbus::message_size(rest);
    if (!n || !*n || **n > rest.size()) break;
    if (**n < 16) std::abort();
    check(rest.substr(0, **n));
    rest.remove_prefix(**n);
  }
  check(bytes);
  tt::collect::systemd_version(bytes);
  return 0;
}
