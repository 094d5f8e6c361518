// ws/frame.h — RFC 6455 framing without I/O: an incremental parser for either end (a server reads
// masked client frames, a client unmasked server frames) and encoders for server frames and for
// masked client frames. No extensions are negotiated, so RSV bits are always errors.
// Not thread-safe; one parser per connection.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace tt::ws {

enum class Opcode : std::uint8_t {
  continuation = 0x0,
  text = 0x1,
  binary = 0x2,
  close = 0x8,
  ping = 0x9,
  pong = 0xA,
};

inline constexpr std::uint16_t kCloseNormal = 1000;
inline constexpr std::uint16_t kCloseGoingAway = 1001;
inline constexpr std::uint16_t kCloseProtocolError = 1002;
inline constexpr std::uint16_t kCloseUnsupportedData = 1003;
inline constexpr std::uint16_t kCloseNoStatus = 1005;  // never sent; "close frame had no code"
inline constexpr std::uint16_t kCloseInvalidPayload = 1007;
inline constexpr std::uint16_t kClosePolicyViolation = 1008;
inline constexpr std::uint16_t kCloseMessageTooBig = 1009;
inline constexpr std::uint16_t kCloseInternalError = 1011;
inline constexpr std::uint16_t kCloseTryAgainLater = 1013;

inline constexpr std::size_t kDefaultMaxMessageBytes = 1 << 20;
inline constexpr std::size_t kMaxControlPayload = 125;
inline constexpr std::size_t kMaxFrameHeader = 14;

// Codes a peer may put in a close frame: 1000-1003, 1007-1014 (IANA's registry), 3000-4999.
bool is_valid_close_code(std::uint16_t code);

// Incremental UTF-8 validator (rejects overlongs, surrogates and code points above U+10FFFF).
class Utf8Validator {
 public:
  // False once any invalid byte has been seen; stays false until reset().
  bool feed(const unsigned char* data, std::size_t len);
  bool feed(std::string_view s) {
    return feed(reinterpret_cast<const unsigned char*>(s.data()), s.size());
  }
  // True when no error and no sequence is left incomplete.
  bool complete() const { return !m_failed && m_need == 0; }
  void reset() { *this = Utf8Validator{}; }

 private:
  bool m_failed = false;
  std::uint8_t m_need = 0;                // continuation bytes still expected
  std::uint8_t m_lo = 0x80, m_hi = 0xBF;  // allowed range for the next continuation byte
};

bool is_valid_utf8(std::string_view s);

// A complete message (text/binary, fragments joined) or a control frame.
struct Message {
  Opcode opcode = Opcode::text;  // text, binary, ping, pong or close; never continuation
  std::string payload;           // unmasked; for close: the reason text only
  std::uint16_t close_code =
      0;  // close only: the code, or kCloseNoStatus when the payload was empty
};

// The end of the connection a parser runs at: a server reads client frames, which must be masked;
// a client reads server frames, which must not be.
enum class Role { server, client };

// Feed it bytes split anywhere; it emits each message once complete.
// Memory held never exceeds max_message_bytes (+ a control payload and a frame header).
class FrameParser {
 public:
  // Return false to stop parsing; feed() then returns the bytes consumed so far.
  using Sink = std::function<bool(Message&&)>;

  explicit FrameParser(std::size_t max_message_bytes = kDefaultMaxMessageBytes,
                       Role role = Role::server);

  // Returns the number of bytes consumed: len unless the sink stopped or a protocol error occurred.
  std::size_t feed(const char* data, std::size_t len, const Sink& sink);

  // After an error the parser stays failed and consumes nothing more.
  bool failed() const { return m_error_code != 0; }
  std::uint16_t error_code() const { return m_error_code; }  // a close code, 0 when not failed
  const std::string& error_reason() const { return m_error_reason; }

  // Bytes held for messages being read (grown to the largest message so far).
  std::size_t buffered_bytes() const { return m_message.capacity() + m_control.capacity(); }

 private:
  enum class State { header, payload, failed };

  bool fail(std::uint16_t code, std::string reason);
  bool check_first_two_bytes();
  bool begin_frame();
  bool finish_frame(const Sink& sink, bool& stop);
  void grow_message(std::size_t needed);

  std::size_t m_max_message;
  Role m_role;
  State m_state = State::header;
  unsigned char m_hdr[kMaxFrameHeader] = {};
  std::size_t m_hdr_len = 0;
  std::size_t m_hdr_need = 2;

  // Current frame.
  bool m_fin = false;
  Opcode m_opcode = Opcode::continuation;
  std::uint64_t m_remaining = 0;
  bool m_masked = false;
  unsigned char m_mask[4] = {};
  std::size_t m_mask_pos = 0;

  // Data message being assembled across fragments.
  bool m_in_message = false;
  Opcode m_message_opcode = Opcode::text;
  std::string m_message;
  Utf8Validator m_utf8;

  std::string m_control;  // payload of the control frame being read (<= 125 bytes)

  std::uint16_t m_error_code = 0;
  std::string m_error_reason;
};

// Server frames (never masked). Control payloads longer than 125 bytes are truncated.
void append_frame(std::string& out, Opcode opcode, std::string_view payload, bool fin = true);
std::string encode_frame(Opcode opcode, std::string_view payload, bool fin = true);
// A close frame; the reason is cut to fit 123 bytes without splitting a UTF-8 sequence.
std::string encode_close(std::uint16_t code, std::string_view reason = {});

// Client frames, masked with `mask_key`, which RFC 6455 wants unpredictable for each frame
// (random_mask_key()); tests pass a fixed one. Control payloads are truncated as above.
using MaskKey = std::array<unsigned char, 4>;
MaskKey random_mask_key();
void append_masked_frame(std::string& out, Opcode opcode, std::string_view payload,
                         const MaskKey& mask_key, bool fin = true);
// A close frame's payload: the code, then the reason cut as encode_close() cuts it.
std::string make_close_payload(std::uint16_t code, std::string_view reason = {});

}  // namespace tt::ws
