// collect/dbus.h — the D-Bus wire format (the specification's "Message Protocol"), as much as a
// client calling methods needs: method calls out (little-endian), any message in, checked
// strictly and within bounds — outside bytes, never a crash, fuzzed as they are
// (tests/fuzz/fuzz_dbus_message.cpp). Errors carry DBUS_BAD_MESSAGE. Pure functions; the socket
// is collect/dbus_client.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace tt::collect::dbus {

// A message larger than this is refused (the specification allows 128 MiB; systemd's unit list
// of a big host is a few MiB).
inline constexpr std::size_t kMaxMessageBytes = 16 << 20;

enum class MessageType : std::uint8_t { method_call = 1, method_return = 2, error = 3, signal = 4 };

// A message to send: header fields left empty (or 0) are left out. `body` is already marshalled
// (Writer), as `signature` says.
struct OutMessage {
  MessageType type = MessageType::method_call;
  std::string destination;  // empty on a peer-to-peer connection
  std::string path, interface, member, error_name;
  std::uint32_t reply_serial = 0;
  std::string signature, body;
};

// The whole message, little-endian, with this serial (never 0).
std::string marshal(const OutMessage& message, std::uint32_t serial);

// Marshals a body's values little-endian, each aligned from the start of the body (a body
// starts 8-aligned in its message).
class Writer {
 public:
  Writer& align(std::size_t n);
  Writer& byte(std::uint8_t v);
  Writer& u32(std::uint32_t v);
  Writer& string(std::string_view s);  // also an object path
  Writer& signature(std::string_view s);
  // An array: begin_array writes its length's place and the first element's padding (there even
  // when it stays empty); end_array fills the length in, once the elements are written.
  struct ArrayMark {
    std::size_t length_at, start;
  };
  ArrayMark begin_array(std::size_t element_alignment);
  void end_array(ArrayMark mark);
  std::string take() { return std::move(m_out); }

 private:
  std::string m_out;
};

struct Message {
  std::uint8_t type = 0;  // a MessageType, or a later one the specification says to ignore
  std::uint32_t serial = 0;
  std::uint32_t reply_serial = 0;  // 0: none
  std::string error_name, signature;
  bool big_endian = false;
  std::string bytes;            // the whole message
  std::size_t body_offset = 0;  // where the body starts in `bytes` (8-aligned)
};

// How long the message at the start of `bytes` is, from its first 16 bytes; nullopt while
// fewer have come. DBUS_BAD_MESSAGE when they are not a D-Bus message header or it would be
// larger than kMaxMessageBytes.
Result<std::optional<std::size_t>> message_size(std::string_view bytes);
// Exactly one whole message (message_size's length): its header fields checked against their
// types, strings UTF-8 without NUL, padding zero, nesting at most 64 deep, the body's length
// that of its signature's values.
Result<Message> parse_message(std::string_view bytes);

// A unit of systemd's Manager.ListUnits, as far as the collector reads it.
struct Unit {
  std::string name, description, load_state, active_state, sub_state, path;
};
// The body of ListUnits' return: a(ssssssouso).
Result<std::vector<Unit>> parse_units(const Message& reply);
// The body of Properties.Get's return when the property is a string: a variant of "s".
Result<std::string> parse_string_variant(const Message& reply);
// The body of a Properties.Get reply holding a u or a t.
Result<std::uint64_t> parse_uint_variant(const Message& reply);

}  // namespace tt::collect::dbus
