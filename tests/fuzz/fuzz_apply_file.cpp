// The file `telltale apply -f` reads, from outside: YAML or JSON, then ${VARIABLE} references.
// Every input is a document or an error with a code; expansion only ever inserts the variable's
// value, so a document without "${" is what the YAML reader read.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ctl/apply_file.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto env = [](std::string_view name) -> std::optional<std::string> {
    if (name.size() % 2) return std::nullopt;
    return std::string(name.size(), 'v');
  };
  auto doc = tt::ctl::decode_apply_file(text, env);
  if (!doc.ok() && doc.error().code.empty()) std::abort();
  if (doc.ok() && !doc->is_object()) std::abort();
  return 0;
}
