// One HTTP call of a credential source, with that source's timeout and retries (botocore's
// per-source policies: IMDS `metadata_service_timeout`/`num_attempts`, the container
// fetcher's 2 s × 3, STS and SSO through the standard retry mode).
#include "aws_internal.hpp"
#include "presign/core/text.hpp"
#include "presign/io/retry.hpp"

#include <optional>
#include <utility>

namespace presign::auth::aws::detail {

Result<io::HttpResponse> http_call(io::HttpRequest request, CallPolicy const& policy,
                                   std::string const& what) {
  io::HttpClientOptions o;
  o.connect_timeout = policy.timeout;
  o.read_timeout = policy.timeout;
  o.total_timeout = policy.timeout * 2;
  o.max_idle_per_host = 0;  // one call, no pool to keep
  auto client = io::HttpClient::create(o);
  if (!client) return client.error();

  io::RetryOptions ro = io::RetryOptions::aws_standard();
  ro.max_attempts = policy.attempts < 1 ? 1 : policy.attempts;
  ro.base_delay = policy.pause;
  ro.use_quota = false;
  if (!policy.jitter) ro.max_backoff = policy.pause;
  io::RetryEnv env = io::RetryEnv::system();
  if (!policy.jitter) env.uniform01 = [] { return 0.999; };
  io::RetryPolicy retry(ro, env);

  std::optional<io::HttpResponse> last_5xx;
  auto r = retry.run(
      [&](io::AttemptContext&) -> Result<io::HttpResponse> {
        auto resp = (*client)->send(request);
        if (!resp) return resp.error();
        if (resp->status >= 500) {
          Error e = make_error(ErrorKind::kUnavailable, "HTTP " + std::to_string(resp->status));
          e.http_status = resp->status;
          last_5xx = std::move(*resp);
          return e;
        }
        return resp;
      },
      what);
  if (r) return r;
  if (last_5xx && r.error().http_status >= 500) return std::move(*last_5xx);
  Error e = r.error();
  e.detail = what + ": " + e.detail;
  return e;
}

bool env_true(EnvLookup const& env, char const* name) {
  auto v = env(name);
  return v && ascii_to_lower(*v) == "true";
}

}  // namespace presign::auth::aws::detail
