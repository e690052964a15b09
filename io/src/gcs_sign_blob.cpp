// The IAM Credentials signBlob client (gcs_keyless.hpp). A batch is one "round" per token: up
// to `concurrency` worker coroutines on the client's I/O thread take the next payload, each
// call retried under the policy with timer backoff (page_fetch.hpp's retry_async), so a batch
// of N signatures costs about N / concurrency round trips. The round's state lives on the I/O
// thread only; the caller's thread waits for it (block_on). A 401 ends nothing at once: the
// payloads it hit are signed again in a second round with a fresh token.
#include "presign/io/gcs_keyless.hpp"

#include "gcs_tokens.hpp"

#include "presign/core/base64.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <simdjson.h>

#include <algorithm>
#include <numeric>
#include <optional>
#include <utility>

namespace presign::io {

namespace asio = boost::asio;
using detail::printable;
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
  if (!is_service_account_email(email)) {
    return make_error(ErrorKind::kUsage,
                      "'" + printable(email, 100) + "' is not a service-account e-mail");
  }
  std::string url(base.empty() ? std::string_view(kIamCredentialsEndpoint) : base);
  auto parsed = parse_url(url);
  if (!parsed || url.find('?') != std::string::npos) {
    return make_error(ErrorKind::kConfig, "the IAM Credentials endpoint '" + printable(base, 100) +
                                              "' (" + kEnvIamCredentialsEndpoint +
                                              ") is not an http(s) base URL");
  }
  if (url.back() != '/') url += '/';
  return url + "v1/projects/-/serviceAccounts/" + std::string(email) + ":signBlob";
}

class SignBlobClient::Impl {
 public:
  Impl(SignBlobConfig config, std::string url, std::unique_ptr<HttpClient> client)
      : config_(std::move(config)),
        url_(std::move(url)),
        client_(std::move(client)),
        injected_sleep_(config_.retry_env.sleep),
        retry_(config_.retry, config_.retry_env) {}

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
      Result<SignBlobResponse> got = co_await detail::retry_async<SignBlobResponse>(
          retry_, "signBlob", control, [&](AttemptContext& ctx) { return attempt(ctx, req); });
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

  asio::awaitable<Result<SignBlobResponse>> attempt(AttemptContext& ctx, HttpRequest const& req) {
    Result<HttpResponse> resp = co_await detail::co_send(*client_, req);
    if (!resp) {
      Error e = resp.error();
      e.detail = "signBlob as " + config_.email + ": " + e.detail;
      co_return e;
    }
    if (resp->status != 200) {
      ctx.retry_after = retry_hint(*resp, retry_.env().wall_now());
      co_return refusal(*resp);
    }
    auto parsed = parse_sign_blob_response(resp->body);
    if (!parsed) {
      Error e = parsed.error();
      e.provider_code = std::string(transport_code::kMalformedResponse);  // retried
      e.http_status = resp->status;
      e.detail = describe_request("POST", url_) + ": HTTP 200 with an unusable answer: " + e.detail;
      co_return e;
    }
    co_return parsed;
  }

  // A refusal: Google's `{"error": {"code", "message", "status"}}`, quoted short and printable.
  [[nodiscard]] Error refusal(HttpResponse const& resp) const {
    Error e = error_from_response(resp, "POST", url_);
    std::string status;
    std::string message;
    simdjson::dom::parser parser;
    simdjson::padded_string padded(resp.body);
    simdjson::dom::element doc;
    if (parser.parse(padded).get(doc) == simdjson::SUCCESS) {
      std::string_view s;
      if (doc["error"]["status"].get_string().get(s) == simdjson::SUCCESS) {
        status = printable(s, 64);
      }
      if (doc["error"]["message"].get_string().get(s) == simdjson::SUCCESS) {
        message = printable(s, 200);
      }
    }
    std::string const what = describe_request("POST", url_) + ": HTTP " +
                             std::to_string(resp.status) + (status.empty() ? "" : " " + status) +
                             (message.empty() ? "" : ": " + message);
    std::string const who = config_.tokens->describe();
    if (resp.status == 401) {
      e.kind = ErrorKind::kAuth;
      e.detail = "IAM signBlob refused the access token of " + who + " (" + what + ")";
    } else if (resp.status == 403) {
      e.kind = ErrorKind::kAuth;
      e.detail = "IAM signBlob refused to sign as " + config_.email + " for " + who + " (" + what +
                 "): the caller needs the Service Account Token Creator role "
                 "(roles/iam.serviceAccountTokenCreator) on that service account, and the IAM "
                 "Service Account Credentials API must be enabled";
    } else if (resp.status == 404 || resp.status == 400) {
      e.kind = ErrorKind::kConfig;
      e.detail = "IAM signBlob cannot sign as " + config_.email + " (" + what +
                 (resp.status == 404 ? "): no such service account" : ")");
    } else {
      e.detail = "signBlob as " + config_.email + ": " + what;
    }
    return e;
  }

  SignBlobConfig config_;
  std::string url_;
  std::unique_ptr<HttpClient> client_;
  std::function<void(std::chrono::milliseconds)> injected_sleep_;
  RetryPolicy retry_;
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
