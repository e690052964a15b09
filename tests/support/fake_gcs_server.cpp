// Fake Cloud Storage JSON API server (see fake_gcs_server.hpp): Beast on Asio coroutines, one
// I/O thread by default, all state behind one mutex (signBlob signs outside it) (requests are tiny;
// clarity beats throughput here).
//
// The token endpoint is the point of this server: it verifies each assertion the way Google's
// does (signature with the account's public key, then the claims), so a client that signs the
// wrong bytes, forgets base64url, or sends the wrong audience or scope fails here, not only
// against the real service.

#include "fake_gcs_server.hpp"

#include "fake_gcs_detail.hpp"

#include "presign/signers/crypto.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <simdjson.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>

namespace presign::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

using fake_gcs::json_escape;
using fake_gcs::json_reply;
using fake_gcs::Reply;

constexpr auto kUseAwaitable = asio::as_tuple(asio::use_awaitable);
constexpr std::string_view kScope = "https://www.googleapis.com/auth/devstorage.read_only";
constexpr std::string_view kGrantType = "urn:ietf:params:oauth:grant-type:jwt-bearer";

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

std::uint64_t fnv1a(std::string_view s) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Form/query decoding as Google's front ends do it: %XX, and '+' as a space.
bool form_decode(std::string_view in, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < in.size(); ++i) {
    char const c = in[i];
    if (c == '+') {
      out += ' ';
    } else if (c == '%') {
      if (i + 2 >= in.size()) return false;
      int const hi = hex_digit(in[i + 1]);
      int const lo = hex_digit(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += c;
    }
  }
  return true;
}

// name=value pairs of a query string or form body; false on a bad escape.
bool parse_form(std::string_view s, std::map<std::string, std::string>& out) {
  while (!s.empty()) {
    auto const amp = s.find('&');
    std::string_view const part = s.substr(0, amp);
    auto const eq = part.find('=');
    std::string name;
    std::string value;
    if (!form_decode(part.substr(0, eq), name)) return false;
    if (eq != std::string_view::npos && !form_decode(part.substr(eq + 1), value)) return false;
    out[name] = value;
    if (amp == std::string_view::npos) break;
    s.remove_prefix(amp + 1);
  }
  return true;
}

bool base64url_decode(std::string_view in, std::string& out) {
  std::string std64(in);
  for (char& c : std64) {
    if (c == '-') {
      c = '+';
    } else if (c == '_') {
      c = '/';
    } else if (c == '+' || c == '/' || c == '=') {
      return false;  // base64url has none of these
    }
  }
  while (std64.size() % 4 != 0) std64 += '=';
  return signers::crypto::base64_decode(std64, out);
}

std::string gcs_error_json(int code, std::string_view reason, std::string_view message) {
  return "{\"error\":{\"code\":" + std::to_string(code) + ",\"message\":\"" + json_escape(message) +
         "\",\"errors\":[{\"message\":\"" + json_escape(message) +
         "\",\"domain\":\"global\",\"reason\":\"" + std::string(reason) + "\"}]}}";
}

}  // namespace

class FakeGcsServer::Impl {
 public:
  explicit Impl(FakeGcsOptions options) : opts_(std::move(options)), acceptor_(ioc_) {
    BIO* bio = BIO_new_mem_buf(opts_.key_pem.data(), static_cast<int>(opts_.key_pem.size()));
    if (bio == nullptr) throw std::runtime_error("fake GCS: out of memory");
    pkey_ = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
    if (pkey_ == nullptr) {
      BIO_free(bio);
      bio = BIO_new_mem_buf(opts_.key_pem.data(), static_cast<int>(opts_.key_pem.size()));
      pkey_ = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
    }
    BIO_free(bio);
    if (pkey_ == nullptr) throw std::runtime_error("fake GCS: key_pem is not a PEM RSA key");
    iam_.emplace(fake_gcs::IamHost{
        opts_, mutex_, counters_, pkey_, fixed_answer_,
        [this](std::string_view authz) { return authorised(authz, /*caller_only=*/true); },
        [this](std::string const& email, std::chrono::seconds lifetime) {
          return issue_impersonated(email, lifetime);
        }});
    std::sort(opts_.names.begin(), opts_.names.end());
    opts_.names.erase(std::unique(opts_.names.begin(), opts_.names.end()), opts_.names.end());

    tcp::endpoint const ep(asio::ip::make_address("127.0.0.1"), opts_.port);
    acceptor_.open(ep.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind(ep);
    acceptor_.listen(asio::socket_base::max_listen_connections);
    port_ = acceptor_.local_endpoint().port();
    asio::co_spawn(ioc_, accept_loop(), asio::detached);
    for (unsigned i = 0; i < std::max(1U, opts_.threads); ++i) {
      threads_.emplace_back([this] { ioc_.run(); });
    }
  }

  ~Impl() {
    stop();
    EVP_PKEY_free(pkey_);
  }
  Impl(Impl const&) = delete;
  Impl& operator=(Impl const&) = delete;

  void stop() {
    if (stopped_.exchange(true)) return;
    ioc_.stop();
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }

  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }

  [[nodiscard]] std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }

  FakeGcsCounters counters() const {
    std::lock_guard lock(mutex_);
    return counters_;
  }

  void revoke_tokens() {
    std::lock_guard lock(mutex_);
    tokens_.clear();
  }

 private:
  using Clock = std::chrono::steady_clock;

  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, sock] = co_await acceptor_.async_accept(kUseAwaitable);
      if (ec) {
        if (ec == asio::error::operation_aborted || !acceptor_.is_open()) co_return;
        // EMFILE and friends: back off briefly instead of spinning.
        asio::steady_timer t(ioc_, std::chrono::milliseconds(10));
        co_await t.async_wait(kUseAwaitable);
        continue;
      }
      // TCP_NODELAY as a real server: no delayed-ACK stall on the tail of a page.
      beast::error_code nodelay_ec;
      sock.set_option(tcp::no_delay(true), nodelay_ec);
      asio::co_spawn(ioc_, session(std::move(sock)), asio::detached);
    }
  }

  asio::awaitable<void> session(tcp::socket sock) {
    beast::tcp_stream stream(std::move(sock));
    beast::flat_buffer buffer;
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(1 << 20);
      stream.expires_after(std::chrono::seconds(60));
      auto [ec, n] = co_await http::async_read(stream, buffer, parser, kUseAwaitable);
      (void)n;
      if (ec) co_return;
      auto const& req = parser.get();
      Reply reply =
          fake_gcs::is_iam_request(req.target()) ? fake_gcs::iam_reply(req, *iam_) : handle(req);
      http::response<http::string_body> res{static_cast<http::status>(reply.status), 11};
      res.set(http::field::server, "fake-gcs");
      for (auto const& [name, value] : reply.headers) res.set(name, value);
      res.body() = std::move(reply.body);
      res.keep_alive(req.keep_alive());
      res.prepare_payload();
      auto [wec, wn] = co_await http::async_write(stream, res, kUseAwaitable);
      (void)wn;
      if (wec || !req.keep_alive()) {
        beast::error_code ignored;
        stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
        co_return;
      }
    }
  }

  Reply handle(http::request<http::string_body> const& req) {
    std::string_view const target = req.target();
    auto const q = target.find('?');
    std::string_view const path = target.substr(0, q);
    std::string_view const query =
        q == std::string_view::npos ? std::string_view{} : target.substr(q + 1);
    std::lock_guard lock(mutex_);
    if (path == "/token" && req.method() == http::verb::post) return token(req.body());
    constexpr std::string_view kMetadata = "/computeMetadata/v1/instance/service-accounts/default/";
    if (req.method() == http::verb::get && path.starts_with(kMetadata)) {
      return metadata(req, path.substr(kMetadata.size()));
    }
    constexpr std::string_view kList = "/storage/v1/b/";
    if (req.method() == http::verb::get && path.starts_with(kList) && path.ends_with("/o") &&
        path.size() > kList.size() + 2) {
      std::string bucket;
      if (!form_decode(path.substr(kList.size(), path.size() - kList.size() - 2), bucket)) {
        return json_reply(400, gcs_error_json(400, "invalid", "bad bucket escape"));
      }
      return list(req, bucket, query);
    }
    return json_reply(404, gcs_error_json(404, "notFound", "Not Found"));
  }

  Reply reject_token(std::string why) {
    ++counters_.token_rejected;
    counters_.last_rejection = why;
    // What Google answers for a bad signature or claim (the description is generic on
    // purpose there too; the reason is kept in the counters for test messages).
    return json_reply(400, "{\"error\":\"invalid_grant\",\"error_description\":\"Invalid JWT: " +
                               json_escape(why) + "\"}");
  }

  // A fresh token, valid for token_ttl (mutex held).
  Reply issue_token() {
    unsigned char raw[16];
    RAND_bytes(raw, sizeof raw);
    std::string tok =
        "ya29.fake-" + signers::crypto::hex_lower(std::span<std::uint8_t const>(raw, sizeof raw));
    tokens_[tok] = Issued{Clock::now() + opts_.token_ttl, {}};
    ++counters_.tokens_issued;
    return json_reply(200, "{\"access_token\":\"" + tok +
                               "\",\"expires_in\":" + std::to_string(opts_.token_ttl.count()) +
                               ",\"token_type\":\"Bearer\"}");
  }

  Reply metadata(http::request<http::string_body> const& req, std::string_view leaf) {
    ++counters_.metadata_requests;
    if (req["Metadata-Flavor"] != "Google") {
      return json_reply(403, "missing Metadata-Flavor header");
    }
    Reply r;
    if (leaf == "token") {
      r = issue_token();
    } else if (leaf == "email") {
      r.status = 200;
      r.body = opts_.client_email;
      r.headers.emplace_back("Content-Type", "application/text");
    } else {
      r = json_reply(404, "not found");
    }
    if (!opts_.metadata_without_flavor) r.headers.emplace_back("Metadata-Flavor", "Google");
    return r;
  }

  Reply token(std::string const& body) {
    ++counters_.token_requests;
    std::map<std::string, std::string> form;
    if (!parse_form(body, form)) return reject_token("bad form encoding");
    if (form["grant_type"] == "refresh_token") {
      if (opts_.refresh_token.empty() || form["refresh_token"] != opts_.refresh_token ||
          form["client_id"].empty() || form["client_secret"].empty()) {
        ++counters_.token_rejected;
        counters_.last_rejection = "refresh_token";
        return json_reply(400, R"({"error":"invalid_grant","error_description":"Bad Request"})");
      }
      ++counters_.refresh_grants;
      return issue_token();
    }
    if (form["grant_type"] != kGrantType) {
      ++counters_.token_rejected;
      counters_.last_rejection = "grant_type";
      return json_reply(
          400, R"({"error":"unsupported_grant_type","error_description":"Invalid grant_type"})");
    }
    std::string const& jwt = form["assertion"];
    auto const d1 = jwt.find('.');
    auto const d2 = d1 == std::string::npos ? d1 : jwt.find('.', d1 + 1);
    if (d2 == std::string::npos || jwt.find('.', d2 + 1) != std::string::npos) {
      return reject_token("not three dot-separated parts");
    }
    std::string header;
    std::string claims;
    std::string sig;
    if (!base64url_decode(std::string_view(jwt).substr(0, d1), header) ||
        !base64url_decode(std::string_view(jwt).substr(d1 + 1, d2 - d1 - 1), claims) ||
        !base64url_decode(std::string_view(jwt).substr(d2 + 1), sig)) {
      return reject_token("a part is not base64url without padding");
    }
    if (!verify(std::string_view(jwt).substr(0, d2), sig))
      return reject_token("Invalid JWT Signature.");

    simdjson::dom::parser parser;
    simdjson::dom::element h;
    simdjson::padded_string ph(header);
    if (parser.parse(ph).get(h) != simdjson::SUCCESS) return reject_token("header is not JSON");
    std::string_view s;
    if (h["alg"].get_string().get(s) != simdjson::SUCCESS || s != "RS256")
      return reject_token("alg");
    if (h["typ"].get_string().get(s) != simdjson::SUCCESS || s != "JWT") return reject_token("typ");

    simdjson::dom::parser parser2;
    simdjson::dom::element c;
    simdjson::padded_string pc(claims);
    if (parser2.parse(pc).get(c) != simdjson::SUCCESS) return reject_token("claims are not JSON");
    if (c["iss"].get_string().get(s) != simdjson::SUCCESS || s != opts_.client_email) {
      return reject_token("iss");
    }
    if (c["aud"].get_string().get(s) != simdjson::SUCCESS || s != endpoint() + "/token") {
      return reject_token("aud");
    }
    if (c["scope"].get_string().get(s) != simdjson::SUCCESS || s != kScope)
      return reject_token("scope");
    std::int64_t iat = 0;
    std::int64_t exp = 0;
    if (c["iat"].get_int64().get(iat) != simdjson::SUCCESS ||
        c["exp"].get_int64().get(exp) != simdjson::SUCCESS) {
      return reject_token("iat/exp are not integers");
    }
    auto const now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    if (iat > now + 300 || iat < now - 300)
      return reject_token("iat is not within 5 minutes of now");
    if (exp <= iat || exp - iat > 3600) return reject_token("exp must be iat + 1..3600");

    unsigned char raw[24];
    RAND_bytes(raw, sizeof raw);
    std::string tok =
        "ya29.fake-" + signers::crypto::hex_lower(std::span<std::uint8_t const>(raw, sizeof raw));
    tokens_[tok] = Issued{Clock::now() + opts_.token_ttl, {}};
    ++counters_.tokens_issued;
    return json_reply(200, "{\"access_token\":\"" + tok +
                               "\",\"expires_in\":" + std::to_string(opts_.token_ttl.count()) +
                               ",\"token_type\":\"Bearer\"}");
  }

  bool verify(std::string_view input, std::string const& sig) const {
    EVP_MD_CTX* md = EVP_MD_CTX_new();
    bool const ok =
        md != nullptr && EVP_DigestVerifyInit(md, nullptr, EVP_sha256(), nullptr, pkey_) == 1 &&
        EVP_DigestVerify(md, reinterpret_cast<unsigned char const*>(sig.data()), sig.size(),
                         reinterpret_cast<unsigned char const*>(input.data()), input.size()) == 1;
    EVP_MD_CTX_free(md);
    return ok;
  }

  // `Bearer T` with T issued and live (or the static token); `caller_only` refuses a token of
  // an impersonated account (IAM wants the caller's own). `as` receives whose token it is
  // (empty: the caller's).
  bool authorised(std::string_view authz, bool caller_only, std::string* as = nullptr) {
    constexpr std::string_view kBearer = "Bearer ";
    if (!authz.starts_with(kBearer)) return false;
    std::string const tok(authz.substr(kBearer.size()));
    if (!opts_.static_token.empty() && tok == opts_.static_token) return true;
    auto it = tokens_.find(tok);
    if (it == tokens_.end()) return false;
    if (Clock::now() >= it->second.until) {
      tokens_.erase(it);
      return false;
    }
    if (caller_only && !it->second.as.empty()) return false;
    if (as != nullptr) *as = it->second.as;
    return true;
  }

  // A token of the service account `email`, issued by generateAccessToken (mutex held).
  std::string issue_impersonated(std::string const& email, std::chrono::seconds lifetime) {
    unsigned char raw[16];
    RAND_bytes(raw, sizeof raw);
    std::string tok = "ya29.fake-impersonated-" +
                      signers::crypto::hex_lower(std::span<std::uint8_t const>(raw, sizeof raw));
    tokens_[tok] =
        Issued{Clock::now() + std::min<Clock::duration>(lifetime, opts_.token_ttl), email};
    return tok;
  }

  static std::string page_token(std::size_t index, std::string const& prefix) {
    // Opaque, and base64 with '+', '/' and '=' in it: a client must encode it in the query.
    std::string raw = "\xfb\xef\xbe" + std::to_string(index) + ":" + std::to_string(fnv1a(prefix));
    return signers::crypto::base64_encode(std::span<std::uint8_t const>(
        reinterpret_cast<std::uint8_t const*>(raw.data()), raw.size()));
  }

  static bool parse_page_token(std::string const& token, std::string const& prefix,
                               std::size_t& index) {
    std::string raw;
    if (!signers::crypto::base64_decode(token, raw) || !raw.starts_with("\xfb\xef\xbe"))
      return false;
    raw.erase(0, 3);
    auto const colon = raw.find(':');
    if (colon == std::string::npos) return false;
    if (raw.substr(colon + 1) != std::to_string(fnv1a(prefix))) return false;
    try {
      index = std::stoull(raw.substr(0, colon));
    } catch (...) {
      return false;
    }
    return true;
  }

  GcsFault draw_fault(std::string const& page_key) {
    std::uint64_t const i = counters_.list_requests - 1;
    GcsFault f = GcsFault::kNone;
    if (i < opts_.script.size()) return opts_.script[i];
    auto& in_row = in_row_[page_key];
    if (in_row >= opts_.max_faults_in_row) {
      in_row = 0;
      return GcsFault::kNone;
    }
    double const u =
        static_cast<double>(splitmix64(opts_.seed * 0x100000001b3ULL + i) >> 11) * 0x1.0p-53;
    if (u < opts_.rate_429) {
      f = GcsFault::kTooManyRequests429;
    } else if (u < opts_.rate_429 + opts_.rate_503) {
      f = GcsFault::kUnavailable503;
    }
    in_row = f == GcsFault::kNone ? 0 : in_row + 1;
    return f;
  }

  Reply list(http::request<http::string_body> const& req, std::string const& bucket,
             std::string_view query) {
    ++counters_.list_requests;
    std::string as;
    if (!authorised(req[http::field::authorization], /*caller_only=*/false, &as)) {
      ++counters_.list_unauthorized;
      Reply r = json_reply(401, gcs_error_json(401, "authError", "Invalid Credentials"));
      r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"https://accounts.google.com/\"");
      return r;
    }
    if (bucket != opts_.bucket) {
      return json_reply(404,
                        gcs_error_json(404, "notFound", "The specified bucket does not exist."));
    }
    std::map<std::string, std::string> params;
    if (!parse_form(query, params))
      return json_reply(400, gcs_error_json(400, "invalid", "bad query escape"));
    std::string const prefix = params["prefix"];
    std::size_t max_results = 1000;
    if (auto it = params.find("maxResults"); it != params.end()) {
      try {
        max_results = std::stoull(it->second);
      } catch (...) {
        return json_reply(400, gcs_error_json(400, "invalid", "Invalid maxResults"));
      }
      if (max_results == 0)
        return json_reply(400, gcs_error_json(400, "invalid", "Invalid maxResults"));
      max_results = std::min<std::size_t>(max_results, 5000);
    }
    std::size_t start = static_cast<std::size_t>(
        std::lower_bound(opts_.names.begin(), opts_.names.end(), prefix) - opts_.names.begin());
    if (auto it = params.find("pageToken"); it != params.end() && !it->second.empty()) {
      if (!parse_page_token(it->second, prefix, start)) {
        return json_reply(400, gcs_error_json(400, "invalid", "Invalid pageToken"));
      }
    }

    switch (draw_fault(prefix + '\n' + std::to_string(start))) {
      case GcsFault::kTooManyRequests429:
        ++counters_.faults_429;
        return json_reply(429, gcs_error_json(429, "rateLimitExceeded",
                                              "The rate of change requests is too high."));
      case GcsFault::kUnavailable503:
        ++counters_.faults_503;
        return json_reply(503, gcs_error_json(503, "backendError", "Backend Error"));
      case GcsFault::kUnauthorized401:
        ++counters_.faults_401;
        return json_reply(401, gcs_error_json(401, "authError", "Invalid Credentials"));
      case GcsFault::kMalformed200: {
        ++counters_.faults_malformed;
        return json_reply(200,
                          R"({"kind":"storage#objects","items":[{"name":"x","size":"1"},{"na)");
      }
      case GcsFault::kNone:
        break;
    }

    std::string body = "{\"kind\":\"storage#objects\"";
    std::string items;
    std::size_t i = start;
    std::size_t served = 0;
    for (; i < opts_.names.size() && served < max_results && opts_.names[i].starts_with(prefix);
         ++i, ++served) {
      std::string const& name = opts_.names[i];
      if (!items.empty()) items += ',';
      items += "{\"kind\":\"storage#object\",\"name\":\"" + json_escape(name) + "\",\"size\":\"" +
               std::to_string(name.size() * 7) + "\",\"updated\":\"2024-05-01T12:00:00.000Z\"," +
               "\"generation\":\"" + std::to_string(1714564800000000ULL + i) + "\"}";
    }
    bool const more = i < opts_.names.size() && opts_.names[i].starts_with(prefix);
    if (more) body += ",\"nextPageToken\":\"" + page_token(i, prefix) + "\"";
    if (!items.empty()) body += ",\"items\":[" + items + "]";
    body += "}";
    ++counters_.pages_ok;
    ++(as.empty() ? counters_.pages_as_caller : counters_.pages_as_impersonated);
    counters_.names_served += served;
    return json_reply(200, std::move(body));
  }

  FakeGcsOptions opts_;
  EVP_PKEY* pkey_ = nullptr;
  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  std::vector<std::thread> threads_;
  std::string fixed_answer_;              // sign_blob_fixed: the one answer, once made
  std::optional<fake_gcs::IamHost> iam_;  // set once pkey_ is
  std::atomic<bool> stopped_{false};
  mutable std::mutex mutex_;
  FakeGcsCounters counters_;
  struct Issued {
    Clock::time_point until;
    std::string as;  // the impersonated account; empty: the caller's own token
  };
  std::unordered_map<std::string, Issued> tokens_;
  std::unordered_map<std::string, std::uint32_t> in_row_;
};

FakeGcsServer::FakeGcsServer(FakeGcsOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}

FakeGcsServer::~FakeGcsServer() = default;

std::uint16_t FakeGcsServer::port() const noexcept { return impl_->port(); }

std::string FakeGcsServer::endpoint() const { return impl_->endpoint(); }

std::string FakeGcsServer::token_url() const { return impl_->endpoint() + "/token"; }

FakeGcsCounters FakeGcsServer::counters() const { return impl_->counters(); }

void FakeGcsServer::revoke_tokens() { impl_->revoke_tokens(); }

void FakeGcsServer::stop() { impl_->stop(); }

}  // namespace presign::test
