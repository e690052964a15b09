#pragma once
// gs:// without a key (providers/gcs, internal): the caller's token source of an
// auth::GcsKeyless (metadata server, ADC user credentials, a key's own tokens) as an
// io::AccessTokenProvider, for listing and for IAM signBlob, and the keyless signer.

#include "presign/auth/credentials.hpp"
#include "presign/io/gcs_keyless.hpp"
#include "presign/io/gcs_keyless_signer.hpp"
#include "presign/providers/provider.hpp"
#include "presign/signers/gcs_v4.hpp"

#include <memory>
#include <string>

namespace presign::providers::detail {

/// The token provider of `k` (`key_file`: the key's JSON file, for kServiceAccountKey),
/// requests sent with `flow`'s transport and retries; `scope` for a key's own tokens.
Result<std::shared_ptr<io::AccessTokenProvider>> keyless_tokens(auth::GcsKeyless const& k,
                                                                std::string const& key_file,
                                                                io::TokenFlowOptions flow,
                                                                std::string const& scope);

/// The tokens a keyless listing sends: the caller's own (metadata server, ADC user, a key's
/// tokens), or, when `k` impersonates an account (--impersonate-service-account), that
/// account's tokens from IAM generateAccessToken got with the caller's, as `gcloud storage ls
/// --impersonate-service-account` lists. Requests with `http`'s transport and `s`'s retry
/// settings; the IAM endpoint from CLOUDSDK_API_ENDPOINT_OVERRIDES_IAMCREDENTIALS (`env`).
Result<std::shared_ptr<io::AccessTokenProvider>> keyless_listing_tokens(
    auth::GcsKeyless const& k, std::string const& key_file, io::HttpClientOptions const& http,
    ListSettings const& s, EnvLookup const& env);

/// The tokens of service account `email` from IAM generateAccessToken, asked for with the
/// caller's tokens `caller` (read-only scope), requests with `http`'s transport and `s`'s retry
/// settings; the IAM endpoint from CLOUDSDK_API_ENDPOINT_OVERRIDES_IAMCREDENTIALS (`env`).
Result<std::shared_ptr<io::AccessTokenProvider>> impersonated_listing_tokens(
    std::shared_ptr<io::AccessTokenProvider> caller, std::string const& email,
    io::HttpClientOptions const& http, ListSettings const& s, EnvLookup const& env);

/// The keyless signer of `cfg` as `creds` (a GcsKeyless with `sign_as`), its signBlob endpoint
/// from CLOUDSDK_API_ENDPOINT_OVERRIDES_IAMCREDENTIALS (`env`), checked with one call before
/// the job (kAuth: the job does not start).
Result<io::GcsKeylessSigner> make_keyless_signer(signers::gcs::GcsPresignConfig cfg,
                                                 auth::Credentials const& creds,
                                                 EnvLookup const& env);

}  // namespace presign::providers::detail
