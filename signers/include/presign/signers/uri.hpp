#pragma once
/// Percent-encoding as the signing specs define it (RFC 3986 unreserved set).

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace presign::signers {

/// Encodes every byte except `A-Z a-z 0-9 - . _ ~` as `%XX` (upper-case hex); when
/// `keep_slash`, `/` is kept too (S3/GCS object paths). Writes into `out`, which must hold
/// `3 * in.size()` bytes; returns the number written. noexcept, no allocation.
std::size_t uri_encode(std::string_view in, char* out, bool keep_slash) noexcept;

/// Appends the encoding of `in` to `out`.
void append_uri_encoded(std::string& out, std::string_view in, bool keep_slash);

/// The query string of `params` (`name=value&…`, names and values RFC 3986-encoded with `/`
/// encoded too, as SigV4 canonicalises), in the order given: the S3 and Azure listing queries
/// and STS's form bodies.
std::string encode_query(std::vector<std::pair<std::string, std::string>> const& params);

/// Decodes `%XX` escapes (either hex case); with `plus_is_space`, `+` becomes a space (form
/// decoding, as S3 `encoding-type=url` listings need). Returns false on a malformed escape.
bool uri_decode(std::string_view in, std::string& out, bool plus_is_space = false);

}  // namespace presign::signers
