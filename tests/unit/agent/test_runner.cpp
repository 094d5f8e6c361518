// The agent's options and registration body, and the credential it keeps (agent/runner.h). The
// runner's loops are tested end to end against a real hub: tests/integration/test_agent.py.
#include <doctest/doctest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "../collect/samples.h"
#include "agent/runner.h"

namespace tt::agent {

TEST_CASE("agent: --labels and --location") {
  CHECK(parse_labels("") == std::map<std::string, std::string>{});
  CHECK(parse_labels("site=shed, rack = 2") ==
        std::map<std::string, std::string>{{"rack", "2"}, {"site", "shed"}});
  CHECK_FALSE(parse_labels("site"));
  CHECK_FALSE(parse_labels("=x"));
  auto l = parse_location("52.52,13.405,Berlin, Mitte");
  REQUIRE(l);
  CHECK(l->lat == 52.52);
  CHECK(l->lon == 13.405);
  CHECK(l->place == "Berlin, Mitte");
  CHECK(parse_location("-33.9,151.2")->place.empty());
  for (const char* bad : {"", "52", "91,0", "0,181", "a,b", "1,2x"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_location(bad));
  }
}

TEST_CASE("agent: the registration body says who the host is") {
  AgentConfig c;
  c.roots = collect::test::fixture_roots();
  c.interval = std::chrono::milliseconds(15000);
  c.labels = {{"site", "shed"}};
  c.location = Location{52.5, 13.4, "shed"};
  c.version = "9.9.9";
  const auto body = nlohmann::json::parse(registration_body(c));
  CHECK(body["identity"] == "machine-id:4f1e2d3c4b5a69788796a5b4c3d2e1f0");
  CHECK(body["name"] == "raspberrypi");  // the host name, when --name is not given
  CHECK(body["type"] == "baremetal");
  CHECK(body["interval"] == "15s");
  CHECK(body["labels"]["site"] == "shed");
  CHECK(body["location"]["place"] == "shed");
  CHECK(body["metadata"]["agent_version"] == "9.9.9");
  CHECK(body["metadata"]["os"] == "Debian GNU/Linux 12 (bookworm)");
  c.name = "pi-in-the-shed";
  CHECK(nlohmann::json::parse(registration_body(c))["name"] == "pi-in-the-shed");
}

TEST_CASE("agent: the credential is kept in the buffer directory, readable by its owner only") {
  const auto dir = std::filesystem::temp_directory_path() / "tt-agent-credential-test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  CHECK(load_credential(dir.string()).empty());
  REQUIRE(save_credential(dir.string(), "tta_first").ok());
  REQUIRE(save_credential(dir.string(), "tta_second").ok());
  CHECK(load_credential(dir.string()) == "tta_second");
  const auto perms = std::filesystem::status(dir / "credential").permissions();
  CHECK((perms & (std::filesystem::perms::group_all | std::filesystem::perms::others_all)) ==
        std::filesystem::perms::none);
  std::filesystem::remove_all(dir);
}

}  // namespace tt::agent
