#include <doctest/doctest.h>

#include <memory>
#include <string>

#include "core/result.h"

using namespace tt;

namespace {

Result<int> parse_digit(char c) {
  if (c < '0' || c > '9') return Error::make(ErrorKind::validation, "NOT_A_DIGIT", "not a digit");
  return c - '0';
}

Result<void> check_positive(int n) {
  if (n <= 0) return Error::make(ErrorKind::validation, "NOT_POSITIVE", "not positive");
  return ok();
}

// Two digits as a number: TT_TRY yields each value or returns the first error.
Result<int> parse_two(const std::string& s, int& steps) {
  const int tens = TT_TRY(parse_digit(s.at(0)));
  ++steps;
  const int ones = TT_TRY(parse_digit(s.at(1)));
  ++steps;
  TT_TRY(check_positive(tens * 10 + ones));  // a Result<void> yields nothing
  ++steps;
  return tens * 10 + ones;
}

Result<void> in_void_function(char c, int& seen) {
  seen = TT_TRY(parse_digit(c));
  return ok();
}

Result<std::unique_ptr<int>> boxed(int n) { return std::make_unique<int>(n); }

Result<int> unbox(int n) {
  std::unique_ptr<int> p = TT_TRY(boxed(n));  // a move-only value is moved out
  return *p;
}

}  // namespace

TEST_CASE("TT_TRY yields the value of a Result and returns its error from the function") {
  int steps = 0;
  auto r = parse_two("42", steps);
  REQUIRE(r.ok());
  CHECK(r.value() == 42);
  CHECK(steps == 3);

  steps = 0;
  r = parse_two("4x", steps);
  REQUIRE(!r.ok());
  CHECK(r.error().code == "NOT_A_DIGIT");
  CHECK(steps == 1);  // stopped at the second digit

  steps = 0;
  r = parse_two("00", steps);
  REQUIRE(!r.ok());
  CHECK(r.error().code == "NOT_POSITIVE");
  CHECK(steps == 2);

  int seen = -1;
  CHECK(in_void_function('7', seen).ok());
  CHECK(seen == 7);
  auto failed = in_void_function('?', seen);
  REQUIRE(!failed.ok());
  CHECK(failed.error().code == "NOT_A_DIGIT");
  CHECK(seen == 7);

  CHECK(unbox(5).value() == 5);
}

TEST_CASE("TT_TRY copies an lvalue Result rather than moving from it") {
  auto make = [](const Result<std::string>& kept) -> Result<std::size_t> {
    return TT_TRY(kept).size();
  };
  Result<std::string> kept = std::string("abc");
  CHECK(make(kept).value() == 3);
  CHECK(kept.value() == "abc");
}
