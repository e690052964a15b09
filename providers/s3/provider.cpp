// s3://BUCKET[/PREFIX]: SigV4 presigned URLs (signers/sigv4.hpp) and ListObjectsV2 pages
// (io/s3_lister.hpp). Region, endpoint and credentials are resolved once, the same way for
// signing and for listing (auth/aws.hpp: the AWS default chain), so the
// listing and the URLs always agree on where the bucket is.
#include "presign/io/s3_lister.hpp"
#include "presign/auth/aws.hpp"
#include "presign/auth/refreshing.hpp"
#include "presign/signers/sigv4.hpp"

#include "../src/common.hpp"

namespace presign::providers::detail {
namespace {

namespace sigv4 = signers::sigv4;
namespace aws = auth::aws;

Result<sigv4::Addressing> addressing(std::string const& a) {
  if (a == "virtual") return sigv4::Addressing::kVirtual;
  if (a == "path") return sigv4::Addressing::kPath;
  if (a == "auto" || a.empty()) return sigv4::Addressing::kAuto;
  return usage("--addressing must be auto, virtual or path, not '" + a + "'");
}

class S3Provider final : public Provider {
 public:
  [[nodiscard]] std::string_view scheme() const noexcept override { return "s3"; }
  [[nodiscard]] std::uint32_t max_page_size() const noexcept override { return 1000; }

  [[nodiscard]] Result<void> check_sign(BucketUri const&, SignSettings const& s) const override {
    if (auto r = refuse_sas_settings("s3", s, {"--credentials", !s.credentials_file.empty()}); !r)
      return r;
    if (auto r = refuse_settings(
            "s3", {{"--impersonate-service-account", !s.impersonate_service_account.empty()}});
        !r) {
      return r;
    }
    if (s.expires_seconds < 1 || s.expires_seconds > sigv4::kS3MaxExpiresSeconds) {
      return usage("--expires " + s.expires_text +
                   " is out of range: S3 presigned URLs live 1 to 604800 seconds (7 days)");
    }
    if (auto a = addressing(s.addressing); !a) return a.error();
    return {};
  }

  [[nodiscard]] Result<void> check_list(BucketUri const& uri, ListSettings const& s,
                                        EnvLookup const& env) const override {
    if (!s.credentials_file.empty()) {
      return usage(
          "--credentials does not apply to s3:// (AWS credentials come from the environment "
          "and ~/.aws)");
    }
    if (!s.access_token.empty()) return usage("--access-token does not apply to s3://");
    if (auto r = refuse_settings(
            "s3", {{"--impersonate-service-account", !s.impersonate_service_account.empty()}});
        !r) {
      return r;
    }
    if (auto r = check_common_list(*this, s, /*has_start_after=*/true); !r) return r;
    auto cfg = lister_config(uri, s, env);
    if (!cfg) return cfg.error();
    // The target (bucket, region, endpoint), so a usage error is reported as such on a
    // machine without credentials.
    if (auto t = io::resolve_s3_list_target(*cfg); !t) return t.error();
    return {};
  }

  [[nodiscard]] std::unique_ptr<auth::CredentialSource> credential_source(
      BucketUri const&, CredentialSettings const& s, EnvLookup const& env) const override {
    return std::make_unique<aws::DefaultChainProvider>(env, aws::ChainOptions{s.profile, {}});
  }

  [[nodiscard]] Result<SignerSetup> make_signer(BucketUri const& uri, SignSettings const& s,
                                                auth::Credentials const& creds,
                                                EnvLookup const& env) const override {
    if (auto r = check_sign(uri, s); !r) return r.error();
    auto const* keys = std::get_if<sigv4::Credentials>(&creds.secret);
    if (keys == nullptr) return wrong_credentials("s3", creds);
    sigv4::S3PresignConfig cfg;
    cfg.bucket = uri.bucket;
    cfg.region = aws::resolve_region(env, s.region, s.profile);
    cfg.endpoint = aws::resolve_s3_endpoint(env, s.endpoint);
    cfg.addressing = *addressing(s.addressing);
    cfg.method = s.method;
    cfg.expires_seconds = s.expires_seconds;
    cfg.signing_time = s.when;
    cfg.response_content_disposition = s.response_content_disposition;
    cfg.response_content_type = s.response_content_type;
    cfg.credentials = *keys;
    auto signer = sigv4::S3Presigner::create(std::move(cfg));
    if (!signer) return signer.error();
    SigningTime const expires_at = signer->expires_at();
    return SignerSetup{std::move(*signer), expires_at, {}};
  }

  [[nodiscard]] Result<std::unique_ptr<io::PageFetcher>> make_page_fetcher(
      BucketUri const& uri, ListSettings const& s, auth::Credentials const& creds,
      EnvLookup const& env) const override {
    if (auto r = check_list(uri, s, env); !r) return r.error();
    auto const* keys = std::get_if<sigv4::Credentials>(&creds.secret);
    if (keys == nullptr) return wrong_credentials("s3", creds);
    auto cfg = lister_config(uri, s, env);
    cfg->credentials = *keys;
    if (creds.expires) {
      // Temporary credentials: refreshed from the same chain before they end, so a listing
      // may outlive them (botocore's refresh windows). Keys without an end are used as they are.
      CredentialSettings where;
      where.profile = s.profile;
      std::shared_ptr<auth::CredentialSource const> source = s.credentials_source;
      if (!source) source = credential_source(uri, where, env);
      auto refreshing = std::make_shared<auth::RefreshingCredentials>(std::move(source), creds);
      refreshing->set_warning_observer(s.on_warning);
      cfg->current_credentials = [refreshing]() -> Result<sigv4::Credentials> {
        auto c = refreshing->current();
        if (!c) return c.error();
        auto* k = std::get_if<sigv4::Credentials>(&c->secret);
        if (k == nullptr) return wrong_credentials("s3", *c);
        return std::move(*k);
      };
    }
    apply_transport(*cfg, s, io::RetryProvider::kAws);
    return io::make_s3_page_fetcher(std::move(*cfg));
  }

 private:
  static Result<io::S3ListerConfig> lister_config(BucketUri const& uri, ListSettings const& s,
                                                  EnvLookup const& env) {
    io::S3ListerConfig cfg;
    cfg.bucket = uri.bucket;
    cfg.prefix_for_messages = uri.prefix;
    cfg.region = aws::resolve_region(env, s.region, s.profile);
    cfg.endpoint = aws::resolve_s3_endpoint(env, s.endpoint);
    auto a = addressing(s.addressing);
    if (!a) return a.error();
    cfg.addressing = *a;
    return cfg;
  }
};

}  // namespace

Provider const& s3_provider() {
  static S3Provider const p;
  return p;
}

}  // namespace presign::providers::detail
