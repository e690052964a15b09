#pragma once
// A fresh RSA key for tests that need a service account (the GCS token endpoint, the fake GCS
// server's key_pem).

#include <doctest/doctest.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <cstddef>
#include <string>

namespace presign::test {

// A fresh 2048-bit RSA key, PEM (PKCS#8).
inline std::string fresh_rsa_pem() {
  EVP_PKEY* k = EVP_RSA_gen(2048);
  REQUIRE(k != nullptr);
  BIO* mem = BIO_new(BIO_s_mem());
  REQUIRE(PEM_write_bio_PrivateKey(mem, k, nullptr, nullptr, 0, nullptr, nullptr) == 1);
  char* data = nullptr;
  long const n = BIO_get_mem_data(mem, &data);
  std::string pem(data, static_cast<std::size_t>(n));
  BIO_free(mem);
  EVP_PKEY_free(k);
  return pem;
}

}  // namespace presign::test
