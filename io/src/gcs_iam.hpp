#pragma once
// What the two IAM Credentials calls of keyless GCS share (io/src; not installed): the URL of
// a call on a service account, Google's refusal as an Error naming the account and IAM's
// reason, and one call retried under the policy as a coroutine on the caller's client
// (gcs_sign_blob.cpp's signBlob, gcs_impersonated_tokens.cpp's generateAccessToken).

#include "gcs_tokens.hpp"
#include "page_fetch.hpp"

#include "presign/io/gcs_keyless.hpp"

#include <string>
#include <string_view>
#include <utility>

namespace presign::io::detail {

/// `{base}v1/projects/-/serviceAccounts/{email}:{method}` (a '/' is added after `base` when
/// missing; empty `base`: kIamCredentialsEndpoint). kUsage for an e-mail that is not one,
/// kConfig for a base that is not an http(s) URL (naming the endpoint variable).
Result<std::string> iam_url(std::string_view base, std::string_view email, std::string_view method);

/// One IAM call, for messages: `method` ("signBlob"), `action` on the account ("sign as",
/// "impersonate"), the account, the URL, and `who` calls (the caller's token provider's
/// `describe()`).
struct IamCall {
  std::string_view method;
  std::string_view action;
  std::string_view email;
  std::string_view url;
  std::string who;
};

/// A non-200 answer of IAM (`{"error": {"code", "message", "status"}}`, quoted short and
/// printable) as an Error: 401 kAuth (the caller's token refused), 403 kAuth (no permission
/// on the account: which role it takes), 404/400 kConfig (no such account), anything else as
/// `error_from_response` classifies it (429/5xx retried). Never a token.
Error iam_refusal(HttpResponse const& resp, IamCall const& call);

/// One attempt of `co_iam_call`.
template <class T, class Parse>
asio::awaitable<Result<T>> co_iam_attempt(AttemptContext& ctx, HttpClient& client,
                                          HttpRequest const& req, RetryPolicy const& policy,
                                          FetchControl const& control, IamCall const& call,
                                          Parse const& parse) {
  if (co_await is_cancelled(control)) co_return cancelled_error();
  Result<HttpResponse> resp = co_await co_send(client, req);
  if (!resp) {
    Error e = resp.error();
    e.detail = std::string(call.method) + " as " + std::string(call.email) + ": " + e.detail;
    co_return e;
  }
  if (resp->status != 200) {
    ctx.retry_after = retry_hint(*resp, policy.env().wall_now());
    co_return iam_refusal(*resp, call);
  }
  Result<T> parsed = parse(std::string_view(resp->body));
  wipe(resp->body);  // generateAccessToken's holds a token
  if (!parsed) {
    Error e = parsed.error();
    e.provider_code = std::string(transport_code::kMalformedResponse);  // retried
    e.http_status = resp->status;
    e.detail =
        describe_request(req.method, call.url) + ": HTTP 200 with an unusable answer: " + e.detail;
    co_return e;
  }
  co_return parsed;
}

/// One IAM call, retried under `policy` (429, 5xx, timeouts, transport faults, and a 200
/// that `parse` refuses, as kMalformedResponse) with `control`'s backoff; `parse(body)` gives
/// the Result<T>. Runs on `executor_of(client)`. `req` is sent anew by each attempt; every
/// argument must outlive the call.
template <class T, class Parse>
asio::awaitable<Result<T>> co_iam_call(HttpClient& client, HttpRequest const& req,
                                       RetryPolicy& policy, FetchControl const& control,
                                       IamCall const& call, Parse const& parse) {
  return retry_async<T>(policy, "IAM " + std::string(call.method), control,
                        [&client, &req, &policy, &control, &call, &parse](AttemptContext& ctx) {
                          return co_iam_attempt<T>(ctx, client, req, policy, control, call, parse);
                        });
}

}  // namespace presign::io::detail
