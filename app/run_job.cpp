#include "run_job.hpp"

#include "presign/signers/crypto.hpp"

#include <charconv>
#include <cmath>
#include <limits>

namespace presign::app {
namespace {

// "10ms", "1s", "2m" -> milliseconds; a unit is required (a bare number would be ambiguous
// next to --expires, whose bare numbers are seconds). At most 10 minutes.
Result<std::chrono::milliseconds> parse_delay(std::string_view text) {
  auto bad = [&] {
    return make_error(ErrorKind::kUsage, "--retry-base-delay '" + std::string(text) +
                                             "' is not a duration with a unit (10ms, 1s, 2m) "
                                             "of at most 10 minutes");
  };
  std::uint64_t n = 0;
  auto const [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc{} || end == text.data()) return bad();
  std::string_view const unit(end, static_cast<std::size_t>(text.data() + text.size() - end));
  std::uint64_t const scale = unit == "ms" ? 1 : unit == "s" ? 1000 : unit == "m" ? 60'000 : 0;
  if (scale == 0 || n > 600'000 / scale) return bad();
  return std::chrono::milliseconds(static_cast<std::int64_t>(n * scale));
}

}  // namespace

Result<providers::ListSettings> list_settings(providers::Provider const& p, ListingFlags const& f) {
  providers::ListSettings s;
  s.endpoint = f.endpoint;
  s.region = f.region;
  s.profile = f.profile;
  s.addressing = f.addressing;
  s.credentials_file = f.credentials;
  s.access_token = f.access_token;
  s.impersonate_service_account = f.impersonate_service_account;
  s.ca_bundle = f.ca_bundle;
  s.no_verify_ssl = f.no_verify_ssl;
  s.start_after = f.start_after;
  s.page_size = f.page_size != 0 ? f.page_size : p.max_page_size();
  s.max_attempts = f.retry_max_attempts;
  if (!f.retry_base_delay.empty()) {
    auto d = parse_delay(f.retry_base_delay);
    if (!d) return d.error();
    s.retry_base = *d;
  }
  s.on_retry = make_retry_reporter(f.quiet);
  // Shown even with --quiet, as the job's other warnings are.
  s.on_warning = [](std::string const& w) {
    std::fprintf(stderr, "presign: warning: %s\n", w.c_str());
  };
  return s;
}

Result<ListingSetup> prepare_listing(BucketUri const& uri, ListingFlags const& f,
                                     auth::Credentials const* creds) {
  auto provider = providers::provider_for(uri.scheme);
  if (!provider) return provider.error();
  auto settings = list_settings(**provider, f);
  if (!settings) return settings.error();
  auto const env = job_env(f.integration);
  if (auto r = (*provider)->check_list(uri, *settings, env); !r) return r.error();
  if (f.integration) settings->credentials_source = f.integration->source;
  std::optional<auth::Credentials> own;
  if (creds == nullptr) {
    auto found = settings->credentials_source
                     ? settings->credentials_source->fetch()
                     : (*provider)
                           ->credential_source(uri,
                                               {f.credentials, f.access_token, true, f.profile,
                                                f.impersonate_service_account},
                                               env)
                           ->fetch();
    if (!found) return as_credentials_error(found.error());
    own = std::move(*found);
    creds = &*own;
  }
  auto fetcher = (*provider)->make_page_fetcher(uri, *settings, *creds, env);
  if (!fetcher) return fetcher.error();
  if (f.no_verify_ssl) {
    std::fputs(
        "presign: warning: --no-verify-ssl: TLS certificates of the listing endpoint are "
        "not verified; anyone on the network path can answer in its name\n",
        stderr);
  }
  ListingSetup setup;
  setup.fetcher = std::move(*fetcher);
  setup.options.prefix = (*provider)->listing_prefix(uri);
  setup.options.start_after = f.start_after;
  setup.options.page_size = settings->page_size;
  return setup;
}

Result<void> check_source_options(BucketUri const& uri, SignOptions const& o) {
  if (o.keys_from.empty()) {
    if (o.strip_cr) return make_error(ErrorKind::kUsage, "--strip-cr applies to --keys-from only");
    if (o.no_repeat_check) {
      return make_error(ErrorKind::kUsage, "--no-repeat-check applies to --keys-from only");
    }
    auto provider = providers::provider_for(uri.scheme);
    if (!provider) return provider.error();
    auto settings = list_settings(**provider, listing_flags(o));
    if (!settings) return settings.error();
    return (*provider)->check_list(uri, *settings, job_env(o.integration_job));
  }
  // --keys-from: keys are full object names; a prefix in the URI would be ignored or
  // prepended, and either would surprise someone, so it is refused.
  auto provider = providers::provider_for(uri.scheme);
  if (!provider) return provider.error();
  if (!(*provider)->listing_prefix(uri).empty()) {
    return make_error(ErrorKind::kUsage,
                      "'" + o.uri +
                          "' has a prefix, but --keys-from takes full object keys: "
                          "drop the prefix from the URI, or drop --keys-from to list the prefix");
  }
  for (auto const& [flag, set] : {std::pair{"--page-size", o.page_size != 0},
                                  {"--start-after", !o.start_after.empty()},
                                  {"--access-token", !o.access_token.empty()},
                                  {"--ca-bundle", !o.ca_bundle.empty()},
                                  {"--no-verify-ssl", o.no_verify_ssl},
                                  {"--retry-max-attempts", o.retry_max_attempts != 0},
                                  {"--retry-base-delay", !o.retry_base_delay.empty()}}) {
    if (set) {
      return make_error(ErrorKind::kUsage, std::string(flag) +
                                               " applies to listing a bucket "
                                               "only, not to --keys-from");
    }
  }
  return {};
}

std::string job_fingerprint(SignOptions const& o, io::Format format, SigningTime expires_at) {
  // Every option that changes output bytes, each length-prefixed so fields cannot run together.
  signers::crypto::Sha256 h;
  auto add = [&](std::string_view v) {
    std::string const len = std::to_string(v.size()) + ":";
    h.update(len);
    h.update(v);
  };
  for (auto const* v : {&o.uri,
                        &o.keys_from,
                        &o.region,
                        &o.endpoint,
                        &o.addressing,
                        &o.expires,
                        &o.method,
                        &o.response_content_disposition,
                        &o.response_content_type,
                        &o.output,
                        &o.credentials,
                        &o.permissions,
                        &o.start,
                        &o.ip,
                        &o.sas_version,
                        &o.response_cache_control,
                        &o.response_content_encoding,
                        &o.response_content_language,
                        &o.snapshot,
                        &o.version_id,
                        &o.compress}) {
    add(*v);
  }
  add(o.https_only ? "https-only" : "");
  if (o.strip_cr) add("strip-cr");  // only when set: older checkpoints keep their fingerprint
  if (o.keys_from.empty()) {
    // A listing: what it lists (the prefix is in the URI) and where it starts. The page size
    // changes no byte of output, but the positions a checkpoint records are per page.
    // (Not --access-token: a secret, and one that expires; a resume may bring a fresh one.)
    add("listing/1");
    add(o.start_after);
    add(std::to_string(o.page_size));
  }
  add(io::format_name(format));
  if (format == io::Format::kLabelbox) {
    // The global key template and media type shape every record; "/2": from this version on,
    // non-UTF-8 keys are left out rather than given a key_base64 field.
    add("labelbox/2");
    add(o.global_key.value_or("{key}"));
    add(o.media_type);
  }
  add(format_rfc3339(o.when));
  add(format_rfc3339(expires_at));
  return signers::crypto::hex_lower(h.final());
}

Result<engine::JobSpec> job_spec(SignOptions const& o, io::Format format, SigningTime expires_at,
                                 auth::Credentials const& creds) {
  engine::JobSpec spec;
  if (!o.keys_from.empty()) {
    spec.input = engine::KeyFileInput{o.keys_from, o.strip_cr, !o.no_repeat_check};
  } else {
    auto uri = parse_bucket_uri(o.uri);
    if (!uri) return uri.error();
    auto setup = prepare_listing(*uri, listing_flags(o), &creds);
    if (!setup) return setup.error();
    spec.input = engine::ListingInput{std::move(setup->fetcher), std::move(setup->options)};
  }
  spec.output = o.output;
  spec.checkpoint = o.checkpoint;
  spec.resume = o.resume_state;
  spec.format = format;
  spec.labelbox = o.labelbox;
  spec.threads = o.threads;
  if (!o.compress.empty()) {
    spec.zstd_level = o.compress.size() > 5 ? std::atoi(o.compress.c_str() + 5) : 1;
  }
  // The fingerprint holds the expiry asked for (--expires from the signing time), not the
  // credentials' (--allow-shorter-expiry): fresh credentials on a resume keep the job the same.
  // (The URLs written after such a resume carry the new credentials' end in their own expiry
  // parameter and expires_at, each record true to the credentials that signed it.)
  auto const asked = parse_duration_seconds(o.expires);
  if (!asked) return asked.error();
  spec.fingerprint = job_fingerprint(o, format, o.when + std::chrono::seconds{*asked});
  spec.signing_time = o.when;
  spec.expires_at = expires_at;
  spec.stop_grace = interrupt::kStopGrace;
  return spec;
}

ProgramObserver::ProgramObserver(bool quiet) : progress_(!quiet && ::isatty(STDERR_FILENO)) {}

void ProgramObserver::on_progress(engine::Progress const& p) { print_progress(p); }

void ProgramObserver::on_resuming(std::string const& checkpoint, std::uint64_t objects) {
  std::fprintf(stderr, "presign: resuming from %s: %llu objects already written\n",
               checkpoint.c_str(), static_cast<unsigned long long>(objects));
}

void ProgramObserver::on_partial_file(std::string const& path) {
  interrupt::set_cleanup_file(path);
}

int report_job(engine::JobResult const& r, SignOptions const& o, SigningTime expires_at) {
  // An integration is used when its job has started (once per job, not per URL).
  if (r.started && o.integration_job) o.integration_job->stamp_used();
  JobReport scratch;
  JobReport& report = o.report ? *o.report : scratch;
  report.expires_at = expires_at;
  report.stats = r.stats;
  for (auto const& w : r.warnings) std::fprintf(stderr, "presign: warning: %s\n", w.c_str());
  auto const count = [](std::uint64_t n) { return static_cast<unsigned long long>(n); };
  if (r.error && r.error->kind == ErrorKind::kCancelled) {
    if (!r.started) return fail(interrupted_error("no output written"));
    if (!o.checkpoint.empty()) {
      return fail(interrupted_error("progress saved in " + o.checkpoint + " (" +
                                    std::to_string(r.stats.objects) +
                                    " objects written); rerun the same command with --resume "
                                    "to continue"));
    }
    return fail(
        interrupted_error(r.output_streamed ? "the output is incomplete" : "no output written"));
  }
  if (r.error) {
    if (r.started && !o.checkpoint.empty()) {
      end_progress_line();
      std::fprintf(stderr, "presign: progress is saved in %s; rerun with --resume to continue\n",
                   o.checkpoint.c_str());
    }
    return fail(*r.error);
  }
  if (r.stats.errors > 0) {
    std::fprintf(stderr, "presign: %llu of %llu objects could not be signed (%s)\n",
                 count(r.stats.errors), count(r.stats.objects),
                 r.publish_only ? "reported by the interrupted run" : "listed above");
    return kPartial;
  }
  return kOk;
}

}  // namespace presign::app
