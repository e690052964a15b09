// The documents AWS credential sources answer with: credential_process JSON, STS XML, IMDS
// and container JSON, the SSO portal's JSON; and shlex-style splitting of a command. Apart
// from the network code so the fuzz targets link them alone. The inputs hold secrets: no
// message quotes a value, only field names.
#include "presign/auth/aws_sources.hpp"
#include "presign/io/xml_fields.hpp"

#include <openssl/crypto.h>
#include <simdjson.h>

#include <cstdint>
#include <string>

namespace presign::auth::aws {
namespace {

// simdjson needs a padded copy; it is wiped on every return path (it holds the secret).
struct PaddedSecret {
  explicit PaddedSecret(std::string_view s) : p(s) {}
  ~PaddedSecret() { OPENSSL_cleanse(p.data(), p.size()); }
  PaddedSecret(PaddedSecret const&) = delete;
  PaddedSecret& operator=(PaddedSecret const&) = delete;
  simdjson::padded_string p;
};

// Reads string field `name` of `obj` into `out`; false when absent or not a string.
bool get_string(simdjson::dom::object obj, char const* name, std::string& out) {
  std::string_view v;
  if (obj[name].get_string().get(v) != simdjson::SUCCESS) return false;
  out.assign(v);
  return true;
}

// Common to the JSON answers: the object, the two keys, the optional token and expiry.
struct JsonNames {
  char const* id;
  char const* secret;
  char const* token;
  char const* expiration;
};

Result<AwsKeys> keys_from_object(simdjson::dom::object obj, JsonNames const& n,
                                 std::string const& what, ErrorKind kind) {
  AwsKeys out;
  if (!get_string(obj, n.id, out.keys.access_key_id) || out.keys.access_key_id.empty()) {
    return make_error(kind, what + ": no \"" + n.id + "\" string in the answer");
  }
  if (!get_string(obj, n.secret, out.keys.secret_access_key) ||
      out.keys.secret_access_key.empty()) {
    return make_error(kind, what + ": no \"" + n.secret + "\" string in the answer");
  }
  simdjson::dom::element e;
  if (obj[n.token].get(e) == simdjson::SUCCESS && !e.is_null()) {
    std::string_view t;
    if (e.get_string().get(t) != simdjson::SUCCESS) {
      return make_error(kind, what + ": \"" + n.token + "\" is not a string");
    }
    out.keys.session_token.assign(t);
  }
  if (obj[n.expiration].get(e) == simdjson::SUCCESS && !e.is_null()) {
    std::string_view t;
    if (e.get_string().get(t) != simdjson::SUCCESS) {
      return make_error(kind, what + ": \"" + n.expiration + "\" is not a string");
    }
    auto when = parse_aws_time(t);
    if (!when) return make_error(kind, what + ": \"" + n.expiration + "\": " + when.error().detail);
    out.expires = *when;
  }
  return out;
}

Result<simdjson::dom::object> parse_object(simdjson::dom::parser& parser, PaddedSecret& in,
                                           std::string const& what, ErrorKind kind) {
  simdjson::dom::element doc;
  if (parser.parse(in.p).get(doc) != simdjson::SUCCESS) {
    return make_error(kind, what + ": the answer is not valid JSON");
  }
  simdjson::dom::object obj;
  if (doc.get_object().get(obj) != simdjson::SUCCESS) {
    return make_error(kind, what + ": the answer is not a JSON object");
  }
  return obj;
}

}  // namespace

Result<SigningTime> parse_aws_time(std::string_view text) {
  auto t = parse_rfc3339(text);
  if (!t) return make_error(ErrorKind::kProtocol, "not an ISO 8601 time");
  return *t;
}

Result<AwsKeys> parse_process_output(std::string_view json, std::string_view what) {
  std::string const w = "credential_process of " + std::string(what);
  PaddedSecret in(json);
  simdjson::dom::parser parser;
  auto obj = parse_object(parser, in, w, ErrorKind::kConfig);
  if (!obj) return obj.error();
  // botocore: `Version` must be 1 (an integer).
  std::int64_t version = 0;
  if ((*obj)["Version"].get_int64().get(version) != simdjson::SUCCESS || version != 1) {
    return make_error(ErrorKind::kConfig,
                      w + ": \"Version\" must be 1 (the only version the AWS CLI supports)");
  }
  return keys_from_object(*obj, {"AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"}, w,
                          ErrorKind::kConfig);
}

Result<AwsKeys> parse_metadata_credentials(std::string_view json, std::string_view what) {
  std::string const w(what);
  PaddedSecret in(json);
  simdjson::dom::parser parser;
  auto obj = parse_object(parser, in, w, ErrorKind::kProtocol);
  if (!obj) return obj.error();
  // IMDS also says "Code": "Success"; anything else is a failure it explains in "Message".
  std::string code;
  if (get_string(*obj, "Code", code) && code != "Success") {
    return make_error(ErrorKind::kProtocol, w + ": the answer's Code is not Success");
  }
  return keys_from_object(*obj, {"AccessKeyId", "SecretAccessKey", "Token", "Expiration"}, w,
                          ErrorKind::kProtocol);
}

Result<AwsKeys> parse_sso_role_credentials(std::string_view json) {
  std::string const w = "SSO GetRoleCredentials";
  PaddedSecret in(json);
  simdjson::dom::parser parser;
  auto obj = parse_object(parser, in, w, ErrorKind::kProtocol);
  if (!obj) return obj.error();
  simdjson::dom::object rc;
  if ((*obj)["roleCredentials"].get_object().get(rc) != simdjson::SUCCESS) {
    return make_error(ErrorKind::kProtocol, w + ": no \"roleCredentials\" object in the answer");
  }
  auto keys = keys_from_object(rc, {"accessKeyId", "secretAccessKey", "sessionToken", "-"}, w,
                               ErrorKind::kProtocol);
  if (!keys) return keys;
  // The portal gives the expiry in epoch milliseconds.
  std::int64_t ms = 0;
  if (rc["expiration"].get_int64().get(ms) == simdjson::SUCCESS && ms > 0) {
    keys->expires = SigningTime{std::chrono::seconds{ms / 1000}};
  }
  return keys;
}

Result<AwsKeys> parse_sts_response(int status, std::string_view body, std::string_view action) {
  std::string const w = "STS " + std::string(action);
  auto const result = std::string(action) + "Result";
  auto const response = std::string(action) + "Response";
  auto doc = io::read_xml_fields(
      body, {response, result, "Credentials", "Error"},
      {"AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration", "Code", "Message"});
  auto wipe = [&] {
    if (!doc) return;
    for (auto& [k, v] : doc->values) OPENSSL_cleanse(v.data(), v.size());
  };
  if (status < 200 || status > 299) {
    Error e = make_error(status >= 500 ? ErrorKind::kUnavailable : ErrorKind::kAuth,
                         w + ": HTTP " + std::to_string(status));
    e.http_status = status;
    if (doc && doc->root == "ErrorResponse") {
      auto code = doc->values.find("Code");
      auto msg = doc->values.find("Message");
      if (code != doc->values.end()) {
        e.provider_code = code->second;
        e.detail += " " + code->second;
      }
      if (msg != doc->values.end()) e.detail += ": " + msg->second;
    }
    wipe();
    return e;
  }
  if (!doc) {
    // Only where, never the reader's reason: the reason may quote bytes of a value (an
    // unknown entity inside <SecretAccessKey>), and values here are secrets.
    std::string const& d = doc.error().detail;
    auto at = d.rfind(" at byte ");
    return make_error(ErrorKind::kProtocol, w + ": the answer is not well-formed XML" +
                                                (at == std::string::npos ? "" : d.substr(at)));
  }
  auto const& v = doc->values;
  auto id = v.find("AccessKeyId");
  auto secret = v.find("SecretAccessKey");
  auto token = v.find("SessionToken");
  if (doc->root != response || id == v.end() || secret == v.end() || token == v.end() ||
      id->second.empty() || secret->second.empty()) {
    wipe();
    return make_error(ErrorKind::kProtocol,
                      w + ": the answer has no <" + response +
                          "> with AccessKeyId, SecretAccessKey and SessionToken");
  }
  AwsKeys out;
  out.keys = {id->second, secret->second, token->second};
  if (auto exp = v.find("Expiration"); exp != v.end()) {
    auto when = parse_aws_time(exp->second);
    if (!when) {
      wipe();
      return make_error(ErrorKind::kProtocol, w + ": <Expiration> is " + when.error().detail);
    }
    out.expires = *when;
  }
  wipe();
  return out;
}

std::optional<std::vector<std::string>> shell_split(std::string_view command) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  for (std::size_t i = 0; i < command.size(); ++i) {
    char const c = command[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
    } else if (c == '\'') {
      auto end = command.find('\'', i + 1);
      if (end == std::string_view::npos) return std::nullopt;
      word.append(command.substr(i + 1, end - i - 1));
      i = end;
      in_word = true;
    } else if (c == '"') {
      ++i;
      for (;; ++i) {
        if (i >= command.size()) return std::nullopt;
        char const d = command[i];
        if (d == '"') break;
        // shlex (POSIX mode) keeps the backslash except before the quote or a backslash
        // (unlike a shell, `\$` and `` \` `` keep theirs).
        if (d == '\\' && i + 1 < command.size() &&
            (command[i + 1] == '"' || command[i + 1] == '\\')) {
          word += command[++i];
        } else {
          word += d;
        }
      }
      in_word = true;
    } else if (c == '\\') {
      if (i + 1 >= command.size()) return std::nullopt;
      // shlex: backslash-newline is dropped; anything else is taken literally.
      if (command[i + 1] != '\n') word += command[i + 1];
      ++i;
      in_word = true;
    } else {
      word += c;
      in_word = true;
    }
  }
  if (in_word) words.push_back(std::move(word));
  return words;
}

}  // namespace presign::auth::aws
