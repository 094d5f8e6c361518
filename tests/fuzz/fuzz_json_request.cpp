// Request bodies from outside: the depth-limited JSON parser, then the node decoders for create
// and PATCH, then the round trip of a valid node through its JSON form.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/json.h"
#include "inventory/node.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto body = tt::parse_json(text);
  if (!body.ok()) return 0;
  for (auto mode : {tt::inventory::InputMode::create, tt::inventory::InputMode::patch}) {
    auto in = tt::inventory::decode_node_input(body.value(), mode);
    if (!in.ok() || mode != tt::inventory::InputMode::create) continue;
    tt::inventory::Node n;
    n.name = *in->name;
    n.type = *in->type;
    if (in->address) n.address = *in->address;
    if (in->labels) n.labels = *in->labels;
    if (in->metadata) n.metadata = *in->metadata;
    if (in->location) n.location = *in->location;
    if (in->mac) n.mac = *in->mac;
    // What we accepted must serialise and decode again.
    auto again = tt::inventory::to_json(n);
    again.erase("id");
    again.erase("status");
    again.erase("created_at");
    again.erase("updated_at");
    again.erase("last_seen");
    auto re = tt::inventory::decode_node_input(nlohmann::json::parse(again.dump()), mode);
    if (!re.ok()) __builtin_trap();
  }
  return 0;
}
