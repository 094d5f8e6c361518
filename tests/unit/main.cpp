// The doctest main for every unit test of tests/unit/<subsystem>/. Logging is kept to errors so
// test output shows failures, not the subsystems' chatter (TT_TEST_LOG=debug brings it back).
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdlib>

#include "core/log.h"

int main(int argc, char** argv) {
  tt::log::Level level = tt::log::Level::error;
  if (const char* env = std::getenv("TT_TEST_LOG")) tt::log::parse_level(env, level);
  tt::log::set_level(level);
  return doctest::Context(argc, argv).run();
}
