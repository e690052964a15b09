// The one endpoint parser (endpoint.hpp): what every signer and lister accepts as
// --endpoint, and the host[:port] split the HTTP client's URL parser shares with it.
#include "presign/core/endpoint.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace presign;

TEST_SUITE("core.endpoint") {
  TEST_CASE("parse_endpoint splits scheme, authority, host, port and path and drops trailing '/'") {
    auto e = parse_endpoint("HTTP://Example.COM:9000/", EndpointRules{});
    REQUIRE(e.has_value());
    CHECK(e->scheme == "http");
    CHECK(e->authority == "Example.COM:9000");  // case kept: lowering is the caller's rule
    CHECK(e->host == "Example.COM");
    CHECK(e->port == 9000);
    CHECK(e->path.empty());

    e = parse_endpoint("https://[::1]:8443", EndpointRules{});
    REQUIRE(e.has_value());
    CHECK(e->host == "[::1]");
    CHECK(e->port == 8443);

    e = parse_endpoint("http://127.0.0.1:10000/devstoreaccount1//",
                       EndpointRules{.allow_path = true});
    REQUIRE(e.has_value());
    CHECK(e->authority == "127.0.0.1:10000");
    CHECK(e->path == "/devstoreaccount1");

    e = parse_endpoint("localhost:4443", EndpointRules{.require_scheme = false});
    REQUIRE(e.has_value());
    CHECK(e->scheme.empty());
    CHECK(e->authority == "localhost:4443");
  }

  TEST_CASE("parse_endpoint refuses each shape the policy excludes with a usage error naming why") {
    struct Bad {
      char const* text;
      char const* why;
    };
    for (Bad const& b : {Bad{"127.0.0.1:9000", "needs a scheme"},
                         Bad{"ftp://example.com", "scheme must be http or https"},
                         Bad{"http://", "empty host"},
                         Bad{"https:///", "empty host"},
                         Bad{"http://:80", "empty host"},
                         Bad{"http://host/path", "a path is not allowed"},
                         Bad{"http://host?x=1", "a query or fragment"},
                         Bad{"http://host#f", "a query or fragment"},
                         Bad{"http://user@host", "user info"},
                         Bad{"http://user:pw@host:1", "user info"},
                         Bad{"http://ho st", "spaces and control characters"},
                         Bad{"http://127.0.0.1:1\t", "spaces and control characters"},
                         Bad{"http://host\r\n:1", "spaces and control characters"},
                         Bad{"http://host\x7f", "spaces and control characters"},
                         Bad{"http://host:", "empty port"},
                         Bad{"http://host:0", "bad port"},
                         Bad{"http://host:65536", "bad port"},
                         Bad{"http://host:+80", "bad port"},
                         Bad{"http://host:8o", "bad port"},
                         Bad{"http://[::1", "unterminated IPv6 literal"},
                         Bad{"http://[::1]x", "junk after the IPv6 literal"},
                         Bad{"http://::1:80", "needs brackets"}}) {
      INFO(b.text);
      auto const e = parse_endpoint(b.text, EndpointRules{.what = "--endpoint"});
      REQUIRE_FALSE(e.has_value());
      CHECK(e.error().kind == ErrorKind::kUsage);
      CHECK(e.error().detail.starts_with("--endpoint"));
      CHECK(e.error().detail.find(b.why) != std::string::npos);
    }
    auto const p = parse_endpoint("http://h/a?b", EndpointRules{.allow_path = true});
    REQUIRE_FALSE(p.has_value());
    CHECK(p.error().detail.find("query") != std::string::npos);
  }

  TEST_CASE("an endpoint error quotes the text with control characters escaped, never raw") {
    auto const e = parse_endpoint("http://127.0.0.1:1\t\x1b[2J\r\n", EndpointRules{});
    REQUIRE_FALSE(e.has_value());
    std::string const& d = e.error().detail;
    CHECK(d.find("'http://127.0.0.1:1\\x09\\x1b[2J\\x0d\\x0a'") != std::string::npos);
    for (char c : d) CHECK(static_cast<unsigned char>(c) >= 0x20);
    auto const s = parse_endpoint("gopher\x07://h", EndpointRules{});
    REQUIRE_FALSE(s.has_value());
    CHECK(s.error().detail.find("gopher\\x07://h") != std::string::npos);
  }

  TEST_CASE("split_host_port accepts names, IPv4 and bracketed IPv6 with ports 1 to 65535") {
    HostPort hp;
    CHECK(split_host_port("example.com", hp) == nullptr);
    CHECK(hp.host == "example.com");
    CHECK(hp.number == 0);
    CHECK(hp.port.empty());
    CHECK(split_host_port("10.0.0.1:1", hp) == nullptr);
    CHECK(hp.number == 1);
    CHECK(split_host_port("[fe80::1]:65535", hp) == nullptr);
    CHECK(hp.host == "fe80::1");
    CHECK(hp.ipv6);
    CHECK(hp.number == 65535);
    CHECK(hp.port == "65535");
    CHECK(std::string(split_host_port("h:99999999999", hp)) == "bad port");
    CHECK(std::string(split_host_port("[]", hp)) == "empty host");
    CHECK(std::string(split_host_port("", hp)) == "empty host");
  }
}
