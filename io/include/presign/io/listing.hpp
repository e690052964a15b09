#pragma once
/// Listing a bucket as an `ObjectSource`: the seam between the per-provider page fetchers
/// (S3 ListObjectsV2, Azure List Blobs, GCS objects.list) and the engine.
///
/// - A `PageFetcher` knows one provider: how to build, authenticate and send the request for
///   one page, how to retry it (presign/io/retry.hpp) and how to parse it
///   (presign/io/list_page.hpp). It is given the continuation token and returns one parsed,
///   validated page. It holds no position of its own, so a resumed job or a range-parallel
///   lister (later) can ask for any page.
/// - `ListingSource` turns a fetcher into the engine's `ObjectSource`: one listing page per
///   batch, in order, with the pagination guards of docs/RELIABILITY.md §1.5 (a token seen twice,
///   truncated without a token, keys out of order or outside the prefix) and a
///   `source_position` that records the token of the next page, so a checkpointed job that is
///   killed while listing resumes at the page after the last one written.
/// - A range-parallel lister (next issue) implements `ObjectSource` the same way over several
///   fetchers, each listing its own key range.

#include "presign/core/error.hpp"
#include "presign/io/list_page.hpp"
#include "presign/io/source.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace presign::io {

/// What one page request asks for.
struct ListRequest {
  std::string prefix;       ///< only keys starting with these bytes
  std::string token;        ///< continuation token / marker / pageToken; empty: first page
  std::string start_after;  ///< S3 `start-after` (first page only; other providers: ignored)
  std::uint32_t page_size =
      1000;  ///< S3 max-keys (≤1000), Azure maxresults (≤5000), GCS maxResults
  /// 1-based number of the page in the listing, for messages only (a retry is reported as
  /// "page N"); 0 when unknown.
  std::uint64_t page_number = 0;
};

/// How a fetcher names the page of `req` to its retry observer: "page N" (or "listing page"
/// when the number is unknown).
std::string page_label(ListRequest const& req);

/// Fetches one page of one provider's listing. Implementations: s3 (SigV4 header auth),
/// azure (Shared Key), gcs (OAuth2 bearer token, or the S3-compatible XML API with HMAC
/// keys). A fetcher retries transient failures itself and returns an Error only when the
/// page cannot be had; a malformed page is an Error of kind kProtocol, never a short page.
/// One fetcher is used by one thread at a time.
class PageFetcher {
 public:
  virtual ~PageFetcher() = default;
  /// Fetches the page `req` names. Keys are appended to `key_bytes` (see list_page.hpp);
  /// `page` is cleared first. On error `key_bytes` is cut back to its size on entry.
  virtual Result<void> fetch(ListRequest const& req, ListPage& page, std::string& key_bytes) = 0;
  /// "s3://bucket/prefix" style name of what is listed, for messages (no secrets).
  [[nodiscard]] virtual std::string describe() const = 0;
  /// Asks a `fetch` running on another thread to stop: no further attempt is started, and a
  /// retry backoff wait or a request on the wire ends at once (the listers: the Asio
  /// cancellation of io/src/page_fetch.hpp). That `fetch` then fails with kCancelled. Called by
  /// ListingSource's destructor; thread-safe; the default does nothing (the destructor then waits
  /// for the fetch to end on its own).
  virtual void cancel() noexcept {}
};

struct ListingOptions {
  std::string prefix;
  std::string start_after;
  std::uint32_t page_size = 1000;
  /// S3 and GCS list in UTF-8 binary order and Azure in its own (also lexicographic) order:
  /// a key not greater than the one before is a pagination bug of the service or of a proxy
  /// and is reported, never silently emitted twice.
  bool require_ascending = true;
};

/// The listing as an ObjectSource. Declared here, built in listing_source.cpp.
std::unique_ptr<ObjectSource> make_listing_source(std::unique_ptr<PageFetcher> fetcher,
                                                  ListingOptions options);

}  // namespace presign::io
