#include "sign_command.hpp"

#include "exit_codes.hpp"
#include "presign/core/time.hpp"
#include "presign/engine/pipeline.hpp"
#include "presign/io/key_file_source.hpp"
#include "presign/io/output_file.hpp"
#include "presign/io/record_format.hpp"
#include "presign/providers/truthful_signer.hpp"
#include "presign/providers/provider.hpp"

#include "run_job.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <type_traits>
#include <variant>

namespace presign::app {

namespace {

// --global-key and --media-type: checked and resolved (template parsed, bucket and URI prefix
// taken from the URI, media type spelled as Labelbox does) into o.labelbox, before any work.
Result<void> labelbox_options(providers::Provider const& provider, BucketUri const& uri,
                              io::Format format, SignOptions& o) {
  if (format != io::Format::kLabelbox) {
    if (o.global_key || !o.media_type.empty()) {
      return make_error(ErrorKind::kUsage,
                        std::string(o.global_key ? "--global-key" : "--media-type") +
                            " applies to --format labelbox only");
    }
    return {};
  }
  if (o.global_key) {
    auto t = io::GlobalKeyTemplate::parse(*o.global_key);
    if (!t) return t.error();
    o.labelbox.global_key = std::move(*t);
  }
  if (!o.media_type.empty()) {
    auto m = io::parse_labelbox_media_type(o.media_type);
    if (!m) return m.error();
    o.media_type = *m;  // the job fingerprint sees the spelling written, not the one typed
    o.labelbox.media_type = std::move(*m);
  }
  // Keys are full object names; for az:// the URI's first path segment is the container.
  auto location = provider.location(uri);
  o.labelbox.location.bucket = std::move(location.bucket);
  o.labelbox.location.uri_prefix = std::move(location.uri_prefix);
  return io::check_labelbox_options(o.labelbox);
}

}  // namespace

CLI::App* add_sign_command(CLI::App& app, SignOptions& o) {
  CLI::App* cmd = app.add_subcommand("sign", "Write a presigned URL for every object");
  cmd->footer(R"(Where the keys come from:
  without --keys-from  the bucket is listed: every object whose key starts with the URI's
                       PREFIX (bytes, not a folder: s3://b/img lists img/a and img2), in the
                       listing's byte order. --checkpoint/--resume continue a listing after
                       the last page written.
  --keys-from FILE|-   exactly these keys, in file order; the URI must name no prefix
                       (keys are full object names; az:// names ACCOUNT/CONTAINER only).

Where the credentials come from (the first source found signs; README.md has each one):
  s3://  --profile/AWS_PROFILE, AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY, web identity
         (AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN), ~/.aws/credentials and ~/.aws/config
         (keys, role_arn, credential_process, SSO), container credentials
         (AWS_CONTAINER_CREDENTIALS_*), EC2 instance metadata (IMDSv2)
  gs://  --credentials, GCS_HMAC_ACCESS_ID + GCS_HMAC_SECRET, GOOGLE_APPLICATION_CREDENTIALS,
         gcloud's ADC file, the metadata server; without a key, keyless signing through
         IAM signBlob (--impersonate-service-account EMAIL)
  az://  AZURE_STORAGE_CONNECTION_STRING or AZURE_STORAGE_KEY (service SAS); else a Microsoft
         Entra ID token (AZURE_CLIENT_SECRET, AZURE_FEDERATED_TOKEN_FILE, managed identity)
         gets a user delegation key (user delegation SAS, up to 7 days)
  Temporary credentials cut the URLs' life: refused when they end before --expires, unless
  --allow-shorter-expiry.

A stored integration (presign integrations add) instead of a URI:
  presign sign --integration NAME [PREFIX] [--store PATH]
  The integration gives the bucket (Azure: the account and container), its region, endpoint
  and credentials; PREFIX is a key prefix under it. A URI, --endpoint, --region, --profile,
  --credentials, --impersonate-service-account and --access-token are refused with it (exit
  2); an unknown NAME, or no store, is exit 3. The store (--store, else PRESIGN_STORE, ...)
  and its master key (PRESIGN_MASTER_KEY, PRESIGN_MASTER_KEY_FILE) are found as for the
  integrations command. The environment's credentials are not read, except by an aws-role
  integration (which assumes the role with them) and a gcp-impersonate one (keyless, as the
  caller). The integration's "last used" is recorded once the job has started.

Examples:
  presign sign s3://my-bucket/images/ --output urls.ndjson
  presign sign s3://my-bucket --keys-from keys.txt --output urls.ndjson
  presign sign s3://my-bucket --keys-from - --format labelbox --expires 7d < keys.txt
  presign sign s3://test-bucket --endpoint http://127.0.0.1:4569 \
      --signing-time 2024-01-01T00:00:00Z --format csv --output urls.csv \
      --checkpoint urls.ck --resume

Exit codes: 0 ok, 1 partial (some objects failed; see stderr), 2 usage,
            3 credentials/configuration, 4 local I/O, 5 listing, 10 internal,
            130/143 interrupted by SIGINT/SIGTERM.)");
  cmd->add_option("uri", o.uri,
                  "s3://BUCKET[/PREFIX], gs://BUCKET[/PREFIX], az://ACCOUNT/CONTAINER[/PREFIX]; "
                  "with --integration: a key PREFIX");
  cmd->add_option("--integration", o.integration,
                  "sign for this stored integration: its bucket, region, endpoint and "
                  "credentials (see below)");
  cmd->add_option("--store", o.store.store,
                  "with --integration: the store file (default PRESIGN_STORE, else "
                  "$XDG_DATA_HOME/presign/presign.db or ~/.local/share/presign/presign.db)");
  cmd->add_option("--keys-from", o.keys_from,
                  "sign the keys of this file, one per line ('-' = stdin; split on \\n only, "
                  "nothing trimmed) instead of listing the bucket; suspicious lines (CRLF, "
                  "URIs, `aws s3 ls` output, repeated keys) are signed as written, with one "
                  "warning per kind on stderr");
  cmd->add_flag("--strip-cr", o.strip_cr,
                "with --keys-from: remove one trailing \\r from each line (keys files with CRLF "
                "line endings)");
  cmd->add_flag("--no-repeat-check", o.no_repeat_check,
                "with --keys-from: do not look for repeated keys (saves the ~11-21 bytes of memory "
                "per distinct key that the check costs)");
  cmd->add_option("--region", o.region,
                  "region (default: AWS_REGION, AWS_DEFAULT_REGION, profile region, us-east-1)");
  cmd->add_option(
      "--profile", o.profile,
      "s3://: AWS profile of ~/.aws/config and ~/.aws/credentials (default AWS_PROFILE, "
      "else default); like the AWS CLI's --profile, it ignores AWS_ACCESS_KEY_ID");
  cmd->add_option(
      "--endpoint", o.endpoint,
      "custom endpoint, e.g. http://127.0.0.1:4569 (also AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL)");
  cmd->add_option("--addressing", o.addressing, "auto|virtual|path (auto: as botocore)")
      ->check(CLI::IsMember({"auto", "virtual", "path"}));
  cmd->add_option("--expires", o.expires, "lifetime: seconds or 90s/15m/12h/7d (default 3600)");
  cmd->add_flag("--allow-shorter-expiry", o.allow_shorter_expiry,
                "sign even if the credentials expire before --expires (records then say when "
                "the URLs really stop working); refused otherwise");
  cmd->add_option("--signing-time", o.signing_time,
                  "sign as of this RFC 3339 instant (default: now); makes output reproducible")
      ->check(CLI::Validator(
          [](std::string& v) { return v.empty() ? std::string("empty value") : std::string(); },
          "RFC3339"));
  cmd->add_option("--method", o.method, "GET|PUT|HEAD (default GET)")
      ->check(CLI::IsMember({"GET", "PUT", "HEAD"}));
  cmd->add_option("--response-content-disposition", o.response_content_disposition,
                  "signed Content-Disposition override");
  cmd->add_option("--response-content-type", o.response_content_type,
                  "signed Content-Type override");
  cmd->add_option("--format", o.format, "ndjson|labelbox|csv|tsv|urls (default ndjson)")
      ->check(CLI::IsMember({"ndjson", "labelbox", "csv", "tsv", "urls"}));
  cmd->add_option("--global-key", o.global_key,
                  "labelbox: global_key template with {key}, {bucket} (Azure: container), {uri} "
                  "(s3://BUCKET/KEY, gs://..., az://ACCOUNT/CONTAINER/KEY); {{ and }} for braces "
                  "(default {key})");
  cmd->add_option("--media-type", o.media_type,
                  "labelbox: add media_type to each record: IMAGE, VIDEO, TEXT, AUDIO, DOCUMENT "
                  "(written PDF), PDF, HTML, DICOM, CONVERSATIONAL (any case)");
  cmd->add_option(
      "--output", o.output,
      "output file (default stdout); written atomically, mode 0600 (a device or FIFO is "
      "written in place)");
  cmd->add_option("--threads", o.threads, "signing threads (default: all cores)")
      ->check(CLI::Range(1U, 1024U));
  cmd->add_option("--checkpoint", o.checkpoint,
                  "record progress durably in FILE after each write, so --resume can continue "
                  "after a crash (needs --output)");
  cmd->add_flag("--resume", o.resume,
                "continue the job recorded in --checkpoint (starts fresh if there is none)");
  cmd->add_flag("--quiet", o.quiet,
                "no progress line (terminal only) and no listing retry reports on stderr");
  cmd->add_option("--summary", o.summary, "write a JSON run summary to FILE");
  cmd->add_option("--compress", o.compress,
                  "zstd or zstd:LEVEL (1-19, default 1): compress the output (one frame per batch, "
                  "compressed in parallel)");
  cmd->add_option("--credentials", o.credentials,
                  "gs://: service-account JSON key file (default GOOGLE_APPLICATION_CREDENTIALS) "
                  "or an HMAC key file");
  cmd->add_option("--impersonate-service-account", o.impersonate_service_account,
                  "gs://: sign as this service account through IAM signBlob with your own "
                  "credentials (keyless: no key file needed)");
  cmd->add_option("--permissions", o.permissions, "az://: SAS permissions sp (default r)");
  cmd->add_option("--start", o.start, "az://: SAS start time st (RFC 3339)");
  cmd->add_option("--ip", o.ip, "az://: allowed client IPs sip: A.B.C.D, A.B.C.D-E.F.G.H or CIDR");
  cmd->add_flag("--https-only", o.https_only, "az://: spr=https");
  cmd->add_option("--sas-version", o.sas_version, "az://: SAS service version sv");
  cmd->add_option("--response-cache-control", o.response_cache_control, "az://: rscc override");
  cmd->add_option("--response-content-encoding", o.response_content_encoding,
                  "az://: rsce override");
  cmd->add_option("--response-content-language", o.response_content_language,
                  "az://: rscl override");
  cmd->add_option("--snapshot", o.snapshot, "az://: sign this blob snapshot (sr=bs)");
  cmd->add_option("--version-id", o.version_id, "az://: sign this blob version (sr=bv)");
  add_listing_options(cmd, o, " (listing only: not with --keys-from)");
  return cmd;
}

namespace {

// What to sign, as the provider's settings (no secrets).
providers::SignSettings sign_settings(SignOptions const& o, std::int64_t expires_seconds,
                                      SigningTime when) {
  providers::SignSettings s;
  s.method = o.method;
  s.expires_seconds = expires_seconds;
  s.expires_text = o.expires;
  s.when = when;
  s.endpoint = o.endpoint;
  s.region = o.region;
  s.profile = o.profile;
  s.addressing = o.addressing;
  s.credentials_file = o.credentials;
  s.impersonate_service_account = o.impersonate_service_account;
  s.response_content_disposition = o.response_content_disposition;
  s.response_content_type = o.response_content_type;
  s.permissions = o.permissions;
  s.start = o.start;
  s.ip = o.ip;
  s.https_only = o.https_only;
  s.sas_version = o.sas_version;
  s.response_cache_control = o.response_cache_control;
  s.response_content_encoding = o.response_content_encoding;
  s.response_content_language = o.response_content_language;
  s.snapshot = o.snapshot;
  s.version_id = o.version_id;
  return s;
}

int run_sign_job(SignOptions const& o, JobReport& report) {
  auto uri = parse_bucket_uri(o.uri);
  if (!uri) return fail(uri.error());
  auto format = io::parse_format(o.format);
  if (!format) return fail(format.error());
  auto provider = providers::provider_for(uri->scheme);
  if (!provider) return fail(provider.error());
  if (auto r = check_source_options(*uri, o); !r) return fail(r.error());
  auto expires = parse_duration_seconds(o.expires);
  if (!expires) return fail(expires.error());
  SignOptions opts = o;
  if (auto r = labelbox_options(**provider, *uri, *format, opts); !r) return fail(r.error());
  opts.report = &report;
  if (!o.compress.empty() && o.compress != "zstd" &&
      !(o.compress.starts_with("zstd:") && o.compress.size() <= 7 &&
        std::atoi(o.compress.c_str() + 5) >= 1 && std::atoi(o.compress.c_str() + 5) <= 19 &&
        o.compress.find_first_not_of("0123456789", 5) == std::string::npos)) {
    return fail(
        make_error(ErrorKind::kUsage, "--compress takes zstd or zstd:LEVEL with LEVEL 1-19"));
  }
  if (opts.resume && opts.checkpoint.empty()) {
    return fail(make_error(ErrorKind::kUsage, "--resume needs --checkpoint FILE"));
  }
  if (!opts.checkpoint.empty() && (opts.output.empty() || opts.output == "-")) {
    return fail(make_error(ErrorKind::kUsage,
                           "--checkpoint needs --output FILE (stdout cannot be resumed)"));
  }
  if (!opts.checkpoint.empty()) {
    // A device, FIFO or socket is written in place: nothing of it can be truncated back to
    // a checkpoint or published at the end.
    auto target = io::resolve_output_target(opts.output);
    if (!target) return fail(target.error());
    if (target->in_place) {
      return fail(make_error(ErrorKind::kUsage,
                             "--checkpoint needs --output to be a regular file (or a new "
                             "path): " +
                                 opts.output +
                                 " is a device, FIFO or socket, "
                                 "written as it goes, which cannot be resumed"));
    }
  }
  std::optional<SigningTime> fixed;
  if (!o.signing_time.empty()) {
    auto t = parse_rfc3339(o.signing_time);
    if (!t) return fail(make_error(ErrorKind::kUsage, "--signing-time: " + t.error().detail));
    fixed = *t;
  }
  if (!opts.checkpoint.empty()) {
    auto ck = engine::load_checkpoint(opts.checkpoint);
    if (!ck) return fail(ck.error());
    // A complete checkpoint means the job was killed while publishing its output; --resume
    // finishes that, a run without --resume starts over.
    if (*ck && (!(*ck)->complete || opts.resume)) {
      if (!opts.resume) {
        return fail(make_error(ErrorKind::kUsage,
                               "checkpoint " + opts.checkpoint +
                                   " records an unfinished job; "
                                   "pass --resume to continue it, or delete it to start over"));
      }
      SigningTime const recorded{std::chrono::seconds{(*ck)->signing_time}};
      if (fixed && *fixed != recorded) {
        return fail(make_error(ErrorKind::kUsage,
                               "--signing-time differs from the checkpointed "
                               "job's (" +
                                   format_rfc3339(recorded) + ")"));
      }
      fixed = recorded;
      opts.resume_state = **ck;
    }
  }
  SigningTime const when =
      fixed ? *fixed : std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  opts.when = when;
  report.signing_time = when;
  report.expires_at = when + std::chrono::seconds{*expires};
  // RFC 3339 has four-digit years; an expiry past 9999 cannot even be written down.
  if (when < SigningTime{} ||
      when + std::chrono::seconds{*expires} > SigningTime{std::chrono::seconds{253402300799}}) {
    return fail(
        make_error(ErrorKind::kUsage, "signing time plus expiry must fall between 1970 and 9999"));
  }
  // Everything that needs no secret is checked; then the credentials are found once, for the
  // signer and (without --keys-from) the listing.
  auto const settings = sign_settings(opts, *expires, when);
  if (auto r = (*provider)->check_sign(*uri, settings); !r) return fail(r.error());
  // A stored integration's credentials come from its own source (integration_job.hpp); else
  // (and for the integration kinds that use the environment's chain) the provider's.
  auto const env = job_env(o.integration_job);
  auto creds = o.integration_job && o.integration_job->source
                   ? o.integration_job->source->fetch()
                   : (*provider)
                         ->credential_source(*uri,
                                             {o.credentials, o.access_token, false, o.profile,
                                              o.impersonate_service_account},
                                             env)
                         ->fetch();
  if (!creds) return fail(as_credentials_error(creds.error()));
  // The moment the URLs really stop working: refused here, before any work, when the
  // credentials end first (unless --allow-shorter-expiry); then the URLs themselves (their
  // X-Amz-Expires, X-Goog-Expires or se), the records and the summary carry it.
  auto const now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  auto setup = providers::make_truthful_signer(**provider, *uri, settings, *creds, env,
                                               o.allow_shorter_expiry, now);
  if (!setup) return fail(setup.error());
  SigningTime const valid_until = setup->expires_at;
  report.expires_at = valid_until;
  for (auto const& w : setup->warnings) std::fprintf(stderr, "presign: warning: %s\n", w.c_str());
  // Keyless signing that stops mid-job (a permission withdrawn, a token refused) ends the job
  // with its error (engine::BatchSigner::stopped_by): exit 3, no output published.
  return std::visit(
      [&](auto const& signer) { return run_job(signer, valid_until, opts, *format, *creds); },
      setup->signer);
}

}  // namespace

int run_sign(SignOptions const& given) {
  SignOptions o = given;
  // A summary that could not be written at the end is refused before any work (and before
  // any output file exists).
  if (!o.summary.empty()) {
    if (auto r = check_summary_path(o.summary); !r) return fail(r.error());
  }
  interrupt::Graceful const graceful;  // SIGINT/SIGTERM stop the job cleanly (interrupt.hpp)
  JobReport report;
  last_failure().reset();
  int rc = kOk;
  if (auto r = resolve_integration(o, "sign"); !r) rc = fail(r.error());
  if (rc == kOk) rc = run_sign_job(o, report);
  if (o.summary.empty()) return rc;
  report.error = last_failure();
  if (auto r = write_summary(o.summary, report, o, rc); !r) {
    int const code = fail(r.error());
    return rc == kOk ? code : rc;
  }
  return rc;
}

}  // namespace presign::app
