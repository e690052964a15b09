// az://ACCOUNT/CONTAINER[/PREFIX]: Azure Blob service SAS URLs signed with the account key.
//
// Option semantics (README):
//   --permissions   sp letters from "racwdxytmei", any order, no repeats (default r); written
//                   in the service's canonical order.
//   --start         st, RFC 3339; omitted by default (the SAS is valid at once; Microsoft
//                   suggests omitting st or back-dating it against clock skew).
//   --expires       se = signing time + expires (at least 1 s; Azure sets no maximum for a
//                   service SAS signed with the account key).
//   --ip            sip: A.B.C.D, A.B.C.D-E.F.G.H or a CIDR block (written as its range).
//   --https-only    spr=https (default: spr omitted, the service then allows both).
//   --sas-version   sv (default kDefaultSasVersion); 2020-12-06 and later only.
//   --response-{cache-control,content-disposition,content-encoding,content-language,
//               content-type}  rscc, rscd, rsce, rscl, rsct.
//   --snapshot / --version-id  sr=bs / sr=bv for every blob; URLs carry snapshot= / versionid=.
//   --endpoint      overrides the connection string's blob endpoint, e.g. Azurite's
//                   http://127.0.0.1:10000/devstoreaccount1.
//   --method        a SAS URL does not sign the method; the option only checks that the
//                   permissions allow it: GET and HEAD need 'r', PUT needs 'c' or 'w'.
//   --region, --addressing, --credentials do not apply and are refused.
// Credentials: AZURE_STORAGE_CONNECTION_STRING, else AZURE_STORAGE_KEY (+ optional
// AZURE_STORAGE_ACCOUNT, which must match the URI's account).
#include "presign/io/azure_lister.hpp"
#include "presign/io/retry.hpp"
#include "presign/signers/azure_sas.hpp"
#include "presign/signers/azure_shared_key.hpp"

#include "providers.hpp"

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace presign::app {
namespace {

namespace azure = signers::azure;

std::optional<std::string> getenv_nonempty(char const* name) {
  char const* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return std::nullopt;
  return std::string(v);
}

Error usage(std::string m) { return make_error(ErrorKind::kUsage, std::move(m)); }

}  // namespace

int run_azure(BucketUri const& uri, SignOptions const& o, io::Format format,
              std::int64_t expires_seconds, SigningTime when) {
  // With --keys-from the URI names the container only (check_source_options refuses a prefix);
  // without it, the rest of the path is the listing prefix (run_job.cpp listing_prefix).
  std::string_view const path = uri.prefix;
  std::string const container(path.substr(0, path.find('/')));
  if (container.empty()) {
    return fail(usage("'" + o.uri + "' names no container: use az://ACCOUNT/CONTAINER[/PREFIX]"));
  }
  for (auto const& [flag, value] :
       {std::pair{"--region", o.region}, {"--credentials", o.credentials}}) {
    if (!value.empty()) return fail(usage(std::string(flag) + " does not apply to az://"));
  }
  if (o.addressing != "auto") return fail(usage("--addressing does not apply to az://"));
  if (expires_seconds < 1) {
    return fail(usage("--expires " + o.expires + " is out of range: at least 1 second"));
  }
  if ((o.method == "GET" || o.method == "HEAD") && o.permissions.find('r') == std::string::npos) {
    return fail(usage("--method " + o.method +
                      " needs the read permission: add r to "
                      "--permissions"));
  }
  if (o.method == "PUT" && o.permissions.find_first_of("cw") == std::string::npos) {
    return fail(
        usage("--method PUT needs the create or write permission: e.g. --permissions cw "
              "(a SAS URL does not sign the method; its permissions decide)"));
  }

  azure::AzureSasConfig cfg;
  cfg.account = uri.bucket;
  cfg.container = container;
  cfg.endpoint = o.endpoint;
  cfg.permissions = o.permissions;
  if (!o.start.empty()) {
    auto t = parse_rfc3339(o.start);
    if (!t) return fail(usage("--start: " + t.error().detail));
    cfg.start = *t;
  }
  SigningTime const expires_at = when + std::chrono::seconds{expires_seconds};
  cfg.expiry = expires_at;
  cfg.ip = o.ip;
  cfg.protocol = o.https_only ? "https" : "";
  if (!o.sas_version.empty()) cfg.version = o.sas_version;
  cfg.cache_control = o.response_cache_control;
  cfg.content_disposition = o.response_content_disposition;
  cfg.content_encoding = o.response_content_encoding;
  cfg.content_language = o.response_content_language;
  cfg.content_type = o.response_content_type;
  cfg.snapshot = o.snapshot;
  cfg.version_id = o.version_id;
  // Everything but the key first: a usage error is reported as such even without credentials.
  if (auto r = azure::validate_config_except_key(cfg); !r) return fail(r.error());

  auto creds = azure::resolve_credentials(getenv_nonempty, uri.bucket);
  if (!creds) return fail(creds.error());
  cfg.account_key = std::move(creds->account_key);
  if (cfg.endpoint.empty()) cfg.endpoint = creds->blob_endpoint;
  auto signer = azure::AzureSasSigner::create(std::move(cfg));
  if (!signer) return fail(signer.error());
  if (o.https_only && !signer->endpoint_is_https()) {
    std::fprintf(stderr,
                 "presign: warning: --https-only with an http:// endpoint: the service "
                 "refuses these URLs over http (AuthorizationProtocolMismatch)\n");
  }
  return run_job(*signer, expires_at, o, format);
}

// az://ACCOUNT/CONTAINER[/PREFIX] without --keys-from, and `presign ls az://…`: List Blobs
// with Shared Key auth (io/azure_lister.hpp). The account, key and endpoint are resolved as
// run_azure resolves them for signing, so the listing and the SAS URLs name the same blobs.
// run_job / ls_command pass the part of the URI after the container as the listing prefix
// (listing_prefix in run_job.cpp).
Result<std::unique_ptr<io::PageFetcher>> make_azure_lister(BucketUri const& uri,
                                                           ListerOptions const& o) {
  std::string_view const path = uri.prefix;
  auto const slash = path.find('/');
  std::string const container(path.substr(0, slash));
  std::string const prefix(slash == std::string_view::npos ? std::string_view()
                                                           : path.substr(slash + 1));
  if (container.empty()) {
    return usage("'az://" + uri.bucket + "/" + uri.prefix +
                 "' names no container: use az://ACCOUNT/CONTAINER[/PREFIX]");
  }
  for (auto const& [flag, value] : {std::pair{"--region", o.region},
                                    {"--credentials", o.credentials},
                                    {"--access-token", o.access_token}}) {
    if (!value.empty()) return usage(std::string(flag) + " does not apply to az://");
  }
  if (o.addressing != "auto" && !o.addressing.empty()) {
    return usage("--addressing does not apply to az://");
  }
  if (o.no_verify_ssl && !o.ca_bundle.empty()) {
    return usage("--ca-bundle and --no-verify-ssl contradict each other");
  }
  if (o.max_attempts < 0) return usage("--retry-max-attempts must be at least 1");
  if (o.retry_base && o.retry_base->count() < 0)
    return usage("--retry-base-delay must not be negative");

  io::AzureListerConfig cfg;
  cfg.account = uri.bucket;
  cfg.container = container;
  cfg.prefix_for_messages = prefix;
  cfg.endpoint = o.endpoint;
  // Validate the target before looking for credentials, so a usage error is reported as such
  // on a machine without credentials. (The endpoint is checked again below if it comes from
  // the connection string.)
  if (auto t = io::resolve_azure_list_target(cfg); !t) return t.error();

  auto creds = azure::resolve_credentials(getenv_nonempty, uri.bucket);
  if (!creds) return creds.error();
  if (cfg.endpoint.empty()) cfg.endpoint = creds->blob_endpoint;
  auto key = azure::shared_key::decode_account_key(uri.bucket, creds->account_key);
  if (!key) return key.error();
  cfg.account_key = std::move(*key);

  cfg.http.tls.verify_peer = !o.no_verify_ssl;
  cfg.http.tls.ca_bundle_file = o.ca_bundle;
  cfg.retry = io::RetryOptions::for_listing(io::RetryProvider::kAzure);
  if (o.max_attempts > 0) cfg.retry.max_attempts = o.max_attempts;
  if (o.retry_base) cfg.retry.base_delay = *o.retry_base;
  cfg.retry_env.on_retry = o.on_retry;
  return io::make_azure_page_fetcher(std::move(cfg));
}

}  // namespace presign::app
