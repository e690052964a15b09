#pragma once
/// `presign ls URI`: lists a bucket (the same listing `presign sign` signs from, with the
/// same pagination guards and retries) and prints one line per object.

#include "store_cli.hpp"

#include <CLI/CLI.hpp>

#include <cstdint>
#include <memory>
#include <string>

namespace presign::app {

struct IntegrationJob;  // integration_job.hpp

struct LsOptions {
  /// s3://BUCKET[/PREFIX], gs://BUCKET[/PREFIX], az://ACCOUNT/CONTAINER[/PREFIX]; with
  /// --integration, a key PREFIX.
  std::string uri;
  std::string integration;  ///< --integration NAME
  StoreCli store;           ///< --store PATH (with --integration)
  /// Set by run_ls from --integration.
  std::shared_ptr<IntegrationJob const> integration_job;
  std::string format = "keys";  ///< keys | ndjson
  std::string output;           ///< default stdout; a file is published atomically (0600)
  bool quiet = false;
  // The listing (same names as SignOptions: see ListingFlags in run_job.hpp).
  std::string endpoint;
  std::string region;
  std::string profile;  ///< --profile NAME (s3)
  std::string addressing = "auto";
  std::string credentials;
  std::string impersonate_service_account;
  std::string access_token;
  std::string ca_bundle;
  bool no_verify_ssl = false;
  std::uint32_t page_size = 0;
  std::string start_after;
  int retry_max_attempts = 0;
  std::string retry_base_delay;
};

/// Registers `ls` and its options on `app`.
CLI::App* add_ls_command(CLI::App& app, LsOptions& options);

/// Runs `presign ls`; returns the process exit code (0 ok, 1 some keys could not be written
/// in the chosen format, 2 usage, 3 credentials/configuration, 4 local I/O, 5 listing).
int run_ls(LsOptions const& options);

}  // namespace presign::app
