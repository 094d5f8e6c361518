#include <doctest/doctest.h>

#include <future>

#include "bus/bus.h"

using namespace tt;

TEST_CASE("a channel delivers in publish order on the loop thread") {
  bus::CoreLoop loop;
  bus::Channel<int> ch(loop, "test-order", 1000);
  std::vector<int> got;
  std::promise<void> done;
  bool on_loop = true;
  ch.subscribe([&](const int& v) {
    on_loop = on_loop && loop.on_loop_thread();
    got.push_back(v);
    if (v == 99) done.set_value();
  });
  loop.start();
  for (int i = 0; i < 100; ++i) CHECK(ch.publish(i));
  REQUIRE(done.get_future().wait_for(std::chrono::seconds(5)) == std::future_status::ready);
  loop.stop();
  CHECK(on_loop);
  REQUIRE(got.size() == 100);
  for (int i = 0; i < 100; ++i) CHECK(got[i] == i);
}

TEST_CASE("a full channel drops and counts instead of growing") {
  bus::CoreLoop loop;  // not started: nothing drains
  bus::Channel<int> ch(loop, "test-full", 3);
  CHECK(ch.publish(1));
  CHECK(ch.publish(2));
  CHECK(ch.publish(3));
  CHECK_FALSE(ch.publish(4));
  auto text = metrics::registry().render();
  CHECK(text.find("telltale_bus_dropped_total{channel=\"test-full\"} 1") != std::string::npos);
}

TEST_CASE("post runs work on the loop and stop runs the closing hook") {
  bus::CoreLoop loop;
  loop.start();
  std::promise<bool> ran;
  loop.post([&] { ran.set_value(loop.on_loop_thread()); });
  CHECK(ran.get_future().get());
  bool closed = false;
  loop.stop([&] { closed = true; });
  CHECK(closed);
  CHECK(loop.ms_since_heartbeat() >= 0);
}

TEST_CASE("work the loop posts to itself runs later, in order, before the loop waits again") {
  bus::CoreLoop loop;
  std::vector<int> order;
  std::promise<void> done;
  // A timer far in the future: had the posted work waited for a wake-up, it would wait for it.
  uv_timer_t idle{};
  loop.start();
  loop.post([&] {
    uv_timer_init(loop.uv(), &idle);
    uv_timer_start(
        &idle, [](uv_timer_t*) {}, 60'000, 0);
    order.push_back(1);
    loop.post([&] {
      order.push_back(3);
      loop.post([&] {  // posted by posted work: still before the loop blocks
        order.push_back(4);
        done.set_value();
      });
    });
    order.push_back(2);  // the posted work did not run inside post()
  });
  REQUIRE(done.get_future().wait_for(std::chrono::seconds(5)) == std::future_status::ready);
  loop.stop([&] { uv_close(reinterpret_cast<uv_handle_t*>(&idle), nullptr); });
  CHECK(order == std::vector<int>{1, 2, 3, 4});
}
