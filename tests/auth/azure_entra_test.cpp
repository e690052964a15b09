// Entra ID token sources (auth/azure_entra.hpp) and Get User Delegation Key
// (auth/azure_delegation.hpp), against scripted loopback servers (support/script_server.hpp)
// reached through the SDKs' own variables: AZURE_AUTHORITY_HOST, IDENTITY_ENDPOINT and
// AZURE_POD_IDENTITY_AUTHORITY_HOST (never 169.254.169.254). The environment is injected.
#include "presign/auth/azure_entra.hpp"

#include "presign/auth/azure.hpp"
#include "presign/auth/azure_delegation.hpp"

#include "script_server.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <optional>
#include <string>

using namespace presign;
using namespace presign::auth::azure;
using presign::auth::EnvLookup;

namespace {

struct EntraEnv {
  std::map<std::string, std::string> vars;
  EnvLookup lookup() const {
    return [v = vars](char const* n) -> std::optional<std::string> {
      auto it = v.find(n);
      if (it == v.end() || it->second.empty()) return std::nullopt;
      return it->second;
    };
  }
};

std::string loopback(test::ScriptServer const& s) {
  std::string ep = s.endpoint();  // http://127.0.0.1:PORT/devstoreaccount1
  return ep.substr(0, ep.rfind('/'));
}

constexpr char const* kTokenJson =
    R"({"token_type":"Bearer","expires_in":3599,"ext_expires_in":3599,"access_token":"eyJ.tok.sig"})";

constexpr char const* kUdkXml =
    "<?xml version=\"1.0\" encoding=\"utf-8\"?><UserDelegationKey>"
    "<SignedOid>11111111-2222-3333-4444-555555555555</SignedOid>"
    "<SignedTid>aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee</SignedTid>"
    "<SignedStart>2024-01-01T00:00:00Z</SignedStart>"
    "<SignedExpiry>2024-01-08T00:00:00Z</SignedExpiry>"
    "<SignedService>b</SignedService><SignedVersion>2026-06-06</SignedVersion>"
    "<Value>AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=</Value></UserDelegationKey>";

}  // namespace

TEST_SUITE("auth.azure_entra") {
  TEST_CASE("a client secret is posted to AZURE_AUTHORITY_HOST/TENANT/oauth2/v2.0/token") {
    test::ScriptServer server({{200, kTokenJson, {}}});
    EntraEnv env{{{"AZURE_TENANT_ID", "my-tenant"},
                  {"AZURE_CLIENT_ID", "my-client"},
                  {"AZURE_CLIENT_SECRET", "s3cr/t+="},
                  {"AZURE_AUTHORITY_HOST", loopback(server) + "/"}}};
    auto source = default_entra_source(env.lookup());
    REQUIRE(source != nullptr);
    CHECK(source->describe().find("client secret") != std::string::npos);
    auto t = source->fetch();
    REQUIRE(t.has_value());
    CHECK(t->token == "eyJ.tok.sig");
    auto const now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    CHECK(t->expires > now + std::chrono::seconds{3500});
    auto const reqs = server.requests();
    REQUIRE(reqs.size() == 1);
    CHECK(reqs[0].method == "POST");
    CHECK(reqs[0].target == "/my-tenant/oauth2/v2.0/token");
    CHECK(reqs[0].header("Content-Type") == "application/x-www-form-urlencoded");
    CHECK(reqs[0].body ==
          "client_secret=s3cr%2Ft%2B%3D&client_id=my-client&grant_type=client_credentials&"
          "scope=https%3A%2F%2Fstorage.azure.com%2F.default");
  }

  TEST_CASE("workload identity sends the federated token file as a jwt-bearer assertion") {
    test::ScriptServer server({{200, kTokenJson, {}}});
    std::string const file = "/tmp/presign-entra-test-" + std::to_string(::getpid()) + ".jwt";
    std::ofstream(file) << "header.payload.signature\n";
    EntraEnv env{{{"AZURE_TENANT_ID", "t1"},
                  {"AZURE_CLIENT_ID", "c1"},
                  {"AZURE_FEDERATED_TOKEN_FILE", file},
                  {"AZURE_AUTHORITY_HOST", loopback(server)}}};
    auto t = default_entra_source(env.lookup())->fetch();
    std::remove(file.c_str());
    REQUIRE(t.has_value());
    auto const reqs = server.requests();
    REQUIRE(reqs.size() == 1);
    CHECK(reqs[0].target == "/t1/oauth2/v2.0/token");
    CHECK(reqs[0].body ==
          "client_assertion=header.payload.signature&client_assertion_type=urn%3Aietf%3Aparams%"
          "3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_id=c1&grant_type=client_"
          "credentials&scope=https%3A%2F%2Fstorage.azure.com%2F.default");
  }

  TEST_CASE("managed identity asks App Service's endpoint, else IMDS with Metadata: true") {
    test::ScriptServer app(
        {{200, R"({"access_token":"app-tok","expires_on":"4102444800","resource":"x"})", {}}});
    EntraEnv a{{{"IDENTITY_ENDPOINT", loopback(app) + "/msi/token"},
                {"IDENTITY_HEADER", "hdr-secret"},
                {"AZURE_CLIENT_ID", "user-assigned"}}};
    auto t = default_entra_source(a.lookup())->fetch();
    REQUIRE(t.has_value());
    CHECK(t->token == "app-tok");
    CHECK(format_rfc3339(t->expires) == "2100-01-01T00:00:00Z");
    auto reqs = app.requests();
    REQUIRE(reqs.size() == 1);
    CHECK(reqs[0].method == "GET");
    CHECK(reqs[0].target ==
          "/msi/token?api-version=2019-08-01&resource=https%3A%2F%2Fstorage.azure.com&client_id="
          "user-assigned");
    CHECK(reqs[0].header("X-IDENTITY-HEADER") == "hdr-secret");

    test::ScriptServer imds(
        {{200,
          R"({"access_token":"imds-tok","expires_in":"3599","expires_on":"4102444800"})",
          {}}});
    EntraEnv i{{{"AZURE_POD_IDENTITY_AUTHORITY_HOST", loopback(imds)}}};
    auto source = default_entra_source(i.lookup());
    CHECK(source->describe().find(loopback(imds)) != std::string::npos);
    t = source->fetch();
    REQUIRE(t.has_value());
    CHECK(t->token == "imds-tok");
    reqs = imds.requests();
    REQUIRE(reqs.size() == 1);
    CHECK(reqs[0].target ==
          "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fstorage."
          "azure.com");
    CHECK(reqs[0].header("Metadata") == "true");
  }

  TEST_CASE("the chain takes the first configured source and AZURE_TOKEN_CREDENTIALS narrows it") {
    EntraEnv both{{{"AZURE_TENANT_ID", "t"},
                   {"AZURE_CLIENT_ID", "c"},
                   {"AZURE_CLIENT_SECRET", "s"},
                   {"AZURE_FEDERATED_TOKEN_FILE", "/f"}}};
    CHECK(default_entra_source(both.lookup())->describe().find("client secret") !=
          std::string::npos);
    both.vars["AZURE_TOKEN_CREDENTIALS"] = "WorkloadIdentityCredential";
    CHECK(default_entra_source(both.lookup())->describe().find("workload") != std::string::npos);
    both.vars["AZURE_TOKEN_CREDENTIALS"] = "ManagedIdentityCredential";
    CHECK(default_entra_source(both.lookup())->describe().find("managed") != std::string::npos);
    both.vars["AZURE_TOKEN_CREDENTIALS"] = "dev";
    CHECK(default_entra_source(both.lookup()) == nullptr);
  }

  TEST_CASE("a refused secret, a garbage answer and an unreachable endpoint name the source only") {
    test::ScriptServer refused({{401,
                                 R"({"error":"invalid_client","error_description":"AADSTS7000215: )"
                                 R"(Invalid client secret provided."})",
                                 {}}});
    EntraEnv env{{{"AZURE_TENANT_ID", "t"},
                  {"AZURE_CLIENT_ID", "c"},
                  {"AZURE_CLIENT_SECRET", "TOPSECRET"},
                  {"AZURE_AUTHORITY_HOST", loopback(refused)}}};
    auto t = default_entra_source(env.lookup())->fetch();
    REQUIRE(!t.has_value());
    CHECK(t.error().kind == ErrorKind::kAuth);
    CHECK(t.error().detail.find("HTTP 401, error invalid_client") != std::string::npos);
    CHECK(t.error().detail.find("AZURE_CLIENT_SECRET") != std::string::npos);
    CHECK(t.error().detail.find("TOPSECRET") == std::string::npos);

    test::ScriptServer garbage({{200, "<html>not json TOPSECRET</html>", {}}});
    env.vars["AZURE_AUTHORITY_HOST"] = loopback(garbage);
    t = default_entra_source(env.lookup())->fetch();
    REQUIRE(!t.has_value());
    CHECK(t.error().kind == ErrorKind::kConfig);
    CHECK(t.error().detail.find("not a JSON object") != std::string::npos);
    CHECK(t.error().detail.find("TOPSECRET") == std::string::npos);

    env.vars["AZURE_AUTHORITY_HOST"] = "http://127.0.0.1:9";  // discard: nothing listens
    t = default_entra_source(env.lookup())->fetch();
    REQUIRE(!t.has_value());
    CHECK(t.error().kind == ErrorKind::kConfig);
    CHECK(t.error().detail.find("could not get an Entra ID token from a client secret") !=
          std::string::npos);
    CHECK(t.error().detail.find("TOPSECRET") == std::string::npos);

    env.vars["AZURE_AUTHORITY_HOST"] = "http://login.example";  // not https, not loopback
    t = default_entra_source(env.lookup())->fetch();
    REQUIRE(!t.has_value());
    CHECK(t.error().detail.find("AZURE_AUTHORITY_HOST must be an https://") != std::string::npos);
  }

  TEST_CASE("token answers need an access token and an expiry, as a number or a string") {
    SigningTime const now = parse_rfc3339("2024-01-01T00:00:00Z").value();
    auto a = parse_token_response(R"({"access_token":"x","expires_in":60})", now, "o");
    REQUIRE(a.has_value());
    CHECK(format_rfc3339(a->expires) == "2024-01-01T00:01:00Z");
    auto b = parse_token_response(R"({"access_token":"x","expires_on":"1704067260"})", now, "o");
    REQUIRE(b.has_value());
    CHECK(format_rfc3339(b->expires) == "2024-01-01T00:01:00Z");
    CHECK(!parse_token_response(R"({"access_token":"x"})", now, "o").has_value());
    CHECK(!parse_token_response(R"({"expires_in":60})", now, "o").has_value());
    CHECK(!parse_token_response(R"({"access_token":"a b","expires_in":60})", now, "o").has_value());
    CHECK(!parse_token_response(R"({"access_token":"x","expires_in":"6x"})", now, "o").has_value());
    CHECK(!parse_token_response("[1]", now, "o").has_value());
  }

  TEST_CASE("without an account key the environment source returns an Entra token") {
    test::ScriptServer server({{200, kTokenJson, {}}});
    EntraEnv env{{{"AZURE_TENANT_ID", "t"},
                  {"AZURE_CLIENT_ID", "c"},
                  {"AZURE_CLIENT_SECRET", "s"},
                  {"AZURE_AUTHORITY_HOST", loopback(server)}}};
    auto c = EnvironmentSource("acct", env.lookup()).fetch();
    REQUIRE(c.has_value());
    auto const* tok = std::get_if<auth::OAuthToken>(&c->secret);
    REQUIRE(tok != nullptr);
    CHECK(tok->token == "eyJ.tok.sig");
    CHECK(c->expires.has_value());
    CHECK(c->origin.find("client secret") != std::string::npos);

    // Nothing configured: IMDS (here a closed loopback port) is tried last, and the message
    // lists every place looked at.
    EntraEnv none{{{"AZURE_POD_IDENTITY_AUTHORITY_HOST", "http://127.0.0.1:9"}}};
    auto n = EnvironmentSource("acct", none.lookup()).fetch();
    REQUIRE(!n.has_value());
    CHECK(n.error().detail.find("no Azure credentials for storage account 'acct'") == 0);
    CHECK(n.error().detail.find("AZURE_STORAGE_CONNECTION_STRING") != std::string::npos);
    CHECK(n.error().detail.find("managed identity") != std::string::npos);
  }
}

TEST_SUITE("auth.azure_delegation") {
  TEST_CASE("Get User Delegation Key posts KeyInfo with the bearer token and reads the key") {
    test::ScriptServer server({{200, kUdkXml, {}}});
    DelegationKeyRequest r;
    r.endpoint = server.endpoint();
    r.token = "eyJ.tok.sig";
    r.start = parse_rfc3339("2024-01-01T00:00:00Z").value();
    r.expiry = parse_rfc3339("2024-01-08T00:00:00Z").value();
    r.version = "2026-06-06";
    auto k = get_user_delegation_key(r);
    REQUIRE(k.has_value());
    CHECK(k->signed_oid == "11111111-2222-3333-4444-555555555555");
    CHECK(k->signed_tid == "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee");
    CHECK(k->signed_start == "2024-01-01T00:00:00Z");
    CHECK(k->signed_expiry == "2024-01-08T00:00:00Z");
    CHECK(k->signed_service == "b");
    CHECK(k->signed_version == "2026-06-06");
    CHECK(k->value == "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=");
    CHECK(format_rfc3339(delegation_key_expiry(*k).value()) == "2024-01-08T00:00:00Z");
    auto const reqs = server.requests();
    REQUIRE(reqs.size() == 1);
    CHECK(reqs[0].method == "POST");
    CHECK(reqs[0].target == "/devstoreaccount1/?restype=service&comp=userdelegationkey");
    CHECK(reqs[0].header("Authorization") == "Bearer eyJ.tok.sig");
    CHECK(reqs[0].header("x-ms-version") == "2026-06-06");
    CHECK(reqs[0].body ==
          "<?xml version=\"1.0\" encoding=\"utf-8\"?><KeyInfo><Start>2024-01-01T00:00:00Z</"
          "Start><Expiry>2024-01-08T00:00:00Z</Expiry></KeyInfo>");
  }

  TEST_CASE("a refused token is an auth error that never shows the token") {
    test::ScriptServer server(
        {{403,
          "<?xml version=\"1.0\"?><Error><Code>AuthorizationPermissionMismatch</Code>"
          "<Message>no</Message></Error>",
          {{"x-ms-error-code", "AuthorizationPermissionMismatch"}}}});
    DelegationKeyRequest r{server.endpoint(), "SECRET-TOKEN", {}, {}, "2026-06-06"};
    auto k = get_user_delegation_key(r);
    REQUIRE(!k.has_value());
    CHECK(k.error().kind == ErrorKind::kAuth);
    CHECK(k.error().detail.find("Storage Blob Delegator") != std::string::npos);
    CHECK(k.error().detail.find("SECRET-TOKEN") == std::string::npos);
  }

  TEST_CASE("a key answer without a field or with a bad value is refused without quoting it") {
    std::string const ok = kUdkXml;
    auto without = [&](std::string const& field) {
      auto const a = ok.find("<" + field + ">");
      auto const b = ok.find("</" + field + ">") + field.size() + 3;
      return ok.substr(0, a) + ok.substr(b);
    };
    for (char const* f : {"SignedOid", "SignedTid", "SignedStart", "SignedExpiry", "SignedService",
                          "SignedVersion", "Value"}) {
      CAPTURE(f);
      auto k = parse_user_delegation_key(without(f));
      REQUIRE(!k.has_value());
      CHECK(k.error().detail.find(f) != std::string::npos);
    }
    std::string bad = ok;
    bad.replace(bad.find("AAECAw"), 6, "!!SECRET");
    auto k = parse_user_delegation_key(bad);
    REQUIRE(!k.has_value());
    CHECK(k.error().detail.find("SECRET") == std::string::npos);
    CHECK(!parse_user_delegation_key("<Error><Code>x</Code></Error>").has_value());
    CHECK(!parse_user_delegation_key("<UserDelegationKey><Value>").has_value());
  }
}
