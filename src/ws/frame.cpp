#include "ws/frame.h"

#include <algorithm>
#include <cstring>

#include "core/random.h"

namespace tt::ws {

bool is_valid_close_code(std::uint16_t code) {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
         (code >= 3000 && code <= 4999);
}

bool Utf8Validator::feed(const unsigned char* data, std::size_t len) {
  if (m_failed) return false;
  for (std::size_t i = 0; i < len; ++i) {
    const unsigned char b = data[i];
    if (m_need > 0) {
      if (b < m_lo || b > m_hi) return !(m_failed = true);
      --m_need;
      m_lo = 0x80;
      m_hi = 0xBF;
      continue;
    }
    if (b < 0x80) continue;
    if (b >= 0xC2 && b <= 0xDF) {
      m_need = 1;
    } else if (b == 0xE0) {
      m_need = 2;
      m_lo = 0xA0;  // no overlongs
    } else if (b == 0xED) {
      m_need = 2;
      m_hi = 0x9F;  // no surrogates
    } else if (b >= 0xE1 && b <= 0xEF) {
      m_need = 2;
    } else if (b == 0xF0) {
      m_need = 3;
      m_lo = 0x90;  // no overlongs
    } else if (b >= 0xF1 && b <= 0xF3) {
      m_need = 3;
    } else if (b == 0xF4) {
      m_need = 3;
      m_hi = 0x8F;  // nothing above U+10FFFF
    } else {
      return !(m_failed = true);
    }
  }
  return true;
}

bool is_valid_utf8(std::string_view s) {
  Utf8Validator v;
  return v.feed(s) && v.complete();
}

FrameParser::FrameParser(std::size_t max_message_bytes, Role role)
    : m_max_message(max_message_bytes), m_role(role) {}

bool FrameParser::fail(std::uint16_t code, std::string reason) {
  m_state = State::failed;
  m_error_code = code;
  m_error_reason = std::move(reason);
  m_message = std::string();
  m_control = std::string();
  return false;
}

bool FrameParser::check_first_two_bytes() {
  const unsigned char b0 = m_hdr[0], b1 = m_hdr[1];
  m_fin = (b0 & 0x80) != 0;
  if (b0 & 0x70) return fail(kCloseProtocolError, "reserved bits set");
  const unsigned op = b0 & 0x0F;
  if (op != 0x0 && op != 0x1 && op != 0x2 && op != 0x8 && op != 0x9 && op != 0xA)
    return fail(kCloseProtocolError, "unknown opcode");
  m_opcode = static_cast<Opcode>(op);
  m_masked = (b1 & 0x80) != 0;
  if (m_role == Role::server && !m_masked)
    return fail(kCloseProtocolError, "client frame not masked");
  if (m_role == Role::client && m_masked) return fail(kCloseProtocolError, "server frame masked");
  const unsigned len7 = b1 & 0x7F;
  if (op & 0x8) {
    if (!m_fin) return fail(kCloseProtocolError, "fragmented control frame");
    if (len7 > kMaxControlPayload) return fail(kCloseProtocolError, "control frame too long");
  } else if (m_opcode == Opcode::continuation && !m_in_message) {
    return fail(kCloseProtocolError, "continuation without a message");
  } else if (m_opcode != Opcode::continuation && m_in_message) {
    return fail(kCloseProtocolError, "new message inside a fragmented message");
  }
  m_hdr_need = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + (m_masked ? 4 : 0);
  return true;
}

void FrameParser::grow_message(std::size_t needed) {
  if (needed <= m_message.capacity()) return;
  // Geometric growth, capped so capacity never exceeds the message limit.
  const std::size_t cap = std::min(m_max_message, std::max(needed, m_message.capacity() * 2));
  std::string fresh;
  fresh.reserve(cap);
  fresh.append(m_message);
  m_message.swap(fresh);
}

bool FrameParser::begin_frame() {
  const unsigned len7 = m_hdr[1] & 0x7F;
  std::size_t pos = 2;
  std::uint64_t len = len7;
  if (len7 == 126) {
    len = (std::uint64_t{m_hdr[2]} << 8) | m_hdr[3];
    pos = 4;
  } else if (len7 == 127) {
    if (m_hdr[2] & 0x80) return fail(kCloseProtocolError, "frame length has the top bit set");
    len = 0;
    for (std::size_t k = 2; k < 10; ++k) len = (len << 8) | m_hdr[k];
    pos = 10;
  }
  if (m_masked) std::memcpy(m_mask, m_hdr + pos, 4);
  m_mask_pos = 0;
  m_remaining = len;
  m_hdr_len = 0;
  m_hdr_need = 2;

  if (static_cast<unsigned>(m_opcode) & 0x8) {
    m_control.clear();
  } else {
    const std::size_t base = m_opcode == Opcode::continuation ? m_message.size() : 0;
    if (len > m_max_message - base) return fail(kCloseMessageTooBig, "message too big");
    if (m_opcode != Opcode::continuation) {
      m_in_message = true;
      m_message_opcode = m_opcode;
      m_message.clear();
      m_utf8.reset();
    }
    grow_message(base + static_cast<std::size_t>(len));
  }
  m_state = State::payload;
  return true;
}

bool FrameParser::finish_frame(const Sink& sink, bool& stop) {
  m_state = State::header;
  Message msg;
  if (static_cast<unsigned>(m_opcode) & 0x8) {
    msg.opcode = m_opcode;
    if (m_opcode == Opcode::close) {
      if (m_control.size() == 1) return fail(kCloseProtocolError, "close payload of one byte");
      if (m_control.empty()) {
        msg.close_code = kCloseNoStatus;
      } else {
        const auto* p = reinterpret_cast<const unsigned char*>(m_control.data());
        msg.close_code = static_cast<std::uint16_t>((p[0] << 8) | p[1]);
        if (!is_valid_close_code(msg.close_code))
          return fail(kCloseProtocolError, "invalid close code");
        msg.payload.assign(m_control, 2);
        if (!is_valid_utf8(msg.payload))
          return fail(kCloseInvalidPayload, "close reason not UTF-8");
      }
    } else {
      msg.payload = m_control;
    }
  } else {
    if (!m_fin) return true;
    if (m_message_opcode == Opcode::text && !m_utf8.complete())
      return fail(kCloseInvalidPayload, "invalid UTF-8 in text message");
    msg.opcode = m_message_opcode;
    msg.payload = std::move(m_message);
    m_message = std::string();
    m_in_message = false;
  }
  stop = !sink(std::move(msg));
  return true;
}

std::size_t FrameParser::feed(const char* data, std::size_t len, const Sink& sink) {
  std::size_t i = 0;
  bool stop = false;
  while (i < len && !stop) {
    if (m_state == State::failed) return i;
    if (m_state == State::header) {
      const std::size_t n = std::min(m_hdr_need - m_hdr_len, len - i);
      std::memcpy(m_hdr + m_hdr_len, data + i, n);
      m_hdr_len += n;
      i += n;
      if (m_hdr_len < m_hdr_need) continue;
      if (m_hdr_len == 2) {
        if (!check_first_two_bytes()) return i;
        if (m_hdr_need > 2) continue;  // a longer length or the mask is still to come
      }
      if (!begin_frame()) return i;
      if (m_remaining == 0 && !finish_frame(sink, stop)) return i;
      continue;
    }
    // Payload.
    const bool control = static_cast<unsigned>(m_opcode) & 0x8;
    std::string& target = control ? m_control : m_message;
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(m_remaining, len - i));
    const std::size_t start = target.size();
    target.append(data + i, n);
    if (m_masked)
      for (std::size_t k = start; k < target.size(); ++k) target[k] ^= m_mask[m_mask_pos++ & 3];
    i += n;
    m_remaining -= n;
    if (!control && m_message_opcode == Opcode::text &&
        !m_utf8.feed(reinterpret_cast<const unsigned char*>(target.data()) + start, n)) {
      fail(kCloseInvalidPayload, "invalid UTF-8 in text message");
      return i;
    }
    if (m_remaining == 0 && !finish_frame(sink, stop)) return i;
  }
  return i;
}

namespace {

// The frame's header, mask key included when there is one; returns the payload, truncated as a
// control frame's must be.
std::string_view append_header(std::string& out, Opcode opcode, std::string_view payload, bool fin,
                               const MaskKey* mask_key) {
  if ((static_cast<unsigned>(opcode) & 0x8) && payload.size() > kMaxControlPayload)
    payload = payload.substr(0, kMaxControlPayload);
  out.push_back(static_cast<char>((fin ? 0x80 : 0x00) | static_cast<unsigned>(opcode)));
  const char masked = mask_key ? static_cast<char>(0x80) : 0;
  const std::uint64_t len = payload.size();
  if (len < 126) {
    out.push_back(static_cast<char>(masked | static_cast<char>(len)));
  } else if (len <= 0xFFFF) {
    out.push_back(static_cast<char>(masked | 126));
    out.push_back(static_cast<char>(len >> 8));
    out.push_back(static_cast<char>(len & 0xFF));
  } else {
    out.push_back(static_cast<char>(masked | 127));
    for (int shift = 56; shift >= 0; shift -= 8)
      out.push_back(static_cast<char>((len >> shift) & 0xFF));
  }
  if (mask_key) out.append(reinterpret_cast<const char*>(mask_key->data()), mask_key->size());
  return payload;
}

}  // namespace

std::string make_close_payload(std::uint16_t code, std::string_view reason) {
  // Cut to fit 123 bytes without splitting a UTF-8 sequence.
  constexpr std::size_t kMaxReason = kMaxControlPayload - 2;
  if (reason.size() > kMaxReason) {
    std::size_t cut = kMaxReason;
    while (cut > 0 && (static_cast<unsigned char>(reason[cut]) & 0xC0) == 0x80) --cut;
    reason = reason.substr(0, cut);
  }
  std::string payload;
  payload.push_back(static_cast<char>(code >> 8));
  payload.push_back(static_cast<char>(code & 0xFF));
  payload.append(reason);
  return payload;
}

void append_frame(std::string& out, Opcode opcode, std::string_view payload, bool fin) {
  out.append(append_header(out, opcode, payload, fin, nullptr));
}

MaskKey random_mask_key() {
  const auto bytes = random_bytes(4);
  return {bytes[0], bytes[1], bytes[2], bytes[3]};
}

void append_masked_frame(std::string& out, Opcode opcode, std::string_view payload,
                         const MaskKey& mask_key, bool fin) {
  payload = append_header(out, opcode, payload, fin, &mask_key);
  for (std::size_t i = 0; i < payload.size(); ++i)
    out.push_back(static_cast<char>(payload[i] ^ static_cast<char>(mask_key[i & 3])));
}

std::string encode_frame(Opcode opcode, std::string_view payload, bool fin) {
  std::string out;
  out.reserve(payload.size() + 10);
  append_frame(out, opcode, payload, fin);
  return out;
}

std::string encode_close(std::uint16_t code, std::string_view reason) {
  return encode_frame(Opcode::close, make_close_payload(code, reason));
}

}  // namespace tt::ws
