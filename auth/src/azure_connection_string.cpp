// Azure Storage connection strings and the key variables (see azure_connection_string.hpp).
#include "presign/auth/azure_connection_string.hpp"

#include "presign/core/base64.hpp"
#include "presign/core/text.hpp"

#include <openssl/crypto.h>

#include <utility>

namespace presign::auth::azure {
namespace {

Error config_error(std::string m) { return make_error(ErrorKind::kConfig, std::move(m)); }

// Wipes a string holding a secret when it goes out of scope.
struct Cleanse {
  std::string& s;
  ~Cleanse() { OPENSSL_cleanse(s.data(), s.size()); }
};

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return std::string(s);
}

// Azurite's published well-known account and key (every SDK embeds them; not a secret).
constexpr char const* kDevAccount = "devstoreaccount1";
constexpr char const* kDevKey =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
constexpr char const* kDevBlobEndpoint = "http://127.0.0.1:10000/devstoreaccount1";

// `UseDevelopmentStorage=true[;DevelopmentStorageProxyUri=URI]`, as the .NET SDK reads it
// (CloudStorageAccount.GetDevelopmentStorageAccount): the emulator's account, key and blob
// endpoint; with a proxy URI the endpoint's scheme and host are the URI's, port 10000 and
// path /devstoreaccount1 stay. Any other setting beside them is refused (.NET refuses it too).
Result<AccountCredentials> development_storage(std::string_view proxy, bool other_settings) {
  if (other_settings) {
    return config_error(
        "the connection string has UseDevelopmentStorage=true and other settings; only "
        "DevelopmentStorageProxyUri may accompany it");
  }
  AccountCredentials c;
  c.origin = "the connection string (UseDevelopmentStorage=true)";
  c.account = kDevAccount;
  c.account_key = kDevKey;
  c.blob_endpoint = kDevBlobEndpoint;
  if (!proxy.empty()) {
    auto const scheme_end = proxy.find("://");
    std::string_view host =
        scheme_end == std::string_view::npos ? std::string_view{} : proxy.substr(scheme_end + 3);
    host = host.substr(0, host.find_first_of("/?#"));
    if (auto const colon = host.rfind(':');
        colon != std::string_view::npos && host.find(']', colon) == std::string_view::npos) {
      host = host.substr(0, colon);  // the proxy's port is not the emulator's
    }
    if (host.empty() || host.find_first_of(" \t@") != std::string_view::npos) {
      return config_error("DevelopmentStorageProxyUri is not a URI like http://host");
    }
    c.blob_endpoint = std::string(proxy.substr(0, scheme_end)) + "://" + std::string(host) +
                      ":10000/" + kDevAccount;
  }
  return c;
}

}  // namespace

Result<AccountCredentials> parse_connection_string(std::string_view text) {
  AccountCredentials c;
  c.origin = "the connection string";
  std::string protocol;
  std::string suffix;
  bool has_sas = false;
  bool dev_storage = false;
  bool other_settings = false;
  std::string proxy;
  std::size_t index = 0;
  while (!text.empty()) {
    auto const semi = text.find(';');
    std::string_view const part = text.substr(0, semi);
    text = semi == std::string_view::npos ? std::string_view{} : text.substr(semi + 1);
    ++index;
    if (trim(part).empty()) continue;  // "a=b;;c=d" and a trailing ';' are common
    auto const eq = part.find('=');
    if (eq == std::string_view::npos) {
      return config_error("the connection string is malformed: part " + std::to_string(index) +
                          " has no '=' (the value is not shown)");
    }
    std::string const name = ascii_to_lower(trim(part.substr(0, eq)));  // names: any case
    std::string value = trim(part.substr(eq + 1));
    if (name == "usedevelopmentstorage") {
      dev_storage = ascii_to_lower(value) == "true";
      if (!dev_storage) {
        return config_error("the connection string's UseDevelopmentStorage is not 'true'");
      }
      continue;
    }
    if (name == "developmentstorageproxyuri") {
      proxy = std::move(value);
      continue;
    }
    other_settings = true;
    if (name == "accountname") {
      c.account = std::move(value);
    } else if (name == "accountkey") {
      c.account_key = std::move(value);
    } else if (name == "blobendpoint") {
      c.blob_endpoint = std::move(value);
    } else if (name == "defaultendpointsprotocol") {
      protocol = std::move(value);
    } else if (name == "endpointsuffix") {
      suffix = std::move(value);
    } else if (name == "sharedaccesssignature") {
      has_sas = !value.empty();
    }
  }
  if (dev_storage) return development_storage(proxy, other_settings);
  if (!proxy.empty()) {
    return config_error("DevelopmentStorageProxyUri needs UseDevelopmentStorage=true");
  }
  if (c.account_key.empty()) {
    return config_error(has_sas ? "the connection string holds a SharedAccessSignature but no "
                                  "AccountKey; signing new SAS URLs needs the account key"
                                : "the connection string has no AccountKey");
  }
  if (c.account.empty()) return config_error("the connection string has no AccountName");
  if (c.blob_endpoint.empty() && (!protocol.empty() || !suffix.empty())) {
    c.blob_endpoint = (protocol.empty() ? std::string("https") : protocol) + "://" + c.account +
                      ".blob." + (suffix.empty() ? std::string("core.windows.net") : suffix);
  }
  return c;
}

Result<AccountCredentials> resolve_credentials(EnvLookup const& env, std::string_view uri_account) {
  AccountCredentials c;
  if (auto cs = env("AZURE_STORAGE_CONNECTION_STRING")) {
    Cleanse wipe{*cs};
    auto parsed = parse_connection_string(*cs);
    if (!parsed) {
      return config_error("AZURE_STORAGE_CONNECTION_STRING: " + parsed.error().detail);
    }
    c = std::move(*parsed);
    c.origin = "AZURE_STORAGE_CONNECTION_STRING";
  } else if (auto key = env("AZURE_STORAGE_KEY")) {
    c.account_key = std::move(*key);
    auto account = env("AZURE_STORAGE_ACCOUNT");
    c.account = account ? *account : std::string(uri_account);
    c.origin = account ? "AZURE_STORAGE_ACCOUNT and AZURE_STORAGE_KEY" : "AZURE_STORAGE_KEY";
  } else {
    return config_error(
        std::string("no Azure credentials for storage account '") + std::string(uri_account) +
        "': set AZURE_STORAGE_CONNECTION_STRING (with AccountName and AccountKey), or "
        "AZURE_STORAGE_KEY (and optionally AZURE_STORAGE_ACCOUNT)" +
        (env("AZURE_STORAGE_ACCOUNT")
             ? "; AZURE_STORAGE_ACCOUNT is set but AZURE_STORAGE_KEY is not"
             : ""));
  }
  if (c.account != uri_account) {
    OPENSSL_cleanse(c.account_key.data(), c.account_key.size());
    return config_error(c.origin + " is for storage account '" + c.account +
                        "', but the URI names '" + std::string(uri_account) + "'");
  }
  std::string decoded;
  Cleanse wipe{decoded};
  if (!base64_decode(c.account_key, decoded) || decoded.empty()) {
    OPENSSL_cleanse(c.account_key.data(), c.account_key.size());
    return config_error("the account key from " + c.origin +
                        " is not valid base64 (the value is not shown)");
  }
  return c;
}

}  // namespace presign::auth::azure
