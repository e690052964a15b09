#pragma once
// The three listings as `detail::PageFetch` objects (io/src; not installed): each validates
// its configuration as the public factory does (s3_lister.hpp, azure_lister.hpp,
// gcs_lister.hpp) and sends on `client` when given (many fetches may share one client and
// its I/O thread), else on a client of its own made from the configuration's `http`. The
// public `make_*_page_fetcher` wrap these in the blocking `BlockingPageFetcher`.

#include "page_fetch.hpp"

#include "presign/io/azure_lister.hpp"
#include "presign/io/gcs_lister.hpp"
#include "presign/io/s3_lister.hpp"

#include <memory>

namespace presign::io::detail {

Result<std::unique_ptr<PageFetch>> make_s3_page_fetch(S3ListerConfig config,
                                                      std::shared_ptr<HttpClient> client = {});
Result<std::unique_ptr<PageFetch>> make_azure_page_fetch(AzureListerConfig config,
                                                         std::shared_ptr<HttpClient> client = {});
Result<std::unique_ptr<PageFetch>> make_gcs_page_fetch(GcsListerConfig config,
                                                       std::shared_ptr<HttpClient> client = {});

}  // namespace presign::io::detail
