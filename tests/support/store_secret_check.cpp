// Test-only: does an integration's stored secret decrypt to what the test stored? Compares
// the SHA-256 (hex) of one secret field with the one given, and prints only "match" or
// "differs" (never the secret). Used by tests/scripts/store_cli.sh after a master key
// rotation, since no command of presign prints a secret.
// usage: store_secret_check STORE INTEGRATION FIELD SHA256_HEX   (master key from the
//        environment, as presign takes it: PRESIGN_MASTER_KEY[_FILE] or master.key)
#include "presign/store/integrations.hpp"
#include "presign/store/store.hpp"

#include <openssl/sha.h>

#include <cstdio>
#include <cstdlib>
#include <string>

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: store_secret_check STORE INTEGRATION FIELD SHA256_HEX\n");
    return 2;
  }
  presign::store::StoreOptions o;
  o.path = argv[1];
  if (char const* k = std::getenv("PRESIGN_MASTER_KEY")) o.key.key_text = std::string(k);
  if (char const* f = std::getenv("PRESIGN_MASTER_KEY_FILE")) o.key.key_file = f;
  auto s = presign::store::Store::open(o);
  if (!s) {
    std::fprintf(stderr, "store_secret_check: %s\n", s.error().detail.c_str());
    return 3;
  }
  auto c = presign::store::get_integration_secret(*s, argv[2]);
  if (!c) {
    std::fprintf(stderr, "store_secret_check: %s\n", c.error().detail.c_str());
    return 3;
  }
  for (auto const& [name, value] : c->secret) {
    if (name != argv[3]) continue;
    unsigned char d[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<unsigned char const*>(value.data()), value.size(), d);
    std::string hex;
    for (unsigned char b : d) {
      char h[3];
      std::snprintf(h, sizeof h, "%02x", b);
      hex += h;
    }
    bool const same = hex == argv[4];
    std::printf("%s\n", same ? "match" : "differs");
    return same ? 0 : 1;
  }
  std::fprintf(stderr, "store_secret_check: no secret field %s\n", argv[3]);
  return 1;
}
