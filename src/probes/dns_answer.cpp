#include "probes/dns_answer.h"

#include <ares.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <fmt/format.h>
#include <netdb.h>

#include <algorithm>
#include <climits>
#include <cstring>

namespace tt::probes::dns {

namespace {

constexpr std::size_t kHeaderBytes = 12;

unsigned be16(const unsigned char* p) { return static_cast<unsigned>(p[0] << 8 | p[1]); }

std::string strip_dot(std::string s) {
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

bool same_name(std::string_view a, std::string_view b) {
  if (!a.empty() && a.back() == '.') a.remove_suffix(1);
  if (!b.empty() && b.back() == '.') b.remove_suffix(1);
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// Owns what ares_expand_name allocates.
std::optional<std::string> expand(const unsigned char* at, const unsigned char* buf, int len,
                                  long& used) {
  char* s = nullptr;
  if (ares_expand_name(at, buf, len, &s, &used) != ARES_SUCCESS) return std::nullopt;
  std::string out = s;
  ares_free_string(s);
  return out;
}

// c-ares 1.18 has no CNAME parser: walk the answer section (names through ares_expand_name,
// which bounds compression pointers) and take the rdata of each CNAME record.
void cname_records(const unsigned char* buf, int len, unsigned qdcount, unsigned ancount,
                   std::vector<std::string>& out) {
  const unsigned char* p = buf + kHeaderBytes;
  const unsigned char* end = buf + len;
  long used = 0;
  for (unsigned i = 0; i < qdcount; ++i) {
    if (!expand(p, buf, len, used)) return;
    p += used;
    if (end - p < 4) return;
    p += 4;
  }
  for (unsigned i = 0; i < ancount; ++i) {
    if (!expand(p, buf, len, used)) return;
    p += used;
    if (end - p < 10) return;
    unsigned type = be16(p), rdlen = be16(p + 8);
    p += 10;
    if (end - p < static_cast<long>(rdlen)) return;
    if (type == ns_t_cname) {
      if (auto name = expand(p, buf, len, used)) out.push_back(strip_dot(std::move(*name)));
    }
    p += rdlen;
  }
}

void host_addresses(const hostent* h, std::vector<std::string>& out) {
  char text[INET6_ADDRSTRLEN];
  for (char** a = h->h_addr_list; a && *a; ++a)
    if (inet_ntop(h->h_addrtype, *a, text, sizeof text)) out.emplace_back(text);
}

void host_aliases(const hostent* h, std::vector<std::string>& out) {
  for (char** a = h->h_aliases; a && *a; ++a) out.push_back(strip_dot(*a));
}

// Each record type's name in options and its query type, in one table.
struct TypeRow {
  std::string_view name;
  RecordType type;
  int query_type;
};
constexpr TypeRow kTypes[] = {{"A", RecordType::a, ns_t_a},
                              {"AAAA", RecordType::aaaa, ns_t_aaaa},
                              {"CNAME", RecordType::cname, ns_t_cname},
                              {"MX", RecordType::mx, ns_t_mx},
                              {"TXT", RecordType::txt, ns_t_txt},
                              {"NS", RecordType::ns, ns_t_ns},
                              {"SOA", RecordType::soa, ns_t_soa},
                              {"PTR", RecordType::ptr, ns_t_ptr}};

}  // namespace

std::optional<RecordType> parse_record_type(std::string_view name) {
  for (const auto& row : kTypes)
    if (row.name == name) return row.type;
  return std::nullopt;
}

int query_type(RecordType t) {
  for (const auto& row : kTypes)
    if (row.type == t) return row.query_type;
  return ns_t_a;
}

std::string rcode_name(int rcode) {
  static constexpr std::string_view kNames[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
                                                "NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET",
                                                "NXRRSET", "NOTAUTH", "NOTZONE"};
  if (rcode >= 0 && rcode < static_cast<int>(std::size(kNames))) return std::string(kNames[rcode]);
  return fmt::format("RCODE{}", rcode);
}

std::optional<std::string> reverse_name(const std::string& ip) {
  unsigned char b[16];
  if (inet_pton(AF_INET, ip.c_str(), b) == 1)
    return fmt::format("{}.{}.{}.{}.in-addr.arpa", b[3], b[2], b[1], b[0]);
  if (inet_pton(AF_INET6, ip.c_str(), b) != 1) return std::nullopt;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (int i = 15; i >= 0; --i) {
    out += kHex[b[i] & 0xF];
    out += '.';
    out += kHex[b[i] >> 4];
    out += '.';
  }
  return out + "ip6.arpa";
}

Answer parse_answer(RecordType type, const unsigned char* buf, std::size_t size) {
  Answer a;
  if (size < kHeaderBytes) return a;
  // DNS messages are at most 65535 bytes; c-ares takes an int length.
  const int len = static_cast<int>(std::min<std::size_t>(size, 65535));
  a.header = true;
  a.rcode = buf[3] & 0x0F;
  const unsigned qdcount = be16(buf + 4);
  a.answer_rrs = be16(buf + 6);
  a.authority_rrs = be16(buf + 8);
  a.additional_rrs = be16(buf + 10);
  if (a.rcode != ns_r_noerror || a.answer_rrs == 0) return a;

  auto& out = a.records;
  switch (type) {
    case RecordType::a:
    case RecordType::aaaa: {
      hostent* h = nullptr;
      int rc = type == RecordType::a ? ares_parse_a_reply(buf, len, &h, nullptr, nullptr)
                                     : ares_parse_aaaa_reply(buf, len, &h, nullptr, nullptr);
      if (rc == ARES_SUCCESS && h) host_addresses(h, out);
      if (h) ares_free_hostent(h);
      break;
    }
    case RecordType::ns: {
      hostent* h = nullptr;
      if (ares_parse_ns_reply(buf, len, &h) == ARES_SUCCESS && h) host_aliases(h, out);
      if (h) ares_free_hostent(h);
      break;
    }
    case RecordType::ptr: {
      // The address only fills the hostent; c-ares matches records against the question name.
      const unsigned char any[4] = {0, 0, 0, 0};
      hostent* h = nullptr;
      if (ares_parse_ptr_reply(buf, len, any, sizeof any, AF_INET, &h) == ARES_SUCCESS && h) {
        host_aliases(h, out);
        if (out.empty() && h->h_name) out.push_back(strip_dot(h->h_name));
      }
      if (h) ares_free_hostent(h);
      break;
    }
    case RecordType::cname:
      cname_records(buf, len, qdcount, a.answer_rrs, out);
      break;
    case RecordType::mx: {
      ares_mx_reply* mx = nullptr;
      if (ares_parse_mx_reply(buf, len, &mx) == ARES_SUCCESS)
        for (auto* r = mx; r; r = r->next)
          out.push_back(fmt::format("{} {}", r->priority, strip_dot(r->host)));
      if (mx) ares_free_data(mx);
      break;
    }
    case RecordType::txt: {
      ares_txt_ext* txt = nullptr;
      if (ares_parse_txt_reply_ext(buf, len, &txt) == ARES_SUCCESS)
        for (auto* r = txt; r; r = r->next) {
          if (r->record_start || out.empty()) out.emplace_back();
          out.back().append(reinterpret_cast<const char*>(r->txt), r->length);
        }
      if (txt) ares_free_data(txt);
      break;
    }
    case RecordType::soa: {
      ares_soa_reply* soa = nullptr;
      if (ares_parse_soa_reply(buf, len, &soa) == ARES_SUCCESS && soa)
        out.push_back(fmt::format("{} {} {} {} {} {} {}", strip_dot(soa->nsname),
                                  strip_dot(soa->hostmaster), soa->serial, soa->refresh, soa->retry,
                                  soa->expire, soa->minttl));
      if (soa) ares_free_data(soa);
      break;
    }
  }
  return a;
}

bool expected_present(RecordType type, const std::vector<std::string>& records,
                      const std::vector<std::string>& expected) {
  if (expected.empty()) return true;
  for (const auto& e : expected)
    for (const auto& r : records)
      if (type == RecordType::txt ? e == r : same_name(e, r)) return true;
  return false;
}

Observation observe(RecordType type, const unsigned char* buf, std::size_t len,
                    const std::vector<std::string>& expected, double latency_s) {
  Observation o;
  const Answer a = parse_answer(type, buf, len);
  if (!a.header) return failed("io", "the answer is shorter than a DNS header");
  std::string joined;
  for (const auto& r : a.records) joined += (joined.empty() ? "" : "\n") + r;
  const std::string rcode = rcode_name(a.rcode);
  o.facts.reserve(4);
  o.facts["latency"] = latency_s;
  o.facts["rcode"] = rcode;
  o.facts["answers"] = joined;
  o.facts["answer_count"] = a.answer_rrs;
  o.metrics = {{"probe_dns_lookup_time_seconds", latency_s},
               {"probe_dns_answer_rrs", static_cast<double>(a.answer_rrs)},
               {"probe_dns_authority_rrs", static_cast<double>(a.authority_rrs)},
               {"probe_dns_additional_rrs", static_cast<double>(a.additional_rrs)}};
  if (a.rcode != ns_r_noerror) {
    o.error = "rcode";
    o.message = rcode;
  } else if (a.records.empty()) {
    o.error = "no_answer";
    o.message = a.answer_rrs ? "no record of the asked type in the answer" : "empty answer";
  } else if (!expected_present(type, a.records, expected)) {
    o.error = "expected";
    o.message = "none of the expected answers; got: " + joined;
    std::replace(o.message.begin(), o.message.end(), '\n', ',');
  } else {
    o.ok = true;
    o.message =
        fmt::format("{}, {} answer{}", rcode, a.records.size(), a.records.size() == 1 ? "" : "s");
  }
  return o;
}

}  // namespace tt::probes::dns
