// Azure Storage Shared Key authorization (see azure_shared_key.hpp for the contract).
//
// Written from Microsoft's "Authorize with Shared Key" reference, and checked byte for byte
// against the Python SDK's SharedKeyCredentialPolicy (tests/scripts/azure_shared_key_oracle.py)
// and live against Azurite's BlobSharedKeyAuthenticator (tests/scripts/azure_list_azurite.sh).
#include "presign/signers/azure_shared_key.hpp"
#include "presign/core/text.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <span>

namespace presign::signers::azure::shared_key {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The value of the first header named `name` (lower-case), or empty.
std::string_view header_value(NameValues const& headers, std::string_view name) {
  for (auto const& [n, v] : headers) {
    if (n.size() == name.size() && ascii_to_lower(n) == name) return v;
  }
  return {};
}

// Sorts (name, value) pairs by name and folds repeated names into one comma-joined value.
// `sort_values`: repeated values are sorted first (query parameters), else kept in order
// (headers).
NameValues group(NameValues items, bool sort_values) {
  if (sort_values) {
    std::sort(items.begin(), items.end());
  } else {
    std::stable_sort(items.begin(), items.end(),
                     [](auto const& a, auto const& b) { return a.first < b.first; });
  }
  NameValues out;
  for (auto& [n, v] : items) {
    if (!out.empty() && out.back().first == n) {
      out.back().second += ',';
      out.back().second += v;
    } else {
      out.emplace_back(std::move(n), std::move(v));
    }
  }
  return out;
}

}  // namespace

std::string canonicalized_headers(NameValues const& headers) {
  NameValues ms;
  for (auto const& [n, v] : headers) {
    std::string name = ascii_to_lower(trim(n));
    if (name.starts_with("x-ms-")) ms.emplace_back(std::move(name), std::string(trim(v)));
  }
  std::string out;
  for (auto const& [n, v] : group(std::move(ms), /*sort_values=*/false)) {
    out += n;
    out += ':';
    out += v;
    out += '\n';
  }
  return out;
}

std::string canonicalized_resource(std::string_view account, Request const& request) {
  std::string out = "/";
  out += account;
  out += request.path.empty() ? std::string_view("/") : std::string_view(request.path);
  NameValues q;
  q.reserve(request.query.size());
  for (auto const& [n, v] : request.query) q.emplace_back(ascii_to_lower(n), v);
  for (auto const& [n, v] : group(std::move(q), /*sort_values=*/true)) {
    out += '\n';
    out += n;
    out += ':';
    out += v;
  }
  return out;
}

std::string string_to_sign(std::string_view account, Request const& request) {
  static constexpr std::array<std::string_view, 11> kStandard = {"content-encoding",
                                                                 "content-language",
                                                                 "content-length",
                                                                 "content-md5",
                                                                 "content-type",
                                                                 "date",
                                                                 "if-modified-since",
                                                                 "if-match",
                                                                 "if-none-match",
                                                                 "if-unmodified-since",
                                                                 "range"};
  std::string out = request.method;
  out += '\n';
  for (std::string_view name : kStandard) {
    std::string_view v = header_value(request.headers, name);
    // Since 2015-02-21 a zero Content-Length is signed as an empty line.
    if (name == "content-length" && v == "0") v = {};
    out += v;
    out += '\n';
  }
  out += canonicalized_headers(request.headers);
  out += canonicalized_resource(account, request);
  return out;
}

std::string authorization(std::string_view account, std::string_view decoded_key,
                          std::string_view sts) {
  crypto::HmacSha256 const mac(decoded_key);
  crypto::Digest const d = mac.mac(sts);
  std::string out = "SharedKey ";
  out += account;
  out += ':';
  out += crypto::base64_encode(d);
  return out;
}

Result<std::string> decode_account_key(std::string_view account, std::string_view key_base64) {
  std::string key;
  if (key_base64.empty()) {
    return make_error(ErrorKind::kConfig,
                      "the account key of storage account '" + std::string(account) + "' is empty");
  }
  if (!crypto::base64_decode(key_base64, key) || key.empty()) {
    return make_error(ErrorKind::kConfig,
                      "the account key of storage account '" + std::string(account) +
                          "' is not base64 (check AccountKey or AZURE_STORAGE_KEY)");
  }
  return key;
}

Signer::Signer(std::string account, std::string_view decoded_key)
    : account_(std::move(account)), key_(decoded_key) {}

std::string Signer::string_to_sign(Request const& request) const {
  return shared_key::string_to_sign(account_, request);
}

std::string Signer::authorization(Request const& request) const {
  crypto::Digest const d = key_.mac(string_to_sign(request));
  std::string out = "SharedKey ";
  out += account_;
  out += ':';
  out += crypto::base64_encode(d);
  return out;
}

}  // namespace presign::signers::azure::shared_key
