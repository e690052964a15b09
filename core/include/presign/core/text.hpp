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

/// Appends a readable, single-line form of `s` for a message: a backslash doubled, each
/// control byte (below 0x20, and 0x7f) as `\xHH`, every other byte as it is. So a key or an
/// option value with a tab or an escape sequence in it never reaches a terminal raw.
void append_printable(std::string& out, std::string_view s);

}  // namespace presign
