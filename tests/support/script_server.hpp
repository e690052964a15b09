#pragma once
// A scripted loopback HTTP/1.1 server for tests that need canned answers and the requests as
// sent (the Azure List Blobs tests, the one page fetcher's tests): one request per
// connection on 127.0.0.1, answered from `script` in order (the last one repeats) with
// `Connection: close`. Its endpoint carries Azurite's path-style account.

#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdlib>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace presign::test {

struct Canned {
  int status = 200;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

struct Recorded {
  std::string method;
  std::string target;  // path and query as received
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // as received (Content-Length bytes)

  [[nodiscard]] std::string header(std::string_view name) const {
    for (auto const& [n, v] : headers) {
      if (n.size() == name.size() &&
          std::equal(n.begin(), n.end(), name.begin(), [](char a, char b) {
            return std::tolower(static_cast<unsigned char>(a)) ==
                   std::tolower(static_cast<unsigned char>(b));
          })) {
        return v;
      }
    }
    return {};
  }
};

// One-request-per-connection HTTP/1.1 server on 127.0.0.1: answers the scripted responses in
// order (the last one repeats) with `Connection: close`.
class ScriptServer {
 public:
  explicit ScriptServer(std::vector<Canned> script) : script_(std::move(script)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::listen(fd_, 16) == 0);
    socklen_t len = sizeof a;
    REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) == 0);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { loop(); });
  }
  ~ScriptServer() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  ScriptServer(ScriptServer const&) = delete;
  ScriptServer& operator=(ScriptServer const&) = delete;

  [[nodiscard]] std::string endpoint() const {
    return "http://127.0.0.1:" + std::to_string(port_) + "/devstoreaccount1";
  }
  [[nodiscard]] std::vector<Recorded> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  void loop() {
    while (!stop_) {
      int const c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      std::string in;
      char buf[4096];
      while (in.find("\r\n\r\n") == std::string::npos) {
        ssize_t const n = ::recv(c, buf, sizeof buf, 0);
        if (n <= 0) break;
        in.append(buf, static_cast<std::size_t>(n));
      }
      Recorded r;
      auto const line_end = in.find("\r\n");
      if (line_end != std::string::npos) {
        std::string const line = in.substr(0, line_end);
        auto const s1 = line.find(' ');
        auto const s2 = line.rfind(' ');
        if (s1 != std::string::npos && s2 > s1) r.target = line.substr(s1 + 1, s2 - s1 - 1);
        if (s1 != std::string::npos) r.method = line.substr(0, s1);
        std::size_t pos = line_end + 2;
        for (;;) {
          auto const e = in.find("\r\n", pos);
          if (e == std::string::npos || e == pos) break;
          std::string const h = in.substr(pos, e - pos);
          auto const colon = h.find(':');
          std::string v = h.substr(colon + 1);
          while (!v.empty() && v.front() == ' ') v.erase(0, 1);
          r.headers.emplace_back(h.substr(0, colon), v);
          pos = e + 2;
        }
        std::size_t const head_end = in.find("\r\n\r\n");
        std::size_t const body_at = head_end == std::string::npos ? in.size() : head_end + 4;
        auto const want = static_cast<std::size_t>(std::atoll(r.header("Content-Length").c_str()));
        while (head_end != std::string::npos && in.size() - body_at < want) {
          ssize_t const n = ::recv(c, buf, sizeof buf, 0);
          if (n <= 0) break;
          in.append(buf, static_cast<std::size_t>(n));
        }
        r.body = in.substr(body_at);
      }
      Canned resp;
      {
        std::lock_guard lock(mutex_);
        resp = script_[std::min(requests_.size(), script_.size() - 1)];
        requests_.push_back(std::move(r));
      }
      std::string out = "HTTP/1.1 " + std::to_string(resp.status) + " X\r\n";
      for (auto const& [n, v] : resp.headers) out += n + ": " + v + "\r\n";
      out += "Content-Type: application/xml\r\nConnection: close\r\nContent-Length: " +
             std::to_string(resp.body.size()) + "\r\n\r\n" + resp.body;
      std::size_t sent = 0;
      while (sent < out.size()) {
        ssize_t const n = ::send(c, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) break;
        sent += static_cast<std::size_t>(n);
      }
      ::close(c);
    }
  }

  std::vector<Canned> script_;
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  std::vector<Recorded> requests_;
  std::thread thread_;
};

}  // namespace presign::test
