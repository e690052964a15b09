// GCS V4 signed URLs, the batch hot path (GcsPresigner): everything constant for a batch made
// once in `create`, then per URL one canonical-request hash, one string-to-sign hash and an
// HMAC or an RSA signature with the worker's own key copy. The URL is byte-identical to the
// Node client's (see gcs_v4.hpp); keys and the staged API are in gcs_v4.cpp.
#include "presign/signers/gcs_v4.hpp"

#include "gcs_v4_detail.hpp"

#include "presign/signers/sigv4.hpp"
#include "presign/signers/uri.hpp"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <memory>
#include <new>
#include <utility>

namespace presign::signers::gcs {

using namespace detail;

// ---- GcsPresigner ------------------------------------------------------------------------

// One worker's RSA state: its own copy of the key (so OpenSSL's per-key blinding state and
// lock are never shared between threads) and a context already set up for
// RSASSA-PKCS1-v1_5 over a SHA-256 digest, reused for every URL.
struct GcsPresigner::Scratch::Rsa {
  Rsa() = default;
  Rsa(Rsa const&) = delete;
  Rsa& operator=(Rsa const&) = delete;

  ~Rsa() {
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(pkey);
  }

  std::uint64_t key_id = 0;  // ServiceAccountKey::id() this state signs for
  EVP_PKEY* pkey = nullptr;
  EVP_PKEY_CTX* ctx = nullptr;
  unsigned char sig[kMaxRsaBytes];
};

void GcsPresigner::Scratch::RsaDeleter::operator()(Rsa* r) const noexcept { delete r; }

Result<GcsPresigner> GcsPresigner::create(GcsPresignConfig config) {
  if (auto r = detail::check_batch_options(config); !r) return r.error();
  GcsPresigner s;
  s.algorithm_ = algorithm_of(config.credentials);
  if (auto* hmac = std::get_if<HmacKey>(&config.credentials)) {
    if (hmac->access_id.empty() || hmac->secret.empty()) {
      return make_error(ErrorKind::kConfig, "the HMAC access id or secret is empty");
    }
  } else if (auto* key = std::get_if<ServiceAccountKey>(&config.credentials)) {
    s.rsa_key_ = *key;
  } else if (std::get<ExternalServiceAccount>(config.credentials).client_email.empty()) {
    return make_error(ErrorKind::kConfig, "the service account to sign as has no e-mail");
  }

  // Endpoint: https://storage.googleapis.com unless given. Virtual-hosted puts the bucket in
  // front of the host, as the Node client's `https://${bucket}.storage.${universe}`.
  std::string scheme = "https";
  std::string authority = "storage.googleapis.com";
  if (!config.endpoint.empty()) {
    auto ep = parse_endpoint(config.endpoint, "endpoint", /*need_scheme=*/true);
    if (!ep) return ep.error();
    scheme = ep->scheme;
    authority = ep->authority;
  }
  bool const virtual_host = config.addressing == Addressing::kVirtual;
  if (virtual_host) authority = config.bucket + "." + authority;
  s.host_ = host_of(authority);
  s.path_prefix_ = virtual_host ? "/" : "/" + config.bucket + "/";
  s.url_prefix_ = scheme + "://" + authority + s.path_prefix_;

  char iso[17];
  char day[9];
  format_amz_date(config.signing_time, iso, day);
  std::string const scope = sigv4::credential_scope(day, kRegion, kService, kTerminator);
  std::string_view const alg = algorithm_name(s.algorithm_);
  std::string const cred = encoded(credential_id(config.credentials) + "/" + scope, false);
  std::string const expires = std::to_string(config.expires_seconds);
  std::string const auth_params = "X-Goog-Algorithm=" + std::string(alg) +
                                  "&X-Goog-Credential=" + cred + "&X-Goog-Date=" + iso +
                                  "&X-Goog-Expires=" + expires + "&X-Goog-SignedHeaders=host";
  auto param = [](std::string_view name, std::string const& value) {
    return value.empty() ? std::string() : "&" + std::string(name) + "=" + encoded(value, false);
  };
  std::string const disposition =
      param("response-content-disposition", config.response_content_disposition);
  std::string const type = param("response-content-type", config.response_content_type);
  // Canonical query: sorted by name ('X' < 'r', "disposition" < "type").
  s.cr_suffix_ =
      "\n" + auth_params + disposition + type + "\nhost:" + s.host_ + "\n\nhost\nUNSIGNED-PAYLOAD";
  // URL query in the Node client's order: its query object is built as the auth parameters,
  // then the caller's parameters in insertion order (File#getSignedUrl inserts
  // response-content-type before response-content-disposition), then X-Goog-Signature.
  s.query_ = "?" + auth_params + type + disposition + "&X-Goog-Signature=";

  s.method_ = config.method;
  s.cr_head_.update(s.method_);
  s.cr_head_.update("\n", 1);
  s.cr_head_.update(s.path_prefix_);
  s.sts_prefix_ = std::string(alg) + "\n" + iso + "\n" + scope + "\n";
  if (auto* hmac = std::get_if<HmacKey>(&config.credentials)) {
    auto signing_key =
        sigv4::derive_signing_key(hmac->secret, day, kRegion, kService, kKeyPrefix, kTerminator);
    s.key_ = crypto::HmacSha256(signing_key);
    OPENSSL_cleanse(signing_key.data(), signing_key.size());
    OPENSSL_cleanse(hmac->secret.data(), hmac->secret.size());
    s.sts_head_ = s.key_.inner();
  }
  s.sts_head_.update(s.sts_prefix_);
  s.signing_time_ = config.signing_time;
  s.expires_seconds_ = config.expires_seconds;
  return s;
}

void GcsPresigner::canonical_digest_hex(std::string_view encoded_key, char* out64) const noexcept {
  crypto::Sha256 cr = cr_head_;
  cr.update(encoded_key);
  cr.update(cr_suffix_);
  std::uint8_t digest[32];
  cr.final(digest);
  crypto::hex_lower(digest, sizeof digest, out64);
}

bool GcsPresigner::rsa_sign(Scratch& scratch, std::uint8_t const* digest32,
                            std::size_t& sig_len) const noexcept {
  Scratch::Rsa* r = scratch.rsa.get();
  if (r == nullptr || r->key_id != rsa_key_->id()) {
    // First RSA use of this scratch (or a scratch moved to another signer's key): one key
    // copy and one context per worker, never per URL.
    scratch.rsa.reset();
    std::unique_ptr<Scratch::Rsa, Scratch::RsaDeleter> fresh(new (std::nothrow) Scratch::Rsa);
    if (!fresh) return false;
    fresh->pkey = EVP_PKEY_dup(rsa_key_->impl().pkey);
    if (fresh->pkey != nullptr) {
      fresh->ctx = EVP_PKEY_CTX_new_from_pkey(nullptr, fresh->pkey, nullptr);
    }
    if (fresh->ctx == nullptr || EVP_PKEY_sign_init(fresh->ctx) != 1 ||
        EVP_PKEY_CTX_set_rsa_padding(fresh->ctx, RSA_PKCS1_PADDING) != 1 ||
        EVP_PKEY_CTX_set_signature_md(fresh->ctx, EVP_sha256()) != 1) {
      ERR_clear_error();
      return false;
    }
    fresh->key_id = rsa_key_->id();
    scratch.rsa = std::move(fresh);
    r = scratch.rsa.get();
  }
  // EVP_PKEY_sign with a signature digest set: PKCS#1 v1.5 over DigestInfo(SHA-256, digest),
  // the same bytes EVP_DigestSign produces from the message.
  std::size_t len = sizeof r->sig;
  if (EVP_PKEY_sign(r->ctx, r->sig, &len, digest32, 32) != 1) {
    ERR_clear_error();
    return false;
  }
  sig_len = len;
  return true;
}

SignError GcsPresigner::encode_key(ObjectRef const& object, Scratch& scratch,
                                   std::size_t& n) const noexcept {
  if (object.key.empty()) return SignError::kEmptyKey;
  if (object.key.size() > kMaxKeyBytes) return SignError::kKeyTooLong;
  if (!is_valid_object_name(object.key)) return SignError::kInvalidKey;
  n = uri_encode(object.key, scratch.encoded_key, /*keep_slash=*/true);
  return SignError::kOk;
}

SignError GcsPresigner::append_string_to_sign(ObjectRef const& object, Scratch& scratch,
                                              std::string& out) const noexcept {
  if (algorithm_ != Algorithm::kRsaSha256) return SignError::kCryptoFailed;
  std::size_t n = 0;
  if (SignError const e = encode_key(object, scratch, n); e != SignError::kOk) return e;
  char cr_hex[64];
  canonical_digest_hex({scratch.encoded_key, n}, cr_hex);
  // The string to sign is the prefix sts_head_ has absorbed, then the canonical request's
  // hash: the very bytes `sign` hashes and signs with a local key.
  out.append(sts_prefix_);
  out.append(cr_hex, sizeof cr_hex);
  return SignError::kOk;
}

SignError GcsPresigner::append_signed_url(ObjectRef const& object, Scratch& scratch,
                                          std::span<std::uint8_t const> signature,
                                          std::string& out) const noexcept {
  if (algorithm_ != Algorithm::kRsaSha256) return SignError::kCryptoFailed;
  if (signature.empty() || signature.size() > kMaxRsaBytes) return SignError::kCryptoFailed;
  std::size_t n = 0;
  if (SignError const e = encode_key(object, scratch, n); e != SignError::kOk) return e;
  char sig[2 * kMaxRsaBytes];
  crypto::hex_lower(signature.data(), signature.size(), sig);
  out.append(url_prefix_);
  out.append(scratch.encoded_key, n);
  out.append(query_);
  out.append(sig, 2 * signature.size());
  return SignError::kOk;
}

SignError GcsPresigner::sign(ObjectRef const& object, Scratch& scratch,
                             std::string& out) const noexcept {
  std::size_t n = 0;
  if (SignError const e = encode_key(object, scratch, n); e != SignError::kOk) return e;
  // Keyless: the signature comes from a signing service (io::GcsKeylessSigner).
  if (algorithm_ == Algorithm::kRsaSha256 && !rsa_key_) return SignError::kCryptoFailed;
  std::string_view const enc{scratch.encoded_key, n};
  char cr_hex[64];
  canonical_digest_hex(enc, cr_hex);
  crypto::Sha256 sts = sts_head_;
  sts.update(cr_hex, sizeof cr_hex);
  std::uint8_t digest[32];
  if (algorithm_ == Algorithm::kHmacSha256) {
    key_.finish(sts, digest);
    char sig[64];
    crypto::hex_lower(digest, sizeof digest, sig);
    out.append(url_prefix_);
    out.append(enc);
    out.append(query_);
    out.append(sig, sizeof sig);
    return SignError::kOk;
  }
  sts.final(digest);
  std::size_t sig_len = 0;
  if (!rsa_sign(scratch, digest, sig_len)) return SignError::kCryptoFailed;
  char sig[2 * kMaxRsaBytes];
  crypto::hex_lower(scratch.rsa->sig, sig_len, sig);
  out.append(url_prefix_);
  out.append(enc);
  out.append(query_);
  out.append(sig, 2 * sig_len);
  return SignError::kOk;
}

std::string GcsPresigner::canonical_request(std::string_view key) const {
  std::string cr = method_ + "\n" + path_prefix_;
  append_uri_encoded(cr, key, true);
  cr += cr_suffix_;
  return cr;
}

std::string GcsPresigner::string_to_sign(std::string_view key) const {
  crypto::Sha256 h;
  h.update(canonical_request(key));
  return sts_prefix_ + crypto::hex_lower(h.final());
}

}  // namespace presign::signers::gcs
