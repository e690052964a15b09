#pragma once
/// Shared by the provider runners: URI parsing, error reporting and the job itself.

#include "exit_codes.hpp"
#include "integration_job.hpp"
#include "progress.hpp"
#include "interrupt.hpp"
#include "sign_command.hpp"
#include "summary.hpp"
#include "presign/core/time.hpp"
#include "presign/engine/job.hpp"
#include "presign/engine/pipeline.hpp"
#include "presign/io/key_file_source.hpp"
#include "presign/io/listing.hpp"
#include "presign/io/output_file.hpp"
#include "presign/io/record_format.hpp"
#include "presign/providers/provider.hpp"

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <unistd.h>

namespace presign::app {

using providers::BucketUri;
using providers::parse_bucket_uri;

/// The last failure `fail` reported (for the run summary); empty when none was.
inline std::optional<Error>& last_failure() {
  static std::optional<Error> e;
  return e;
}

inline int fail(Error const& e) {
  end_progress_line();
  std::fprintf(stderr, "presign: %s\n", e.detail.c_str());
  last_failure() = e;
  // Interrupted: 128 + the signal (130 SIGINT, 143 SIGTERM), as a shell reports it.
  return e.kind == ErrorKind::kCancelled ? interrupt::exit_code() : exit_code_for(e.kind);
}

/// The error of a job stopped by SIGINT/SIGTERM; `what` says what became of the output.
inline Error interrupted_error(std::string const& what) {
  return make_error(ErrorKind::kCancelled,
                    std::string("interrupted (") + interrupt::signal_name() + "); " + what);
}

using engine::as_listing_failure;
using engine::open_output;

/// The options of a bucket listing, shared by `presign sign` (without --keys-from) and
/// `presign ls`. Both commands hold them as same-named members, registered and read by the
/// templates below.
struct ListingFlags {
  std::string endpoint;
  std::string region;
  std::string addressing = "auto";
  std::string credentials;
  std::string access_token;
  std::string ca_bundle;
  bool no_verify_ssl = false;
  std::uint32_t page_size = 0;  ///< 0: the provider's maximum (an explicit 0 is refused)
  std::string start_after;
  int retry_max_attempts = 0;    ///< 0: the listing retry profile's default
  std::string retry_base_delay;  ///< empty: the profile's default (AWS, GCS 1 s; Azure 0.8 s)
  bool quiet = false;            ///< --quiet: retries are not reported (progress.hpp)
  std::string profile;           ///< --profile (s3)
  std::string impersonate_service_account;  ///< --impersonate-service-account (gs)
  /// --integration: the job's environment and credential source (null: the process's).
  std::shared_ptr<IntegrationJob const> integration;
};

template <class O>
ListingFlags listing_flags(O const& o) {
  return ListingFlags{o.endpoint,         o.region,
                      o.addressing,       o.credentials,
                      o.access_token,     o.ca_bundle,
                      o.no_verify_ssl,    o.page_size,
                      o.start_after,      o.retry_max_attempts,
                      o.retry_base_delay, o.quiet,
                      o.profile,          o.impersonate_service_account,
                      o.integration_job};
}

/// The environment a job's provider reads: the integration's (integration_job.hpp), else the
/// process's.
inline auth::EnvLookup job_env(std::shared_ptr<IntegrationJob const> const& integration) {
  return integration ? integration->env : providers::process_env();
}

/// `--integration NAME [PREFIX]` (sign and ls): refuses the options the integration gives and
/// a URI, loads the integration, and puts its URI, region, endpoint and service account into
/// `o` (whose `uri` held the PREFIX). Without --integration, a URI is required.
template <class O>
Result<void> resolve_integration(O& o, char const* command) {
  if (o.integration.empty()) {
    if (o.uri.empty()) {
      return make_error(ErrorKind::kUsage,
                        std::string(command) +
                            " needs a URI (s3://BUCKET[/PREFIX], gs://BUCKET[/PREFIX], "
                            "az://ACCOUNT/CONTAINER[/PREFIX]) or --integration NAME [PREFIX]");
    }
    if (o.store.store) {
      return make_error(ErrorKind::kUsage, "--store applies with --integration only");
    }
    return {};
  }
  if (auto r = refuse_with_integration(
          o.integration, {{"--endpoint", !o.endpoint.empty()},
                          {"--region", !o.region.empty()},
                          {"--profile", !o.profile.empty()},
                          {"--credentials", !o.credentials.empty()},
                          {"--impersonate-service-account", !o.impersonate_service_account.empty()},
                          {"--access-token", !o.access_token.empty()}});
      !r) {
    return r;
  }
  auto job = load_integration_job(o.store, o.integration, o.uri);
  if (!job) return job.error();
  o.uri = (*job)->uri;
  o.region = (*job)->region;
  o.endpoint = (*job)->endpoint;
  o.impersonate_service_account = (*job)->impersonate_service_account;
  o.integration_job = std::move(*job);
  return {};
}

/// Registers the listing-only options (the ones `sign` without --keys-from and `ls` share;
/// --endpoint, --region, --addressing and --credentials are registered by each command).
template <class O>
void add_listing_options(CLI::App* cmd, O& o, char const* when) {
  std::string const w = when;
  cmd->add_option("--page-size", o.page_size,
                  "keys per listing request" + w +
                      ": 1-1000 for s3:// and gs://, 1-5000 for "
                      "az:// (default: the maximum)")
      ->check(CLI::Range(1U, 5000U));
  cmd->add_option("--start-after", o.start_after,
                  "s3://: list only keys after KEY (byte order)" + w);
  cmd->add_option("--access-token", o.access_token,
                  "gs://: OAuth2 access token for listing (default GOOGLE_OAUTH_ACCESS_TOKEN)" + w);
  cmd->add_option("--ca-bundle", o.ca_bundle,
                  "PEM file of CAs to trust instead of the system's, for listing requests" + w);
  cmd->add_flag("--no-verify-ssl", o.no_verify_ssl,
                "accept any TLS certificate when listing (dangerous; warns on stderr)" + w);
  cmd->add_option("--retry-max-attempts", o.retry_max_attempts,
                  "attempts per listing page, the first included (default 8)" + w)
      ->check(CLI::Range(1, 100));
  cmd->add_option(
      "--retry-base-delay", o.retry_base_delay,
      "backoff base between listing attempts: 10ms, 1s, 2m (default 1s, Azure 0.8s; each retry "
      "waits a random time up to base x 2^(retry-1), at most 20 s)" +
          w);
}

/// What a listing needs, validated: the provider's page fetcher (credentials resolved) and
/// the listing options (prefix from the URI, start-after, page size).
struct ListingSetup {
  std::unique_ptr<io::PageFetcher> fetcher;
  io::ListingOptions options;
};

/// The listing flags as the provider's settings: the retry delay parsed, the page size
/// defaulted to the provider's maximum, retries reported unless --quiet. Usage errors.
Result<providers::ListSettings> list_settings(providers::Provider const& p,
                                              ListingFlags const& flags);

/// Validates the flags for `uri`'s provider (providers::Provider::check_list) and builds the
/// provider's fetcher with `creds` (the job's, found once for signing and listing) or, when
/// null, with credentials found for listing alone (`presign ls`). Warns on stderr about
/// --no-verify-ssl. Makes no request. Errors keep their kind (usage 2, credentials 3).
Result<ListingSetup> prepare_listing(BucketUri const& uri, ListingFlags const& flags,
                                     auth::Credentials const* creds);

/// Checks, before any credentials are looked up, that the source options fit together:
/// with --keys-from, no URI prefix (keys are full names) and no listing-only flag; without
/// it, the listing flags are valid for the URI's provider.
Result<void> check_source_options(BucketUri const& uri, SignOptions const& o);

/// SHA-256 (hex) of everything that determines the output bytes; a resume must match it.
std::string job_fingerprint(SignOptions const& o, io::Format format, SigningTime expires_at);

/// The job `o` describes, for engine::run_job: its source (the key file, or the bucket
/// listing with the provider's fetcher), output, checkpoint and resume state.
Result<engine::JobSpec> job_spec(SignOptions const& o, io::Format format, SigningTime expires_at,
                                 auth::Credentials const& creds);

/// What the program shows of a job's progress: the progress line (a terminal, not --quiet),
/// "resuming from ...", and the partial file a second signal removes.
class ProgramObserver final : public engine::JobObserver {
 public:
  explicit ProgramObserver(bool quiet);
  [[nodiscard]] bool wants_progress() const override { return progress_; }
  void on_progress(engine::Progress const& p) override;
  void on_resuming(std::string const& checkpoint, std::uint64_t objects) override;
  void on_partial_file(std::string const& path) override;

 private:
  bool progress_;
};

/// Reports a finished job on stderr (warnings, failures, what became of the output), records
/// it for --summary, and returns the exit code.
int report_job(engine::JobResult const& result, SignOptions const& o, SigningTime expires_at);

/// Signs every object of the job's source (the key file, or the bucket listing) and writes the
/// records (engine::run_job). Returns the process exit code.
template <signers::Signer S>
int run_job(S const& signer, SigningTime expires_at, SignOptions const& o, io::Format format,
            auth::Credentials const& creds) {
  auto spec = job_spec(o, format, expires_at, creds);
  if (!spec) return fail(spec.error());
  ProgramObserver observer(o.quiet);
  auto const result =
      engine::run_job(signer, std::move(*spec), interrupt::cancel_source(), observer);
  return report_job(result, o, expires_at);
}

}  // namespace presign::app
