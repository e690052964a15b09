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
#include "presign/signers/azure_sas.hpp"

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
  // TODO(#2): the URI prefix is ignored with --keys-from (keys are full blob names); listing
  // (#5) will use it.
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
    return fail(usage("--method " + o.method + " needs the read permission: add r to "
                      "--permissions"));
  }
  if (o.method == "PUT" && o.permissions.find_first_of("cw") == std::string::npos) {
    return fail(usage("--method PUT needs the create or write permission: e.g. --permissions cw "
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
    std::fprintf(stderr, "presign: warning: --https-only with an http:// endpoint: the service "
                         "refuses these URLs over http (AuthorizationProtocolMismatch)\n");
  }
  return run_job(*signer, expires_at, o, format);
}

Result<std::unique_ptr<io::PageFetcher>> make_azure_lister(BucketUri const&, ListerOptions const&) {
  return make_error(ErrorKind::kUsage, "listing az:// is not supported yet: pass --keys-from FILE");
}

}  // namespace presign::app
