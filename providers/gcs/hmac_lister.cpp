// make_gcs_hmac_page_fetcher: listing gs://BUCKET[/PREFIX] with an HMAC interoperability key.
//
// An HMAC key cannot get an OAuth2 token, so the JSON API is out of reach; Cloud Storage's
// XML API speaks ListObjectsV2 (`list-type=2`, `continuation-token`, `encoding-type=url`,
// `start-after`) and accepts AWS4-HMAC-SHA256 header auth made with an HMAC key, region
// "auto", service "s3". That is exactly the S3 fetcher (io/s3_lister.hpp) pointed at
// https://storage.googleapis.com (or --endpoint), path style unless --addressing virtual,
// reported as "gs://…" and "Cloud Storage" in messages.
#include "hmac_lister.hpp"

#include "presign/io/s3_lister.hpp"

#include "../src/common.hpp"

namespace presign::providers::detail {

inline constexpr char kGcsXmlApiEndpoint[] = "https://storage.googleapis.com";

Result<std::unique_ptr<io::PageFetcher>> make_gcs_hmac_page_fetcher(
    BucketUri const& uri, ListSettings const& o, signers::gcs::HmacKey const& key) {
  // The settings were checked by the gcs provider (check_list) before the key was found.
  io::S3ListerConfig cfg;
  cfg.bucket = uri.bucket;
  cfg.prefix_for_messages = uri.prefix;
  cfg.scheme_for_messages = "gs";
  cfg.service_for_messages = "Cloud Storage";
  cfg.region = "auto";
  cfg.endpoint = o.endpoint.empty() ? std::string(kGcsXmlApiEndpoint) : o.endpoint;
  // As for signing: Google's clients use path style unless asked for virtual hosts.
  cfg.addressing = o.addressing == "virtual" ? signers::sigv4::Addressing::kVirtual
                                             : signers::sigv4::Addressing::kPath;
  cfg.credentials.access_key_id = key.access_id;
  cfg.credentials.secret_access_key = key.secret;
  apply_transport(cfg, o, io::RetryProvider::kGcs);
  return io::make_s3_page_fetcher(std::move(cfg));
}

}  // namespace presign::providers::detail
