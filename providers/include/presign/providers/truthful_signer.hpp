#pragma once
/// The signer whose URLs say themselves when they stop working. `effective_expiry`
/// (lifetime.hpp) finds the real end of a URL; when the credentials end before the URL's own
/// expiry and the user allows it (--allow-shorter-expiry), the signer is made again with the
/// expiry cut to that moment, so that the URL's own parameter (X-Amz-Expires, X-Goog-Expires,
/// the SAS `se`) carries the same instant as the records' expires_at, rather than the lifetime
/// asked for, which the credentials would never honour.

#include "presign/auth/credentials.hpp"
#include "presign/core/error.hpp"
#include "presign/core/time.hpp"
#include "presign/providers/provider.hpp"

namespace presign::providers {

/// `p.make_signer(uri, s, creds, env)`, then `effective_expiry(…, allow_shorter, now)`; when
/// that is earlier than `s.when + s.expires_seconds`, the signer is made again for
/// `effective - s.when` seconds. The result's `expires_at` is the effective expiry and its
/// warnings those of `effective_expiry`. Errors: those of both; kAuth when the credentials end
/// at or before the signing time `s.when` (no URL signed then could ever work).
[[nodiscard]] Result<SignerSetup> make_truthful_signer(Provider const& p, BucketUri const& uri,
                                                       SignSettings s,
                                                       auth::Credentials const& creds,
                                                       EnvLookup const& env, bool allow_shorter,
                                                       SigningTime now);

}  // namespace presign::providers
