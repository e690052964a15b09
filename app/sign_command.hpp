#pragma once
/// `presign sign`: option set, validation, and the run.

#include "presign/core/time.hpp"
#include "presign/engine/checkpoint.hpp"
#include "presign/io/record_format.hpp"

#include "store_cli.hpp"

#include <CLI/CLI.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace presign::app {

struct JobReport;       // summary.hpp
struct IntegrationJob;  // integration_job.hpp

struct SignOptions {
  /// s3://BUCKET[/PREFIX]; with --integration, a key PREFIX (run_sign puts the integration's
  /// URI here).
  std::string uri;
  /// --integration NAME: bucket, region, endpoint and credentials from the stored integration.
  std::string integration;
  StoreCli store;  ///< --store PATH (with --integration)
  /// --keys-from FILE|-: sign these keys. Empty: list the bucket under the URI's prefix.
  std::string keys_from;
  bool no_repeat_check = false;  ///< --no-repeat-check: do not look for repeated --keys-from keys
  bool strip_cr = false;         ///< --strip-cr: drop one trailing '\r' from each --keys-from line
  std::string region;
  std::string profile;  ///< --profile NAME (s3)
  std::string endpoint;
  std::string addressing = "auto";
  std::string expires = "3600";
  /// --allow-shorter-expiry: sign even when the credentials expire before --expires (records
  /// then carry the credentials' expiry); refused otherwise (providers/lifetime.hpp).
  bool allow_shorter_expiry = false;
  std::string signing_time;
  std::string method = "GET";
  std::string response_content_disposition;
  std::string response_content_type;
  std::string format = "ndjson";
  std::optional<std::string> global_key;  ///< --global-key TEMPLATE (labelbox; default {key})
  std::string
      media_type;  ///< --media-type TYPE (labelbox); run_sign writes it as Labelbox spells it
  std::string output;
  unsigned threads = 0;
  std::string checkpoint;  ///< --checkpoint FILE
  bool resume = false;     ///< --resume
  bool quiet = false;      ///< --quiet: no progress line
  std::string summary;     ///< --summary FILE (JSON run summary)
  std::string compress;    ///< --compress zstd[:LEVEL]
  // Listing (when --keys-from is absent)
  std::string ca_bundle;         ///< --ca-bundle FILE
  bool no_verify_ssl = false;    ///< --no-verify-ssl
  std::uint32_t page_size = 0;   ///< --page-size (0: provider maximum)
  std::string start_after;       ///< --start-after KEY (s3)
  std::string access_token;      ///< --access-token (gs)
  int retry_max_attempts = 0;    ///< --retry-max-attempts (0: the listing profile's default)
  std::string retry_base_delay;  ///< --retry-base-delay DURATION ("10ms", "1s"; empty: the provider
                                 ///< profile's)
  // GCS
  std::string credentials;  ///< --credentials FILE: service-account JSON (or HMAC key file)
  std::string impersonate_service_account;  ///< --impersonate-service-account EMAIL (keyless)
  // Azure
  std::string permissions = "r";
  std::string start;                      ///< --start RFC3339 (st)
  std::string ip;                         ///< --ip A.B.C.D | A.B.C.D-E.F.G.H | CIDR (sip)
  bool https_only = false;                ///< --https-only (spr=https)
  std::string sas_version;                ///< --sas-version (sv)
  std::string response_cache_control;     ///< rscc
  std::string response_content_encoding;  ///< rsce
  std::string response_content_language;  ///< rscl
  std::string snapshot;                   ///< --snapshot (sr=bs)
  std::string version_id;                 ///< --version-id (sr=bv)

  /// Filled by run_sign, not by the command line: the checkpoint to continue from.
  std::optional<engine::CheckpointState> resume_state;
  /// Filled by run_sign: the instant the whole job signs at (fixed across resumes).
  SigningTime when{};
  /// Filled by run_sign from --global-key, --media-type and the URI (labelbox format).
  io::LabelboxOptions labelbox;
  /// Set by run_sign: where the job records its counts and times for --summary.
  JobReport* report = nullptr;
  /// Set by run_sign from --integration: the target, credentials and environment of the job.
  std::shared_ptr<IntegrationJob const> integration_job;
};

/// Registers `sign` and its options on `app`; the returned subcommand holds the examples.
CLI::App* add_sign_command(CLI::App& app, SignOptions& options);

/// Runs `presign sign`; returns the process exit code. Messages go to stderr.
int run_sign(SignOptions const& options);

}  // namespace presign::app
