// The one page fetcher: the loop every listing shares and its blocking edge (see
// page_fetch.hpp for the design).
#include "page_fetch.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace presign::io::detail {

using std::chrono::milliseconds;

Error cancelled_error() { return make_error(ErrorKind::kCancelled, "listing cancelled"); }

asio::awaitable<bool> is_cancelled(FetchControl const& control) {
  if (control.cancelled != nullptr && control.cancelled->load(std::memory_order_acquire)) {
    co_return true;
  }
  auto const state = co_await asio::this_coro::cancellation_state;
  co_return state.cancelled() != asio::cancellation_type::none;
}

asio::awaitable<std::optional<Error>> back_off(RetryPolicy& policy, RetryPolicy::Call& call,
                                               Error const& failure,
                                               std::optional<milliseconds> hint,
                                               FetchControl const& control) {
  auto delay = policy.on_failure(call, failure, hint);
  if (!delay) co_return delay.error();
  if (co_await is_cancelled(control)) co_return cancelled_error();
  if (control.sleep) {
    control.sleep(*delay);
  } else if (delay->count() > 0) {
    // Single-threaded executor: no cancellation can slip in between the check above and the
    // start of the wait, and one emitted after it aborts the wait.
    asio::steady_timer timer(co_await asio::this_coro::executor, *delay);
    auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    (void)ec;  // aborted or expired: the check below tells which matters
  }
  if (co_await is_cancelled(control)) co_return cancelled_error();
  co_return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// PageFetch

PageFetch::PageFetch(std::unique_ptr<PageStrategy> strategy, std::shared_ptr<HttpClient> client,
                     RetryOptions const& retry, RetryEnv env)
    : strategy_(std::move(strategy)),
      client_(std::move(client)),
      injected_sleep_(env.sleep),
      retry_(retry, std::move(env)) {}

asio::awaitable<Result<void>> PageFetch::fetch(ListRequest const& req, ListPage& page,
                                               std::string& key_bytes,
                                               std::atomic<bool> const* cancelled) {
  // Errors are values here: a cancelled operation reports operation_aborted instead of
  // throwing at the next co_await.
  co_await asio::this_coro::throw_if_cancelled(false);
  page.clear();
  std::size_t const entry = key_bytes.size();
  FetchControl const control{cancelled, injected_sleep_};
  std::string const url = strategy_->url(req);
  bool refreshed = false;  // a 401 refreshes the credential once per fetch
  std::optional<Error> final_error;
  Result<void> result =
      co_await retry_async<void>(retry_, page_label(req), control, [&](AttemptContext& ctx) {
        return attempt(ctx, req, url, control, refreshed, final_error, page, key_bytes, entry);
      });
  if (!result || final_error) {
    key_bytes.resize(entry);
    page.clear();
    if (final_error) co_return std::move(*final_error);
    co_return result.error();
  }
  co_return Result<void>{};
}

asio::awaitable<Result<void>> PageFetch::attempt(AttemptContext& ctx, ListRequest const& req,
                                                 std::string const& url,
                                                 FetchControl const& control, bool& refreshed,
                                                 std::optional<Error>& final_error, ListPage& page,
                                                 std::string& key_bytes, std::size_t entry) {
  for (;;) {
    if (co_await is_cancelled(control)) co_return cancelled_error();
    Result<HttpRequest> request = co_await strategy_->request(req, url, control);
    if (!request) {
      // Ends the fetch with this error; the policy is handed a fatal marker (kAuth without
      // a status or code) so that it counts one attempt and retries nothing.
      final_error = request.error();
      co_return make_error(ErrorKind::kAuth, "no request could be made");
    }
    Result<HttpResponse> response = co_await co_send(*client_, std::move(*request));
    if (co_await is_cancelled(control)) co_return cancelled_error();
    if (!response) co_return response.error();
    if (response->status == 401 && !refreshed) {
      refreshed = true;
      if (strategy_->invalidate()) continue;  // at once: a new credential is not a backoff
    }
    if (response->status < 200 || response->status >= 300) {
      ctx.retry_after = retry_hint(*response, retry_.env().wall_now());
      co_return strategy_->status_error(*response, url);
    }
    Result<void> parsed = parse(*response, url, page, key_bytes);
    if (!parsed) {
      key_bytes.resize(entry);
      page.clear();
    }
    co_return parsed;
  }
}

Result<void> PageFetch::parse(HttpResponse const& response, std::string_view url, ListPage& page,
                              std::string& key_bytes) {
  Result<void> parsed;
  std::string_view body_name;
  switch (strategy_->format()) {
    case PageFormat::kS3:
      parsed = parser_.parse_s3(response.body, page, key_bytes);
      body_name = "ListObjectsV2";
      break;
    case PageFormat::kAzure:
      parsed = parser_.parse_azure(response.body, page, key_bytes);
      body_name = "List Blobs";
      break;
    case PageFormat::kGcs:
      parsed = parser_.parse_gcs(response.body, page, key_bytes);
      body_name = "objects.list";
      break;
  }
  if (!parsed) {
    // A parse failure has no code of its own: marked MalformedResponse, the retry policy
    // treats it as transient (never a short page); an error document in a 200 (S3 or Azure
    // `<Error>`, e.g. InternalError) keeps its code and is retried or not by it.
    Error e = parsed.error();
    if (e.provider_code.empty()) e.provider_code = std::string(transport_code::kMalformedResponse);
    e.http_status = response.status;
    e.detail = describe_request("GET", url) + ": HTTP " + std::to_string(response.status) +
               " with an unusable " + std::string(body_name) + " body: " + e.detail;
    return e;
  }
  std::string_view const owner = strategy_->expected_owner();
  if (!owner.empty() && !page.bucket.empty() && page.bucket != owner) {
    // Not retried: a proxy or a misconfigured endpoint serving another bucket or container.
    return make_error(ErrorKind::kProtocol, describe_request("GET", url) + ": the listing is of " +
                                                std::string(strategy_->owner_word()) + " '" +
                                                page.bucket + "', not '" + std::string(owner) +
                                                "'");
  }
  return {};
}

// ---------------------------------------------------------------------------------------------
// The blocking edge

BlockingPageFetcher::BlockingPageFetcher(std::unique_ptr<PageFetch> fetch)
    : fetch_(std::move(fetch)) {}

BlockingPageFetcher::~BlockingPageFetcher() = default;

Result<void> BlockingPageFetcher::fetch(ListRequest const& req, ListPage& page,
                                        std::string& key_bytes) {
  return block_on<void>(
      executor_of(fetch_->client()),
      [&] { return fetch_->fetch(req, page, key_bytes, &cancelled_); }, &signal_);
}

std::string BlockingPageFetcher::describe() const { return fetch_->strategy().describe(); }

void BlockingPageFetcher::cancel() noexcept {
  cancelled_.store(true, std::memory_order_release);
  try {
    asio::post(executor_of(fetch_->client()),
               [this] { signal_.emit(asio::cancellation_type::terminal); });
  } catch (...) {
    // Posting allocates; without it the flag alone still ends the fetch at its next check.
  }
}

Result<std::shared_ptr<HttpClient>> client_or_new(std::shared_ptr<HttpClient> client,
                                                  HttpClientOptions const& http) {
  if (client) return client;
  auto made = HttpClient::create(http);
  if (!made) return made.error();
  return std::shared_ptr<HttpClient>(std::move(*made));
}

}  // namespace presign::io::detail
