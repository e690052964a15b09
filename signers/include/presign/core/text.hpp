#pragma once
/// ASCII text helpers shared by every library (header names, URI schemes, hosts, token types):
/// locale-independent, so a Turkish or any other locale never changes a comparison.

#include <cstddef>
#include <string>
#include <string_view>

namespace presign {

/// 'A'..'Z' to 'a'..'z'; every other byte unchanged (UTF-8 sequences included).
constexpr char ascii_lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

/// `s` with ASCII letters lowered.
inline std::string ascii_to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = ascii_lower(c);
  return out;
}

/// Equal when ASCII letters are compared without case (HTTP header names, schemes).
constexpr bool ascii_iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  }
  return true;
}

}  // namespace presign
