#include <doctest/doctest.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <thread>

#include "app/live_series.h"

using namespace tt;

namespace {

SeriesSamples series(std::string name, std::string host, double v) {
  LabelSet labels{{"__name__", std::move(name)}, {"host", std::move(host)}};
  sort_labels(labels);
  return {labels, {{1000, v}}};
}

}  // namespace

TEST_CASE("live series: each watched topic gets the matching series of a batch") {
  app::LiveSeries live;
  CHECK_FALSE(live.wanted());
  CHECK(live.match({series("rtt", "a", 1)}).empty());
  live.set_topics({R"(series:rtt{host="a"})", "series:rtt", "series:{bad", "series:other"});
  CHECK(live.wanted());
  auto out = live.match({series("rtt", "a", 1), series("rtt", "b", 2), series("load", "a", 3)});
  REQUIRE(out.size() == 2);
  CHECK(out[0].topic == "series:rtt");
  CHECK(nlohmann::json::parse(*out[0].data)["series"].size() == 2);
  CHECK(out[1].topic == R"(series:rtt{host="a"})");
  auto one = nlohmann::json::parse(*out[1].data)["series"];
  REQUIRE(one.size() == 1);
  CHECK(one[0]["labels"] == nlohmann::json{{"host", "a"}});
  CHECK(one[0]["values"] == nlohmann::json::array({1.0}));

  live.set_topics({});
  CHECK_FALSE(live.wanted());
  CHECK(live.match({series("rtt", "a", 1)}).empty());
}

TEST_CASE("live series: topics change while other threads match") {
  app::LiveSeries live;
  std::atomic<bool> stop{false};
  std::atomic<long> messages{0};
  std::vector<std::thread> appenders;
  for (int t = 0; t < 3; ++t) {
    appenders.emplace_back([&] {
      const std::vector<SeriesSamples> batch{series("m", "a", 1), series("m", "b", 2)};
      while (!stop) messages += static_cast<long>(live.match(batch).size());
    });
  }
  // Until the matching threads have surely run meanwhile.
  for (int i = 0; i < 2000 || messages < 1000; ++i) {
    std::set<std::string> topics{"series:m"};
    for (int j = 0; j < i % 8; ++j)
      topics.insert("series:m{host=~\"a|" + std::to_string(j) + "\"}");
    live.set_topics(std::move(topics));
  }
  stop = true;
  for (auto& t : appenders) t.join();
  CHECK(messages > 0);
}
