#include "collect/dbus.h"

#include <algorithm>
#include <utility>

#include "core/utf8.h"

namespace tt::collect::dbus {

namespace {

constexpr std::uint32_t kMaxArrayBytes = 64 << 20;  // the specification's limit
constexpr int kMaxDepth = 64;                       // 32 arrays and 32 structs, as it allows
constexpr std::size_t kFixedHeaderBytes = 16;

// The header fields' codes and the type each must have.
enum Field : std::uint8_t {
  kPath = 1,
  kInterface = 2,
  kMember = 3,
  kErrorName = 4,
  kReplySerial = 5,
  kDestination = 6,
  kSender = 7,
  kSignature = 8,
  kUnixFds = 9,
};
constexpr std::string_view kFieldTypes[] = {"", "o", "s", "s", "s", "u", "s", "s", "g", "u"};

Error bad(std::string what) {
  return Error::make(ErrorKind::bad_gateway, "DBUS_BAD_MESSAGE", "D-Bus: " + std::move(what));
}

std::size_t align_up(std::size_t n, std::size_t to) { return (n + to - 1) / to * to; }

std::uint32_t load_u32(std::string_view b, std::size_t at, bool big_endian) {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) {
    auto byte = static_cast<std::uint8_t>(b[at + (big_endian ? i : 3 - i)]);
    v = (v << 8) | byte;
  }
  return v;
}

std::size_t alignment(char type) {
  switch (type) {
    case 'n':
    case 'q':
      return 2;
    case 'b':
    case 'i':
    case 'u':
    case 'h':
    case 's':
    case 'o':
    case 'a':
      return 4;
    case 'x':
    case 't':
    case 'd':
    case '(':
    case '{':
      return 8;
    default:  // y, g, v
      return 1;
  }
}

bool is_basic(char c) {
  return std::string_view("ybnqiuxtdhsog").find(c) != std::string_view::npos;
}

// Where the single complete type that starts at sig[i] ends; npos when there is none.
std::size_t type_end(std::string_view sig, std::size_t i, int depth) {
  if (depth > kMaxDepth || i >= sig.size()) return std::string_view::npos;
  char c = sig[i];
  if (is_basic(c) || c == 'v') return i + 1;
  if (c == 'a') {
    if (i + 1 < sig.size() && sig[i + 1] == '{') {
      if (i + 2 >= sig.size() || !is_basic(sig[i + 2])) return std::string_view::npos;
      auto value_end = type_end(sig, i + 3, depth + 1);
      if (value_end >= sig.size() || sig[value_end] != '}') return std::string_view::npos;
      return value_end + 1;
    }
    return type_end(sig, i + 1, depth + 1);
  }
  if (c != '(') return std::string_view::npos;
  std::size_t j = i + 1;
  if (j < sig.size() && sig[j] == ')') return std::string_view::npos;  // no empty structs
  while (j < sig.size() && sig[j] != ')') {
    j = type_end(sig, j, depth + 1);
    if (j == std::string_view::npos) return j;
  }
  return j < sig.size() ? j + 1 : std::string_view::npos;
}

bool valid_signature(std::string_view sig) {
  for (std::size_t i = 0; i < sig.size();) {
    i = type_end(sig, i, 0);
    if (i == std::string_view::npos) return false;
  }
  return true;
}

bool is_path_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

// "/", or "/" then elements of [A-Za-z0-9_] separated by single slashes.
bool valid_object_path(std::string_view p) {
  if (p == "/") return true;
  if (!p.starts_with('/') || p.ends_with('/')) return false;
  for (std::size_t i = 1; i < p.size(); ++i)
    if (p[i] == '/' ? p[i - 1] == '/' : !is_path_char(p[i])) return false;
  return true;
}

// Reads values from a whole message, aligned from its start; every read checks its bounds and
// what the specification requires of the bytes.
class Reader {
 public:
  Reader(std::string_view bytes, std::size_t pos, bool big_endian)
      : m_b(bytes), m_pos(pos), m_big(big_endian) {}
  std::size_t pos() const { return m_pos; }

  bool align(std::size_t n) {  // padding must be zero
    auto to = align_up(m_pos, n);
    if (to > m_b.size()) return false;
    for (; m_pos < to; ++m_pos)
      if (m_b[m_pos] != 0) return false;
    return true;
  }
  bool skip_fixed(std::size_t n) {
    if (!align(n) || m_b.size() - m_pos < n) return false;
    m_pos += n;
    return true;
  }
  std::optional<std::uint8_t> u8() {
    if (m_pos >= m_b.size()) return std::nullopt;
    return static_cast<std::uint8_t>(m_b[m_pos++]);
  }
  std::optional<std::uint32_t> u32() {
    if (!align(4) || m_b.size() - m_pos < 4) return std::nullopt;
    auto v = load_u32(m_b, m_pos, m_big);
    m_pos += 4;
    return v;
  }
  std::optional<std::uint64_t> u64() {
    if (!align(8) || m_b.size() - m_pos < 8) return std::nullopt;
    std::uint64_t lo = load_u32(m_b, m_pos, m_big), hi = load_u32(m_b, m_pos + 4, m_big);
    m_pos += 8;
    return m_big ? lo << 32 | hi : hi << 32 | lo;
  }
  std::optional<std::string_view> string() {
    auto n = u32();
    if (!n) return std::nullopt;
    return text(*n);
  }
  std::optional<std::string_view> object_path() {
    auto s = string();
    if (!s || !valid_object_path(*s)) return std::nullopt;
    return s;
  }
  std::optional<std::string_view> signature() {
    auto n = u8();
    if (!n) return std::nullopt;
    auto s = text(*n);
    if (!s || !valid_signature(*s)) return std::nullopt;
    return s;
  }

  // Skips the value of the complete type at sig[i] (a valid signature), moving i past it.
  bool skip(std::string_view sig, std::size_t& i, int depth) {
    if (depth > kMaxDepth) return false;
    char c = sig[i++];
    switch (c) {
      case 'y':
        return u8().has_value();
      case 'b': {
        auto v = u32();
        return v && *v <= 1;
      }
      case 'n':
      case 'q':
      case 'i':
      case 'u':
      case 'h':
      case 'x':
      case 't':
      case 'd':
        return skip_fixed(alignment(c));
      case 's':
        return string().has_value();
      case 'o':
        return object_path().has_value();
      case 'g':
        return signature().has_value();
      case 'v': {
        auto inner = signature();
        if (!inner || type_end(*inner, 0, depth + 1) != inner->size()) return false;
        std::size_t j = 0;
        return skip(*inner, j, depth + 1);
      }
      case 'a': {
        auto length = u32();
        const std::size_t array = i - 1, element = i;
        if (!length || *length > kMaxArrayBytes || !align(alignment(sig[element]))) return false;
        if (m_b.size() - m_pos < *length) return false;
        const std::size_t end = m_pos + *length;
        while (m_pos < end) {
          std::size_t j = element;
          if (!skip(sig, j, depth + 1)) return false;
        }
        i = type_end(sig, array, depth);
        return m_pos == end;
      }
      case '(':
      case '{':
        if (!align(8)) return false;
        while (sig[i] != ')' && sig[i] != '}')
          if (!skip(sig, i, depth + 1)) return false;
        ++i;
        return true;
      default:
        return false;
    }
  }

 private:
  // `n` bytes of UTF-8 without NUL, then the NUL that ends them.
  std::optional<std::string_view> text(std::size_t n) {
    if (m_b.size() - m_pos <= n || m_b[m_pos + n] != 0) return std::nullopt;
    auto s = m_b.substr(m_pos, n);
    if (s.find('\0') != std::string_view::npos || !valid_utf8(s)) return std::nullopt;
    m_pos += n + 1;
    return s;
  }

  std::string_view m_b;
  std::size_t m_pos;
  bool m_big;
};

// The fields a message of each type must have.
bool has_required_fields(const Message& m, bool path, bool interface, bool member) {
  switch (static_cast<MessageType>(m.type)) {
    case MessageType::method_call:
      return path && member;
    case MessageType::method_return:
      return m.reply_serial != 0;
    case MessageType::error:
      return m.reply_serial != 0 && !m.error_name.empty();
    case MessageType::signal:
      return path && interface && member;
  }
  return true;  // a later type: the caller ignores it
}

}  // namespace

Writer& Writer::align(std::size_t n) {
  m_out.resize(align_up(m_out.size(), n), '\0');
  return *this;
}

Writer& Writer::byte(std::uint8_t v) {
  m_out += static_cast<char>(v);
  return *this;
}

Writer& Writer::u32(std::uint32_t v) {
  align(4);
  for (int i = 0; i < 4; ++i) m_out += static_cast<char>((v >> (8 * i)) & 0xff);
  return *this;
}

Writer& Writer::string(std::string_view s) {
  u32(static_cast<std::uint32_t>(s.size()));
  m_out += s;
  m_out += '\0';
  return *this;
}

Writer& Writer::signature(std::string_view s) {
  byte(static_cast<std::uint8_t>(s.size()));
  m_out += s;
  m_out += '\0';
  return *this;
}

Writer::ArrayMark Writer::begin_array(std::size_t element_alignment) {
  u32(0);
  auto length_at = m_out.size() - 4;
  align(element_alignment);
  return {length_at, m_out.size()};
}

void Writer::end_array(ArrayMark mark) {
  auto n = static_cast<std::uint32_t>(m_out.size() - mark.start);  // the padding not counted
  for (int i = 0; i < 4; ++i) m_out[mark.length_at + i] = static_cast<char>((n >> (8 * i)) & 0xff);
}

std::string marshal(const OutMessage& m, std::uint32_t serial) {
  Writer w;
  w.byte('l').byte(static_cast<std::uint8_t>(m.type)).byte(0).byte(1);
  w.u32(static_cast<std::uint32_t>(m.body.size())).u32(serial);
  auto fields = w.begin_array(8);
  auto field = [&](Field code, std::string_view value) {
    if (value.empty()) return;
    w.align(8).byte(code).signature(kFieldTypes[code]);
    if (code == kSignature)
      w.signature(value);
    else
      w.string(value);
  };
  field(kPath, m.path);
  field(kInterface, m.interface);
  field(kMember, m.member);
  field(kErrorName, m.error_name);
  field(kDestination, m.destination);
  field(kSignature, m.signature);
  if (m.reply_serial) w.align(8).byte(kReplySerial).signature("u").u32(m.reply_serial);
  w.end_array(fields);
  w.align(8);
  return w.take() + m.body;
}

Result<std::optional<std::size_t>> message_size(std::string_view bytes) {
  if (bytes.size() < kFixedHeaderBytes) return std::optional<std::size_t>();
  bool big = bytes[0] == 'B';
  if ((bytes[0] != 'l' && !big) || bytes[1] == 0 || bytes[3] != 1)
    return bad("not a version 1 message header");
  std::uint64_t body = load_u32(bytes, 4, big), fields = load_u32(bytes, 12, big);
  std::uint64_t total = align_up(kFixedHeaderBytes + fields, 8) + body;
  if (total > kMaxMessageBytes) return bad("a message of " + std::to_string(total) + " bytes");
  return std::optional<std::size_t>(total);
}

Result<Message> parse_message(std::string_view bytes) {
  auto size = TT_TRY(message_size(bytes));
  if (!size || *size != bytes.size()) return bad("a message whose length is not its header's");
  Message m;
  m.big_endian = bytes[0] == 'B';
  m.type = static_cast<std::uint8_t>(bytes[1]);
  m.serial = load_u32(bytes, 8, m.big_endian);
  if (m.serial == 0) return bad("serial 0");

  Reader r(bytes, 12, m.big_endian);
  const std::size_t fields_end = kFixedHeaderBytes + *r.u32();
  bool path = false, interface = false, member = false;
  while (r.pos() < fields_end) {
    if (!r.align(8)) return bad("header field padding");
    auto code = r.u8();
    auto sig = r.signature();
    if (!code || *code == 0 || !sig || type_end(*sig, 0, 1) != sig->size())
      return bad("a header field");
    if (*code < std::size(kFieldTypes) && *sig != kFieldTypes[*code])
      return bad("header field " + std::to_string(*code) + " of type " + std::string(*sig));
    bool read = true;
    switch (*code) {
      case kErrorName:
        if (auto s = r.string())
          m.error_name = *s;
        else
          read = false;
        break;
      case kReplySerial:
        if (auto v = r.u32(); v && *v)
          m.reply_serial = *v;
        else
          read = false;
        break;
      case kSignature:
        if (auto s = r.signature())
          m.signature = *s;
        else
          read = false;
        break;
      default: {
        path |= *code == kPath;
        interface |= *code == kInterface;
        member |= *code == kMember;
        std::size_t i = 0;
        read = r.skip(*sig, i, 1);
      }
    }
    if (!read) return bad("the value of header field " + std::to_string(*code));
  }
  if (r.pos() != fields_end || !r.align(8)) return bad("the header's length");
  if (!has_required_fields(m, path, interface, member)) return bad("a required header field");
  m.body_offset = r.pos();
  for (std::size_t i = 0; i < m.signature.size();)
    if (!r.skip(m.signature, i, 0)) return bad("a body that is not its signature's values");
  if (r.pos() != bytes.size()) return bad("bytes after the body's values");
  m.bytes = std::string(bytes);
  return m;
}

Result<std::vector<Unit>> parse_units(const Message& reply) {
  if (reply.signature != "a(ssssssouso)")
    return bad("ListUnits answered with signature \"" + reply.signature + "\"");
  Reader r(reply.bytes, reply.body_offset, reply.big_endian);
  auto length = r.u32();
  if (!length || !r.align(8)) return bad("the unit list");
  const std::size_t end = r.pos() + *length;
  std::vector<Unit> units;
  while (r.pos() < end) {
    Unit u;
    std::optional<std::string_view> s[6];
    if (!r.align(8)) return bad("a unit");
    for (auto& field : s) field = r.string();
    auto path = r.object_path();
    auto job_id = r.u32();
    auto job_type = r.string();
    auto job_path = r.object_path();
    for (const auto& field : s)
      if (!field) return bad("a unit");
    if (!path || !job_id || !job_type || !job_path) return bad("a unit");
    units.push_back({std::string(*s[0]), std::string(*s[1]), std::string(*s[2]), std::string(*s[3]),
                     std::string(*s[4]), std::string(*path)});
  }
  return units;
}

namespace {

// A Properties.Get reply's body, read past its variant's signature, which must be one of `want`.
Result<std::pair<Reader, std::string_view>> variant_body(
    const Message& reply, std::initializer_list<std::string_view> want) {
  if (reply.signature != "v") return bad("a property of signature \"" + reply.signature + "\"");
  Reader r(reply.bytes, reply.body_offset, reply.big_endian);
  auto sig = r.signature();
  if (!sig || std::find(want.begin(), want.end(), *sig) == want.end())
    return bad("a property of type " + std::string(sig.value_or("?")));
  return std::pair{r, *sig};
}

}  // namespace

Result<std::string> parse_string_variant(const Message& reply) {
  auto [r, sig] = TT_TRY(variant_body(reply, {"s"}));
  auto s = r.string();
  if (!s) return bad("a property's string");
  return std::string(*s);
}

Result<std::uint64_t> parse_uint_variant(const Message& reply) {
  auto [r, sig] = TT_TRY(variant_body(reply, {"u", "t"}));
  auto v = sig == "u" ? std::optional<std::uint64_t>(r.u32()) : r.u64();
  if (!v) return bad("a property's unsigned integer");
  return *v;
}

}  // namespace tt::collect::dbus
