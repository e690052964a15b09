#pragma once
/// How long a signed URL really lives. A URL stops working at the earliest of three moments:
/// its own expiry (X-Amz-Expires, X-Goog-Expires, the SAS `se`), the provider's cap (7 days
/// for SigV4 and GCS V4: already refused by `Provider::check_sign`, so within the URL's own
/// expiry here) and the end of the credentials that signed it (session credentials, an
/// assumed role, the user delegation key of an Azure SAS). The SDKs sign with temporary
/// credentials and say nothing: a "7-day" URL dies with them hours later, silently (boto3
/// #2392 and #3079, botocore #2604). presign tells the truth instead: it refuses such a job
/// before any work, or signs it when asked and gives every record the real moment.

#include "presign/auth/credentials.hpp"
#include "presign/core/error.hpp"
#include "presign/core/time.hpp"
#include "presign/providers/provider.hpp"

namespace presign::providers {

/// The moment URLs from `setup`, signed with `creds`, stop working: `setup.expires_at`, or
/// the credentials' expiry when that comes first. Refused (kAuth, naming both instants and
/// where the credentials came from, never a secret) when the credentials have expired by
/// `now`, or when they end before the URLs would and `allow_shorter` is false; with
/// `allow_shorter` a warning joins `setup.warnings` and the earlier moment is returned.
[[nodiscard]] Result<SigningTime> effective_expiry(SignerSetup& setup,
                                                   auth::Credentials const& creds,
                                                   bool allow_shorter, SigningTime now);

}  // namespace presign::providers
