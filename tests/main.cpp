// One doctest main for each test executable (signers_tests, io_tests, engine_tests).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
