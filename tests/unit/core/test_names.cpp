#include <doctest/doctest.h>

#include "core/names.h"

using namespace tt;

TEST_CASE("display names refuse control and bidirectional control characters") {
  for (const char* good :
       {"gw1", "Büro-Drucker", "東京 core", "emoji 🚀", "a b", "x\u00A0y", "zero\u200Bwidth"})
    CHECK_MESSAGE(!display_name_problem(good), good);
  // Each bidirectional control, alone and inside a name ("Trojan Source").
  for (const char* bidi : {"\u202A", "\u202B", "\u202C", "\u202D", "\u202E", "\u2066", "\u2067",
                           "\u2068", "\u2069", "\u200E", "\u200F", "\u061C"}) {
    auto why = display_name_problem(std::string("gw") + bidi + "1");
    REQUIRE_MESSAGE(why, bidi);
    CHECK(why->find("bidirectional") != std::string::npos);
  }
  for (std::string_view control : {std::string_view("a\nb"), std::string_view("a\tb"),
                                   std::string_view("a\x7f"), std::string_view("a\xc2\x85"),
                                   std::string_view("a\xc2\x9b"
                                                    "31m"),
                                   std::string_view("a\0b", 3)})
    CHECK(display_name_problem(control) == "must not contain control characters");
  // Not UTF-8: a lone continuation byte, a cut sequence, an overlong '/', a surrogate, past
  // U+10FFFF.
  for (const char* bad : {"a\x80", "a\xe2\x80", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80"})
    CHECK(display_name_problem(bad) == "must be valid UTF-8");
}
