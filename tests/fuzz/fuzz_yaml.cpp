// Configuration files from outside (`telltale apply -f`, `ctl create -f`): the YAML reader must
// answer every input with a value or YAML_INVALID, and what it reads must survive being written
// back and read again.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/yaml.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto value = tt::parse_yaml(text);
  if (!value.ok()) {
    if (value.error().code != "YAML_INVALID") std::abort();
    return 0;
  }
  auto again = tt::parse_yaml(tt::to_yaml(value.value()));
  if (!again.ok() || again.value() != value.value()) std::abort();
  return 0;
}
