// Secrets reach presign three ways here: an option's value (visible to every user of the
// machine through `ps` while the command runs: fine for tests, not for production), `-` for
// stdin, or the environment (`--from-env` for AWS). Nothing read is ever printed.
#include "integration_credentials.hpp"

#include "presign/auth/gcs_key_file.hpp"
#include "presign/store/crypto.hpp"

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace presign::app {
namespace {

struct KindUse {
  char const* kind;
  char const* provider;
  char const* options;  // for messages
  bool used;
};

Error usage(std::string msg) { return make_error(ErrorKind::kUsage, std::move(msg)); }

// The value of a secret option: itself, or stdin for "-" (one line's ending dropped unless
// `whole`). Only one option may read stdin.
Result<std::string> secret_value(std::string const& value, char const* option, bool& stdin_used,
                                 bool whole = false) {
  if (value != "-") return value;
  if (stdin_used) return usage(std::string(option) + " -: only one option can read stdin");
  stdin_used = true;
  std::string text;
  if (!read_stdin(text))
    return make_error(ErrorKind::kIo, std::string(option) + ": cannot read stdin");
  if (!whole) {
    if (text.ends_with('\n')) text.pop_back();
    if (text.ends_with('\r')) text.pop_back();
  }
  if (text.empty()) return usage(std::string(option) + " -: stdin was empty");
  return text;
}

Result<std::string> read_key_file_text(std::string const& path, bool& stdin_used) {
  if (path == "-") return secret_value(path, "--key-file", stdin_used, true);
  std::string text;
  auto r = auth::gcs::read_credentials_file(path, [&](std::string_view t) { text.assign(t); });
  if (!r) return r.error();
  return text;
}

Result<void> need(std::string const& value, char const* option, char const* kind) {
  if (!value.empty()) return {};
  return usage(std::string(kind) + " credentials need " + option);
}

}  // namespace

void add_credential_options(CLI::App* cmd, CredentialOptions& c) {
  // Plain options in help groups (not CLI11 option groups, whose options the typo
  // explanations of cli_errors.cpp would not see).
  auto opt = [&](char const* name, std::string& value, char const* help, char const* group) {
    cmd->add_option(name, value, help)->group(group);
  };
  char const* const aws = "AWS credentials";
  opt("--access-key-id", c.access_key_id, "access key id", aws);
  opt("--secret-access-key", c.secret_access_key, "secret access key ('-': stdin)", aws);
  opt("--session-token", c.session_token, "session token ('-': stdin)", aws);
  cmd->add_flag("--from-env", c.from_env,
                "take AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN")
      ->group(aws);
  opt("--role-arn", c.role_arn, "a role to assume (no secret stored)", aws);
  opt("--external-id", c.external_id, "the role's external id", aws);
  char const* const gcp = "GCP credentials";
  opt("--key-file", c.key_file,
      "a service-account or HMAC key file (JSON), stored as its bytes ('-': stdin)", gcp);
  opt("--hmac-access-id", c.hmac_access_id, "HMAC key access id", gcp);
  opt("--hmac-secret", c.hmac_secret, "HMAC key secret ('-': stdin)", gcp);
  opt("--impersonate-service-account", c.impersonate_service_account,
      "a service account to sign as (no secret stored)", gcp);
  char const* const az = "Azure credentials";
  opt("--account-name", c.account_name, "storage account name", az);
  opt("--account-key", c.account_key, "storage account key ('-': stdin)", az);
  opt("--connection-string", c.connection_string, "connection string ('-': stdin)", az);
  opt("--tenant-id", c.tenant_id, "service principal: tenant id", az);
  opt("--client-id", c.client_id, "service principal: client id", az);
  opt("--client-secret", c.client_secret, "service principal: secret ('-': stdin)", az);
}

Result<std::optional<store::Credential>> credential_from_options(CredentialOptions const& c,
                                                                 std::string_view provider) {
  std::vector<KindUse> const kinds{
      {"aws-access-key", "aws", "--access-key-id/--secret-access-key/--session-token/--from-env",
       !c.access_key_id.empty() || !c.secret_access_key.empty() || !c.session_token.empty() ||
           c.from_env},
      {"aws-role", "aws", "--role-arn/--external-id",
       !c.role_arn.empty() || !c.external_id.empty()},
      {"gcp-key-file", "gcp", "--key-file", !c.key_file.empty()},
      {"gcp-hmac", "gcp", "--hmac-access-id/--hmac-secret",
       !c.hmac_access_id.empty() || !c.hmac_secret.empty()},
      {"gcp-impersonate", "gcp", "--impersonate-service-account",
       !c.impersonate_service_account.empty()},
      {"azure-account-key", "azure", "--account-name/--account-key",
       !c.account_name.empty() || !c.account_key.empty()},
      {"azure-connection-string", "azure", "--connection-string", !c.connection_string.empty()},
      {"azure-service-principal", "azure", "--tenant-id/--client-id/--client-secret",
       !c.tenant_id.empty() || !c.client_id.empty() || !c.client_secret.empty()},
  };
  KindUse const* chosen = nullptr;
  for (KindUse const& k : kinds) {
    if (!k.used) continue;
    if (chosen != nullptr) {
      return usage(std::string("give one kind of credentials: ") + chosen->options + " and " +
                   k.options + " were both given");
    }
    chosen = &k;
  }
  if (chosen == nullptr) return std::optional<store::Credential>();
  if (chosen->provider != provider) {
    return usage(std::string(chosen->options) + " are credentials for provider " +
                 chosen->provider + ", not " + std::string(provider));
  }
  store::Credential cred;
  cred.kind = chosen->kind;
  bool stdin_used = false;
  auto secret = [&](char const* field, std::string const& value,
                    char const* option) -> Result<void> {
    auto v = secret_value(value, option, stdin_used);
    if (!v) return v.error();
    cred.secret.emplace_back(field, std::move(*v));
    return {};
  };
  std::string const kind = cred.kind;
  Result<void> r;
  if (kind == "aws-access-key") {
    if (c.from_env) {
      if (!c.access_key_id.empty() || !c.secret_access_key.empty() || !c.session_token.empty()) {
        return usage("--from-env takes the keys from the environment: give no other key option");
      }
      char const* id = std::getenv("AWS_ACCESS_KEY_ID");
      char const* sk = std::getenv("AWS_SECRET_ACCESS_KEY");
      char const* tok = std::getenv("AWS_SESSION_TOKEN");
      if (id == nullptr || *id == '\0' || sk == nullptr || *sk == '\0') {
        return make_error(ErrorKind::kConfig,
                          "--from-env: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set");
      }
      cred.secret = {{"access_key_id", id}, {"secret_access_key", sk}};
      if (tok != nullptr && *tok != '\0') cred.secret.emplace_back("session_token", tok);
    } else {
      if (r = need(c.access_key_id, "--access-key-id", "AWS"); !r) return r.error();
      if (r = need(c.secret_access_key, "--secret-access-key", "AWS"); !r) return r.error();
      cred.secret.emplace_back("access_key_id", c.access_key_id);
      if (r = secret("secret_access_key", c.secret_access_key, "--secret-access-key"); !r)
        return r.error();
      if (!c.session_token.empty()) {
        if (r = secret("session_token", c.session_token, "--session-token"); !r) return r.error();
      }
    }
  } else if (kind == "aws-role") {
    if (r = need(c.role_arn, "--role-arn", "AWS role"); !r) return r.error();
    cred.params.emplace_back("role_arn", c.role_arn);
    if (!c.external_id.empty()) cred.params.emplace_back("external_id", c.external_id);
  } else if (kind == "gcp-key-file") {
    auto text = read_key_file_text(c.key_file, stdin_used);
    if (!text) return text.error();
    std::string const origin = c.key_file == "-" ? "the key file on stdin" : c.key_file;
    auto parsed = auth::gcs::parse_credentials_json(*text, origin);
    if (!parsed) {
      store::wipe(*text);
      return parsed.error();
    }
    cred.params.emplace_back("type", auth::gcs::credentials_type(*text));
    cred.secret.emplace_back("key_file", std::move(*text));
  } else if (kind == "gcp-hmac") {
    if (r = need(c.hmac_access_id, "--hmac-access-id", "GCP HMAC"); !r) return r.error();
    if (r = need(c.hmac_secret, "--hmac-secret", "GCP HMAC"); !r) return r.error();
    cred.secret.emplace_back("access_id", c.hmac_access_id);
    if (r = secret("secret", c.hmac_secret, "--hmac-secret"); !r) return r.error();
  } else if (kind == "gcp-impersonate") {
    cred.params.emplace_back("service_account", c.impersonate_service_account);
  } else if (kind == "azure-account-key") {
    if (r = need(c.account_name, "--account-name", "Azure account key"); !r) return r.error();
    if (r = need(c.account_key, "--account-key", "Azure account key"); !r) return r.error();
    cred.params.emplace_back("account_name", c.account_name);
    if (r = secret("account_key", c.account_key, "--account-key"); !r) return r.error();
  } else if (kind == "azure-connection-string") {
    if (r = secret("connection_string", c.connection_string, "--connection-string"); !r)
      return r.error();
  } else {  // azure-service-principal
    if (r = need(c.tenant_id, "--tenant-id", "Azure service principal"); !r) return r.error();
    if (r = need(c.client_id, "--client-id", "Azure service principal"); !r) return r.error();
    if (r = need(c.client_secret, "--client-secret", "Azure service principal"); !r)
      return r.error();
    cred.params.emplace_back("tenant_id", c.tenant_id);
    cred.params.emplace_back("client_id", c.client_id);
    if (r = secret("client_secret", c.client_secret, "--client-secret"); !r) return r.error();
  }
  return std::optional<store::Credential>(std::move(cred));
}

}  // namespace presign::app
