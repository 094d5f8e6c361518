// Fuzzes the condition language: arbitrary text is parsed against the http facts; what parses is
// evaluated against a fixed observation with a JSON body. Must never crash, hang or throw, and
// every error must point inside the text.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "checks/conditions.h"
#include "probes/kinds.h"

using namespace tt;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

const nlohmann::json& facts() {
  static const nlohmann::json* f = new nlohmann::json{
      {"status", 200},
      {"latency", 0.412},
      {"connect_time", 0.0123},
      {"body",
       R"({"health":{"status":"green","checks":[1,2.5,"x",null,true,{"a":[]}]},"ok":true,"n":null})"},
      {"body_size", 96},
      {"headers",
       {{"content-type", "application/json"},
        {"set-cookie", nlohmann::json::array({"a=1", "b=2"})}}},
      {"final_url", "https://example.org/health"},
      {"http_version", "2"},
      {"cert_issuer", "R3 \xff\xfe"},
  };
  return *f;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  checks::ConditionError err;
  auto cond = checks::Condition::parse(text, probes::http_kind().facts, err);
  if (!cond) {
    check(!err.message.empty());
    check(err.position <= size);
    return 0;
  }
  check(cond->text() == text);
  auto v = cond->evaluate(Facts(facts()));
  check(v.detail.size() < 4096);
  (void)cond->evaluate(Facts());
  return 0;
}
