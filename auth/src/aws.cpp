// The AWS default chain: botocore's provider order (`create_credential_resolver`,
// `ProfileProviderBuilder.providers`) and its role chains (`AssumeRoleProvider`), over the
// sources in aws_{config,sts,process,sso,container,imds}.cpp.
#include "presign/auth/aws.hpp"

#include "aws_internal.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <chrono>
#include <charconv>
#include <optional>
#include <vector>

namespace presign::auth::aws {
namespace {

std::string profile_name(EnvLookup const& env) {
  if (auto p = env("AWS_PROFILE")) return *p;
  if (auto p = env("AWS_DEFAULT_PROFILE")) return *p;
  return "default";
}

bool has_static(Profile const& p) {
  return p.get("aws_access_key_id") != nullptr || p.get("aws_secret_access_key") != nullptr;
}

// botocore's `_has_assume_role_config_vars`: a role, and not a web-identity one.
bool has_assume_role(Profile const& p) {
  return p.get("role_arn") != nullptr && p.get("web_identity_token_file") == nullptr;
}

bool has_sso(Profile const& p) {
  return p.get("sso_session") != nullptr || p.get("sso_start_url") != nullptr ||
         p.get("sso_account_id") != nullptr || p.get("sso_role_name") != nullptr;
}

// A found result: the keys, where from, and when they expire.
struct Found {
  AwsKeys keys;
  std::string origin;
};

// One resolution: the config read once, the region of the STS calls, the profiles visited.
class Resolver {
 public:
  Resolver(SourceContext ctx, SharedConfig config, std::string region)
      : ctx_(std::move(ctx)), config_(std::move(config)), region_(std::move(region)) {}

  // Steps 2-7 of the chain for `name` (aws.hpp). nullopt: the profile has nothing.
  // `env_allowed`: web identity may come from the environment (not for a source profile,
  // nor under --profile: botocore's `disable_env_vars`).
  std::optional<Result<Found>> from_profile(std::string const& name, bool env_allowed, bool top) {
    auto it = config_.profiles.find(name);
    Profile const empty{};
    Profile const& p = it == config_.profiles.end() ? empty : it->second;
    if (top && has_assume_role(p)) return assume_role_chain(name);
    if (auto w = web_identity(p, env_allowed)) return w;
    if (has_sso(p)) {
      auto k = sso_credentials(ctx_, config_, p, name);
      if (!k) return Result<Found>(k.error());
      return Result<Found>(Found{std::move(*k), "SSO of profile '" + name + "'"});
    }
    if (auto s = static_keys(config_.credentials_file_profiles, name)) return s;
    if (auto const* cmd = p.get("credential_process")) {
      auto k = run_credential_process(*cmd, p.where);
      if (!k) return Result<Found>(k.error());
      return Result<Found>(Found{std::move(*k), "credential_process of profile '" + name + "'"});
    }
    if (auto s = static_keys(config_.config_file_profiles, name)) return s;
    return std::nullopt;
  }

 private:
  static std::optional<Result<Found>> static_keys(std::map<std::string, Profile> const& file,
                                                  std::string const& name) {
    auto it = file.find(name);
    if (it == file.end()) return std::nullopt;
    auto const* k = it->second.get("aws_access_key_id");
    auto const* s = it->second.get("aws_secret_access_key");
    if (k == nullptr || s == nullptr || k->empty() || s->empty()) return std::nullopt;
    auto const* t = it->second.get("aws_session_token");
    return Result<Found>(
        Found{AwsKeys{{*k, *s, t ? *t : std::string{}}, std::nullopt}, it->second.where});
  }

  std::optional<Result<Found>> web_identity(Profile const& p, bool env_allowed) {
    auto pick = [&](char const* env_name, char const* key) -> std::string {
      if (env_allowed) {
        if (auto v = ctx_.env(env_name)) return *v;
      }
      auto const* v = p.get(key);
      return v ? *v : std::string{};
    };
    std::string const file = pick("AWS_WEB_IDENTITY_TOKEN_FILE", "web_identity_token_file");
    if (file.empty()) return std::nullopt;
    AssumeRoleParams params;
    params.role_arn = pick("AWS_ROLE_ARN", "role_arn");
    params.role_session_name = pick("AWS_ROLE_SESSION_NAME", "role_session_name");
    params.region = region_;
    if (params.role_arn.empty()) {
      return Result<Found>(
          make_error(ErrorKind::kConfig,
                     "a web identity token file is set (AWS_WEB_IDENTITY_TOKEN_FILE or "
                     "web_identity_token_file) but no role (AWS_ROLE_ARN or role_arn)"));
    }
    auto k = assume_role_with_web_identity(ctx_, params, file);
    if (!k) return Result<Found>(k.error());
    return Result<Found>(
        Found{std::move(*k), "STS AssumeRoleWithWebIdentity (" + params.role_arn + ")"});
  }

  Result<Found> from_credential_source(std::string const& source, std::string const& name) {
    std::optional<Result<AwsKeys>> k;
    if (source == "Environment") {
      auto id = ctx_.env("AWS_ACCESS_KEY_ID");
      auto secret = ctx_.env("AWS_SECRET_ACCESS_KEY");
      if (id && secret) {
        k = Result<AwsKeys>(
            AwsKeys{{*id, *secret, ctx_.env("AWS_SESSION_TOKEN").value_or("")}, std::nullopt});
      }
    } else if (source == "EcsContainer") {
      k = container_credentials(ctx_);
    } else if (source == "Ec2InstanceMetadata") {
      k = imds_credentials(ctx_);
    } else {
      return make_error(ErrorKind::kConfig,
                        "credential_source '" + source + "' of profile '" + name +
                            "' is not one of Environment, Ec2InstanceMetadata, EcsContainer");
    }
    if (!k) {
      return make_error(ErrorKind::kConfig, "no credentials found in credential_source '" + source +
                                                "' of profile '" + name + "'");
    }
    if (!*k) return k->error();
    return Found{std::move(**k), "credential_source " + source};
  }

  // botocore's `_load_creds_via_assume_role` with `_validate_source_profile`'s loop check: a
  // profile may name itself as source only when it holds static keys.
  Result<Found> assume_role_chain(std::string const& name) {
    if (visited_.empty()) visited_.push_back(name);
    Profile const& p = config_.profiles.at(name);
    auto const* source_profile = p.get("source_profile");
    auto const* credential_source = p.get("credential_source");
    if (source_profile && credential_source) {
      return make_error(ErrorKind::kConfig, "profile '" + name +
                                                "' has both source_profile and "
                                                "credential_source (" +
                                                p.where + ")");
    }
    if (!source_profile && !credential_source) {
      return make_error(ErrorKind::kConfig, "profile '" + name +
                                                "' has role_arn but neither source_profile nor "
                                                "credential_source (" +
                                                p.where + ")");
    }
    Result<Found> source = make_error(ErrorKind::kInternal, "unset");
    if (credential_source) {
      source = from_credential_source(*credential_source, name);
    } else {
      std::string const& sp = *source_profile;
      auto it = config_.profiles.find(sp);
      if (it == config_.profiles.end()) {
        return make_error(ErrorKind::kConfig, "source_profile '" + sp + "' of profile '" + name +
                                                  "' does not exist (" + p.where + ")");
      }
      bool const seen = std::find(visited_.begin(), visited_.end(), sp) != visited_.end();
      if (seen && (sp != name || !has_static(it->second))) {
        std::string chain;
        for (auto const& v : visited_) chain += "'" + v + "' -> ";
        return make_error(ErrorKind::kConfig,
                          "the role profiles loop: " + chain + "'" + sp +
                              "' (source_profile leads back to a profile already visited)");
      }
      visited_.push_back(sp);
      if (has_static(it->second) || !has_assume_role(it->second)) {
        auto r = from_profile(sp, /*env_allowed=*/false, /*top=*/false);
        if (!r) {
          return make_error(ErrorKind::kConfig, "source_profile '" + sp + "' of profile '" + name +
                                                    "' has no credentials (" + it->second.where +
                                                    ")");
        }
        source = std::move(*r);
      } else {
        source = assume_role_chain(sp);
      }
    }
    if (!source) return source.error();

    AssumeRoleParams params;
    params.role_arn = *p.get("role_arn");
    params.region = region_;
    if (auto const* v = p.get("role_session_name")) params.role_session_name = *v;
    if (auto const* v = p.get("external_id")) params.external_id = *v;
    if (auto const* v = p.get("duration_seconds")) {
      // botocore ignores a duration that is not an integer.
      int d = 0;
      auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), d);
      if (ec == std::errc{} && end == v->data() + v->size()) params.duration_seconds = d;
    }
    auto k = assume_role(ctx_, params, source->keys.keys);
    OPENSSL_cleanse(source->keys.keys.secret_access_key.data(),
                    source->keys.keys.secret_access_key.size());
    if (!k) {
      Error e = k.error();
      e.detail = "profile '" + name + "' (" + params.role_arn + "): " + e.detail;
      return e;
    }
    return Found{std::move(*k), "STS AssumeRole of profile '" + name + "' (" + params.role_arn +
                                    ", source: " + source->origin + ")"};
  }

  SourceContext ctx_;
  SharedConfig config_;
  std::string region_;
  std::vector<std::string> visited_;
};

std::string config_region(SharedConfig const& config, std::string const& profile) {
  auto it = config.config_file_profiles.find(profile);
  if (it == config.config_file_profiles.end()) return {};
  auto const* r = it->second.get("region");
  return r ? *r : std::string{};
}

}  // namespace

DefaultChainProvider::DefaultChainProvider(EnvLookup env, ChainOptions options)
    : env_(std::move(env)), options_(std::move(options)) {
  if (!options_.now) {
    options_.now = [] {
      return std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
    };
  }
}

Result<sigv4::Credentials> DefaultChainProvider::credentials() const {
  auto c = fetch();
  if (!c) return c.error();
  return std::get<sigv4::Credentials>(std::move(c->secret));
}

std::string DefaultChainProvider::describe() const {
  return "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, web identity, then the profile (--profile, "
         "AWS_PROFILE) in ~/.aws/credentials and ~/.aws/config (roles, SSO, "
         "credential_process, keys), container credentials, EC2 instance metadata";
}

Result<Credentials> DefaultChainProvider::fetch() const {
  bool const explicit_profile = !options_.profile.empty();
  std::string const profile = explicit_profile ? options_.profile : profile_name(env_);
  if (!explicit_profile) {
    auto const id = env_("AWS_ACCESS_KEY_ID");
    auto const secret = env_("AWS_SECRET_ACCESS_KEY");
    if (id && secret) {
      return Credentials{sigv4::Credentials{*id, *secret, env_("AWS_SESSION_TOKEN").value_or("")},
                         "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"};
    }
    if (id || secret) {
      return make_error(ErrorKind::kConfig,
                        std::string("AWS credentials in the environment are incomplete: ") +
                            (id ? "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not"
                                : "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not"));
    }
  }
  auto config = load_shared_config(env_);
  if (!config) return config.error();
  if (profile != "default" && !config->profiles.contains(profile)) {
    // botocore: ProfileNotFound, before any other source is tried.
    return make_error(ErrorKind::kConfig, "no AWS credentials found: profile '" + profile +
                                              "' was not found in " + config->credentials_place +
                                              " or " + config->config_place);
  }
  std::string region = resolve_region(env_, "", profile);
  std::string const cred_place = config->credentials_place;
  std::string const conf_place = config->config_place;
  SourceContext ctx{env_, options_.now};
  Resolver resolver(ctx, std::move(*config), region);

  auto finish = [&](Found f) -> Result<Credentials> {
    if (f.keys.expires && *f.keys.expires <= ctx.now()) {
      return make_error(ErrorKind::kAuth, "the AWS credentials from " + f.origin + " expired at " +
                                              format_rfc3339(*f.keys.expires));
    }
    Credentials c{std::move(f.keys.keys), std::move(f.origin)};
    c.expires = f.keys.expires;
    return c;
  };
  if (auto r = resolver.from_profile(profile, !explicit_profile, /*top=*/true)) {
    if (!*r) return r->error();
    return finish(std::move(**r));
  }
  std::string notes;
  if (auto r = container_credentials(ctx)) {
    if (!*r) return r->error();
    return finish(Found{std::move(**r), "container credentials"});
  }
  if (auto r = imds_credentials(ctx)) {
    if (*r) return finish(Found{std::move(**r), "EC2 instance metadata"});
    // As botocore's InstanceMetadataProvider, a failure here means "not found" (off EC2
    // nothing listens, or a proxy answers 403): the chain ends with "no credentials", and the
    // reason (a timeout, a 401 for want of a session token) is said at the end. Named as a
    // credential_source, the same failure is the error itself.
    notes = "; " + r->error().detail;
  } else {
    notes = "; EC2 instance metadata is disabled (AWS_EC2_METADATA_DISABLED)";
  }
  return make_error(ErrorKind::kConfig,
                    "no AWS credentials found: looked for AWS_ACCESS_KEY_ID and "
                    "AWS_SECRET_ACCESS_KEY in the environment, AWS_WEB_IDENTITY_TOKEN_FILE, then "
                    "aws_access_key_id and aws_secret_access_key (or a role, SSO or "
                    "credential_process) of profile '" +
                        profile + "' in " + cred_place + " and " + conf_place +
                        ", container credentials" + notes);
}

std::string resolve_region(EnvLookup const& env, std::string const& explicit_region,
                           std::string const& profile) {
  if (!explicit_region.empty()) return explicit_region;
  if (auto r = env("AWS_REGION")) return *r;
  if (auto r = env("AWS_DEFAULT_REGION")) return *r;
  auto config = load_shared_config(env);
  if (config) {
    auto r = config_region(*config, profile.empty() ? profile_name(env) : profile);
    if (!r.empty()) return r;
  }
  return "us-east-1";
}

std::string resolve_s3_endpoint(EnvLookup const& env, std::string const& explicit_endpoint) {
  if (!explicit_endpoint.empty()) return explicit_endpoint;
  if (auto e = env("AWS_ENDPOINT_URL_S3")) return *e;
  if (auto e = env("AWS_ENDPOINT_URL")) return *e;
  return {};
}

}  // namespace presign::auth::aws
