// USM: key localisation against RFC 3414 A.3 and net-snmp's SHA-2 keys, HMAC lengths, privacy round
// trips, and the v3 message codec (the offset of the authentication parameters it reports, strict
// decoding).
#include "snmp/usm.h"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include "snmp/message.h"

using namespace tt::snmp;

namespace {

std::string hex(std::string_view s) {
  std::string out;
  for (unsigned char c : s) out += fmt::format("{:02x}", c);
  return out;
}

const std::string kEngine("\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02", 12);

std::span<const std::uint8_t> bytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace

TEST_CASE("usm: RFC 3414 A.3.1 MD5 password to key and localisation") {
  const auto ku = password_to_key(AuthProtocol::md5, "maplesyrup");
  CHECK(hex(ku) == "9faf3283884e92834ebc9847d8edd963");
  CHECK(hex(localize_key(AuthProtocol::md5, ku, kEngine)) == "526f5eed9fcce26f8964c2930787d82b");
}

TEST_CASE("usm: RFC 3414 A.3.2 SHA password to key and localisation") {
  const auto ku = password_to_key(AuthProtocol::sha1, "maplesyrup");
  CHECK(hex(ku) == "9fb5cc0381497b3793528939ff788d5d79145211");
  CHECK(hex(localize_key(AuthProtocol::sha1, ku, kEngine)) ==
        "6695febc9288e36282235fc7151f128497b38f3f");
}

// RFC 7860 publishes no vectors of its own; these localised keys are net-snmp's. snmpd 5.9.3 with
// `exactEngineID 0x000000000000000000000002` and `createUser uN SHA-N maplesyrup AES maplesyrup`
// writes each user's localised auth and priv keys to its persistent snmpd.conf (usmUser lines)
// on shutdown; for SHA-1 the same run gives RFC 3414 A.3.2's key, which vouches for the method.
TEST_CASE("usm: SHA-2 password to key and localisation agree with net-snmp") {
  for (auto [p, kul] : {
           std::pair{AuthProtocol::sha1, "6695febc9288e36282235fc7151f128497b38f3f"},
           {AuthProtocol::sha224, "0bd8827c6e29f8065e08e09237f177e410f69b90e1782be682075674"},
           {AuthProtocol::sha256,
            "8982e0e549e866db361a6b625d84cccc11162d453ee8ce3a6445c2d6776f0f8b"},
           {AuthProtocol::sha384,
            "3b298f16164a11184279d5432bf169e2d2a48307de02b3d3f7e2b4f36eb6f0455a53689a3937eea07319a6"
            "33d2ccba78"},
           {AuthProtocol::sha512,
            "22a5a36cedfcc085807a128d7bc6c2382167ad6c0dbc5fdff856740f3d84c099ad1ea87a8db096714d9788"
            "bd544047c9021e4229ce27e4"
            "c0a69250adfcffbb0b"},
       }) {
    const std::string_view protocol =
        to_string(p);  // CAPTURE of a structured binding: clang 14 refuses
    CAPTURE(protocol);
    CHECK(hex(localize_key(p, password_to_key(p, "maplesyrup"), kEngine)) == kul);
    // The AES-128 key is the first 16 bytes of the privacy password's localised key (RFC 3826 1.2).
    auto k = localized_keys({"u", p, "maplesyrup", PrivProtocol::aes128, "maplesyrup"}, kEngine);
    CHECK(hex(k.auth_key) == kul);
    CHECK(hex(k.priv_key) == std::string(kul).substr(0, 32));
  }
}

TEST_CASE("usm: HMAC truncation per protocol and priv keys extended to the cipher") {
  for (auto [p, mac] : {std::pair{AuthProtocol::md5, 12},
                        {AuthProtocol::sha1, 12},
                        {AuthProtocol::sha224, 16},
                        {AuthProtocol::sha256, 24},
                        {AuthProtocol::sha384, 32},
                        {AuthProtocol::sha512, 48}}) {
    const std::string_view protocol =
        to_string(p);  // CAPTURE of a structured binding: clang 14 refuses
    CAPTURE(protocol);
    auto k = localized_keys({"u", p, "authpass1", PrivProtocol::aes256, "privpass1"}, kEngine);
    CHECK(authenticate(k, "message").size() == static_cast<std::size_t>(mac));
    CHECK(k.priv_key.size() == 32);
  }
  // draft-blumenthal-aes-usm-04: a SHA-1 key (20 bytes) for AES-192 is Kul || H(Kul), cut to 24.
  auto k = localized_keys({"u", AuthProtocol::sha1, "authpass1", PrivProtocol::aes192, "privpass1"},
                          kEngine);
  const auto kul =
      localize_key(AuthProtocol::sha1, password_to_key(AuthProtocol::sha1, "privpass1"), kEngine);
  CHECK(k.priv_key.substr(0, 20) == kul);
  CHECK(k.priv_key.size() == 24);
}

TEST_CASE("usm: encrypt and decrypt round trip for every privacy protocol") {
  const std::string plain = "0123456789abcdefghij-a scoped pdu";
  for (auto priv :
       {PrivProtocol::des, PrivProtocol::aes128, PrivProtocol::aes192, PrivProtocol::aes256}) {
    CAPTURE(to_string(priv));
    auto k = localized_keys({"u", AuthProtocol::sha256, "authpass1", priv, "privpass1"}, kEngine);
    std::string params;
    auto cipher = encrypt(k, 3, 1234, 0x0102030405060708ull, plain, params);
    CHECK(params.size() == 8);
    CHECK(cipher != plain);
    auto back = decrypt(k, 3, 1234, params, cipher);
    REQUIRE(back.ok());
    CHECK(back->substr(0, plain.size()) == plain);
    auto other =
        localized_keys({"u", AuthProtocol::sha256, "authpass1", priv, "wrongpass"}, kEngine);
    CHECK(decrypt(other, 3, 1234, params, cipher).value().substr(0, plain.size()) != plain);
  }
  auto des = localized_keys({"u", AuthProtocol::md5, "authpass1", PrivProtocol::des, "privpass1"},
                            kEngine);
  CHECK(decrypt(des, 0, 0, "12345678", "abc").error().code == "SNMP_DECRYPTION_FAILED");
  CHECK(decrypt(des, 0, 0, "123", "abcdefgh").error().code == "SNMP_DECRYPTION_FAILED");
}

TEST_CASE("usm: protocol names") {
  CHECK(auth_protocol_from("sha") == AuthProtocol::sha1);
  CHECK(auth_protocol_from("sha512") == AuthProtocol::sha512);
  CHECK(!auth_protocol_from("SHA-1"));
  CHECK(priv_protocol_from("aes") == PrivProtocol::aes128);
  CHECK(priv_protocol_from("aes256") == PrivProtocol::aes256);
  CHECK(!priv_protocol_from("3des"));
}

TEST_CASE("snmp v3: encode and decode, authentication parameters found in place") {
  ScopedPdu s{kEngine, "ctx", {}};
  s.pdu.type = PduType::get;
  s.pdu.request_id = 77;
  s.pdu.varbinds = {{*parse_oid("1.3.6.1.2.1.1.5.0"), Value::make(Type::null)}};
  MessageV3 m;
  m.msg_id = 77;
  m.flags = kFlagAuth | kFlagReportable;
  m.usm = {kEngine, 5, 1000, "alice", std::string(12, '\0'), ""};
  m.scoped = encode(s);
  std::size_t at = 0;
  auto wire = encode(m, &at);
  wire.replace(at, 12, "ABCDEFGHIJKL");
  auto d = decode_v3(bytes(wire));
  REQUIRE(d.ok());
  CHECK(d->auth_params_at == at);
  CHECK(d->message.usm.auth_params == "ABCDEFGHIJKL");
  CHECK(d->message.usm.user == "alice");
  CHECK(d->message.usm.engine_boots == 5);
  CHECK(d->message.msg_id == 77);
  auto back = decode_scoped_pdu(bytes(d->message.scoped), false);
  REQUIRE(back.ok());
  CHECK(back.value() == s);
  CHECK(peek_version(bytes(wire)) == 3);
  // The v1/v2c decoder names what it found.
  CHECK(decode(bytes(wire)).error().message.find("SNMPv3") != std::string::npos);
}

TEST_CASE("snmp v3: strict decoding") {
  MessageV3 m;
  m.msg_id = 1;
  m.flags = kFlagPriv;  // privacy without authentication
  m.scoped = "xx";
  CHECK(decode_v3(bytes(encode(m))).error().message.find("privacy without authentication") !=
        std::string::npos);
  m.flags = 0;
  m.scoped = "\x04\x00";  // not a ScopedPDU
  CHECK(decode_v3(bytes(encode(m))).error().code == "SNMP_MALFORMED");
  auto wire = encode(MessageV3{});
  for (std::size_t n = 0; n < wire.size(); ++n) CHECK(!decode_v3(bytes(wire.substr(0, n))).ok());
  ScopedPdu s;
  auto padded = encode(s) + std::string(5, '\0');
  CHECK(decode_scoped_pdu(bytes(padded), true).ok());
  CHECK(!decode_scoped_pdu(bytes(padded), false).ok());
}
