// A stored integration as a job's target and credentials (integration_job.hpp).
#include "integration_job.hpp"

#include "presign/auth/aws.hpp"
#include "presign/auth/azure_connection_string.hpp"
#include "presign/auth/gcs_key_file.hpp"
#include "presign/core/endpoint.hpp"
#include "presign/signers/gcs_oauth.hpp"
#include "presign/store/crypto.hpp"
#include "presign/store/integrations.hpp"

#include <cstdio>
#include <map>
#include <string_view>
#include <variant>

namespace presign::app {
namespace {

// The value of field `name`, or "" when the credential has none.
std::string integ_field(store::Fields const& fields, std::string_view name) {
  for (auto const& [k, v] : fields) {
    if (k == name) return v;
  }
  return {};
}

// Variables that name a target (the integration names its own) or, unless `keep_credentials`,
// credentials of any cloud (the integration brings its own).
bool integ_hidden(std::string_view name, bool keep_credentials) {
  for (std::string_view const v :
       {"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"}) {
    if (name == v) return true;
  }
  if (keep_credentials) return false;
  for (std::string_view const p :
       {"AWS_", "GCS_HMAC_", "GOOGLE_APPLICATION_CREDENTIALS", "GOOGLE_OAUTH_ACCESS_TOKEN",
        "CLOUDSDK_CONFIG", "GCE_METADATA_HOST", "AZURE_STORAGE_", "AZURE_CLIENT_",
        "AZURE_TENANT_ID", "AZURE_FEDERATED_TOKEN_FILE", "AZURE_TOKEN_CREDENTIALS",
        "IDENTITY_ENDPOINT", "IDENTITY_HEADER", "MSI_"}) {
    if (name.starts_with(p)) return true;
  }
  return false;
}

// The process environment as an integration's job sees it: `overlay` first (the integration's
// own variables), then the process's, minus what `integ_hidden` hides.
auth::EnvLookup integ_env(std::map<std::string, std::string> overlay, bool keep_credentials) {
  auto base = auth::process_env();
  return [overlay = std::move(overlay), base = std::move(base),
          keep_credentials](char const* name) -> std::optional<std::string> {
    if (auto it = overlay.find(name); it != overlay.end()) {
      if (it->second.empty()) return std::nullopt;
      return it->second;
    }
    if (integ_hidden(name, keep_credentials)) return std::nullopt;
    return base(name);
  };
}

// The storage account of an Azure endpoint: https://ACCOUNT.blob.core.windows.net (any
// ACCOUNT.blob.* host), else the first path segment (an emulator's
// http://127.0.0.1:10000/devstoreaccount1).
std::string integ_azure_account(std::string const& endpoint) {
  auto e = parse_endpoint(endpoint,
                          EndpointRules{.what = "the integration's endpoint", .allow_path = true});
  if (!e) return {};
  if (auto dot = e->host.find(".blob."); dot != std::string::npos && dot > 0) {
    return e->host.substr(0, dot);
  }
  std::string_view path = e->path;
  if (path.starts_with('/')) path.remove_prefix(1);
  return std::string(path.substr(0, path.find('/')));
}

std::string integ_uri(std::string const& scheme, std::string const& bucket,
                      std::string const& prefix) {
  return scheme + "://" + bucket + (prefix.empty() ? "" : "/" + prefix);
}

// Fills `job` (uri, source, env) for credential `c` of integration `i`. kConfig errors name
// the integration and the kind, never a value.
Result<void> integ_credentials(IntegrationJob& job, store::Integration const& i,
                               store::Credential const& c, std::string const& prefix) {
  std::string const origin = "integration '" + i.name + "' (" + c.kind + ")";
  auto bad = [&](std::string const& why) {
    return make_error(ErrorKind::kConfig, origin + ": " + why);
  };
  job.env = integ_env({}, false);
  if (i.provider == "aws") {
    job.uri = integ_uri("s3", i.bucket, prefix);
    job.region = i.region.empty() ? "us-east-1" : i.region;
    if (c.kind == "aws-access-key") {
      signers::sigv4::Credentials keys{integ_field(c.secret, "access_key_id"),
                                       integ_field(c.secret, "secret_access_key"),
                                       integ_field(c.secret, "session_token")};
      job.source = std::make_shared<auth::StaticSource>(auth::Credentials{std::move(keys), origin});
      return {};
    }
    if (c.kind == "aws-role") {
      // The environment's AWS chain signs the AssumeRole call; STS is asked in the
      // integration's region (AWS_ENDPOINT_URL_STS still applies, as for profiles).
      job.env = integ_env({}, true);
      auto chain = std::make_shared<auth::aws::DefaultChainProvider>(job.env);
      auth::aws::AssumeRoleParams p;
      p.role_arn = integ_field(c.params, "role_arn");
      p.external_id = integ_field(c.params, "external_id");
      p.region = job.region;
      job.source = std::make_shared<auth::aws::AssumeRoleSource>(
          std::move(chain), std::move(p), job.env, "integration '" + i.name + "'");
      return {};
    }
  } else if (i.provider == "gcp") {
    job.uri = integ_uri("gs", i.bucket, prefix);
    if (c.kind == "gcp-key-file") {
      std::string text = integ_field(c.secret, "key_file");
      auto parsed = auth::gcs::parse_credentials_json(text, origin);
      std::optional<signers::gcs::oauth::ServiceAccountInfo> info;
      if (parsed && std::holds_alternative<signers::gcs::ServiceAccountKey>(*parsed)) {
        auto in = signers::gcs::oauth::parse_service_account_info(text, origin);
        if (!in) {
          store::wipe(text);
          return in.error();
        }
        info = std::move(*in);
      }
      store::wipe(text);
      if (!parsed) return parsed.error();
      auth::Credentials creds;
      creds.origin = origin;
      creds.key_info = std::move(info);
      if (auto* key = std::get_if<signers::gcs::ServiceAccountKey>(&*parsed)) {
        creds.secret = std::move(*key);
      } else if (auto* hmac = std::get_if<signers::gcs::HmacKey>(&*parsed)) {
        creds.secret = std::move(*hmac);
      } else {
        return bad("the stored key file holds no key that can sign");
      }
      job.source = std::make_shared<auth::StaticSource>(std::move(creds));
      return {};
    }
    if (c.kind == "gcp-hmac") {
      signers::gcs::HmacKey key{integ_field(c.secret, "access_id"),
                                integ_field(c.secret, "secret")};
      job.source = std::make_shared<auth::StaticSource>(auth::Credentials{std::move(key), origin});
      return {};
    }
    if (c.kind == "gcp-impersonate") {
      // The environment's GCS chain, keyless, signing (and listing) as the account: the
      // provider's own source, as --impersonate-service-account makes it.
      job.env = integ_env({}, true);
      job.impersonate_service_account = integ_field(c.params, "service_account");
      return {};
    }
  } else if (i.provider == "azure") {
    std::string account;
    if (c.kind == "azure-account-key") {
      account = integ_field(c.params, "account_name");
      auth::azure::AccountCredentials a{account, integ_field(c.secret, "account_key"), {}, origin};
      job.source = std::make_shared<auth::StaticSource>(auth::Credentials{std::move(a), origin});
    } else if (c.kind == "azure-connection-string") {
      auto a = auth::azure::parse_connection_string(integ_field(c.secret, "connection_string"));
      if (!a) return bad(a.error().detail);
      a->origin = origin;
      account = a->account;
      job.source = std::make_shared<auth::StaticSource>(auth::Credentials{std::move(*a), origin});
    } else if (c.kind == "azure-service-principal") {
      account = integ_azure_account(i.endpoint);
      if (account.empty()) {
        return bad(
            "the storage account is named by the integration's endpoint "
            "(https://ACCOUNT.blob.core.windows.net, or an emulator's http://HOST:PORT/ACCOUNT); "
            "update the integration with one");
      }
      // The Entra ID client-secret flow of the environment route (AZURE_TENANT_ID,
      // AZURE_CLIENT_ID, AZURE_CLIENT_SECRET), and nothing else of that chain.
      job.env = integ_env({{"AZURE_TENANT_ID", integ_field(c.params, "tenant_id")},
                           {"AZURE_CLIENT_ID", integ_field(c.params, "client_id")},
                           {"AZURE_CLIENT_SECRET", integ_field(c.secret, "client_secret")},
                           {"AZURE_TOKEN_CREDENTIALS", "EnvironmentCredential"}},
                          false);
    } else {
      return bad("unknown credential kind");
    }
    job.uri = "az://" + account + "/" + i.bucket + (prefix.empty() ? "" : "/" + prefix);
    return {};
  }
  return bad("this credential kind is not supported for provider " + i.provider);
}

}  // namespace

void IntegrationJob::stamp_used() const {
  auto now = cli_now();
  Result<void> r =
      now ? store::stamp_integration_used(*store, name, *now) : Result<void>(now.error());
  if (!r) {
    std::fprintf(stderr, "presign: warning: integration '%s': last use not recorded: %s\n",
                 name.c_str(), r.error().detail.c_str());
  }
}

Result<void> refuse_with_integration(std::string const& name,
                                     std::initializer_list<std::pair<char const*, bool>> given) {
  for (auto const& [flag, set] : given) {
    if (set) {
      return make_error(ErrorKind::kUsage,
                        std::string(flag) + " cannot be given with --integration: integration '" +
                            name +
                            "' names the bucket, its region, endpoint and "
                            "credentials");
    }
  }
  return {};
}

Result<std::shared_ptr<IntegrationJob const>> load_integration_job(StoreCli const& cli,
                                                                   std::string const& name,
                                                                   std::string const& prefix) {
  if (prefix.find("://") != std::string::npos) {
    return make_error(ErrorKind::kUsage,
                      "'" + prefix +
                          "' is a URI, but --integration names the bucket: give only a key "
                          "PREFIX after the integration (or drop --integration)");
  }
  auto opened = open_store(cli, true);
  if (!opened) return opened.error();
  auto job = std::make_shared<IntegrationJob>();
  job->store = std::make_shared<store::Store>(std::move(*opened));
  job->name = name;
  auto i = store::get_integration(*job->store, name);
  if (!i) {
    if (i.error().kind != ErrorKind::kNotFound) return i.error();
    return make_error(ErrorKind::kConfig, "no integration named '" + name + "' in the store " +
                                              job->store->path() +
                                              " (presign integrations list shows them)");
  }
  auto cred = store::get_integration_secret(*job->store, name);
  if (!cred) return cred.error();
  job->kind = cred->kind;
  job->endpoint = i->endpoint;
  auto r = integ_credentials(*job, *i, *cred, prefix);
  for (auto& [k, v] : cred->secret) store::wipe(v);
  if (!r) return r.error();
  return std::shared_ptr<IntegrationJob const>(std::move(job));
}

}  // namespace presign::app
