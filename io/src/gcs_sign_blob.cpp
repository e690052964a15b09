// The IAM Credentials signBlob client (gcs_keyless.hpp). A batch is one "round" per token: up
// to `concurrency` worker coroutines on the client's I/O thread take the next payload, each
// call retried under the policy with timer backoff (page_fetch.hpp's retry_async), so a batch
// of N signatures costs about N / concurrency round trips. The round's state lives on the I/O
// thread only; the caller's thread waits for it (block_on). A 401 ends nothing at once: the
// payloads it hit are signed again in a second round with a fresh token. Each call, its
// retries and Google's refusals are gcs_iam.hpp's, shared with generateAccessToken.
#include "presign/io/gcs_keyless.hpp"

#include "gcs_iam.hpp"

#include "presign/core/base64.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <numeric>
#include <optional>
#include <utility>

namespace presign::io {

namespace asio = boost::asio;
using detail::wipe;

namespace {

// One round of a batch: payloads to sign with one token (I/O thread only).
struct Round {
  std::span<std::string const> payloads;
  std::vector<std::size_t> todo;  // indices into payloads
  std::size_t next = 0;
  std::vector<std::string>* signatures = nullptr;
  std::string const* token = nullptr;
  std::size_t failed = 0;                 // calls whose retries ran out
  std::optional<Error> first_failure;     // the first of them
  std::optional<Error> fatal;             // stops the batch
  std::vector<std::size_t> unauthorized;  // 401: sign again with a fresh token
};

}  // namespace

Result<std::string> sign_blob_url(std::string_view base, std::string_view email) {
  return detail::iam_url(base, email, "signBlob");
}

class SignBlobClient::Impl {
 public:
  Impl(SignBlobConfig config, std::string url, std::unique_ptr<HttpClient> client)
      : config_(std::move(config)),
        url_(std::move(url)),
        client_(std::move(client)),
        injected_sleep_(config_.retry_env.sleep),
        retry_(config_.retry, config_.retry_env),
        call_{"signBlob", "sign as", config_.email, url_, config_.tokens->describe()} {}

  asio::awaitable<Result<void>> run(Round& r) {
    auto ex = co_await asio::this_coro::executor;
    std::size_t running = std::min(std::max<std::size_t>(config_.concurrency, 1), r.todo.size());
    asio::steady_timer all_done(ex, std::chrono::steady_clock::time_point::max());
    std::size_t const workers = running;
    for (std::size_t w = 0; w < workers; ++w) {
      asio::co_spawn(ex, worker(r), [&](std::exception_ptr const& e) {
        if (e && !r.fatal) r.fatal = http_detail::exception_error(e, "signBlob");
        if (--running == 0) all_done.cancel();
      });
    }
    // Woken by the last worker's cancel (all on this one thread: no race on `running`).
    while (running != 0) co_await all_done.async_wait(asio::as_tuple(asio::use_awaitable));
    co_return Result<void>{};
  }

  [[nodiscard]] SignBlobConfig const& config() const noexcept { return config_; }
  [[nodiscard]] HttpClient& client() noexcept { return *client_; }

 private:
  asio::awaitable<void> worker(Round& r) {
    detail::FetchControl const control{nullptr, injected_sleep_};
    while (!r.fatal && r.next < r.todo.size()) {
      std::size_t const i = r.todo[r.next++];
      HttpRequest req;
      req.method = "POST";
      req.url = url_;
      req.headers = {{"Authorization", "Bearer " + *r.token},
                     {"Content-Type", "application/json"},
                     {"Accept", "application/json"}};
      req.body = "{\"payload\":\"";
      append_base64(req.body, r.payloads[i]);
      req.body += "\"}";
      Result<SignBlobResponse> got = co_await detail::co_iam_call<SignBlobResponse>(
          *client_, req, retry_, control, call_, parse_sign_blob_response);
      wipe(req.headers[0].second);
      if (got) {
        (*r.signatures)[i] = std::move(got->signature);
        continue;
      }
      Error const& e = got.error();
      if (e.http_status == 401) {
        r.unauthorized.push_back(i);
      } else if (e.kind == ErrorKind::kAuth || e.kind == ErrorKind::kConfig ||
                 e.kind == ErrorKind::kUsage || e.kind == ErrorKind::kInternal) {
        if (!r.fatal) r.fatal = e;
      } else {
        ++r.failed;  // its retries ran out; the others go on
        if (!r.first_failure) r.first_failure = e;
      }
    }
  }

  SignBlobConfig config_;
  std::string url_;
  std::unique_ptr<HttpClient> client_;
  std::function<void(std::chrono::milliseconds)> injected_sleep_;
  RetryPolicy retry_;
  detail::IamCall call_;  // views into config_ and url_
};

Result<std::shared_ptr<SignBlobClient>> SignBlobClient::create(SignBlobConfig config) {
  if (!config.tokens) return make_error(ErrorKind::kInternal, "signBlob without a token source");
  auto url = sign_blob_url(config.endpoint, config.email);
  if (!url) return url.error();
  if (config.retry.max_attempts < 1) config.retry.max_attempts = 1;
  // Keep-alive for every call in flight: a connection per concurrent call, per worker.
  config.http.max_idle_per_host = std::max<std::size_t>(
      config.http.max_idle_per_host, 4 * std::max<std::size_t>(config.concurrency, 1));
  auto client = HttpClient::create(config.http);
  if (!client) return client.error();
  return std::shared_ptr<SignBlobClient>(new SignBlobClient(
      std::make_unique<Impl>(std::move(config), std::move(*url), std::move(*client))));
}

SignBlobClient::SignBlobClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SignBlobClient::~SignBlobClient() = default;

std::string const& SignBlobClient::email() const noexcept { return impl_->config().email; }
HttpClientStats SignBlobClient::stats() const noexcept { return impl_->client().stats(); }

Result<void> SignBlobClient::sign_many(std::span<std::string const> payloads,
                                       std::vector<std::string>& signatures, std::size_t& failed,
                                       std::optional<Error>* first_failure) {
  signatures.resize(payloads.size());
  for (auto& s : signatures) s.clear();
  failed = 0;
  if (payloads.empty()) return {};
  std::vector<std::size_t> todo(payloads.size());
  std::iota(todo.begin(), todo.end(), std::size_t{0});
  AccessTokenProvider& tokens = *impl_->config().tokens;
  for (int round = 0;; ++round) {
    // The token is asked for on this thread (a worker's, never the I/O thread), cached by
    // its provider and refreshed there before it expires.
    auto token = tokens.token();
    if (!token) return token.error();
    Round r;
    r.payloads = payloads;
    r.todo = std::move(todo);
    r.signatures = &signatures;
    r.token = &*token;
    auto ran = detail::block_on<void>(http_detail::executor_of(impl_->client()),
                                      [this, &r] { return impl_->run(r); });
    failed += r.failed;
    if (first_failure != nullptr && r.first_failure && !*first_failure) {
      *first_failure = std::move(r.first_failure);
    }
    bool const fresh = !r.unauthorized.empty() && round == 0 && tokens.invalidate(*token);
    wipe(*token);
    if (!ran) return ran.error();
    if (r.fatal) return std::move(*r.fatal);
    if (r.unauthorized.empty()) return {};
    if (!fresh) {
      return make_error(ErrorKind::kAuth, "IAM signBlob refused the access token of " +
                                              tokens.describe() + " (HTTP 401), a fresh one too");
    }
    todo = std::move(r.unauthorized);
  }
}

Result<std::string> SignBlobClient::sign(std::string_view payload) {
  std::string const one(payload);
  std::vector<std::string> sigs;
  std::size_t failed = 0;
  std::optional<Error> why;
  if (auto r = sign_many(std::span<std::string const>(&one, 1), sigs, failed, &why); !r) {
    return r.error();
  }
  if (sigs.empty() || sigs[0].empty()) {
    if (why) return std::move(*why);
    return make_error(ErrorKind::kProtocol,
                      "IAM signBlob gave no signature as " + email() + " after its retries");
  }
  return std::move(sigs[0]);
}

}  // namespace presign::io
