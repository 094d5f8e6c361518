#include <doctest/doctest.h>

#include <algorithm>

#include "../fields_of.h"
#include "core/options.h"

using namespace tt;
using nlohmann::json;
using test::fields_of;

namespace {

enum class Colour { red, green };
constexpr EnumNames<Colour, 2> kColours{{"red", "green"}};

std::optional<std::string> not_x(json& name) {
  if (name == "x") return "is reserved";
  return std::nullopt;
}

const OptionSpecs& table() {
  using T = OptionType;
  static const OptionSpecs step{
      {.name = "after", .type = T::duration, .min = 60'000, .max = 3'600'000, .required = true},
      {.name = "to", .type = T::id_list, .required = true, .max_items = 3},
  };
  static const OptionSpecs where{
      {.name = "lat", .type = T::number, .min = -90, .max = 90, .required = true},
  };
  static const OptionSpecs specs{
      name_field(5),
      {.name = "colour", .type = T::choice, .choices = kColours.names()},
      {.name = "count", .type = T::integer, .min = 0, .max = 10},
      {.name = "on", .type = T::boolean},
      {.name = "every", .type = T::duration, .min = 1000, .max = 60'000},
      {.name = "owner", .type = T::id, .nullable = true},
      {.name = "labels", .type = T::labels, .min = 1, .max = 3, .check = not_x},
      {.name = "tags", .type = T::string_list, .min = 1, .max = 3, .max_items = 2},
      {.name = "where", .type = T::object, .nullable = true, .fields = &where},
      {.name = "steps", .type = T::object_list, .max_items = 3, .fields = &step},
  };
  return specs;
}

std::string message_of(const Result<json>& r, const std::string& field) {
  for (const auto& f : r.error().fields)
    if (f.field == field) return f.message;
  return "";
}

Result<json> decode(const char* body, InputMode mode = InputMode::create) {
  return decode_fields(table(), json::parse(body), mode, "widget");
}

}  // namespace

TEST_CASE("a body decodes to its normalized fields") {
  auto r = decode(R"({"name":"a","colour":"green","count":3,"on":true,"every":"1500ms",
    "owner":7,"labels":{"site":"lab"},"tags":["t"],"where":{"lat":1.5},
    "steps":[{"after":"5m","to":[2,2,3]}]})");
  REQUIRE(r.ok());
  CHECK(r->at("every") == "1s500ms");
  CHECK(r->at("steps")[0]["to"] == json{2, 3});  // repeats dropped
  CHECK(r->at("where")["lat"] == 1.5);
  std::optional<std::int64_t> every, count;
  std::optional<std::optional<std::int64_t>> owner;
  std::optional<Colour> colour;
  take_ms(*r, "every", every);
  take(*r, "owner", owner);
  take(*r, "colour", colour, kColours);
  take(*r, "count", count);
  CHECK(every == 1500);
  CHECK(owner == std::optional<std::int64_t>(7));
  CHECK(colour == Colour::green);
  CHECK(count == 3);
}

TEST_CASE("required fields on create only; null clears a nullable field") {
  CHECK(fields_of(decode("{}")) == std::vector<std::string>{"name"});
  auto patch = decode(R"({"owner":null,"where":null})", InputMode::patch);
  REQUIRE(patch.ok());
  std::optional<std::optional<std::int64_t>> owner;
  take(*patch, "owner", owner);
  REQUIRE(owner.has_value());
  CHECK_FALSE(owner->has_value());
  CHECK(fields_of(decode(R"({"on":null})", InputMode::patch)) == std::vector<std::string>{"on"});
}

TEST_CASE("every wrong field is told, in table order, with its message") {
  auto r = decode(R"({"name":"toolong","colour":"blue","count":11,"on":1,"every":"soon",
    "owner":0,"labels":[],"tags":"t","where":"here","steps":{},"extra":1})");
  CHECK(fields_of(r) == std::vector<std::string>{"extra", "name", "colour", "count", "on", "every",
                                                 "owner", "labels", "tags", "where", "steps"});
  CHECK(message_of(r, "extra") == "is not a field of widgets");
  CHECK(message_of(r, "name") == "must be a string of at most 5 characters");
  CHECK(message_of(r, "colour") == "must be one of red, green");
  CHECK(message_of(r, "count") == "must be between 0 and 10");
  CHECK(message_of(r, "every") == "must be a duration such as \"500ms\", \"5s\" or \"1m\"");
  CHECK(r.error().code == "VALIDATION_FAILED");
  CHECK(r.error().message == "invalid widget");
  CHECK(decode("[1]").error().code == "INVALID_JSON");
}

TEST_CASE("nested fields are named by their path") {
  auto r = decode(R"({"name":"a","labels":{"1x":"v","x":"v","ok":""},"tags":["","ok"],
    "where":{"lat":91,"alt":1},"steps":[{"after":"1m","to":[1]},{"after":"1s","to":[0]},
    {"after":"2m"}]})");
  CHECK(fields_of(r) == std::vector<std::string>{"labels.1x", "labels.ok", "labels.x", "tags[0]",
                                                 "where.alt", "where.lat", "steps[1].after",
                                                 "steps[1].to", "steps[2]"});
  CHECK(message_of(r, "labels.x") == "is reserved");
  CHECK(message_of(r, "labels.1x") == "is not a valid label name");
  CHECK(message_of(r, "steps[2]") == "must have to");
  CHECK(message_of(r, "where.alt") == "is not a field of widgets");
}

TEST_CASE("a field's check normalizes or refuses, and its message may be replaced") {
  CHECK(message_of(decode(R"({"name":"  "})"), "name") == "must not be empty");
  OptionSpecs lower{{.name = "mac",
                     .type = OptionType::string,
                     .message = "must be lower case",
                     .check = [](json& v) -> std::optional<std::string> {
                       auto s = v.get<std::string>();
                       if (s.find('!') != std::string::npos) return "has a bang";
                       std::transform(s.begin(), s.end(), s.begin(), ::tolower);
                       v = s;
                       return std::nullopt;
                     }}};
  auto ok = decode_fields(lower, json{{"mac", "AB"}}, InputMode::create, "nic");
  REQUIRE(ok.ok());
  CHECK(ok->at("mac") == "ab");
  auto bad = decode_fields(lower, json{{"mac", "A!"}}, InputMode::create, "nic");
  CHECK(message_of(bad, "mac") == "must be lower case");
}

TEST_CASE("extra checks see the valid fields even when others are wrong") {
  auto r =
      decode_fields(table(), json::parse(R"({"name":"a","count":20,"on":true})"), InputMode::create,
                    "widget", [](const json& valid, std::vector<FieldError>& errs) {
                      CHECK_FALSE(valid.contains("count"));
                      if (valid.value("on", false)) errs.push_back({"on", "not today"});
                    });
  CHECK(fields_of(r) == std::vector<std::string>{"count", "on"});
}

TEST_CASE("enum names give to_string, parse and the choices") {
  CHECK(kColours.name(Colour::green) == "green");
  CHECK(kColours.parse("red") == Colour::red);
  CHECK_FALSE(kColours.parse("blue"));
  CHECK(kColours.names() == std::vector<std::string>{"red", "green"});
}

TEST_CASE("the table is JSON for the UI, nested tables included") {
  auto j = to_json(table());
  CHECK(j[0]["name"] == "name");
  CHECK(j[0]["required"] == true);
  CHECK(j[1]["choices"] == json{"red", "green"});
  CHECK(j[5]["type"] == "id");
  CHECK(j[5]["nullable"] == true);
  CHECK(j[9]["type"] == "object_list");
  CHECK(j[9]["fields"][0]["min"] == "1m");
}
