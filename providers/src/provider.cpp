// The provider registry, bucket URIs, and the checks every provider shares.
#include "presign/providers/provider.hpp"

#include "common.hpp"

namespace presign::providers {

Result<BucketUri> parse_bucket_uri(std::string_view uri) {
  auto const sep = uri.find("://");
  if (sep == std::string_view::npos) {
    return detail::usage("'" + std::string(uri) +
                         "' is not a bucket URI (e.g. s3://bucket/prefix)");
  }
  BucketUri u;
  u.scheme = uri.substr(0, sep);
  std::string_view const rest = uri.substr(sep + 3);
  auto const slash = rest.find('/');
  u.bucket = rest.substr(0, slash);
  if (slash != std::string_view::npos) u.prefix = rest.substr(slash + 1);
  if (u.bucket.empty()) return detail::usage("'" + std::string(uri) + "' names no bucket");
  return u;
}

std::string Provider::listing_prefix(BucketUri const& uri) const { return uri.prefix; }

ObjectLocation Provider::location(BucketUri const& uri) const {
  return {uri.bucket, uri.scheme + "://" + uri.bucket + "/"};
}

Result<Provider const*> provider_for(std::string_view scheme) {
  for (Provider const* p :
       {&detail::s3_provider(), &detail::gcs_provider(), &detail::azure_provider()}) {
    if (p->scheme() == scheme) return p;
  }
  return detail::usage("unsupported scheme '" + std::string(scheme) +
                       "://' (supported: s3://, gs://, az://)");
}

namespace detail {

Result<void> refuse_settings(std::string_view scheme,
                             std::initializer_list<std::pair<char const*, bool>> settings) {
  for (auto const& [flag, set] : settings) {
    if (set) return usage(std::string(flag) + " does not apply to " + std::string(scheme) + "://");
  }
  return {};
}

Result<void> refuse_sas_settings(std::string_view scheme, SignSettings const& s,
                                 std::pair<char const*, bool> extra) {
  if (auto r = refuse_settings(
          scheme, {{"--ip", !s.ip.empty()},
                   {"--start", !s.start.empty()},
                   {"--sas-version", !s.sas_version.empty()},
                   {"--response-cache-control", !s.response_cache_control.empty()},
                   {"--response-content-encoding", !s.response_content_encoding.empty()},
                   {"--response-content-language", !s.response_content_language.empty()},
                   {"--snapshot", !s.snapshot.empty()},
                   {"--version-id", !s.version_id.empty()},
                   extra});
      !r) {
    return r;
  }
  if (s.https_only || s.permissions != "r") {
    return usage("--https-only and --permissions apply to az:// only");
  }
  return {};
}

Error wrong_credentials(std::string_view scheme, auth::Credentials const& creds) {
  return make_error(ErrorKind::kConfig, "the credentials from " + creds.origin +
                                            " cannot sign or list " + std::string(scheme) + "://");
}

Result<void> check_common_list(Provider const& p, ListSettings const& s, bool has_start_after) {
  std::uint32_t const max = p.max_page_size();
  if (s.page_size > max) {
    return usage("--page-size " + std::to_string(s.page_size) +
                 " is out of range: " + std::string(p.scheme()) + ":// lists 1 to " +
                 std::to_string(max) + " keys a request");
  }
  if (!s.start_after.empty() && !has_start_after) {
    return usage("--start-after applies to s3:// only");
  }
  if (s.no_verify_ssl && !s.ca_bundle.empty()) {
    return usage("--ca-bundle and --no-verify-ssl contradict each other");
  }
  if (s.max_attempts < 0) return usage("--retry-max-attempts must be at least 1");
  if (s.retry_base && s.retry_base->count() < 0) {
    return usage("--retry-base-delay must not be negative");
  }
  return {};
}

}  // namespace detail
}  // namespace presign::providers
