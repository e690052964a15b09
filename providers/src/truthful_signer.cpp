#include "presign/providers/truthful_signer.hpp"

#include "presign/providers/lifetime.hpp"

#include <chrono>
#include <string>
#include <utility>

namespace presign::providers {

Result<SignerSetup> make_truthful_signer(Provider const& p, BucketUri const& uri, SignSettings s,
                                         auth::Credentials const& creds, EnvLookup const& env,
                                         bool allow_shorter, SigningTime now) {
  auto setup = p.make_signer(uri, s, creds, env);
  if (!setup) return setup.error();
  auto const end = effective_expiry(*setup, creds, allow_shorter, now);
  if (!end) return end.error();
  if (*end >= setup->expires_at) return setup;
  if (*end <= s.when) {
    // --signing-time later than the credentials' end: each URL would be dead when it starts.
    std::string const& origin = setup->credentials_end ? setup->credentials_origin : creds.origin;
    return make_error(ErrorKind::kAuth,
                      "the credentials from " +
                          (origin.empty() ? std::string("the credential source") : origin) +
                          " end at " + format_rfc3339(*end) + ", not after the signing time " +
                          format_rfc3339(s.when) + ": no URL signed then would work");
  }
  // The same settings with the lifetime cut (an Azure user delegation key is asked for again,
  // for the shorter lifetime) to the credentials' end (whole seconds, as the
  // clocks are): the URL's expiry parameter now tells the truth.
  auto warnings = std::move(setup->warnings);
  s.expires_seconds = std::chrono::duration_cast<std::chrono::seconds>(*end - s.when).count();
  s.expires_text = std::to_string(s.expires_seconds) + " (until the credentials end)";
  auto cut = p.make_signer(uri, s, creds, env);
  if (!cut) return cut.error();
  cut->expires_at = *end;
  cut->warnings = std::move(warnings);
  return cut;
}

}  // namespace presign::providers
