// Azure Blob user delegation SAS (azure_sas.hpp with AzureSasConfig::delegation_key).
//
// External reference: the 10 vectors in
// tests/vectors/azure-sas/azure_sdk_blob_udk_sas_vectors.json, made by Debian's
// azure-storage-blob 12.15.0b1 generate_blob_sas(user_delegation_key=...) with the string to sign
// captured from the SDK's own sign_string() (generator:
// tests/vectors/azure-sas/gen_azure_udk_vectors.py). Each vector is checked stage by stage and
// through AzureSasSigner::sign. The layouts of newer service versions (2025-07-05: skdutid and
// sduoid after scid; 2026-04-06: srh and srq after ses) have no SDK vector here; they follow
// Azurite 3.37.0's verifier (generateBlobSASBlobSASSignatureWithUDK20250705 / 20260406),
// which tests/scripts/azure_udk_azurite.sh checks live.
#include "presign/signers/azure_sas.hpp"

#include "presign/core/time.hpp"
#include "presign/signers/crypto.hpp"

#include "test_support.hpp"

#include <doctest/doctest.h>

#include <map>
#include <string>
#include <vector>

using namespace presign;
using namespace presign::signers::azure;

namespace {

struct UdkVector {
  std::string description, account, container, blob;
  UserDelegationKey key;
  std::map<std::string, std::string> inputs;
  std::string string_to_sign, token;
};

std::vector<UdkVector> load_udk_vectors() {
  static simdjson::dom::parser parser;
  auto doc = parser.load(test::vectors_dir() + "/azure-sas/azure_sdk_blob_udk_sas_vectors.json");
  std::vector<UdkVector> out;
  for (auto v : doc["vectors"].get_array()) {
    UdkVector a;
    a.description = test::str_or_empty(v, "description");
    a.account = test::str_or_empty(v, "account_name");
    a.container = test::str_or_empty(v, "container");
    a.blob = test::str_or_empty(v, "blob");
    simdjson::dom::element k;
    REQUIRE(v["user_delegation_key"].get(k) == simdjson::SUCCESS);
    a.key.signed_oid = test::str_or_empty(k, "signed_oid");
    a.key.signed_tid = test::str_or_empty(k, "signed_tid");
    a.key.signed_start = test::str_or_empty(k, "signed_start");
    a.key.signed_expiry = test::str_or_empty(k, "signed_expiry");
    a.key.signed_service = test::str_or_empty(k, "signed_service");
    a.key.signed_version = test::str_or_empty(k, "signed_version");
    a.key.value = test::str_or_empty(k, "value");
    for (auto field : v["inputs"].get_object()) {
      std::string_view s;
      REQUIRE(field.value.get(s) == simdjson::SUCCESS);
      a.inputs[std::string(field.key)] = std::string(s);
    }
    a.string_to_sign = test::str_or_empty(v, "expected_string_to_sign");
    a.token = test::str_or_empty(v, "expected_sas_token");
    out.push_back(std::move(a));
  }
  return out;
}

std::string input(UdkVector const& v, char const* name) {
  auto it = v.inputs.find(name);
  return it == v.inputs.end() ? std::string() : it->second;
}

// The SDK's keyword arguments → our config; an unmapped input fails the test.
AzureSasConfig udk_config_of(UdkVector const& v) {
  static char const* const kKnown[] = {"permission",
                                       "start",
                                       "expiry",
                                       "ip",
                                       "protocol",
                                       "cache_control",
                                       "content_disposition",
                                       "content_encoding",
                                       "content_language",
                                       "content_type",
                                       "snapshot",
                                       "version_id",
                                       "encryption_scope",
                                       "preauthorized_agent_object_id",
                                       "correlation_id"};
  for (auto const& [k, val] : v.inputs) {
    bool known = false;
    for (auto const* n : kKnown) known = known || k == n;
    std::string const& input = k;  // (clang 14 cannot capture a structured binding)
    REQUIRE_MESSAGE(known, "unmapped vector input " << input);
  }
  AzureSasConfig c;
  c.account = v.account;
  c.container = v.container;
  c.delegation_key = v.key;
  c.permissions = input(v, "permission");
  if (auto s = input(v, "start"); !s.empty()) c.start = parse_rfc3339(s).value();
  if (auto s = input(v, "expiry"); !s.empty()) c.expiry = parse_rfc3339(s).value();
  c.ip = input(v, "ip");
  c.protocol = input(v, "protocol");
  c.version = std::string(kPythonSdkSasVersion);
  c.cache_control = input(v, "cache_control");
  c.content_disposition = input(v, "content_disposition");
  c.content_encoding = input(v, "content_encoding");
  c.content_language = input(v, "content_language");
  c.content_type = input(v, "content_type");
  c.snapshot = input(v, "snapshot");
  c.version_id = input(v, "version_id");
  c.encryption_scope = input(v, "encryption_scope");
  c.authorized_object_id = input(v, "preauthorized_agent_object_id");
  c.correlation_id = input(v, "correlation_id");
  return c;
}

// quote(name, safe='~/'), as BlobClient writes the path (/usr/bin/python3 -c "from
// urllib.parse import quote; print(quote(n, safe='~/'))").
std::string udk_quoted_name(std::string const& blob) {
  if (blob == "dir/hello.txt") return "dir/hello.txt";
  if (blob == "sp ace/\xc3\xa9+plus.txt") return "sp%20ace/%C3%A9%2Bplus.txt";
  if (blob == "a!b'(c)*~.txt") return "a%21b%27%28c%29%2A~.txt";
  FAIL("no quoted form recorded for " << blob);
  return {};
}

std::string sign_one(AzureSasSigner const& s, std::string_view name, SignError& err) {
  AzureSasSigner::Scratch scratch;
  std::string out;
  err = s.sign(ObjectRef{name, {}}, scratch, out);
  return out;
}

AzureSasConfig udk_basic_config() {
  auto const vectors = load_udk_vectors();
  REQUIRE(!vectors.empty());
  return udk_config_of(vectors.front());
}

}  // namespace

TEST_SUITE("signers.azure_udk") {
  TEST_CASE("all 10 SDK user delegation vectors match the string to sign, token and URL") {
    auto const vectors = load_udk_vectors();
    REQUIRE(vectors.size() == 10);
    for (auto const& v : vectors) {
      SUBCASE(v.description.c_str()) {
        AzureSasConfig const cfg = udk_config_of(v);
        auto fields = make_sas_fields(cfg, SasResource::kBlob);
        REQUIRE(fields.has_value());
        std::string const sts =
            string_to_sign(*fields, canonicalized_resource(v.account, v.container, v.blob));
        CHECK(sts == v.string_to_sign);
        std::string key;
        REQUIRE(signers::crypto::base64_decode(v.key.value, key));
        auto const* k = reinterpret_cast<std::uint8_t const*>(key.data());
        CHECK(sas_token(*fields, sas_signature({k, key.size()}, sts)) == v.token);
        auto signer = AzureSasSigner::create(cfg);
        REQUIRE(signer.has_value());
        CHECK(signer->string_to_sign(v.blob) == v.string_to_sign);
        CHECK(signer->sas_token(v.blob) == v.token);
        std::string const snap = input(v, "snapshot");
        std::string const ver = input(v, "version_id");
        std::string const expected =
            "https://devstoreaccount1.blob.core.windows.net/test-container/" +
            udk_quoted_name(v.blob) + "?" + (snap.empty() ? "" : "snapshot=" + snap + "&") +
            (ver.empty() ? "" : "versionid=" + ver + "&") + v.token;
        SignError err = SignError::kCryptoFailed;
        CHECK(sign_one(*signer, v.blob, err) == expected);
        CHECK(err == SignError::kOk);
      }
    }
  }

  TEST_CASE("sv 2025-07-05 adds two empty lines after scid and sv 2026-04-06 two after ses") {
    AzureSasConfig cfg = udk_basic_config();
    auto lines = [&](std::string const& sv) {
      cfg.version = sv;
      auto f = make_sas_fields(cfg, SasResource::kBlob);
      REQUIRE(f.has_value());
      std::string const sts = string_to_sign(*f, "/blob/devstoreaccount1/test-container/x");
      std::vector<std::string> out;
      std::size_t at = 0;
      for (;;) {
        auto nl = sts.find('\n', at);
        out.push_back(sts.substr(at, nl == std::string::npos ? nl : nl - at));
        if (nl == std::string::npos) break;
        at = nl + 1;
      }
      return out;
    };
    auto const v2021 = lines("2021-12-02");
    auto const v2025 = lines("2025-07-05");
    auto const v2026 = lines("2026-06-06");
    CHECK(v2021.size() == 24);
    CHECK(v2025.size() == 26);
    CHECK(v2026.size() == 28);
    // Field 10 is skv, 13 scid; then sip at 14 (2021) or 16 (2025-07-05 and later).
    CHECK(v2025[9] == "2021-12-02");
    CHECK(v2025[13] == "");
    CHECK(v2025[14] == "");
    CHECK(v2025[17] == "2025-07-05");
    CHECK(v2025[18] == "b");
    // 2026: after sr (18), snapshot (19), ses (20), then srh and srq (21, 22), then rscc...
    CHECK(v2026[17] == "2026-06-06");
    CHECK(v2026[21] == "");
    CHECK(v2026[22] == "");
  }

  TEST_CASE("a user delegation SAS refuses a stored policy and a key without its fields") {
    AzureSasConfig cfg = udk_basic_config();
    cfg.policy_id = "policy-1";
    auto r = AzureSasSigner::create(cfg);
    REQUIRE(!r.has_value());
    CHECK(r.error().detail.find("stored access policy") != std::string::npos);

    cfg = udk_basic_config();
    cfg.delegation_key->signed_oid.clear();
    r = AzureSasSigner::create(cfg);
    REQUIRE(!r.has_value());
    CHECK(r.error().detail.find("SignedOid") != std::string::npos);

    cfg = udk_basic_config();
    cfg.delegation_key->value = "not base64!";
    r = AzureSasSigner::create(cfg);
    REQUIRE(!r.has_value());
    CHECK(r.error().kind == ErrorKind::kConfig);
    CHECK(r.error().detail.find("not base64!") == std::string::npos);

    cfg = udk_basic_config();
    cfg.delegation_key.reset();
    cfg.account_key =
        "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
    cfg.correlation_id = "x";
    CHECK(!AzureSasSigner::create(cfg).has_value());
  }

  TEST_CASE("user delegation signing allocates nothing once the output string has grown") {
    auto signer = AzureSasSigner::create(udk_basic_config());
    REQUIRE(signer.has_value());
    AzureSasSigner::Scratch scratch;
    std::string out;
    out.reserve(8192);
    char const* const data = out.data();
    for (int i = 0; i < 100; ++i) {
      out.clear();
      REQUIRE(signer->sign(ObjectRef{"dir/file-" + std::to_string(i % 10), {}}, scratch, out) ==
              SignError::kOk);
    }
    CHECK(out.data() == data);  // the buffer was never reallocated
    CHECK(out.find("&skoid=11111111-2222-3333-4444-555555555555&") != std::string::npos);
  }
}
