#pragma once
/// `presign bench`: the full pipeline over synthetic keys at several thread counts.

#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>

namespace presign::app {

struct BenchOptions {
  std::string provider = "s3";
  std::uint64_t objects = 2'000'000;
  std::string threads = "auto";  ///< "1,2,4" or "auto"
  std::string format = "ndjson";
  std::string output = "null";  ///< a file path, or "null" to discard
  bool json = false;
};

CLI::App* add_bench_command(CLI::App& app, BenchOptions& options);
int run_bench(BenchOptions const& options);

}  // namespace presign::app
