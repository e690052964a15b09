// Secrets at rest: AES-256-GCM with associated data, the master key's check value, key files
// and master key rotation (with crashes at each step).
#include "presign/store/crypto.hpp"
#include "presign/store/integrations.hpp"
#include "presign/store/key_file.hpp"
#include "presign/store/rotate.hpp"
#include "store_test_support.hpp"

#include <doctest/doctest.h>

#include <fstream>
#include <sys/stat.h>

using namespace presign::store;
using namespace presign::store::test;
using presign::ErrorKind;

namespace {

NewIntegration aws_integration(std::string name, std::string secret) {
  NewIntegration n;
  n.name = std::move(name);
  n.provider = "aws";
  n.bucket = "bucket-" + n.name;
  n.credential.kind = "aws-access-key";
  n.credential.secret = {{"access_key_id", "AKIA" + n.name},
                         {"secret_access_key", std::move(secret)}};
  return n;
}

std::string secret_of(Store& s, char const* name) {
  auto c = get_integration_secret(s, name);
  REQUIRE_MESSAGE(c.has_value(), (c ? "" : c.error().detail));
  return c->secret.at(1).second;
}

// Raw SQL on the file, as an attacker with write access to it could run.
void raw_sql(std::string const& path, char const* sql) {
  auto db = Db::open(path, false);
  REQUIRE(db.has_value());
  auto r = db->exec(sql);
  REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.error().detail));
}

mode_t mode_of(std::string const& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

}  // namespace

TEST_SUITE("store.secrets") {
  TEST_CASE("a sealed secret opens with the same key and associated data only") {
    MasterKey const k = fixed_key(1);
    auto sealed = seal(k, "s3cr3t value", "row 1|aws|1");
    REQUIRE(sealed.has_value());
    CHECK(sealed->nonce.size() == 12);
    CHECK(sealed->ciphertext.size() == 12 + 16);
    CHECK(sealed->ciphertext.find("s3cr3t") == std::string::npos);
    CHECK(unseal(k, sealed->nonce, sealed->ciphertext, "row 1|aws|1").value() == "s3cr3t value");
    CHECK(unseal(k, sealed->nonce, sealed->ciphertext, "row 2|aws|1").error().kind ==
          ErrorKind::kAuth);
    CHECK_FALSE(unseal(fixed_key(2), sealed->nonce, sealed->ciphertext, "row 1|aws|1"));
    std::string flipped = sealed->ciphertext;
    flipped[0] = static_cast<char>(flipped[0] ^ 1);
    CHECK_FALSE(unseal(k, sealed->nonce, flipped, "row 1|aws|1"));
    auto again = seal(k, "s3cr3t value", "row 1|aws|1");
    CHECK(again->nonce != sealed->nonce);  // a fresh nonce every time
  }

  TEST_CASE("master keys are read as base64 or 64 hex digits and nothing else") {
    MasterKey const k = fixed_key(7);
    CHECK(parse_master_key(k.to_text(), "X").value() == k);
    CHECK(parse_master_key("  " + k.to_text() + "\n", "X").value() == k);
    std::string hex;
    for (unsigned i = 0; i < 32; ++i) {
      char b[3];
      std::snprintf(b, sizeof b, "%02X", static_cast<unsigned>(7 + i));
      hex += b;
    }
    CHECK(parse_master_key(hex, "X").value() == k);
    auto bad = parse_master_key("hunter2", "PRESIGN_MASTER_KEY");
    REQUIRE_FALSE(bad.has_value());
    CHECK(bad.error().kind == ErrorKind::kConfig);
    CHECK(bad.error().detail.find("PRESIGN_MASTER_KEY") != std::string::npos);
    CHECK(bad.error().detail.find("hunter2") == std::string::npos);
    CHECK_FALSE(parse_master_key(hex.substr(2), "X"));          // 31 bytes
    CHECK_FALSE(parse_master_key(k.to_text().substr(4), "X"));  // short base64
  }

  TEST_CASE("a secret copied into another row does not decrypt") {
    TempDir dir;
    Store s = open_with_key(dir.file("p.db"), fixed_key(1));
    REQUIRE(add_integration(s, aws_integration("one", "secret-one"), stamp_at(1000)));
    REQUIRE(add_integration(s, aws_integration("two", "secret-two"), stamp_at(1000)));
    CHECK(secret_of(s, "one") == "secret-one");
    raw_sql(dir.file("p.db"),
            "UPDATE integrations SET (secret, secret_nonce) = (SELECT secret, secret_nonce "
            "FROM integrations WHERE name = 'one') WHERE name = 'two'");
    auto stolen = get_integration_secret(s, "two");
    REQUIRE_FALSE(stolen.has_value());
    CHECK(stolen.error().kind == ErrorKind::kAuth);
    CHECK(stolen.error().detail.find("secret-one") == std::string::npos);
    CHECK(secret_of(s, "one") == "secret-one");
  }

  TEST_CASE("a secret whose row claims another provider or key version does not decrypt") {
    TempDir dir;
    Store s = open_with_key(dir.file("p.db"), fixed_key(1));
    REQUIRE(add_integration(s, aws_integration("one", "secret-one"), stamp_at(1000)));
    raw_sql(dir.file("p.db"), "UPDATE integrations SET key_version = 2");
    CHECK_FALSE(get_integration_secret(s, "one"));
  }

  TEST_CASE("a wrong master key is refused at open with a clear error") {
    TempDir dir;
    {
      Store s = open_with_key(dir.file("p.db"), fixed_key(1));
      REQUIRE(add_integration(s, aws_integration("one", "secret-one"), stamp_at(1000)));
    }
    StoreOptions o;
    o.path = dir.file("p.db");
    o.key.key = fixed_key(2);
    auto wrong = Store::open(o);
    REQUIRE_FALSE(wrong.has_value());
    CHECK(wrong.error().kind == ErrorKind::kConfig);
    CHECK(wrong.error().detail.find("the master key does not match this store") !=
          std::string::npos);
    o.key.key.reset();
    o.key.key_text = fixed_key(3).to_text();
    auto env = Store::open(o);
    REQUIRE_FALSE(env.has_value());
    CHECK(env.error().detail.find("PRESIGN_MASTER_KEY") != std::string::npos);
    o.key.key_text = fixed_key(1).to_text();
    CHECK(Store::open(o).has_value());
  }

  TEST_CASE("the key file is created 0600 on first use and refused when group-readable") {
    TempDir dir;
    std::string const db = dir.path + "/sub/dir/p.db";
    StoreOptions o;
    o.path = db;
    {
      auto s = Store::open(o);
      REQUIRE_MESSAGE(s.has_value(), (s ? "" : s.error().detail));
      CHECK(s->key_file() == dir.path + "/sub/dir/master.key");
    }
    CHECK(mode_of(dir.path + "/sub/dir/master.key") == 0600);
    CHECK(mode_of(db) == 0600);
    CHECK(mode_of(dir.path + "/sub/dir") == 0700);
    CHECK(mode_of(dir.path + "/sub") == 0700);
    REQUIRE(Store::open(o).has_value());  // reopened with the same key
    ::chmod((dir.path + "/sub/dir/master.key").c_str(), 0640);
    auto refused = Store::open(o);
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.error().detail.find("mode 0640") != std::string::npos);
    CHECK(refused.error().detail.find("chmod 600") != std::string::npos);
  }

  TEST_CASE("a store with secrets refuses to make a new key when its key file is missing") {
    TempDir dir;
    StoreOptions o;
    o.path = dir.file("p.db");
    REQUIRE(Store::open(o).has_value());
    std::filesystem::remove(dir.file("master.key"));
    auto s = Store::open(o);
    REQUIRE_FALSE(s.has_value());
    CHECK(s.error().detail.find("is missing") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(dir.file("master.key")));
  }

  TEST_CASE("after rotating the master key every secret still decrypts, under the new key only") {
    TempDir dir;
    StoreOptions o;
    o.path = dir.file("p.db");
    auto s = Store::open(o);
    REQUIRE(s.has_value());
    MasterKey const old = s->key();
    REQUIRE(add_integration(*s, aws_integration("one", "secret-one"), stamp_at(1000)));
    REQUIRE(add_integration(*s, aws_integration("two", "secret-two"), stamp_at(1000)));
    auto r = rotate_master_key(*s, std::nullopt, stamp_at(2000));
    REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.error().detail));
    CHECK(r->key_version == 2);
    CHECK(r->secrets == 2);
    CHECK(secret_of(*s, "two") == "secret-two");
    auto again = Store::open(o);  // from the replaced key file
    REQUIRE(again.has_value());
    CHECK_FALSE(again->key() == old);
    CHECK(again->key_version() == 2);
    CHECK(secret_of(*again, "one") == "secret-one");
    CHECK(mode_of(dir.file("master.key")) == 0600);
    CHECK(mode_of(dir.file("master.key.old")) == 0600);
    CHECK(read_key_file(dir.file("master.key.old")).value() == old);
    CHECK_FALSE(std::filesystem::exists(dir.file("master.key.new")));
    StoreOptions with_old = o;
    with_old.key.key = old;
    CHECK_FALSE(Store::open(with_old).has_value());
  }

  TEST_CASE("a store opened before another one rotated the key follows the rotation") {
    TempDir dir;
    StoreOptions o;
    o.path = dir.file("p.db");
    auto reader = Store::open(o);
    REQUIRE(reader.has_value());
    REQUIRE(add_integration(*reader, aws_integration("one", "secret-one"), stamp_at(1000)));
    auto rotator = Store::open(o);  // another process's connection
    REQUIRE(rotator.has_value());
    REQUIRE(rotate_master_key(*rotator, std::nullopt, stamp_at(2000)));
    // The reader still holds key version 1; the secret is sealed under version 2 now.
    CHECK(reader->key_version() == 1);
    CHECK(secret_of(*reader, "one") == "secret-one");
    CHECK(reader->key_version() == 2);
    CHECK(reader->key() == rotator->key());
    // A secret written by a store opened before the next rotation is sealed under the key of
    // the store's moment, which every later opener reads.
    auto writer = Store::open(o);
    REQUIRE(writer.has_value());
    REQUIRE(rotate_master_key(*rotator, std::nullopt, stamp_at(3000)));
    REQUIRE(add_integration(*writer, aws_integration("two", "secret-two"), stamp_at(3100)));
    CHECK(writer->key_version() == 3);
    auto later = Store::open(o);
    REQUIRE(later.has_value());
    CHECK(secret_of(*later, "two") == "secret-two");
    CHECK(secret_of(*later, "one") == "secret-one");
  }

  TEST_CASE("a rotation committed but not yet in the key file is followed from KEYFILE.new") {
    TempDir dir;
    StoreOptions o;
    o.path = dir.file("p.db");
    auto reader = Store::open(o);
    REQUIRE(reader.has_value());
    REQUIRE(add_integration(*reader, aws_integration("one", "secret-one"), stamp_at(1000)));
    auto rotator = Store::open(o);
    REQUIRE(rotator.has_value());
    CHECK_FALSE(
        rotate_master_key(*rotator, std::nullopt, stamp_at(2000), RotationStop::kAfterCommit));
    CHECK(secret_of(*reader, "one") == "secret-one");
    CHECK(reader->key_version() == 2);
    CHECK(reader->key() == read_key_file(dir.file("master.key.new")).value());
  }

  TEST_CASE("a store keyed by PRESIGN_MASTER_KEY that another rotated asks for the new key") {
    TempDir dir;
    StoreOptions o;
    o.path = dir.file("p.db");
    o.key.key_text = fixed_key(1).to_text();
    auto reader = Store::open(o);
    REQUIRE(reader.has_value());
    REQUIRE(add_integration(*reader, aws_integration("one", "secret-one"), stamp_at(1000)));
    auto rotator = Store::open(o);
    REQUIRE(rotator.has_value());
    REQUIRE(rotate_master_key(*rotator, fixed_key(9), stamp_at(2000)));
    auto refused = get_integration_secret(*reader, "one");
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.error().kind == ErrorKind::kConfig);
    CHECK(refused.error().detail.find("rotated by another process") != std::string::npos);
    CHECK(refused.error().detail.find("PRESIGN_MASTER_KEY") != std::string::npos);
  }

  TEST_CASE("a rotation that crashed before its commit leaves the old key working") {
    TempDir dir;
    StoreOptions o;
    o.path = dir.file("p.db");
    auto s = Store::open(o);
    REQUIRE(s.has_value());
    MasterKey const old = s->key();
    REQUIRE(add_integration(*s, aws_integration("one", "secret-one"), stamp_at(1000)));
    CHECK_FALSE(rotate_master_key(*s, std::nullopt, stamp_at(2000), RotationStop::kBeforeCommit));
    CHECK(std::filesystem::exists(dir.file("master.key.new")));
    s = Store::open(o);
    REQUIRE(s.has_value());
    CHECK(s->key() == old);
    CHECK(s->key_version() == 1);
    CHECK(secret_of(*s, "one") == "secret-one");
    // The uncommitted key is left behind, and never taken for the store's.
    CHECK_FALSE(read_key_file(dir.file("master.key.new")).value() == old);
    CHECK(read_key_file(dir.file("master.key")).value() == old);
    auto next = rotate_master_key(*s, std::nullopt, stamp_at(3000));
    REQUIRE(next.has_value());
    CHECK(next->key_version == 2);
    CHECK_FALSE(std::filesystem::exists(dir.file("master.key.new")));
  }

  TEST_CASE("a rotation that crashed after its commit is completed by the next open") {
    TempDir dir;
    StoreOptions o;
    o.path = dir.file("p.db");
    auto s = Store::open(o);
    REQUIRE(s.has_value());
    MasterKey const old = s->key();
    REQUIRE(add_integration(*s, aws_integration("one", "secret-one"), stamp_at(1000)));
    CHECK_FALSE(rotate_master_key(*s, std::nullopt, stamp_at(2000), RotationStop::kAfterCommit));
    CHECK(read_key_file(dir.file("master.key")).value() == old);  // not yet renamed
    s = Store::open(o);
    REQUIRE_MESSAGE(s.has_value(), (s ? "" : s.error().detail));
    CHECK_FALSE(s->key() == old);
    CHECK(s->key_version() == 2);
    CHECK(secret_of(*s, "one") == "secret-one");
    CHECK(read_key_file(dir.file("master.key")).value() == s->key());
    CHECK(read_key_file(dir.file("master.key.old")).value() == old);
    CHECK_FALSE(std::filesystem::exists(dir.file("master.key.new")));
  }

  TEST_CASE("a store keyed by PRESIGN_MASTER_KEY rotates only to a key it is given") {
    TempDir dir;
    StoreOptions o;
    o.path = dir.file("p.db");
    o.key.key_text = fixed_key(1).to_text();
    auto s = Store::open(o);
    REQUIRE(s.has_value());
    REQUIRE(add_integration(*s, aws_integration("one", "secret-one"), stamp_at(1000)));
    auto refused = rotate_master_key(*s, std::nullopt, stamp_at(2000));
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.error().detail.find("--new-key-file") != std::string::npos);
    REQUIRE(rotate_master_key(*s, fixed_key(9), stamp_at(2000)));
    o.key.key_text = fixed_key(9).to_text();
    auto again = Store::open(o);
    REQUIRE(again.has_value());
    CHECK(secret_of(*again, "one") == "secret-one");
    CHECK_FALSE(std::filesystem::exists(dir.file("master.key")));
  }
}
