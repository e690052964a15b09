#pragma once
// Helpers of store_tests: a temporary directory removed at the end of the test, a fixed key,
// and a store opened in it.

#include "presign/store/store.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

// How doctest prints a Result<T> in a failed CHECK: boost::system::result's own operator<<
// would need one for every T. An error's detail is secret-free by contract.
namespace doctest {
template <class T>
struct StringMaker<boost::system::result<T, presign::Error>> {
  static String convert(boost::system::result<T, presign::Error> const& r) {
    if (r.has_value()) return "a value";
    return String(("error: " + r.error().detail).c_str());
  }
};
}  // namespace doctest

namespace presign::store::test {

struct TempDir {
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "presign-store.XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  TempDir(TempDir const&) = delete;
  TempDir& operator=(TempDir const&) = delete;
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  [[nodiscard]] std::string file(char const* name) const { return path + "/" + name; }
  std::string path;
};

inline MasterKey fixed_key(unsigned char fill) {
  std::array<unsigned char, MasterKey::kSize> b{};
  for (std::size_t i = 0; i < b.size(); ++i) b[i] = static_cast<unsigned char>(fill + i);
  return MasterKey(b);
}

inline Store open_with_key(std::string const& path, MasterKey const& key) {
  StoreOptions o;
  o.path = path;
  o.key.key = key;
  auto s = Store::open(o);
  REQUIRE_MESSAGE(s.has_value(), (s ? "" : s.error().detail));
  return std::move(*s);
}

inline Stamp stamp_at(std::int64_t unix_seconds, std::string actor = "tester") {
  return Stamp{std::move(actor), Instant(std::chrono::seconds(unix_seconds))};
}

}  // namespace presign::store::test
