// presign integrations check NAME: one cheap authenticated request with the integration's
// credentials — the first page of a one-key listing (S3 max-keys=1, GCS maxResults=1, Azure
// maxresults=1) through the same provider listers a job uses — and its outcome recorded as
// the integration's status: "ok", or "failing" with the reason (the provider's error code and
// message, never a secret).
#include "control_commands.hpp"
#include "exit_codes.hpp"
#include "integration_job.hpp"
#include "run_job.hpp"
#include "presign/store/integrations.hpp"

#include <cstdio>

namespace presign::app {
namespace {

// The outcome of the one-key listing: nothing when it succeeded, else why it failed.
std::optional<Error> check_listing(IntegrationJob const& job,
                                   std::shared_ptr<IntegrationJob const> const& shared) {
  auto uri = parse_bucket_uri(job.uri);
  if (!uri) return uri.error();
  ListingFlags flags;
  flags.endpoint = job.endpoint;
  flags.region = job.region;
  flags.impersonate_service_account = job.impersonate_service_account;
  flags.page_size = 1;
  flags.retry_max_attempts = 2;  // a check is cheap: one retry for a passing fault, no more
  flags.quiet = true;
  flags.integration = shared;
  auto setup = prepare_listing(*uri, flags, nullptr);
  if (!setup) return setup.error();
  io::ListRequest req;
  req.prefix = setup->options.prefix;
  req.page_size = 1;
  req.page_number = 1;
  io::ListPage page;
  std::string keys;
  if (auto r = setup->fetcher->fetch(req, page, keys); !r) return r.error();
  return std::nullopt;
}

}  // namespace

int run_integration_check(IntegrationsOptions const& o) {
  char const* const cmd = "integrations check";
  auto job = load_integration_job(o.cli, o.name, "");
  if (!job) return report(cmd, job.error());
  auto const failure = check_listing(**job, *job);
  auto now = cli_now();
  if (!now) return report(cmd, now.error());
  std::string const status = failure ? "failing" : "ok";
  std::string const message = failure ? failure->detail : std::string();
  if (auto r = store::set_integration_status(*(*job)->store, o.name, status, message, *now); !r) {
    return report(cmd, r.error());
  }
  std::string line = "integration '" + o.name + "': " + status;
  if (failure) line += ": " + message;
  std::printf("%s\n", line.c_str());
  if (!failure) return kOk;
  // Refused credentials are 3, an unreachable or failing service 5 (as for a job), never 0.
  int const code = exit_code_for(as_listing_failure(*failure).kind);
  return code == kOk ? kAuthOrConfig : code;
}

}  // namespace presign::app
