// fake_gcs_server: the fake Cloud Storage JSON API (fake_gcs_server.hpp) as a program, for
// the end-to-end GCS listing test of the presign program (tests/scripts/gcs_list_fake.sh).
// Listens on 127.0.0.1 only; runs until SIGINT or SIGTERM.
//
//   fake_gcs_server --names FILE --key SA.json [--bucket B] [--port P] [--token-ttl S]
//                   [--fault too-many-requests=R] [--fault unavailable=R] [--seed S]
//                   [--max-in-row N] [--refresh-token T] [--sign-faults F,F,...]
//                   [--metadata-flavor no] [--sign-deny-after N]
//
// Keyless signing (fake_gcs_server.hpp): the metadata server, the refresh-token grant (with
// --refresh-token T) and IAM signBlob, whose first requests get the faults of --sign-faults
// (429, 503, garbage, 401 or none, comma-separated). --metadata-flavor no: the metadata
// answers lack their header (a server that is not one). --sign-deny-after N: signBlob request
// N and every later one (counting from 0, after --sign-faults) answer 403 PERMISSION_DENIED.
// IAM generateAccessToken issues tokens of the key's account that list (pages_as_impersonated
// counts the pages they listed, pages_as_caller those the caller's own tokens listed).
//
// FILE holds the object names, one a line, bytes exact (no CR handling: a '\r' is part of a
// name). SA.json is the service account whose assertions the token endpoint accepts (its
// client_email and the public half of its private_key). FAKE_GCS_STATIC_TOKEN, when set in
// the environment, is accepted as a bearer token too (an "access token obtained elsewhere",
// for --access-token tests).
//
// Prints "fake_gcs_server listening on http://127.0.0.1:PORT" once it accepts connections,
// and on SIGINT/SIGTERM its counters, one "name value" a line, then exits 0. On SIGUSR1 it
// prints one line of its counters so far and keeps running:
// "snapshot list_requests=R pages_ok=P names_served=N" (resume tests measure one run).
#include "fake_gcs_server.hpp"

#include <simdjson.h>

#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <iterator>
#include <signal.h>
#include <string>
#include <string_view>
#include <thread>

namespace {

volatile std::sig_atomic_t g_stop = 0;
volatile std::sig_atomic_t g_snapshot = 0;

void usage() {
  std::fputs(
      "usage: fake_gcs_server --names FILE --key SA.json [--bucket B] [--port P]\n"
      "                       [--token-ttl SECONDS] [--fault too-many-requests=R]\n"
      "                       [--fault unavailable=R] [--seed S] [--max-in-row N]\n",
      stderr);
}

template <class T>
bool parse_number(std::string_view s, T& out) {
  auto const [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && ec == std::errc{} && p == s.data() + s.size();
}

bool read_file(std::string const& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  presign::test::FakeGcsOptions opts;
  std::string names_file;
  std::string key_file;
  for (int i = 1; i < argc; ++i) {
    std::string_view const a = argv[i];
    if (a == "--help" || a == "-h") {
      usage();
      return 0;
    }
    if (i + 1 >= argc) {
      usage();
      return 2;
    }
    std::string_view const v = argv[++i];
    bool ok = true;
    if (a == "--names") {
      names_file = v;
    } else if (a == "--key") {
      key_file = v;
    } else if (a == "--bucket") {
      opts.bucket = v;
    } else if (a == "--port") {
      ok = parse_number(v, opts.port);
    } else if (a == "--token-ttl") {
      long s = 0;
      ok = parse_number(v, s) && s >= 1;
      opts.token_ttl = std::chrono::seconds(s);
    } else if (a == "--refresh-token") {
      opts.refresh_token = v;
    } else if (a == "--metadata-flavor") {
      ok = v == "no" || v == "yes";
      opts.metadata_without_flavor = v == "no";
    } else if (a == "--sign-deny-after") {
      ok = parse_number(v, opts.sign_deny_after) && opts.sign_deny_after > 0;
    } else if (a == "--sign-faults") {
      std::string_view rest = v;
      while (ok && !rest.empty()) {
        auto const comma = rest.find(',');
        std::string_view const f = rest.substr(0, comma);
        rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
        using presign::test::GcsFault;
        if (f == "429") {
          opts.sign_script.push_back(GcsFault::kTooManyRequests429);
        } else if (f == "503") {
          opts.sign_script.push_back(GcsFault::kUnavailable503);
        } else if (f == "garbage") {
          opts.sign_script.push_back(GcsFault::kMalformed200);
        } else if (f == "401") {
          opts.sign_script.push_back(GcsFault::kUnauthorized401);
        } else if (f == "none") {
          opts.sign_script.push_back(GcsFault::kNone);
        } else {
          ok = false;
        }
      }
    } else if (a == "--seed") {
      ok = parse_number(v, opts.seed);
    } else if (a == "--max-in-row") {
      ok = parse_number(v, opts.max_faults_in_row);
    } else if (a == "--fault") {
      auto const eq = v.find('=');
      std::string const rate_text(eq == std::string_view::npos ? "" : v.substr(eq + 1));
      char* end = nullptr;
      double const rate = std::strtod(rate_text.c_str(), &end);
      ok = !rate_text.empty() && *end == '\0' && rate >= 0 && rate <= 1;
      if (ok && v.substr(0, eq) == "too-many-requests") {
        opts.rate_429 = rate;
      } else if (ok && v.substr(0, eq) == "unavailable") {
        opts.rate_503 = rate;
      } else {
        ok = false;
      }
    } else {
      ok = false;
    }
    if (!ok) {
      std::fprintf(stderr, "fake_gcs_server: bad option %s %s\n", argv[i - 1], argv[i]);
      usage();
      return 2;
    }
  }
  if (names_file.empty() || key_file.empty() || opts.rate_429 + opts.rate_503 > 1) {
    usage();
    return 2;
  }
  std::string names;
  if (!read_file(names_file, names)) {
    std::fprintf(stderr, "fake_gcs_server: cannot read %s\n", names_file.c_str());
    return 2;
  }
  for (std::size_t pos = 0; pos < names.size();) {
    auto nl = names.find('\n', pos);
    if (nl == std::string::npos) nl = names.size();
    if (nl > pos) opts.names.emplace_back(names.substr(pos, nl - pos));
    pos = nl + 1;
  }
  std::string key_json;
  if (!read_file(key_file, key_json)) {
    std::fprintf(stderr, "fake_gcs_server: cannot read %s\n", key_file.c_str());
    return 2;
  }
  {
    simdjson::dom::parser parser;
    simdjson::padded_string padded(key_json);
    simdjson::dom::element doc;
    std::string_view pem;
    std::string_view email;
    if (parser.parse(padded).get(doc) != simdjson::SUCCESS ||
        doc["private_key"].get_string().get(pem) != simdjson::SUCCESS ||
        doc["client_email"].get_string().get(email) != simdjson::SUCCESS) {
      std::fprintf(stderr, "fake_gcs_server: %s is not a service-account key file\n",
                   key_file.c_str());
      return 2;
    }
    opts.key_pem = std::string(pem);
    opts.client_email = std::string(email);
  }
  if (char const* t = std::getenv("FAKE_GCS_STATIC_TOKEN"); t != nullptr) opts.static_token = t;

  struct sigaction sa {};
  sa.sa_handler = [](int) { g_stop = 1; };
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  struct sigaction snap {};
  snap.sa_handler = [](int) { g_snapshot = 1; };
  sigemptyset(&snap.sa_mask);
  sigaction(SIGUSR1, &snap, nullptr);

  try {
    presign::test::FakeGcsServer server(opts);
    std::printf("fake_gcs_server listening on %s names=%zu\n", server.endpoint().c_str(),
                opts.names.size());
    std::fflush(stdout);
    while (g_stop == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      if (g_snapshot != 0) {
        g_snapshot = 0;
        auto const c = server.counters();
        std::printf("snapshot list_requests=%llu pages_ok=%llu names_served=%llu\n",
                    static_cast<unsigned long long>(c.list_requests),
                    static_cast<unsigned long long>(c.pages_ok),
                    static_cast<unsigned long long>(c.names_served));
        std::fflush(stdout);
      }
    }
    server.stop();
    auto const c = server.counters();
    auto line = [](char const* name, std::uint64_t v) {
      std::printf("%s %llu\n", name, static_cast<unsigned long long>(v));
    };
    line("token_requests", c.token_requests);
    line("tokens_issued", c.tokens_issued);
    line("token_rejected", c.token_rejected);
    line("list_requests", c.list_requests);
    line("list_unauthorized", c.list_unauthorized);
    line("pages_ok", c.pages_ok);
    line("names_served", c.names_served);
    line("fault.too-many-requests", c.faults_429);
    line("fault.unavailable", c.faults_503);
    line("metadata_requests", c.metadata_requests);
    line("refresh_grants", c.refresh_grants);
    line("sign_requests", c.sign_requests);
    line("signatures", c.signatures);
    line("sign_unauthorized", c.sign_unauthorized);
    line("sign_faults", c.sign_faults);
    line("sign_denied", c.sign_denied);
    line("generate_requests", c.generate_requests);
    line("generate_unauthorized", c.generate_unauthorized);
    line("access_tokens_generated", c.access_tokens_generated);
    line("pages_as_caller", c.pages_as_caller);
    line("pages_as_impersonated", c.pages_as_impersonated);
    std::fflush(stdout);
  } catch (std::exception const& e) {
    std::fprintf(stderr, "fake_gcs_server: %s\n", e.what());
    return 1;
  }
  return 0;
}
