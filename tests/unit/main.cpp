// The doctest main for every unit test of tests/unit/<subsystem>/.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
