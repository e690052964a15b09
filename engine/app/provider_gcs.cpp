// gs://BUCKET[/PREFIX]: GCS V4 signed URLs (service-account keys → GOOG4-RSA-SHA256, HMAC
// keys → GOOG4-HMAC-SHA256). Options are validated, then the expiry, then the credentials
// are looked up, so a usage error is reported as such on a machine without credentials.
#include "presign/signers/aws_credentials.hpp"
#include "presign/signers/gcs_v4.hpp"

#include <utility>

#include "providers.hpp"

namespace presign::app {

int run_gcs(BucketUri const& uri,
            SignOptions const& o,
            io::Format format,
            std::int64_t expires_seconds,
            SigningTime when) {
  namespace gcs = signers::gcs;
  // TODO(#2): the URI prefix is ignored with --keys-from; listing (#5) will use it.
  for (auto const& [flag, value] : {std::pair{"--ip", o.ip},
                                    {"--start", o.start},
                                    {"--sas-version", o.sas_version},
                                    {"--response-cache-control", o.response_cache_control},
                                    {"--response-content-encoding", o.response_content_encoding},
                                    {"--response-content-language", o.response_content_language},
                                    {"--snapshot", o.snapshot},
                                    {"--version-id", o.version_id},
                                    {"--region", o.region}}) {
    if (!value.empty()) {
      return fail(make_error(ErrorKind::kUsage, std::string(flag) + " does not apply to gs://"));
    }
  }
  if (o.https_only || o.permissions != "r") {
    return fail(
        make_error(ErrorKind::kUsage, "--https-only and --permissions apply to az:// only"));
  }
  if (expires_seconds < 1 || expires_seconds > gcs::kMaxExpiresSeconds) {
    return fail(make_error(ErrorKind::kUsage, "--expires " + o.expires +
                                                  " is out of range: GCS V4 signed URLs live "
                                                  "1 to 604800 seconds (7 days)"));
  }

  gcs::GcsPresignConfig cfg;
  cfg.bucket = uri.bucket;
  cfg.endpoint = o.endpoint;
  // GCS has no botocore-style automatic choice: auto means path style, as Google's clients.
  cfg.addressing = o.addressing == "virtual" ? gcs::Addressing::kVirtual : gcs::Addressing::kPath;
  cfg.method = o.method;
  cfg.expires_seconds = expires_seconds;
  cfg.signing_time = when;
  cfg.response_content_disposition = o.response_content_disposition;
  cfg.response_content_type = o.response_content_type;
  // Check the options that need no credentials with a throw-away HMAC key first, so a bad
  // bucket or endpoint is a usage error (exit 2) even where no credentials exist.
  {
    gcs::GcsPresignConfig probe = cfg;
    probe.credentials = gcs::HmacKey{"probe", "probe"};
    if (auto p = gcs::GcsPresigner::create(std::move(probe)); !p) return fail(p.error());
  }
  auto creds = gcs::resolve_credentials(o.credentials, signers::aws::process_env());
  if (!creds) return fail(creds.error());
  cfg.credentials = std::move(*creds);
  auto signer = gcs::GcsPresigner::create(std::move(cfg));
  if (!signer) return fail(signer.error());
  return run_job(*signer, signer->expires_at(), o, format);
}

Result<std::unique_ptr<io::PageFetcher>> make_gcs_lister(BucketUri const&, ListerOptions const&) {
  return make_error(ErrorKind::kUsage, "listing gs:// is not supported yet: pass --keys-from FILE");
}

}  // namespace presign::app
