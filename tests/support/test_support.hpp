#pragma once
// Helpers shared by the doctest suites: where the published vectors are, reading files, JSON,
// temporary directories.
#include <doctest/doctest.h>
#include <simdjson.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <vector>
#include <sstream>
#include <stdexcept>
#include <string>

namespace presign::test {

/// A fresh directory under $TMPDIR (or /tmp), removed with everything in it at scope exit.
class TempDir {
 public:
  explicit TempDir(char const* tag = "presign-test") {
    std::string pattern =
        (std::filesystem::temp_directory_path() / (std::string(tag) + "-XXXXXX")).string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(TempDir const&) = delete;
  TempDir& operator=(TempDir const&) = delete;
  [[nodiscard]] std::filesystem::path const& path() const { return path_; }
  /// The path of `name` inside the directory (nothing is created).
  [[nodiscard]] std::string file(std::string const& name) const { return (path_ / name).string(); }
  /// Writes `text` (exact bytes) to `name` (a relative path; missing parent directories are
  /// created); returns its path.
  std::string write(std::string const& name, std::string const& text) const {
    std::string const p = file(name);
    std::filesystem::create_directories(std::filesystem::path(p).parent_path());
    std::ofstream out(p, std::ios::binary);
    out << text;
    REQUIRE(out.good());
    return p;
  }
  /// Names of the entries, in directory order.
  [[nodiscard]] std::vector<std::string> entries() const {
    std::vector<std::string> out;
    for (auto const& e : std::filesystem::directory_iterator(path_))
      out.push_back(e.path().filename().string());
    return out;
  }

 private:
  std::filesystem::path path_;
};

/// tests/vectors in the source tree (set by CMake).
inline std::string vectors_dir() { return PRESIGN_VECTORS_DIR; }
/// The built `presign` program.
inline std::string presign_binary() { return PRESIGN_BINARY; }

inline std::string read_file(std::string const& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// Runs a shell command, returns its stdout; `rc` receives the exit status.
inline std::string run(std::string const& cmd, int& rc) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) throw std::runtime_error("popen failed");
  char buf[65536];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int const st = ::pclose(p);
  rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return out;
}

/// Single-quotes `s` for /bin/sh.
inline std::string sh_quote(std::string const& s) {
  std::string q = "'";
  for (char c : s) {
    if (c == '\'')
      q += "'\\''";
    else
      q += c;
  }
  return q + "'";
}

/// simdjson string field or "" when null/missing.
inline std::string str_or_empty(simdjson::dom::element e, char const* key) {
  auto v = e[key];
  if (v.error() || v.is_null()) return {};
  std::string_view s;
  if (v.get(s)) return {};
  return std::string(s);
}

}  // namespace presign::test
