// A container engine's replies (the agent trusts the socket's owner, not the bytes): the HTTP
// reply framing and the Engine API's JSON must take any bytes without crashing or hanging, and
// what they return must hold together.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "collect/engine_api.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tt::collect;
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  for (bool at_eof : {false, true}) {
    auto reply = parse_http_reply(bytes, at_eof);
    if (reply.ok() && *reply) {
      const auto& r = **reply;
      if (r.status < 0 || r.status > 999 || r.body.size() > bytes.size()) std::abort();
      (void)parse_container_list(r.body);
      (void)parse_container_inspect(r.body);
    }
    if (at_eof && reply.ok() && !*reply) std::abort();  // at EOF a reply is whole or an error
  }
  if (auto body = decode_chunked(bytes); body.ok() && *body && (*body)->size() > bytes.size())
    std::abort();
  if (auto list = parse_container_list(bytes); list.ok())
    for (const auto& c : *list)
      if (c.id.empty()) std::abort();
  (void)parse_container_inspect(bytes);
  parse_rfc3339(bytes);
  exit_code_from_status(bytes);
  return 0;
}
