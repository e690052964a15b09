#include "presign/store/api_key_format.hpp"
#include "store_test_support.hpp"

#include <doctest/doctest.h>

#include <set>
#include <string>

using namespace presign::store;

TEST_SUITE("store.api_key_format") {
  TEST_CASE("a generated key has the prefix, 42 base62 characters and a matching checksum") {
    std::set<std::string> seen;
    for (int i = 0; i < 200; ++i) {
      auto key = generate_api_key();
      REQUIRE(key.has_value());
      CHECK(key->size() == 42);
      CHECK(key->starts_with("psk_"));
      for (char c : key->substr(4)) {
        CHECK(((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')));
      }
      CHECK(key->substr(36) == base62_checksum(crc32(key->substr(4, 32))));
      CHECK(check_api_key_format(*key) == KeyFormat::kOk);
      seen.insert(*key);
    }
    CHECK(seen.size() == 200);
  }

  TEST_CASE("crc32 is zlib's") {
    CHECK(crc32("123456789") == 0xCBF43926U);
    CHECK(crc32("") == 0U);
    CHECK(base62_checksum(0) == "000000");
    CHECK(base62_checksum(0xFFFFFFFFU) == "4gfFC3");  // 4294967295 in base62
  }

  TEST_CASE("a key with one character changed is rejected by its checksum") {
    auto key = generate_api_key();
    REQUIRE(key.has_value());
    for (std::size_t pos = 4; pos < key->size(); ++pos) {
      std::string typo = *key;
      typo[pos] = typo[pos] == 'a' ? 'b' : 'a';
      CAPTURE(pos);
      CHECK(check_api_key_format(typo) == KeyFormat::kBadChecksum);
    }
    std::string swapped = *key;
    std::swap(swapped[10], swapped[11]);
    if (swapped != *key) CHECK(check_api_key_format(swapped) == KeyFormat::kBadChecksum);
  }

  TEST_CASE("keys of the wrong prefix, length or alphabet are malformed") {
    auto key = generate_api_key();
    REQUIRE(key.has_value());
    CHECK(check_api_key_format("") == KeyFormat::kMalformed);
    CHECK(check_api_key_format("psk_") == KeyFormat::kMalformed);
    CHECK(check_api_key_format("ghp_" + key->substr(4)) == KeyFormat::kMalformed);
    CHECK(check_api_key_format(*key + "0") == KeyFormat::kMalformed);
    CHECK(check_api_key_format(key->substr(0, 41)) == KeyFormat::kMalformed);
    std::string dash = *key;
    dash[20] = '-';
    CHECK(check_api_key_format(dash) == KeyFormat::kMalformed);
    CHECK(check_api_key_format(*key + "\n") == KeyFormat::kMalformed);
  }

  TEST_CASE("validity is from one minute to twenty-five weeks inclusive") {
    CHECK_FALSE(validity_seconds(59, ValidityUnit::kSecond).has_value());
    CHECK(validity_seconds(60, ValidityUnit::kSecond).value() == 60);
    CHECK(validity_seconds(1, ValidityUnit::kMinute).value() == 60);
    CHECK(validity_seconds(25, ValidityUnit::kWeek).value() == 15'120'000);
    CHECK(validity_seconds(15'120'000, ValidityUnit::kSecond).value() == 15'120'000);
    CHECK_FALSE(validity_seconds(15'120'001, ValidityUnit::kSecond).has_value());
    CHECK_FALSE(validity_seconds(26, ValidityUnit::kWeek).has_value());
    CHECK(validity_seconds(175, ValidityUnit::kDay).value() == 15'120'000);
    CHECK_FALSE(validity_seconds(0, ValidityUnit::kHour).has_value());
    CHECK_FALSE(validity_seconds(-5, ValidityUnit::kDay).has_value());
    // value × unit would overflow int64: refused, not wrapped into range.
    CHECK_FALSE(validity_seconds(INT64_MAX / 2, ValidityUnit::kWeek).has_value());
    CHECK_FALSE(validity_seconds(15'250'000'000'000'000LL, ValidityUnit::kWeek).has_value());
    auto e = validity_seconds(59, ValidityUnit::kSecond);
    CHECK(e.error().detail.find("1 minute to 25 weeks") != std::string::npos);
  }

  TEST_CASE("validity units are parsed by name") {
    CHECK(parse_validity_unit("week") == ValidityUnit::kWeek);
    CHECK(parse_validity_unit("second") == ValidityUnit::kSecond);
    CHECK_FALSE(parse_validity_unit("weeks").has_value());
    CHECK_FALSE(parse_validity_unit("").has_value());
  }
}
