// Azure Storage connection strings and the key variables (auth/azure_connection_string.hpp),
// with an injected environment, so the real one is never read.
#include "presign/auth/azure_connection_string.hpp"

#include <doctest/doctest.h>

#include <map>
#include <optional>
#include <string>

using namespace presign;
using namespace presign::auth::azure;
using presign::auth::EnvLookup;

namespace {

// Azurite's published well-known key for devstoreaccount1 (not a secret).
constexpr char const* kKey =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

struct FakeEnv {
  std::map<std::string, std::string> vars;
  EnvLookup lookup() const {
    return [this](char const* n) -> std::optional<std::string> {
      auto it = vars.find(n);
      if (it == vars.end() || it->second.empty()) return std::nullopt;
      return it->second;
    };
  }
};

}  // namespace

TEST_SUITE("auth.azure") {
  TEST_CASE("connection strings give the account and the key and the blob endpoint") {
    auto a = parse_connection_string(
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=" +
        std::string(kKey) + ";BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;");
    REQUIRE(a.has_value());
    CHECK(a->account == "devstoreaccount1");
    CHECK(a->account_key == kKey);  // the '=' padding survives: split at the first '='
    CHECK(a->blob_endpoint == "http://127.0.0.1:10000/devstoreaccount1");
    auto b = parse_connection_string("accountname=acct1;ACCOUNTKEY=" + std::string(kKey) +
                                     ";EndpointSuffix=core.chinacloudapi.cn");
    REQUIRE(b.has_value());
    CHECK(b->blob_endpoint == "https://acct1.blob.core.chinacloudapi.cn");
    auto d = parse_connection_string("AccountName=acct1;AccountKey=" + std::string(kKey));
    REQUIRE(d.has_value());
    CHECK(d->blob_endpoint.empty());  // the signer's default, https://acct1.blob.core.windows.net

    for (char const* bad : {"AccountName=acct1", "AccountKey=SECRETVALUE==",
                            "AccountName=acct1;SharedAccessSignature=sv=2021&sig=SECRETVALUE",
                            "AccountName=acct1;AccountKey=SECRETVALUE;garbage-without-equals"}) {
      CAPTURE(bad);
      auto r = parse_connection_string(bad);
      REQUIRE_FALSE(r.has_value());
      CHECK(r.error().kind == ErrorKind::kConfig);
      CHECK(r.error().detail.find("SECRETVALUE") == std::string::npos);
    }
  }

  TEST_CASE(
      "credentials come from the connection string or else the key variables for the URI's "
      "account") {
    FakeEnv env;
    auto none = resolve_credentials(env.lookup(), "acct1");
    REQUIRE_FALSE(none.has_value());
    CHECK(none.error().kind == ErrorKind::kConfig);
    for (char const* var :
         {"AZURE_STORAGE_CONNECTION_STRING", "AZURE_STORAGE_KEY", "AZURE_STORAGE_ACCOUNT"}) {
      CHECK(none.error().detail.find(var) != std::string::npos);
    }

    env.vars["AZURE_STORAGE_KEY"] = kKey;
    auto k = resolve_credentials(env.lookup(), "acct1");
    REQUIRE(k.has_value());
    CHECK(k->account == "acct1");
    CHECK(k->account_key == kKey);

    env.vars["AZURE_STORAGE_ACCOUNT"] = "other";
    auto mismatch = resolve_credentials(env.lookup(), "acct1");
    REQUIRE_FALSE(mismatch.has_value());
    CHECK(mismatch.error().detail.find("'other'") != std::string::npos);

    env.vars["AZURE_STORAGE_ACCOUNT"] = "acct1";
    env.vars["AZURE_STORAGE_KEY"] = "SECRETVALUE-not-base64!";
    auto badkey = resolve_credentials(env.lookup(), "acct1");
    REQUIRE_FALSE(badkey.has_value());
    CHECK(badkey.error().detail.find("base64") != std::string::npos);
    CHECK(badkey.error().detail.find("SECRETVALUE") == std::string::npos);

    env.vars["AZURE_STORAGE_CONNECTION_STRING"] =
        "AccountName=acct1;AccountKey=" + std::string(kKey) + ";BlobEndpoint=http://h:1/acct1";
    auto cs = resolve_credentials(env.lookup(), "acct1");  // the connection string wins
    REQUIRE(cs.has_value());
    CHECK(cs->blob_endpoint == "http://h:1/acct1");
    CHECK(resolve_credentials(env.lookup(), "acct2").error().detail.find("'acct1'") !=
          std::string::npos);
  }

  TEST_CASE("UseDevelopmentStorage=true means Azurite's account, key and blob endpoint") {
    for (char const* text : {"UseDevelopmentStorage=true", "usedevelopmentstorage=TRUE;",
                             " UseDevelopmentStorage = true ; "}) {
      auto a = parse_connection_string(text);
      REQUIRE(a.has_value());
      CHECK(a->account == "devstoreaccount1");
      CHECK(a->account_key == kKey);
      CHECK(a->blob_endpoint == "http://127.0.0.1:10000/devstoreaccount1");
    }
    // .NET's GetDevelopmentStorageAccount(proxyUri): the proxy's scheme and host, port 10000.
    auto p = parse_connection_string(
        "UseDevelopmentStorage=true;DevelopmentStorageProxyUri=http://ipv4.fiddler:8888/");
    REQUIRE(p.has_value());
    CHECK(p->blob_endpoint == "http://ipv4.fiddler:10000/devstoreaccount1");
    CHECK(!parse_connection_string("UseDevelopmentStorage=false").has_value());
    CHECK(!parse_connection_string("UseDevelopmentStorage=true;AccountName=x").has_value());
    CHECK(!parse_connection_string("DevelopmentStorageProxyUri=http://h;AccountName=x;AccountKey=" +
                                   std::string(kKey))
               .has_value());
    FakeEnv env;
    env.vars["AZURE_STORAGE_CONNECTION_STRING"] = "UseDevelopmentStorage=true";
    auto r = resolve_credentials(env.lookup(), "devstoreaccount1");
    REQUIRE(r.has_value());
    CHECK(r->blob_endpoint == "http://127.0.0.1:10000/devstoreaccount1");
  }
}
