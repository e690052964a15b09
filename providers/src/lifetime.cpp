#include "presign/providers/lifetime.hpp"

#include <optional>
#include <string>
#include <variant>

namespace presign::providers {

Result<SigningTime> effective_expiry(SignerSetup& setup, auth::Credentials const& creds,
                                     bool allow_shorter, SigningTime now) {
  // GCS keyless: the service account's own key signs (through IAM signBlob); the OAuth token
  // that asked for the signature may expire in an hour without ending the URL, which lives its
  // V4 expiry (at most 7 days, checked by the provider).
  if (!setup.credentials_end && std::holds_alternative<auth::GcsKeyless>(creds.secret)) {
    return setup.expires_at;
  }
  // An Azure user delegation SAS lives as long as its key, whatever the token's lifetime.
  std::optional<SigningTime> const until =
      setup.credentials_end ? setup.credentials_end : creds.expires;
  if (!until || *until >= setup.expires_at) return setup.expires_at;
  std::string const& origin = setup.credentials_end ? setup.credentials_origin : creds.origin;
  std::string const from = origin.empty() ? "the credentials" : origin;
  std::string const end = format_rfc3339(*until);
  std::string const asked = format_rfc3339(setup.expires_at);
  if (*until <= now) {
    return make_error(ErrorKind::kAuth, "the credentials from " + from + " expired at " + end +
                                            "; refresh them and run again");
  }
  if (!allow_shorter) {
    return make_error(ErrorKind::kAuth,
                      "the credentials from " + from + " expire at " + end +
                          ", before the URLs would (" + asked +
                          ", from --expires): a URL stops working when the credentials that "
                          "signed it expire. Use longer-lived credentials or a shorter "
                          "--expires, or pass --allow-shorter-expiry to sign URLs that stop "
                          "working at " +
                          end);
  }
  setup.warnings.push_back("the URLs stop working at " + end + ", when the credentials from " +
                           from + " expire, not at " + asked +
                           " as --expires asks; each record's expires_at says " + end);
  return *until;
}

}  // namespace presign::providers
