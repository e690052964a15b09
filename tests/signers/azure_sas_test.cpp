// Azure Blob service SAS (azure_sas.hpp) and the az:// runner (providers/azure/provider.cpp).
//
// External reference: the 14 vectors in tests/vectors/azure-sas/azure_sdk_blob_sas_vectors.json,
// made by Debian's azure-storage-blob 12.15.0b1 generate_blob_sas / generate_container_sas
// with the string to sign captured from the SDK's own sign_string() (generator script in
// tests/vectors/azure-sas/PROVENANCE.md, "Generator"). Each vector is checked stage by stage
// (string to sign, token), through AzureSasSigner::sign, and through the presign program.
// Other expected values are written out with how they were produced.
#include "presign/signers/azure_sas.hpp"

#include "presign/core/time.hpp"
#include "presign/signers/crypto.hpp"
#include "presign/signers/uri.hpp"

#include "test_support.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <unistd.h>

using namespace presign;
using namespace presign::signers::azure;

namespace {

constexpr char const* kAccount = "devstoreaccount1";
// Azurite's published well-known key for devstoreaccount1 (not a secret).
constexpr char const* kKey =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
constexpr char const* kAzurite = "http://127.0.0.1:10000/devstoreaccount1";

struct AzVector {
  std::string description, kind, account, key, container, blob;
  std::map<std::string, std::string> inputs;
  std::string string_to_sign, token;
};

std::vector<AzVector> load_vectors() {
  static simdjson::dom::parser parser;
  auto doc = parser.load(test::vectors_dir() + "/azure-sas/azure_sdk_blob_sas_vectors.json");
  std::vector<AzVector> out;
  for (auto v : doc["vectors"].get_array()) {
    AzVector a;
    a.description = test::str_or_empty(v, "description");
    a.kind = test::str_or_empty(v, "kind");
    a.account = test::str_or_empty(v, "account_name");
    a.key = test::str_or_empty(v, "account_key");
    a.container = test::str_or_empty(v, "container");
    a.blob = test::str_or_empty(v, "blob");
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

std::string input(AzVector const& v, char const* name) {
  auto it = v.inputs.find(name);
  return it == v.inputs.end() ? std::string() : it->second;
}

// The SDK's keyword arguments → our config. Every input key the generator used is mapped;
// an unknown one fails the test instead of being ignored.
AzureSasConfig config_of(AzVector const& v) {
  for (auto const& [k, val] : v.inputs) {
    static const char* const kKnown[] = {"permission",
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
                                         "policy_id"};
    bool known = false;
    for (auto const* n : kKnown) known = known || k == n;
    std::string const& input = k;  // (clang 14 cannot capture a structured binding)
    REQUIRE_MESSAGE(known, "unmapped vector input " << input);
  }
  AzureSasConfig c;
  c.account = v.account;
  c.account_key = v.key;
  c.container = v.container;
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
  c.policy_id = input(v, "policy_id");
  return c;
}

// quote(name, safe='~/') as Python's BlobClient writes the path; the three names of the
// vectors, computed with /usr/bin/python3 -c "from urllib.parse import quote; print(quote(n,
// safe='~/'))".
std::string quoted_name(std::string const& blob) {
  if (blob == "dir/hello.txt") return "dir/hello.txt";
  if (blob == "sp ace/\xc3\xa9+plus.txt") return "sp%20ace/%C3%A9%2Bplus.txt";
  if (blob == "a!b'(c)*~.txt") return "a%21b%27%28c%29%2A~.txt";
  FAIL("no quoted form recorded for " << blob);
  return {};
}

AzureSasConfig basic_config() {
  AzureSasConfig c;
  c.account = kAccount;
  c.account_key = kKey;
  c.container = "test-container";
  c.start = parse_rfc3339("2024-01-01T00:00:00Z").value();
  c.expiry = parse_rfc3339("2099-01-01T00:00:00Z").value();
  return c;
}

std::string sign_one(AzureSasSigner const& s, std::string_view name, SignError* err = nullptr) {
  AzureSasSigner::Scratch scratch;
  std::string out;
  SignError const e = s.sign(ObjectRef{name, {}}, scratch, out);
  if (err) *err = e;
  return out;
}

std::string run_presign(std::string const& env, std::string const& keys, std::string const& args,
                        int& rc, std::string* err = nullptr) {
  static int n = 0;
  std::string const errfile =
      "/tmp/presign-azure-test-" + std::to_string(::getpid()) + "-" + std::to_string(++n) + ".err";
  std::string cmd = "printf '%s\\n' " + test::sh_quote(keys) + " | env -i HOME=/nonexistent " +
                    env + " " + test::presign_binary() + " sign " + args + " 2>" + errfile;
  std::string out = test::run(cmd, rc);
  if (err) *err = test::read_file(errfile);
  std::remove(errfile.c_str());
  return out;
}

}  // namespace

TEST_SUITE("signers.azure") {
  TEST_CASE("all 14 SDK vectors match the string to sign and the token byte for byte") {
    auto const vectors = load_vectors();
    REQUIRE(vectors.size() == 14);
    int blobs = 0;
    int containers = 0;
    for (auto const& v : vectors) {
      SUBCASE(v.description.c_str()) {
        AzureSasConfig const cfg = config_of(v);
        if (v.kind == "container") {
          ++containers;
          CHECK(container_string_to_sign(cfg).value() == v.string_to_sign);
          CHECK(container_sas_token(cfg).value() == v.token);
        } else {
          REQUIRE(v.kind == "blob");
          ++blobs;
          // Stage by stage through the free functions...
          auto fields = make_sas_fields(cfg, SasResource::kBlob);
          REQUIRE(fields.has_value());
          std::string const sts =
              string_to_sign(*fields, canonicalized_resource(v.account, v.container, v.blob));
          CHECK(sts == v.string_to_sign);
          std::string key;
          REQUIRE(signers::crypto::base64_decode(v.key, key));
          auto const* k = reinterpret_cast<std::uint8_t const*>(key.data());
          CHECK(sas_token(*fields, sas_signature({k, key.size()}, sts)) == v.token);
          // ...through the batch signer's stages...
          auto signer = AzureSasSigner::create(cfg);
          REQUIRE(signer.has_value());
          CHECK(signer->string_to_sign(v.blob) == v.string_to_sign);
          CHECK(signer->sas_token(v.blob) == v.token);
          // ...and through the hot path: the URL BlobClient(...).url would print.
          std::string const snap = input(v, "snapshot");
          std::string const ver = input(v, "version_id");
          std::string const expected =
              "https://devstoreaccount1.blob.core.windows.net/test-container/" +
              quoted_name(v.blob) + "?" + (snap.empty() ? "" : "snapshot=" + snap + "&") +
              (ver.empty() ? "" : "versionid=" + ver + "&") + v.token;
          SignError err = SignError::kCryptoFailed;
          CHECK(sign_one(*signer, v.blob, &err) == expected);
          CHECK(err == SignError::kOk);
        }
      }
    }
    (void)blobs;
    (void)containers;
  }

  TEST_CASE(
      "the presign program prints the SDK token for every vector the command line can express") {
    // Vectors with a stored policy or an encryption scope have no command-line option (they
    // are library-only); the container SAS is not a blob URL.
    int checked = 0;
    for (auto const& v : load_vectors()) {
      if (v.kind != "blob" || !input(v, "policy_id").empty() ||
          !input(v, "encryption_scope").empty()) {
        continue;
      }
      SUBCASE(v.description.c_str()) {
        auto const expiry = parse_rfc3339(input(v, "expiry")).value();
        auto const signing = parse_rfc3339("2024-01-01T00:00:00Z").value();
        std::string args =
            "az://devstoreaccount1/test-container --keys-from - --format urls "
            "--endpoint " +
            std::string(kAzurite) +
            " --sas-version 2021-12-02 --signing-time 2024-01-01T00:00:00Z"
            " --expires " +
            std::to_string((expiry - signing).count()) + " --permissions " + input(v, "permission");
        if (auto s = input(v, "start"); !s.empty()) args += " --start " + s;
        if (auto s = input(v, "ip"); !s.empty()) args += " --ip " + s;
        if (input(v, "protocol") == "https") args += " --https-only";
        for (auto const& [in, flag] : std::initializer_list<std::pair<char const*, char const*>>{
                 {"cache_control", "--response-cache-control"},
                 {"content_disposition", "--response-content-disposition"},
                 {"content_encoding", "--response-content-encoding"},
                 {"content_language", "--response-content-language"},
                 {"content_type", "--response-content-type"},
                 {"snapshot", "--snapshot"},
                 {"version_id", "--version-id"}}) {
          if (auto s = input(v, in); !s.empty())
            args += std::string(" ") + flag + " " + test::sh_quote(s);
        }
        std::string token = v.token;
        if (input(v, "protocol") == "https,http") {
          // The program has no way to ask for spr=https,http (it is the service default
          // when spr is absent); that case is covered by the library above.
          return;
        }
        std::string const snap = input(v, "snapshot");
        std::string const ver = input(v, "version_id");
        std::string const expected = std::string(kAzurite) + "/test-container/" +
                                     quoted_name(v.blob) + "?" +
                                     (snap.empty() ? "" : "snapshot=" + snap + "&") +
                                     (ver.empty() ? "" : "versionid=" + ver + "&") + token + "\n";
        int rc = -1;
        std::string err;
        std::string const out = run_presign(
            "AZURE_STORAGE_ACCOUNT=devstoreaccount1 AZURE_STORAGE_KEY=" + std::string(kKey), v.blob,
            args, rc, &err);
        CHECK_MESSAGE(rc == 0, err);
        CHECK(out == expected);
        ++checked;
      }
    }
    (void)checked;
  }

  TEST_CASE("sip accepts an address or a range or a CIDR block and writes CIDR as its range") {
    CHECK(normalize_ip_range("").value().empty());
    CHECK(normalize_ip_range("168.1.5.65").value() == "168.1.5.65");
    CHECK(normalize_ip_range("168.1.5.60-168.1.5.70").value() == "168.1.5.60-168.1.5.70");
    CHECK(normalize_ip_range("10.0.0.0/24").value() == "10.0.0.0-10.0.0.255");
    CHECK(normalize_ip_range("10.1.2.3/8").value() ==
          "10.0.0.0-10.255.255.255");  // host bits dropped
    CHECK(normalize_ip_range("192.168.0.0/16").value() == "192.168.0.0-192.168.255.255");
    CHECK(normalize_ip_range("203.0.113.7/32").value() == "203.0.113.7");
    CHECK(normalize_ip_range("203.0.113.6/31").value() == "203.0.113.6-203.0.113.7");
    CHECK(normalize_ip_range("0.0.0.0/0").value() == "0.0.0.0-255.255.255.255");
    CHECK(normalize_ip_range("1.2.3.4-1.2.3.4").value() == "1.2.3.4-1.2.3.4");
    for (char const* bad :
         {"::1", "2001:db8::/32", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.4/33",
          "1.2.3.4/", "1.2.3.4/08", "1.2.3.4-1.2.3.3", " 1.2.3.4", "1.2.3.4 ", "a.b.c.d",
          "1.2.3.4-", "-1.2.3.4", "0.0.0.0", "0.0.0.0/32", "1.2.3.4/24/8", "1..3.4"}) {
      CAPTURE(bad);
      auto r = normalize_ip_range(bad);
      REQUIRE_FALSE(r.has_value());
      CHECK(r.error().kind == ErrorKind::kUsage);
      CHECK(r.error().detail.find("--ip") != std::string::npos);
    }
    CHECK(normalize_ip_range("::1").error().detail.find("IPv6") != std::string::npos);
  }

  TEST_CASE(
      "permissions are written in the service's order and unknown or repeated letters are "
      "refused") {
    auto c = basic_config();
    c.permissions = "wr";
    CHECK(make_sas_fields(c, SasResource::kBlob).value().permissions == "rw");
    c.permissions = "iemtyxdwcar";
    CHECK(make_sas_fields(c, SasResource::kBlob).value().permissions == "racwdxytmei");
    c.permissions = "lr";
    CHECK_FALSE(make_sas_fields(c, SasResource::kBlob).has_value());  // list: containers only
    CHECK(make_sas_fields(c, SasResource::kContainer).value().permissions == "rl");
    c.permissions = "rr";
    CHECK_FALSE(make_sas_fields(c, SasResource::kBlob).has_value());
    c.permissions = "R";
    CHECK_FALSE(make_sas_fields(c, SasResource::kBlob).has_value());
    c.permissions = "";
    CHECK_FALSE(make_sas_fields(c, SasResource::kBlob).has_value());  // needs si
    c.policy_id = "policy-1";
    CHECK(make_sas_fields(c, SasResource::kBlob).has_value());
  }

  TEST_CASE("only service versions with the 16-field layout are accepted and 2021-12-02 is one") {
    CHECK(is_supported_sas_version("2021-12-02"));
    CHECK(is_supported_sas_version("2020-12-06"));
    CHECK(is_supported_sas_version(kDefaultSasVersion));
    CHECK(is_supported_sas_version("2026-10-06"));
    for (char const* v : {"2020-10-02", "2019-02-02", "2015-04-05", "2021-12-03", "2099-01-01", "",
                          "latest", "2021-12-02 "}) {
      CAPTURE(v);
      CHECK_FALSE(is_supported_sas_version(v));
      auto c = basic_config();
      c.version = v;
      auto s = AzureSasSigner::create(c);
      REQUIRE_FALSE(s.has_value());
      CHECK(s.error().kind == ErrorKind::kUsage);
    }
    auto c = basic_config();
    CHECK(c.version == kDefaultSasVersion);
    CHECK(AzureSasSigner::create(c).value().sas_token("x").find("sv=2026-06-06&") !=
          std::string::npos);
  }

  TEST_CASE("the default SAS version signs the same 16 fields with only sv changed") {
    // Python SDK 12.15.0b1 with its X_MS_VERSION patched to 2026-06-06 (the oracle script does
    // the same for 5,000 names) gives this token for blob-read-basic:
    // /usr/bin/python3 -c "import datetime as d,azure.storage.blob._shared_access_signature as m;
    //   m.X_MS_VERSION='2026-06-06';U=d.timezone.utc;print(m.generate_blob_sas('devstoreaccount1',
    //   'test-container','dir/hello.txt',account_key=KEY,permission='r',
    //   start=d.datetime(2024,1,1,tzinfo=U),expiry=d.datetime(2099,1,1,tzinfo=U)))"
    auto s = AzureSasSigner::create(basic_config()).value();
    CHECK(s.string_to_sign("dir/hello.txt") ==
          "r\n2024-01-01T00:00:00Z\n2099-01-01T00:00:00Z\n/blob/devstoreaccount1/test-container/"
          "dir/hello.txt\n\n\n\n2026-06-06\nb\n\n\n\n\n\n\n");
    CHECK(s.sas_token("dir/hello.txt") ==
          "st=2024-01-01T00%3A00%3A00Z&se=2099-01-01T00%3A00%3A00Z&sp=r&sv=2026-06-06&sr=b&sig="
          "yNw4naNHIoUqFbEbgr3Zuj1e5Pp/vmuqurjDIv9y6hE%3D");
  }

  TEST_CASE("a token with both response overrides and an encryption scope puts ses after rsct") {
    // generate_blob_sas(..., content_type='text/plain', encryption_scope='myscope') in the
    // Python SDK: add_override_response_headers runs before add_encryption_scope.
    auto c = basic_config();
    c.version = kPythonSdkSasVersion;
    c.content_type = "text/plain";
    c.encryption_scope = "myscope";
    // ...(same command as above with X_MS_VERSION='2021-12-02', content_type='text/plain',
    // encryption_scope='myscope') prints:
    CHECK(AzureSasSigner::create(c).value().sas_token("dir/hello.txt") ==
          "st=2024-01-01T00%3A00%3A00Z&se=2099-01-01T00%3A00%3A00Z&sp=r&sv=2021-12-02&sr=b&"
          "rsct=text/plain&ses=myscope&sig=kds3F0795ybBKHftuCD0TXUK6gL/vTrVrmCaCDMCjZU%3D");
  }

  TEST_CASE("sign agrees with the staged token for hostile names and keeps '/' in the path") {
    auto c = basic_config();
    c.endpoint = std::string(kAzurite) + "/";  // a trailing '/' is dropped
    c.ip = "10.0.0.0/8";
    c.protocol = "https,http";
    c.content_disposition = "attachment; filename=\"r\xc3\xa9sum\xc3\xa9 ~!*'() +%20.txt\"";
    auto s = AzureSasSigner::create(c).value();
    CHECK(s.url_prefix() == "http://127.0.0.1:10000/devstoreaccount1/test-container/");
    std::vector<std::string> names = {"a",
                                      " ",
                                      "a b",
                                      "a+b",
                                      "100%",
                                      "%2F",
                                      "a//b",
                                      "./x",
                                      "../x",
                                      "a/./b/../c",
                                      "/lead",
                                      "trail/",
                                      "~!'()*",
                                      "q?x=1#f",
                                      "\xe6\x97\xa5\xe6\x9c\xac/\xf0\x9f\x98\x80.txt",
                                      "cafe\xcc\x81",
                                      "\x01\x1f\x7f",
                                      "back\\slash\\",
                                      std::string(1024, 'x'),
                                      std::string(1024, '/'),
                                      std::string(1024, '\\')};
    std::string u3;  // 1,024 three-byte characters (3,072 bytes) is still a valid name
    for (int i = 0; i < 1024; ++i) u3 += "\xe2\x82\xac";
    names.push_back(u3);
    for (auto const& n : names) {
      CAPTURE(n);
      SignError err = SignError::kCryptoFailed;
      std::string const url = sign_one(s, n, &err);
      REQUIRE(err == SignError::kOk);
      std::string path;
      signers::append_uri_encoded(path, n, true);
      CHECK(url == s.url_prefix() + path + "?" + s.sas_token(n));
      std::string decoded;
      REQUIRE(signers::uri_decode(path, decoded));
      CHECK(decoded == n);
    }
  }

  TEST_CASE(
      "a backslash in a name is signed as '/' as the service reads it and stays %5C in the URL") {
    // Azurite 3.37.0 (blobStorageContext.middleware.js) replaces a backslash with '/' in blob names
    // before checking the SAS, as the service does; tests/scripts/azure_live_azurite.sh GETs
    // such a name (the SDK's own token for it gets 403 there).
    auto s = AzureSasSigner::create(basic_config()).value();
    CHECK(canonicalized_resource("acct", "c", "a\\b\\") == "/blob/acct/c/a/b/");
    CHECK(s.string_to_sign("back\\slash") == s.string_to_sign("back/slash"));
    CHECK(s.sas_token("back\\slash") == s.sas_token("back/slash"));
    std::string const url = sign_one(s, "back\\slash");
    CHECK(url == s.url_prefix() + "back%5Cslash?" + s.sas_token("back/slash"));
  }

  TEST_CASE("sign leaves the buffer unchanged for an empty or too long or non-UTF-8 name") {
    auto s = AzureSasSigner::create(basic_config()).value();
    AzureSasSigner::Scratch scratch;
    std::string out = "previous\n";
    std::string u3_over;  // 1,025 characters
    for (int i = 0; i < 1025; ++i) u3_over += "\xe2\x82\xac";
    struct Case {
      std::string name;
      SignError want;
    };
    for (auto const& [name, want] :
         std::vector<Case>{{"", SignError::kEmptyKey},
                           {std::string(1025, 'a'), SignError::kKeyTooLong},
                           {u3_over, SignError::kKeyTooLong},
                           {std::string(4097, 'a'), SignError::kKeyTooLong},
                           {"bad\xff", SignError::kInvalidKey},
                           {"\xc0\xaf", SignError::kInvalidKey},          // overlong '/'
                           {"\xed\xa0\x80", SignError::kInvalidKey},      // UTF-16 surrogate
                           {"\xf4\x90\x80\x80", SignError::kInvalidKey},  // above U+10FFFF
                           {"\xe2\x82", SignError::kInvalidKey},          // truncated
                           {"\x80", SignError::kInvalidKey}}) {
      std::size_t const bytes = name.size();  // (clang 14 cannot capture a structured binding)
      CAPTURE(bytes);
      CHECK(s.sign(ObjectRef{name, {}}, scratch, out) == want);
      CHECK(out == "previous\n");
    }
  }

  TEST_CASE("sign builds the same URL when long response overrides do not fit the scratch") {
    auto c = basic_config();
    c.content_disposition = "attachment; filename=\"" + std::string(3000, 'x') + " y.txt\"";
    c.content_type = std::string(2000, 't') + "/plain";
    auto s = AzureSasSigner::create(c).value();
    for (std::string const n : {"a", "dir/sp ace/\xc3\xa9.txt", "back\\slash"}) {
      std::string path;
      signers::append_uri_encoded(path, n, true);
      CHECK(sign_one(s, n) == s.url_prefix() + path + "?" + s.sas_token(n));
    }
    std::string long_name;  // 1,024 four-byte characters: the longest encoded name
    for (int i = 0; i < 1024; ++i) long_name += "\xf0\x9f\x98\x80";
    std::string path;
    signers::append_uri_encoded(path, long_name, true);
    CHECK(sign_one(s, long_name) == s.url_prefix() + path + "?" + s.sas_token(long_name));
    auto fits = AzureSasSigner::create(basic_config()).value();
    CHECK(sign_one(fits, long_name) == fits.url_prefix() + path + "?" + fits.sas_token(long_name));
  }

  TEST_CASE("sign does not allocate once the output string has grown") {
    auto s = AzureSasSigner::create(basic_config()).value();
    AzureSasSigner::Scratch scratch;
    std::string out;
    out.reserve(1 << 16);
    char const* const data = out.data();
    for (int i = 0; i < 100; ++i) {
      out.clear();
      REQUIRE(s.sign(ObjectRef{"dir/file-" + std::to_string(i) + ".jpg", {}}, scratch, out) ==
              SignError::kOk);
    }
    CHECK(out.data() == data);
  }

  TEST_CASE(
      "a snapshot or version SAS signs the time and puts it in the URL but not in the token") {
    auto c = basic_config();
    c.snapshot = "2024-01-02T03:04:05.0000000Z";
    auto s = AzureSasSigner::create(c).value();
    std::string const url = sign_one(s, "a.txt");
    CHECK(
        url.starts_with("https://devstoreaccount1.blob.core.windows.net/test-container/a.txt"
                        "?snapshot=2024-01-02T03:04:05.0000000Z&st="));
    CHECK(s.sas_token("a.txt").find("snapshot") == std::string::npos);
    CHECK(s.fields().resource == "bs");
    c.snapshot.clear();
    c.version_id = "2024-01-02T03:04:05.1234567Z";
    auto v = AzureSasSigner::create(c).value();
    CHECK(sign_one(v, "a.txt").find("?versionid=2024-01-02T03:04:05.1234567Z&st=") !=
          std::string::npos);
    c.snapshot = "2024-01-02T03:04:05Z";
    CHECK_FALSE(AzureSasSigner::create(c).has_value());  // both
    c.version_id.clear();
    CHECK(AzureSasSigner::create(c).has_value());
    for (char const* bad : {"2024-01-02", "2024-01-02T03:04:05", "2024-01-02T03:04:05.12345678Z",
                            "2024-01-02T03:04:05.Z", "x", "2024-01-02T03:04:05.1Z&sig=x"}) {
      CAPTURE(bad);
      c.snapshot = bad;
      CHECK_FALSE(AzureSasSigner::create(c).has_value());
    }
  }

  TEST_CASE(
      "create refuses bad names and endpoints and fields and keys with messages free of the key") {
    struct Case {
      char const* what;
      void (*edit)(AzureSasConfig&);
      ErrorKind kind;
    };
    std::vector<Case> const cases = {
        {"account too short", [](AzureSasConfig& c) { c.account = "ab"; }, ErrorKind::kUsage},
        {"account upper case", [](AzureSasConfig& c) { c.account = "DevStore"; },
         ErrorKind::kUsage},
        {"container upper case", [](AzureSasConfig& c) { c.container = "Test"; },
         ErrorKind::kUsage},
        {"container double hyphen", [](AzureSasConfig& c) { c.container = "a--b"; },
         ErrorKind::kUsage},
        {"container empty", [](AzureSasConfig& c) { c.container = ""; }, ErrorKind::kUsage},
        {"endpoint without scheme", [](AzureSasConfig& c) { c.endpoint = "127.0.0.1:10000"; },
         ErrorKind::kUsage},
        {"endpoint ftp", [](AzureSasConfig& c) { c.endpoint = "ftp://h"; }, ErrorKind::kUsage},
        {"endpoint with query", [](AzureSasConfig& c) { c.endpoint = "http://h/?x=1"; },
         ErrorKind::kUsage},
        {"endpoint with user info", [](AzureSasConfig& c) { c.endpoint = "http://u@h"; },
         ErrorKind::kUsage},
        {"no expiry", [](AzureSasConfig& c) { c.expiry.reset(); }, ErrorKind::kUsage},
        {"start after expiry", [](AzureSasConfig& c) { std::swap(c.start, c.expiry); },
         ErrorKind::kUsage},
        {"protocol http", [](AzureSasConfig& c) { c.protocol = "http"; }, ErrorKind::kUsage},
        {"rsct with CRLF", [](AzureSasConfig& c) { c.content_type = "text/plain\r\nX: y"; },
         ErrorKind::kUsage},
        {"bad scope", [](AzureSasConfig& c) { c.encryption_scope = "my scope"; },
         ErrorKind::kUsage},
        {"long policy id", [](AzureSasConfig& c) { c.policy_id = std::string(65, 'p'); },
         ErrorKind::kUsage},
        {"key not base64", [](AzureSasConfig& c) { c.account_key = "not*base64!SECRETVALUE"; },
         ErrorKind::kConfig},
        {"key empty", [](AzureSasConfig& c) { c.account_key = ""; }, ErrorKind::kConfig},
    };
    for (auto const& tc : cases) {
      CAPTURE(tc.what);
      auto c = basic_config();
      tc.edit(c);
      auto s = AzureSasSigner::create(c);
      REQUIRE_FALSE(s.has_value());
      CHECK(s.error().kind == tc.kind);
      CHECK_FALSE(s.error().detail.empty());
      CHECK(s.error().detail.find("SECRETVALUE") == std::string::npos);
      CHECK(s.error().detail.find(kKey) == std::string::npos);
    }
    auto c = basic_config();
    c.container = "$root";
    CHECK(AzureSasSigner::create(c).value().url_prefix() ==
          "https://devstoreaccount1.blob.core.windows.net/%24root/");
  }

  TEST_CASE("create refuses an endpoint with a control character, as the Azure lister does") {
    // One parser for every --endpoint (core/endpoint.hpp): the lister has always refused
    // these, and the signer refuses them with the same words, the byte shown escaped. Ports
    // outside 1..65535 are refused too (before, only the lister's URL check caught them).
    for (std::string const ep : {"http://127.0.0.1:1\t", "http://127.0.0.1:1\r\n/acct",
                                 "http://h\x7f", "http://h:0", "http://h:99999"}) {
      CAPTURE(ep);
      auto c = basic_config();
      c.endpoint = ep;
      auto const s = AzureSasSigner::create(c);
      REQUIRE_FALSE(s.has_value());
      CHECK(s.error().kind == ErrorKind::kUsage);
      CHECK(s.error().detail.starts_with("endpoint '"));
      for (char ch : s.error().detail) CHECK(static_cast<unsigned char>(ch) >= 0x20);
    }
  }

  TEST_CASE("the az runner validates options before credentials and never prints the key") {
    struct Case {
      char const* what;
      std::string env;
      std::string args;
      int rc;
      char const* says;
    };
    std::string const key_env = "AZURE_STORAGE_KEY=" + std::string(kKey);
    std::string const base = "az://devstoreaccount1/test-container --keys-from - --format urls";
    std::vector<Case> const cases = {
        {"no container", key_env, "az://devstoreaccount1 --keys-from -", 2, "names no container"},
        {"region", key_env, base + " --region us-east-1", 2, "--region does not apply"},
        {"addressing", key_env, base + " --addressing path", 2, "--addressing does not apply"},
        {"credentials", key_env, base + " --credentials /x.json", 2,
         "--credentials does not apply"},
        {"expires 0", key_env, base + " --expires 0", 2, "at least 1 second"},
        {"put with r", key_env, base + " --method PUT", 2, "--method PUT needs"},
        {"head without r", key_env, base + " --method HEAD --permissions w", 2, "needs the read"},
        {"bad ip without credentials", "", base + " --ip 10.0.0.1/40", 2, "CIDR"},
        {"ipv6", key_env, base + " --ip ::1", 2, "IPv6"},
        {"old sv", key_env, base + " --sas-version 2020-10-02", 2, "2020-10-02"},
        {"bad start", key_env, base + " --start tomorrow", 2, "--start"},
        {"start after expiry", key_env,
         base + " --start 2099-01-01T00:00:00Z --signing-time 2024-01-01T00:00:00Z", 2,
         "not before"},
        {"both snapshot and version", key_env,
         base + " --snapshot 2024-01-02T03:04:05Z --version-id 2024-01-02T03:04:05Z", 2,
         "not both"},
        {"bad permissions", key_env, base + " --permissions rq", 2, "'q'"},
        // IMDS, tried last, at a closed loopback port (tests never reach 169.254.169.254).
        {"no credentials", "AZURE_POD_IDENTITY_AUTHORITY_HOST=http://127.0.0.1:9", base, 3,
         "AZURE_STORAGE_CONNECTION_STRING"},
        {"key not base64", "AZURE_STORAGE_KEY=SECRETVALUE*", base, 3, "base64"},
        {"bad connection string",
         "AZURE_STORAGE_CONNECTION_STRING='AccountName=devstoreaccount1;AccountKey=SECRETVALUE*'",
         base, 3, "base64"},
        {"other account", "AZURE_STORAGE_ACCOUNT=someoneelse " + key_env, base, 3, "'someoneelse'"},
    };
    for (auto const& tc : cases) {
      CAPTURE(tc.what);
      int rc = -1;
      std::string err;
      std::string const out = run_presign(tc.env, "a.txt", tc.args, rc, &err);
      CHECK(rc == tc.rc);
      CHECK(out.empty());
      CHECK_MESSAGE(err.find(tc.says) != std::string::npos, err);
      CHECK(err.find("SECRETVALUE") == std::string::npos);
      CHECK(err.find(kKey) == std::string::npos);
    }
  }

  TEST_CASE("the az runner signs with the connection string's endpoint and the default version") {
    int rc = -1;
    std::string err;
    std::string const cs =
        "AZURE_STORAGE_CONNECTION_STRING='DefaultEndpointsProtocol=http;"
        "AccountName=devstoreaccount1;AccountKey=" +
        std::string(kKey) + ";BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;'";
    std::string const out = run_presign(
        cs, "dir/hello.txt",
        "az://devstoreaccount1/test-container --keys-from - --format urls "
        "--signing-time 2024-01-01T00:00:00Z --start 2024-01-01T00:00:00Z --expires 2366841600",
        rc, &err);
    CHECK_MESSAGE(rc == 0, err);
    // The same token as "the default SAS version signs the same 16 fields" above
    // (2099-01-01 - 2024-01-01 = 2,366,841,600 s).
    CHECK(out ==
          "http://127.0.0.1:10000/devstoreaccount1/test-container/dir/hello.txt?"
          "st=2024-01-01T00%3A00%3A00Z&se=2099-01-01T00%3A00%3A00Z&sp=r&sv=2026-06-06&sr=b&sig="
          "yNw4naNHIoUqFbEbgr3Zuj1e5Pp/vmuqurjDIv9y6hE%3D\n");
  }
}
