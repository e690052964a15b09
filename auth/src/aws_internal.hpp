#pragma once
// Helpers the AWS sources share (auth/src only): the shared files' places, small file reads,
// and one HTTP call with a source's timeouts and retries.

#include "presign/auth/env.hpp"
#include "presign/core/error.hpp"
#include "presign/io/http_client.hpp"

#include <chrono>
#include <optional>
#include <string>

namespace presign::auth::aws::detail {

// The shared file `leaf` ("credentials", "config"): the override variable's path when set,
// else $HOME/.aws/LEAF, else nullopt. Without a home there is no ~/.aws: like the AWS CLI, no
// shared file is read then unless an override names one. (Falling back to "./.aws" would read
// whatever directory a scheduled job happens to start in.) An empty HOME counts as unset.
std::optional<std::string> home_file(EnvLookup const& env, char const* override_var,
                                     char const* leaf);

// How a shared file is named in messages: its path, or why it was not looked at.
std::string describe_place(std::optional<std::string> const& path, char const* override_var,
                           char const* leaf);

// The whole file (credentials files, token files: small). kConfig naming the path on failure.
Result<std::string> read_small_file(std::string const& path);

// How one source talks to its endpoint.
struct CallPolicy {
  std::chrono::milliseconds timeout{60'000};  // connect, and each read (botocore: 60 s each)
  int attempts = 3;                           // the first one included
  std::chrono::milliseconds pause{1000};      // backoff base between attempts
  bool jitter = true;                         // full jitter (AWS standard) or a fixed pause
};

// Sends `request`, retrying transport faults and 5xx answers under `policy`. A 5xx that
// outlasts the attempts comes back as the response (so the caller can read the service's
// error body); transport failures as kNetwork errors prefixed with `what`. The request's
// query and headers never appear in an error (io::describe_request).
Result<io::HttpResponse> http_call(io::HttpRequest request, CallPolicy const& policy,
                                   std::string const& what);

// "true"/"TRUE" etc.
bool env_true(EnvLookup const& env, char const* name);

}  // namespace presign::auth::aws::detail
