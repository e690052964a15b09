#pragma once
// What fake_gcs_server.cpp shares with its IAM Credentials part (fake_gcs_iam.cpp): the reply
// type, JSON helpers, and the view of the server's state the IAM handlers work on. Test
// support, not installed.

#include "fake_gcs_server.hpp"

#include <boost/beast/http.hpp>
#include <openssl/evp.h>

#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace presign::test::fake_gcs {

struct Reply {
  int status = 200;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

using Request = boost::beast::http::request<boost::beast::http::string_body>;

inline std::string json_escape(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(s.size() + 2);
  for (char c : s) {
    auto const u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      out += "\\u00";
      out += kHex[u >> 4];
      out += kHex[u & 15];
    } else {
      out += c;
    }
  }
  return out;
}

inline Reply json_reply(int status, std::string body) {
  Reply r;
  r.status = status;
  r.body = std::move(body);
  r.headers.emplace_back("Content-Type", "application/json; charset=UTF-8");
  return r;
}

/// The server's state as the IAM handlers see it. `caller_token` and `issue_impersonated`
/// are called with `mutex` held.
struct IamHost {
  FakeGcsOptions const& opts;
  std::mutex& mutex;
  FakeGcsCounters& counters;
  EVP_PKEY* pkey;             ///< read-only: signs outside the lock
  std::string& fixed_answer;  ///< sign_blob_fixed: the one answer, once made
  /// True when `authorization` is `Bearer T` with T a live token issued to the caller (the
  /// metadata server, a token grant, or the static token), not an impersonated one.
  std::function<bool(std::string_view authorization)> caller_token;
  /// A fresh token of `email` for `lifetime`, accepted by the listing only.
  std::function<std::string(std::string const& email, std::chrono::seconds lifetime)>
      issue_impersonated;
};

/// True for the IAM Credentials paths this fake answers (`…:signBlob`,
/// `…:generateAccessToken`).
bool is_iam_request(std::string_view target);

/// The answer of IAM Credentials to `req` (fake_gcs_server.hpp describes both calls).
Reply iam_reply(Request const& req, IamHost& host);

}  // namespace presign::test::fake_gcs
