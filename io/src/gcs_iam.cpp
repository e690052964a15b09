// What the IAM Credentials calls share (gcs_iam.hpp): their URL and Google's refusals.
#include "gcs_iam.hpp"

#include <simdjson.h>

namespace presign::io::detail {

Result<std::string> iam_url(std::string_view base, std::string_view email,
                            std::string_view method) {
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
  return url + "v1/projects/-/serviceAccounts/" + std::string(email) + ":" + std::string(method);
}

Error iam_refusal(HttpResponse const& resp, IamCall const& call) {
  Error e = error_from_response(resp, "POST", call.url);
  std::string status;
  std::string message;
  simdjson::dom::parser parser;
  simdjson::padded_string padded(resp.body);
  simdjson::dom::element doc;
  if (parser.parse(padded).get(doc) == simdjson::SUCCESS) {
    std::string_view s;
    if (doc["error"]["status"].get_string().get(s) == simdjson::SUCCESS) status = printable(s, 64);
    if (doc["error"]["message"].get_string().get(s) == simdjson::SUCCESS) {
      message = printable(s, 200);
    }
  }
  std::string const method(call.method);
  std::string const email(call.email);
  std::string const what = describe_request("POST", call.url) + ": HTTP " +
                           std::to_string(resp.status) + (status.empty() ? "" : " " + status) +
                           (message.empty() ? "" : ": " + message);
  if (resp.status == 401) {
    e.kind = ErrorKind::kAuth;
    e.detail = "IAM " + method + " refused the access token of " + call.who + " (" + what + ")";
  } else if (resp.status == 403) {
    e.kind = ErrorKind::kAuth;
    e.detail = "IAM " + method + " refused to " + std::string(call.action) + " " + email + " for " +
               call.who + " (" + what +
               "): the caller needs the Service Account Token Creator role "
               "(roles/iam.serviceAccountTokenCreator) on that service account, and the IAM "
               "Service Account Credentials API must be enabled";
  } else if (resp.status == 404 || resp.status == 400) {
    e.kind = ErrorKind::kConfig;
    e.detail = "IAM " + method + " cannot " + std::string(call.action) + " " + email + " (" + what +
               (resp.status == 404 ? "): no such service account" : ")");
  } else {
    e.detail = method + " as " + email + ": " + what;
  }
  return e;
}

}  // namespace presign::io::detail
