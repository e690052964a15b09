#pragma once
// Listing gs:// with an HMAC interoperability key (hmac_lister.cpp); internal to the gcs module.

#include "presign/providers/provider.hpp"
#include "presign/signers/gcs_v4.hpp"

namespace presign::providers::detail {

/// ListObjectsV2 on Cloud Storage's XML API with AWS4-HMAC-SHA256 header auth made with `key`.
Result<std::unique_ptr<io::PageFetcher>> make_gcs_hmac_page_fetcher(
    BucketUri const& uri, ListSettings const& s, signers::gcs::HmacKey const& key);

}  // namespace presign::providers::detail
