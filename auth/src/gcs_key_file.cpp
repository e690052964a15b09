// GCS credentials as the user gives them (see gcs_key_file.hpp): JSON key files, the HMAC
// variables and GOOGLE_APPLICATION_CREDENTIALS. The signers take the parsed keys.
#include "presign/auth/gcs_key_file.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

#include <simdjson.h>

namespace presign::auth::gcs {
namespace {

using signers::gcs::Credentials;
using signers::gcs::HmacKey;
using signers::gcs::ServiceAccountKey;
using signers::gcs::oauth::ServiceAccountInfo;

constexpr std::size_t kMaxCredentialsFileBytes = 1 << 20;

Error config_error(std::string m) { return make_error(ErrorKind::kConfig, std::move(m)); }

// Only lower-case identifiers are echoed back from a credentials file's "type" field, so a
// mistakenly chosen file (say, a private key pasted as the type) never reaches a terminal.
std::string printable_type(std::string_view t) {
  bool const plain = !t.empty() && t.size() <= 40 && std::all_of(t.begin(), t.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || c == '_' || c == '-';
  });
  return plain ? "\"" + std::string(t) + "\"" : std::string("an unrecognised type");
}

}  // namespace

Result<Credentials> parse_credentials_json(std::string_view json, std::string_view origin) {
  std::string const where(origin);
  simdjson::padded_string padded(json);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  auto const parse_error = parser.parse(padded).get(doc);
  // The padded copy holds the key material; wipe it as soon as the parse is done (the
  // parser's own string buffer lives until the end of this function).
  auto wipe = [&] { OPENSSL_cleanse(padded.data(), padded.size()); };
  simdjson::dom::object obj;
  if (parse_error || doc.get(obj)) {
    wipe();
    return config_error(where +
                        " is not a JSON object (expected a GCS service-account key file or "
                        "an HMAC key file)");
  }
  auto field = [&](char const* name) -> std::string_view {
    std::string_view v;
    if (obj[name].get(v)) return {};
    return v;
  };
  std::string_view const type = field("type");
  Result<Credentials> out = config_error("");
  if (type == "service_account") {
    std::string_view const email = field("client_email");
    std::string_view const pem = field("private_key");
    if (email.empty() || pem.empty()) {
      out = config_error(where +
                         " is a service-account key file without \"client_email\" and "
                         "\"private_key\" strings");
    } else {
      auto key = ServiceAccountKey::from_pem(std::string(email), pem, origin);
      if (key) {
        out = Credentials{std::move(*key)};
      } else {
        out = key.error();
      }
    }
  } else if (type == "hmac_key") {
    std::string_view const id = field("access_id");
    std::string_view const secret = field("secret");
    if (id.empty() || secret.empty()) {
      out =
          config_error(where + " is an HMAC key file without \"access_id\" and \"secret\" strings");
    } else {
      out = Credentials{HmacKey{std::string(id), std::string(secret)}};
    }
  } else if (type.empty()) {
    out = config_error(where +
                       " has no \"type\" string; expected \"service_account\" (a "
                       "service-account key file) or \"hmac_key\"");
  } else {
    out = config_error(
        where + " holds credentials of type " + printable_type(type) +
        ", which cannot sign URLs; use a service-account key file "
        "(\"type\": \"service_account\") or an HMAC key file (\"type\": \"hmac_key\")");
  }
  wipe();
  return out;
}

std::string credentials_type(std::string_view json) {
  simdjson::padded_string padded(json);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  std::string out;
  std::string_view t;
  if (parser.parse(padded).get(doc) == simdjson::SUCCESS &&
      doc["type"].get_string().get(t) == simdjson::SUCCESS) {
    out.assign(t.substr(0, 64));
  }
  OPENSSL_cleanse(padded.data(), padded.size());
  return out;
}

Result<GcsKeyless> parse_authorized_user(std::string_view json, std::string_view origin) {
  std::string const where(origin);
  simdjson::padded_string padded(json);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  struct Wipe {
    simdjson::padded_string& p;
    ~Wipe() { OPENSSL_cleanse(p.data(), p.size()); }
  } const wipe_input{padded};
  simdjson::dom::object obj;
  if (parser.parse(padded).get(doc) != simdjson::SUCCESS || doc.get(obj) != simdjson::SUCCESS) {
    return config_error(where + " is not a JSON object");
  }
  auto field = [&](char const* name) -> std::string_view {
    std::string_view v;
    if (obj[name].get(v)) return {};
    return v;
  };
  if (field("type") != "authorized_user") {
    return config_error(where +
                        " does not hold user credentials (\"type\": "
                        "\"authorized_user\")");
  }
  GcsKeyless k;
  k.source = GcsKeyless::TokenSource::kAuthorizedUser;
  for (auto [name, out] :
       {std::pair{"client_id", &k.client_id}, std::pair{"client_secret", &k.client_secret},
        std::pair{"refresh_token", &k.refresh_token}}) {
    std::string_view const v = field(name);
    if (v.empty()) {
      return config_error(where + " holds user credentials without a \"" + name + "\" string");
    }
    out->assign(v);
  }
  simdjson::dom::element e;
  if (obj["token_uri"].get(e) == simdjson::SUCCESS) {
    std::string_view uri;
    if (e.get_string().get(uri) != simdjson::SUCCESS || uri.empty()) {
      return config_error(where + ": \"token_uri\" is not a string");
    }
    k.token_uri.assign(uri);
  } else {
    k.token_uri = "https://oauth2.googleapis.com/token";
  }
  return k;
}

Result<void> read_credentials_file(std::string const& path,
                                   std::function<void(std::string_view text)> const& use) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    return config_error("cannot read credentials file " + path + ": " + std::strerror(errno));
  }
  std::string text;
  char buf[16384];
  std::size_t n = 0;
  bool too_big = false;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) {
    text.append(buf, n);
    if (text.size() > kMaxCredentialsFileBytes) {
      too_big = true;
      break;
    }
  }
  bool const failed = std::ferror(f) != 0;
  int const err = errno;
  std::fclose(f);
  OPENSSL_cleanse(buf, sizeof buf);
  Result<void> out;
  if (too_big) {
    out = config_error("credentials file " + path + " is larger than 1 MiB; it is not a key file");
  } else if (failed) {
    out = config_error("cannot read credentials file " + path + ": " + std::strerror(err));
  } else {
    use(text);
  }
  OPENSSL_cleanse(text.data(), text.size());
  return out;
}

Result<Credentials> load_credentials_file(std::string const& path) {
  Result<Credentials> out = config_error("");
  if (auto r = read_credentials_file(path,
                                     [&](std::string_view text) {
                                       out =
                                           parse_credentials_json(text, "credentials file " + path);
                                     });
      !r) {
    return r.error();
  }
  return out;
}

Result<Credentials> resolve_credentials(std::string const& explicit_file, EnvLookup const& env) {
  if (!explicit_file.empty()) return load_credentials_file(explicit_file);
  auto const id = env(kEnvHmacAccessId);
  auto const secret = env(kEnvHmacSecret);
  if (id || secret) {
    if (!id) {
      return config_error(std::string(kEnvHmacSecret) + " is set but " + kEnvHmacAccessId +
                          " is not; set both for an HMAC key");
    }
    if (!secret) {
      return config_error(std::string(kEnvHmacAccessId) + " is set but " + kEnvHmacSecret +
                          " is not; set both for an HMAC key");
    }
    return Credentials{HmacKey{*id, *secret}};
  }
  if (auto const file = env(kEnvApplicationCredentials)) {
    auto c = load_credentials_file(*file);
    if (!c) {
      Error e = c.error();
      e.detail = std::string(kEnvApplicationCredentials) + ": " + e.detail;
      return e;
    }
    return c;
  }
  return config_error(std::string("no GCS credentials found: looked for --credentials FILE, ") +
                      kEnvHmacAccessId + " + " + kEnvHmacSecret + " (an HMAC key), and " +
                      kEnvApplicationCredentials + " (a service-account JSON key file)");
}

Result<ServiceAccountInfo> load_service_account_info(std::string const& path) {
  Result<ServiceAccountInfo> out = config_error("");
  if (auto r = read_credentials_file(path,
                                     [&](std::string_view text) {
                                       out = signers::gcs::oauth::parse_service_account_info(
                                           text, "credentials file " + path);
                                     });
      !r) {
    return r.error();
  }
  return out;
}

}  // namespace presign::auth::gcs
