#pragma once
/// Standard base64 with padding (RFC 4648 §4): one encoder and one strict decoder for every
/// library. (The GCS JWT's unpadded base64url, signers/src/gcs_oauth.cpp, is another alphabet.)

#include <string>
#include <string_view>

namespace presign {

/// Appends the base64 of `in` to `out`.
void append_base64(std::string& out, std::string_view in);

/// Decodes `in` into `out` (cleared first). False on anything but canonical padded base64:
/// a length not a multiple of 4, a byte outside the alphabet, misplaced padding, or non-zero
/// bits after the last byte of a padded group (RFC 4648 §3.5), so each byte string has exactly
/// one accepted spelling.
bool base64_decode(std::string_view in, std::string& out);

}  // namespace presign
