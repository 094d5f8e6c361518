#include <doctest/doctest.h>

#include "core/options.h"
#include "core/redact.h"

using namespace tt;
using nlohmann::json;

TEST_CASE("URLs: the userinfo password and secret query values are masked, the rest kept") {
  CHECK(redact::url("https://user:pa55@host/") == "https://user:********@host/");
  CHECK(redact::url("https://host/p?token=abc&x=1&apikey=k&api_key=k2&sig=s#top") ==
        "https://host/p?token=********&x=1&apikey=********&api_key=********&sig=********#top");
  CHECK(redact::url("smtp://me:secret@mail:587") == "smtp://me:********@mail:587");
  CHECK(redact::url(
            "https://h/?Access_Token=a&PASSWORD=b&pass=c&auth=d&secret=e&key=f&signature=g") ==
        "https://h/"
        "?Access_Token=********&PASSWORD=********&pass=********&auth=********&secret=********"
        "&key=********&signature=********");
  CHECK(redact::url("https://h/?api%5Fkey=a&flag&page=2&token=") ==
        "https://h/?api%5Fkey=********&flag&page=2&token=");
  // A user name alone, and an '@' in the path, are not secrets.
  CHECK(redact::url("https://user@host/@me?q=1") == "https://user@host/@me?q=1");
  // Not URLs: unchanged.
  for (const char* text :
       {"example.org:443", "10.0.0.1", "GET https://u:p@h/ failed", "", "://x?token=1"})
    CHECK(redact::url(text) == text);
  // Idempotent.
  auto once = redact::url("https://u:p@h/?token=t");
  CHECK(redact::url(once) == once);
}

TEST_CASE(
    "URLs: a masked URL sent back gets the stored secrets, matched by parameter name and order") {
  std::string stored = "https://u:p%40ss@h/x?token=t1&a=1&token=t2";
  CHECK(redact::restore_url(redact::url(stored), stored) == stored);
  // Edited elsewhere: the secrets still come back.
  CHECK(redact::restore_url("https://u:********@h/y?token=********&a=2&token=********", stored) ==
        "https://u:p%40ss@h/y?token=t1&a=2&token=t2");
  // A new value replaces; a mask with nothing stored behind it stays as sent.
  CHECK(redact::restore_url("https://u:new@h/x?token=n", stored) == "https://u:new@h/x?token=n");
  CHECK(redact::restore_url("https://h/?key=********", "https://h/") == "https://h/?key=********");
}

TEST_CASE("headers: values of secret names are masked and restored by name in any case") {
  json h{{"Authorization", "Bearer x"},
         {"Proxy-Authorization", "Basic y"},
         {"Cookie", "s=1"},
         {"X-Api-Key", "k"},
         {"X-Auth-Token", "t"},
         {"X-Session-Id", "s"},
         {"X-Client-Secret", "c"},
         {"X-Password", "p"},
         {"Accept", "text/html"},
         {"X-Trace", "on"}};
  auto masked = redact::headers(h);
  // Not a structured binding: doctest's CHECK captures it in a lambda, which clang 14 refuses.
  for (const auto& item : masked.items()) {
    const std::string& k = item.key();
    CHECK_MESSAGE(item.value() == (k == "Accept" || k == "X-Trace" ? h[k] : json(kMaskedSecret)),
                  k);
  }
  CHECK(redact::restore_headers(masked, h) == h);
  json edited = masked;
  edited.erase("X-Trace");
  edited["authorization"] = kMaskedSecret;  // renamed in case only
  edited.erase("Authorization");
  auto restored = redact::restore_headers(edited, h);
  CHECK(restored["authorization"] == "Bearer x");
  CHECK(!restored.contains("X-Trace"));
}

TEST_CASE("documents of unknown shape: every URL string and every headers object is masked") {
  json doc{{"check",
            {{"target", "https://u:p@h/?token=t"},
             {"options", {{"headers", {{"Authorization", "B"}}}}}}},
           {"list", {"http://h/?secret=s", 3, nullptr}},
           {"name", "token=abc is not a URL"}};
  auto out = redact::tree(doc);
  CHECK(out["check"]["target"] == "https://u:********@h/?token=********");
  CHECK(out["check"]["options"]["headers"]["Authorization"] == kMaskedSecret);
  CHECK(out["list"] == json{"http://h/?secret=********", 3, nullptr});
  CHECK(out["name"] == doc["name"]);
}

TEST_CASE("option tables mask and restore whole secrets and the secrets inside the others alike") {
  std::vector<OptionSpec> specs{
      {"password", "", OptionType::string, nullptr, "", {}, 0, 0, false, true},
      {"url", "", OptionType::string},
      {"headers", "", OptionType::string_map},
      {"note", "", OptionType::string}};
  json stored{{"password", "pw"},
              {"url", "https://u:p@h/?token=t"},
              {"headers", {{"Authorization", "Bearer b"}, {"Accept", "*/*"}}},
              {"note", "no URL here"}};
  auto shown = redact_options(specs, stored);
  CHECK(shown == json{{"password", "********"},
                      {"url", "https://u:********@h/?token=********"},
                      {"headers", {{"Authorization", "********"}, {"Accept", "*/*"}}},
                      {"note", "no URL here"}});
  CHECK(redact::restore_options(specs, shown, stored) == stored);
  // A new value wins over the stored one; a mask with nothing stored stays as sent.
  json edited = shown;
  edited["password"] = "new";
  edited["headers"]["X-Api-Key"] = "********";
  auto restored = redact::restore_options(specs, edited, stored);
  CHECK(restored["password"] == "new");
  CHECK(restored["headers"]["Authorization"] == "Bearer b");
  CHECK(restored["headers"]["X-Api-Key"] == "********");
}
