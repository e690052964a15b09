#pragma once
/// The credential options of `presign integrations add|update` turned into a
/// store::Credential: which kind the options name (exactly one), the secrets read from the
/// option, from stdin (`-`) or from the AWS environment (`--from-env`), and a GCP key file
/// checked to be a service-account or HMAC key file.

#include "control_commands.hpp"
#include "presign/core/error.hpp"
#include "presign/store/integrations.hpp"

#include <CLI/CLI.hpp>

#include <optional>
#include <string_view>

namespace presign::app {

/// Adds the credential options to `cmd`.
void add_credential_options(CLI::App* cmd, CredentialOptions& c);

/// The credential the options give for `provider`, or nullopt when they give none. kUsage when
/// they name two kinds, a kind of another provider, or leave a kind incomplete; kConfig for a
/// bad key file or a missing environment variable.
Result<std::optional<store::Credential>> credential_from_options(CredentialOptions const& c,
                                                                 std::string_view provider);

}  // namespace presign::app
