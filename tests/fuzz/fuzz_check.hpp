#pragma once
// PRESIGN_FUZZ_CHECK for core's fuzz targets: abort with the failed condition, so libFuzzer
// keeps the input and the replay in core_tests fails loudly. Depends on nothing but libc.

#include <cstdio>
#include <cstdlib>

#define PRESIGN_FUZZ_CHECK(cond)                                                              \
  do {                                                                                        \
    if (!(cond)) {                                                                            \
      std::fprintf(stderr, "fuzz invariant failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
      std::abort();                                                                           \
    }                                                                                         \
  } while (0)
