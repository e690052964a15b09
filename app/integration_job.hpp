#pragma once
/// `presign sign --integration NAME [PREFIX]`, `presign ls --integration NAME [PREFIX]` and
/// `presign integrations check NAME`: a stored integration (store/integrations.hpp) turned into
/// what a job needs — the bucket URI, region and endpoint, the credential source and the
/// environment the provider reads — so that the job then runs exactly as one named on the
/// command line does: the same provider checks, signers, listers and refreshes.
///
/// Credentials by kind (the secret is decrypted once, handed to auth's own parsers and types,
/// and wiped; it is never printed):
///   aws-access-key          the keys, as a fixed source (auth::StaticSource)
///   aws-role                STS AssumeRole of the role (auth::aws::AssumeRoleSource), signed
///                           with the environment's AWS chain (as `credential_source =
///                           Environment`); refreshed from the same source during a listing
///   gcp-key-file            the key file's text parsed as a --credentials file is (a
///                           service-account key, or an HMAC key file)
///   gcp-hmac                the HMAC key
///   gcp-impersonate         the GCS chain of the environment, keyless, signing as the account
///                           (as --impersonate-service-account)
///   azure-account-key       the account and key (service SAS)
///   azure-connection-string parsed as AZURE_STORAGE_CONNECTION_STRING is
///   azure-service-principal the Entra ID client-secret flow (as AZURE_TENANT_ID,
///                           AZURE_CLIENT_ID and AZURE_CLIENT_SECRET are; user delegation SAS);
///                           the storage account is the endpoint's (https://ACCOUNT.blob...
///                           or, for an emulator, the endpoint's first path segment)
///
/// The environment of such a job: every cloud's credential variables are hidden (except for
/// aws-role and gcp-impersonate, whose source is the environment), and so are the target's
/// defaults (AWS_REGION, AWS_DEFAULT_REGION, AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_S3): the
/// integration names its bucket, region and endpoint.

#include "store_cli.hpp"
#include "presign/auth/credentials.hpp"
#include "presign/auth/env.hpp"
#include "presign/core/error.hpp"
#include "presign/store/store.hpp"

#include <initializer_list>
#include <memory>
#include <string>
#include <utility>

namespace presign::app {

struct IntegrationJob {
  std::string name;
  std::string kind;      ///< the credential kind
  std::string uri;       ///< s3://BUCKET[/PREFIX], gs://BUCKET[/PREFIX], az://ACCOUNT/CONTAINER[/P]
  std::string region;    ///< s3 only (empty for the others, which refuse --region)
  std::string endpoint;  ///< empty: the provider's default
  std::string impersonate_service_account;  ///< gcp-impersonate
  /// Where the credentials come from; null: the provider's own source, read through `env`.
  std::shared_ptr<auth::CredentialSource const> source;
  auth::EnvLookup env;
  std::shared_ptr<store::Store> store;

  /// Records that the integration was used (now; PRESIGN_TEST_NOW in tests). A failure is a
  /// warning on stderr, never the job's failure.
  void stamp_used() const;
};

/// Refuses (kUsage) the options that name what the integration `name` gives: each pair is an
/// option and whether it was given.
Result<void> refuse_with_integration(std::string const& name,
                                     std::initializer_list<std::pair<char const*, bool>> given);

/// Opens the store (which must exist), reads integration `name` with its secret and makes the
/// job's target and credentials. `prefix`: the command's positional argument, a key prefix
/// under the integration's bucket (a URI there is refused, kUsage). An unknown name is kConfig
/// (exit 3, as an unknown --profile is).
Result<std::shared_ptr<IntegrationJob const>> load_integration_job(StoreCli const& cli,
                                                                   std::string const& name,
                                                                   std::string const& prefix);

}  // namespace presign::app
