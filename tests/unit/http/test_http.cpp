#include <doctest/doctest.h>

#include "http/envelope.h"
#include "http/rate_limit.h"
#include "http/router.h"

using namespace tt;

TEST_CASE("error kinds map to their HTTP status") {
  CHECK(http::status_for(ErrorKind::invalid_input) == 400);
  CHECK(http::status_for(ErrorKind::validation) == 422);
  CHECK(http::status_for(ErrorKind::unauthenticated) == 401);
  CHECK(http::status_for(ErrorKind::forbidden) == 403);
  CHECK(http::status_for(ErrorKind::not_found) == 404);
  CHECK(http::status_for(ErrorKind::conflict) == 409);
  CHECK(http::status_for(ErrorKind::too_large) == 413);
  CHECK(http::status_for(ErrorKind::unsupported_type) == 415);
  CHECK(http::status_for(ErrorKind::rate_limited) == 429);
  CHECK(http::status_for(ErrorKind::unavailable) == 503);
}

TEST_CASE("list envelopes carry the pagination block") {
  auto j = nlohmann::json::parse(http::list_body(nlohmann::json::array({1, 2}), 5, {2, 2}, "rid"));
  CHECK(j["success"] == true);
  CHECK(j["meta"]["request_id"] == "rid");
  auto p = j["pagination"];
  CHECK(p["total_pages"] == 3);
  CHECK(p["has_next"] == true);
  CHECK(p["has_prev"] == true);
  auto e = nlohmann::json::parse(http::error_body(
      Error{ErrorKind::validation, "VALIDATION_FAILED", "bad", {{"name", "is required"}}, 3},
      "r2"));
  CHECK(e["success"] == false);
  CHECK(e["error"]["details"]["fields"][0]["field"] == "name");
  CHECK(e["error"]["details"]["retry_after"] == 3);
}

TEST_CASE("cookies are found among others") {
  CHECK(http::cookie_value_from_header("a=1; tt_session=xyz; b=2", "tt_session") == "xyz");
  CHECK(http::cookie_value_from_header("tt_session_old=1", "tt_session").empty());
  CHECK(http::cookie_value_from_header("", "tt_session").empty());
}

TEST_CASE("the rate limiter refills, tells when to retry, and stays bounded") {
  ManualClock clock;
  http::RateLimiter rl(2, 4, clock, 3);
  int retry = 0;
  for (int i = 0; i < 4; ++i) CHECK(rl.allow("a", retry));
  CHECK_FALSE(rl.allow("a", retry));
  CHECK(retry == 1);
  clock.advance_ms(500);
  CHECK(rl.allow("a", retry));
  CHECK_FALSE(rl.allow("a", retry));
  CHECK(rl.allow("b", retry));  // another client is not affected
  for (int i = 0; i < 100; ++i) rl.allow("k" + std::to_string(i), retry);  // bounded: no growth
  http::RateLimiter off(0, 0, clock);
  for (int i = 0; i < 1000; ++i) CHECK(off.allow("a", retry));
}
