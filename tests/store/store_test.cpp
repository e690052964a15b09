// The store file (schema versions and migrations), users, API keys and their verification,
// integrations and the audit log.
#include "presign/store/api_key_format.hpp"
#include "presign/store/api_keys.hpp"
#include "presign/store/integrations.hpp"
#include "presign/store/migrations.hpp"
#include "presign/store/records.hpp"
#include "store_test_support.hpp"

#include <doctest/doctest.h>

using namespace presign::store;
using namespace presign::store::test;
using presign::ErrorKind;

namespace {

std::string make_key(Store& s, std::string name, std::string email, std::int64_t at,
                     std::int64_t validity = 3600) {
  auto k = create_api_key(s, NewApiKey{std::move(name), std::move(email), Role::kSigner, validity},
                          stamp_at(at));
  REQUIRE_MESSAGE(k.has_value(), (k ? "" : k.error().detail));
  return k->key;
}

KeyVerdict verdict(Store& s, std::string const& key, std::int64_t at) {
  auto v = verify_api_key(s, key, from_unix(at));
  REQUIRE(v.has_value());
  return v->verdict;
}

std::optional<std::int64_t> last_used(Store& s, char const* name) {
  auto keys = list_api_keys(s);
  REQUIRE(keys.has_value());
  for (auto const& k : *keys) {
    if (k.name == name) {
      if (!k.last_used_at) return std::nullopt;
      return to_unix(*k.last_used_at);
    }
  }
  FAIL("no key " << name);
  return std::nullopt;
}

}  // namespace

TEST_SUITE("store.file") {
  TEST_CASE("a version 1 file is migrated to the current version with its data kept") {
    TempDir dir;
    std::string const path = dir.file("v1.db");
    {
      auto db = Db::open(path, true);
      REQUIRE(db.has_value());
      REQUIRE(migrations().front().version == 1);
      REQUIRE(db->exec(migrations().front().sql));
      REQUIRE(db->exec("PRAGMA user_version = 1"));
      REQUIRE(
          db->exec("INSERT INTO users(email, disabled, created_at) VALUES "
                   "('old@example.com', 0, 100)"));
      REQUIRE(
          db->exec("INSERT INTO audit(at, actor, action, target) VALUES "
                   "(100, 'root', 'user.add', 'old@example.com')"));
    }
    Store s = open_with_key(path, fixed_key(1));
    CHECK(s.db().query_int("PRAGMA user_version").value() == current_schema_version());
    CHECK(current_schema_version() >= 2);
    auto user = find_user(s, "old@example.com");
    REQUIRE(user.has_value());
    CHECK(to_unix(user->created_at) == 100);
    CHECK(list_audit(s, std::nullopt).value().size() == 1);
    // The tables of later versions exist and work.
    NewIntegration n;
    n.name = "after-migration";
    n.provider = "gcp";
    n.bucket = "b";
    n.credential = Credential{"gcp-impersonate", {{"service_account", "sa@p.iam"}}, {}};
    CHECK(add_integration(s, n, stamp_at(200)).has_value());
    // And a user of v1 can get a key.
    std::string const key = make_key(s, "k1", "old@example.com", 300);
    CHECK(verdict(s, key, 301) == KeyVerdict::kValid);
  }

  TEST_CASE("each migration starts from the version before it") {
    int expected = 1;
    for (Migration const& m : migrations()) CHECK(m.version == expected++);
  }

  TEST_CASE("a file of a newer schema version is refused and left as it was") {
    TempDir dir;
    std::string const path = dir.file("new.db");
    {
      auto db = Db::open(path, true);
      REQUIRE(db.has_value());
      REQUIRE(db->exec("PRAGMA user_version = 99"));
    }
    StoreOptions o;
    o.path = path;
    o.key.key = fixed_key(1);
    auto s = Store::open(o);
    REQUIRE_FALSE(s.has_value());
    CHECK(s.error().kind == ErrorKind::kConfig);
    CHECK(s.error().detail.find("schema version 99") != std::string::npos);
    CHECK(s.error().detail.find("newer presign") != std::string::npos);
    auto db = Db::open(path, false);
    CHECK(db->query_int("PRAGMA user_version").value() == 99);
    CHECK(db->query_int("SELECT count(*) FROM sqlite_schema").value() == 0);
  }

  TEST_CASE("the store is opened in WAL mode with foreign keys on") {
    TempDir dir;
    Store s = open_with_key(dir.file("p.db"), fixed_key(1));
    CHECK(s.db().query_int("PRAGMA foreign_keys").value() == 1);
    CHECK(s.db().query_int("PRAGMA busy_timeout").value() == 5000);
    auto mode = s.db().prepare("PRAGMA journal_mode");
    REQUIRE(mode.has_value());
    REQUIRE(mode->step().value());
    CHECK(mode->column_text(0) == "wal");
  }

  TEST_CASE("the store path follows --store, PRESIGN_STORE, XDG_DATA_HOME, then HOME") {
    CHECK(resolve_store_path(std::string("/a.db"), "/b.db", "/x", "/h").value() == "/a.db");
    CHECK(resolve_store_path(std::nullopt, "/b.db", "/x", "/h").value() == "/b.db");
    CHECK(resolve_store_path(std::nullopt, "", "/x", "/h").value() == "/x/presign/presign.db");
    CHECK(resolve_store_path(std::nullopt, nullptr, nullptr, "/h").value() ==
          "/h/.local/share/presign/presign.db");
    CHECK_FALSE(resolve_store_path(std::nullopt, nullptr, "", nullptr).has_value());
  }
}

TEST_SUITE("store.users") {
  TEST_CASE("e-mails are checked loosely") {
    CHECK(validate_email("a@b"));
    CHECK(validate_email("first.last+tag@example.co.uk"));
    CHECK_FALSE(validate_email("no-at-sign"));
    CHECK_FALSE(validate_email("two@@example.com"));
    CHECK_FALSE(validate_email("a@b@c"));
    CHECK_FALSE(validate_email("@example.com"));
    CHECK_FALSE(validate_email("user@"));
    CHECK_FALSE(validate_email("sp ace@example.com"));
    CHECK_FALSE(validate_email("tab\t@example.com"));
    CHECK(validate_email(std::string(240, 'a') + "@example.com"));        // 252 bytes
    CHECK_FALSE(validate_email(std::string(243, 'a') + "@example.com"));  // 255 bytes
  }

  TEST_CASE("a user is added once and can be disabled and enabled") {
    TempDir dir;
    Store s = open_with_key(dir.file("p.db"), fixed_key(1));
    REQUIRE(add_user(s, "ann@example.com", stamp_at(10)));
    auto dup = add_user(s, "ANN@example.com", stamp_at(11));
    REQUIRE_FALSE(dup.has_value());
    CHECK(dup.error().detail.find("already exists") != std::string::npos);
    REQUIRE(set_user_disabled(s, "ann@example.com", true, stamp_at(12)));
    CHECK(find_user(s, "ann@example.com")->disabled);
    REQUIRE(set_user_disabled(s, "ann@example.com", false, stamp_at(13)));
    CHECK_FALSE(find_user(s, "ann@example.com")->disabled);
    CHECK(set_user_disabled(s, "nobody@example.com", true, stamp_at(14)).error().kind ==
          ErrorKind::kNotFound);
    auto log = list_audit(s, std::nullopt).value();
    REQUIRE(log.size() == 3);
    CHECK(log[0].action == "user.add");
    CHECK(log[1].action == "user.disable");
    CHECK(log[2].action == "user.enable");
    CHECK(log[2].actor == "tester");
    CHECK(list_audit(s, from_unix(12)).value().size() == 2);
  }
}

TEST_SUITE("store.api_keys") {
  TEST_CASE("a key verifies until it expires, its user is disabled or it is deleted") {
    TempDir dir;
    Store s = open_with_key(dir.file("p.db"), fixed_key(1));
    REQUIRE(add_user(s, "ann@example.com", stamp_at(1000)));
    std::string const key = make_key(s, "ci", "ann@example.com", 1000, 120);
    auto v = verify_api_key(s, key, from_unix(1001));
    REQUIRE(v.has_value());
    CHECK(v->verdict == KeyVerdict::kValid);
    CHECK(v->key->user_email == "ann@example.com");
    CHECK(v->key->name == "ci");
    CHECK(v->key->role == Role::kSigner);
    CHECK(to_unix(v->key->expires_at) == 1120);
    CHECK(verdict(s, key, 1119) == KeyVerdict::kValid);
    CHECK(verdict(s, key, 1120) == KeyVerdict::kExpired);
    REQUIRE(set_user_disabled(s, "ann@example.com", true, stamp_at(1002)));
    CHECK(verdict(s, key, 1003) == KeyVerdict::kUserDisabled);
    REQUIRE(set_user_disabled(s, "ann@example.com", false, stamp_at(1004)));
    CHECK(verdict(s, key, 1005) == KeyVerdict::kValid);
    REQUIRE(delete_api_key(s, "ci", stamp_at(1006)));
    CHECK(verdict(s, key, 1007) == KeyVerdict::kUnknown);
  }

  TEST_CASE("malformed and mistyped keys are answered without a lookup") {
    TempDir dir;
    Store s = open_with_key(dir.file("p.db"), fixed_key(1));
    REQUIRE(add_user(s, "ann@example.com", stamp_at(1000)));
    std::string key = make_key(s, "ci", "ann@example.com", 1000);
    CHECK(verdict(s, "hello", 1001) == KeyVerdict::kMalformed);
    key[10] = key[10] == 'x' ? 'y' : 'x';
    CHECK(verdict(s, key, 1001) == KeyVerdict::kBadChecksum);
    auto fresh = generate_api_key();  // well-formed, never stored
    CHECK(verdict(s, *fresh, 1001) == KeyVerdict::kUnknown);
  }

  TEST_CASE("the store keeps only the key's hash") {
    TempDir dir;
    Store s = open_with_key(dir.file("p.db"), fixed_key(1));
    REQUIRE(add_user(s, "ann@example.com", stamp_at(1000)));
    std::string const key = make_key(s, "ci", "ann@example.com", 1000);
    auto stmt = s.db().prepare("SELECT count(*) FROM api_keys WHERE key_hash = ?1 OR name = ?1");
    REQUIRE(stmt.has_value());
    REQUIRE(stmt->bind(1, key).step().value());
    CHECK(stmt->column_int(0) == 0);
    auto all = s.db().prepare("SELECT quote(key_hash) || name || role FROM api_keys");
    REQUIRE(all->step().value());
    CHECK(all->column_text(0).find(key.substr(4, 16)) == std::string::npos);
  }

  TEST_CASE("last use is written at most once a minute per key") {
    TempDir dir;
    Store s = open_with_key(dir.file("p.db"), fixed_key(1));
    REQUIRE(add_user(s, "ann@example.com", stamp_at(1000)));
    std::string const key = make_key(s, "ci", "ann@example.com", 1000);
    CHECK_FALSE(last_used(s, "ci").has_value());
    CHECK(verdict(s, key, 1100) == KeyVerdict::kValid);
    CHECK(last_used(s, "ci") == 1100);
    CHECK(verdict(s, key, 1130) == KeyVerdict::kValid);
    CHECK(last_used(s, "ci") == 1100);  // within the minute: not written
    CHECK(verdict(s, key, 1160) == KeyVerdict::kValid);
    CHECK(last_used(s, "ci") == 1100);  // exactly 60 s: still coalesced
    CHECK(verdict(s, key, 1161) == KeyVerdict::kValid);
    CHECK(last_used(s, "ci") == 1161);
    CHECK(verdict(s, "psk_" + std::string(38, '0'), 1300) != KeyVerdict::kValid);
    CHECK(last_used(s, "ci") == 1161);
  }

  TEST_CASE("key names are unique and validated, and keys need an enabled user") {
    TempDir dir;
    Store s = open_with_key(dir.file("p.db"), fixed_key(1));
    REQUIRE(add_user(s, "ann@example.com", stamp_at(1000)));
    make_key(s, "ci", "ann@example.com", 1000);
    auto dup =
        create_api_key(s, NewApiKey{"ci", "ann@example.com", Role::kAdmin, 3600}, stamp_at(1001));
    CHECK(dup.error().detail.find("exists") != std::string::npos);
    CHECK_FALSE(create_api_key(s, NewApiKey{"bad name", "ann@example.com", Role::kAdmin, 3600},
                               stamp_at(1001)));
    CHECK(create_api_key(s, NewApiKey{"k2", "bob@example.com", Role::kAdmin, 3600}, stamp_at(1001))
              .error()
              .kind == ErrorKind::kNotFound);
    CHECK_FALSE(
        create_api_key(s, NewApiKey{"k3", "ann@example.com", Role::kAdmin, 59}, stamp_at(1001)));
    REQUIRE(set_user_disabled(s, "ann@example.com", true, stamp_at(1002)));
    CHECK_FALSE(
        create_api_key(s, NewApiKey{"k4", "ann@example.com", Role::kAdmin, 3600}, stamp_at(1003)));
    CHECK(list_api_keys(s).value().size() == 1);
  }
}

TEST_SUITE("store.integrations") {
  TEST_CASE(
      "an integration's provider and bucket cannot be updated; its name and credentials can") {
    TempDir dir;
    Store s = open_with_key(dir.file("p.db"), fixed_key(1));
    NewIntegration n;
    n.name = "prod";
    n.provider = "azure";
    n.bucket = "container";
    n.credential =
        Credential{"azure-account-key", {{"account_name", "acct"}}, {{"account_key", "k1"}}};
    REQUIRE(add_integration(s, n, stamp_at(10)));
    IntegrationUpdate bad;
    bad.bucket = "other";
    auto r = update_integration(s, "prod", bad, stamp_at(11));
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().kind == ErrorKind::kUsage);
    CHECK(r.error().detail.find("create a new integration") != std::string::npos);
    bad = IntegrationUpdate{};
    bad.provider = "aws";
    CHECK(update_integration(s, "prod", bad, stamp_at(11)).error().detail.find("provider") !=
          std::string::npos);
    IntegrationUpdate ok;
    ok.rename = "production";
    ok.credential = Credential{"azure-connection-string", {}, {{"connection_string", "cs"}}};
    auto u = update_integration(s, "prod", ok, stamp_at(12));
    REQUIRE_MESSAGE(u.has_value(), (u ? "" : u.error().detail));
    CHECK(u->name == "production");
    CHECK(u->credential_kind == "azure-connection-string");
    CHECK(to_unix(u->updated_at) == 12);
    CHECK(get_integration_secret(s, "production").value().secret.at(0).second == "cs");
    CHECK(get_integration(s, "prod").error().kind == ErrorKind::kNotFound);
    REQUIRE(
        set_integration_status(s, "production", "failing", "403 from the bucket", from_unix(13)));
    CHECK(get_integration(s, "production")->status == "failing");
    REQUIRE(stamp_integration_used(s, "production", from_unix(14)));
    CHECK(to_unix(*get_integration(s, "production")->last_used_at) == 14);
    REQUIRE(delete_integration(s, "production", stamp_at(15)));
    CHECK(list_integrations(s).value().empty());
    auto log = list_audit(s, std::nullopt).value();
    REQUIRE(log.size() == 3);
    CHECK(log[1].action == "integration.update");
    CHECK(log[1].target.find("cs") == std::string::npos);
  }

  TEST_CASE(
      "credential kinds must fit the provider and carry a secret exactly when they have one") {
    CHECK(validate_credential("aws", Credential{"aws-role", {{"role_arn", "arn"}}, {}}));
    CHECK_FALSE(validate_credential("gcp", Credential{"aws-role", {{"role_arn", "arn"}}, {}}));
    CHECK_FALSE(validate_credential("aws", Credential{"aws-access-key", {}, {}}));
    CHECK_FALSE(validate_credential("aws", Credential{"aws-role", {}, {{"x", "y"}}}));
    CHECK_FALSE(validate_credential("aws", Credential{"password", {}, {{"x", "y"}}}));
  }

  TEST_CASE("fields survive encoding, and damaged bytes are refused") {
    Fields const f{{"a", ""}, {"key_file", std::string("{\"x\":\n\0}", 8)}};
    Fields back;
    REQUIRE(decode_fields(encode_fields(f), back));
    CHECK(back == f);
    std::string const bytes = encode_fields(f);
    CHECK_FALSE(decode_fields(bytes.substr(0, bytes.size() - 1), back));
    CHECK_FALSE(decode_fields("\xff\xff\xff\xff", back));
  }
}
