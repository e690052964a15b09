// What the three listing parsers share (URL decoding, protocol errors, the XML <Error> body)
// and the public face of presign/io/list_page.hpp: ListPage, the parser's dispatch, batches.
// The parsers themselves: list_page_s3.cpp, list_page_azure.cpp, list_page_gcs.cpp.

#include "list_page_xml.hpp"

#include "presign/core/utf8.hpp"
#include "presign/io/list_page.hpp"

#include <algorithm>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>

namespace presign::io::detail {

std::size_t url_decode_to(char const* in, std::size_t n, char* out, bool plus_is_space,
                          std::size_t& bad) noexcept {
  auto hex = [](char c) noexcept -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::size_t w = 0;
  for (std::size_t i = 0; i < n; ++i) {
    char c = in[i];
    if (c == '%') {
      if (n - i < 3) {
        bad = i;
        return std::string_view::npos;
      }
      int hi = hex(in[i + 1]);
      int lo = hex(in[i + 2]);
      if (hi < 0 || lo < 0) {
        bad = i;
        return std::string_view::npos;
      }
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      c = ' ';
    }
    out[w++] = c;  // w <= i always, so an in-place decode never overwrites unread input
  }
  return w;
}

bool url_decode_string(std::string& s, bool plus_is_space, std::size_t& bad) {
  std::size_t n = url_decode_to(s.data(), s.size(), s.data(), plus_is_space, bad);
  if (n == std::string_view::npos) return false;
  s.resize(n);
  if (std::size_t u = find_invalid_utf8_or_nul(s); u != s.size()) {
    bad = 0;  // the offset inside the decoded value means nothing to a reader of the body
    return false;
  }
  return true;
}

Error protocol_error(std::string_view what, std::size_t offset, std::string_view reason) {
  std::string detail;
  detail.reserve(what.size() + reason.size() + 32);
  detail.append(what)
      .append(": ")
      .append(reason)
      .append(" at byte ")
      .append(std::to_string(offset));
  return make_error(ErrorKind::kProtocol, std::move(detail));
}

bool read_xml_error(XmlReader& r, XmlElement const& root, ProviderError& out) {
  bool has_code = false;
  bool has_message = false;
  bool has_request_id = false;
  XmlElement c;
  while (r.next_child(root, c)) {
    std::string* field = nullptr;
    bool* seen = nullptr;
    if (c.name == "Code") {
      field = &out.code;
      seen = &has_code;
    } else if (c.name == "Message") {
      field = &out.message;
      seen = &has_message;
    } else if (c.name == "RequestId") {
      field = &out.request_id;
      seen = &has_request_id;
    }
    if (field == nullptr) {
      // StringToSign, CanonicalRequest, SignatureProvided, HostId...: deliberately not read.
      if (!r.skip(c)) return false;
      continue;
    }
    if (*seen) return r.fail(c.offset, "duplicate <" + excerpt(c.name) + "> in <Error>");
    *seen = true;
    if (!r.read_text(c, *field)) return false;
  }
  if (r.failed() || !r.finish()) return false;
  if (!has_code || out.code.empty()) return r.fail(root.offset, "<Error> without a <Code>");
  truncate_utf8(out.message, 1024);
  return true;
}

}  // namespace presign::io::detail

namespace presign::io {

void ListPage::clear() noexcept {
  objects.clear();
  common_prefixes.clear();
  text.clear();
  next_token.clear();
  truncated = false;
  prefix_echoed = false;
  echoed_prefix.clear();
  delimiter_echoed = false;
  echoed_delimiter.clear();
  echoed_token.clear();
  echoed_start_after.clear();
  bucket.clear();
  max_keys = -1;
  key_count = -1;
  url_encoded = false;
}

Error to_error(ProviderError const& e, ErrorKind kind, int http_status) {
  std::string detail = e.code;
  if (!e.message.empty()) detail.append(": ").append(e.message);
  if (!e.request_id.empty()) detail.append(" (request id ").append(e.request_id).append(")");
  Error err = make_error(kind, std::move(detail));
  err.http_status = http_status != 0 ? http_status : e.status;
  err.provider_code = e.code;
  return err;
}

ListPageParser::ListPageParser() : impl_(std::make_unique<Impl>()) {}
ListPageParser::~ListPageParser() = default;
ListPageParser::ListPageParser(ListPageParser&&) noexcept = default;
ListPageParser& ListPageParser::operator=(ListPageParser&&) noexcept = default;

Result<void> ListPageParser::parse(ListFormat format, std::string_view body, ListPage& page,
                                   std::string& key_bytes) {
  switch (format) {
    case ListFormat::kS3ListObjectsV2:
      return parse_s3(body, page, key_bytes);
    case ListFormat::kAzureListBlobs:
      return parse_azure(body, page, key_bytes);
    case ListFormat::kGcsObjectsList:
      return parse_gcs(body, page, key_bytes);
  }
  return make_error(ErrorKind::kInternal, "unknown listing format");
}

Result<ProviderError> ListPageParser::parse_xml_error(std::string_view body) {
  detail::XmlReader r(body, impl_->stack);
  detail::XmlElement root;
  ProviderError out;
  if (r.open_root(root)) {
    if (root.name != "Error") {
      r.fail(root.offset, "root element is <" + detail::excerpt(root.name) + ">, expected <Error>");
    } else {
      detail::read_xml_error(r, root, out);
    }
  }
  if (r.failed()) return detail::protocol_error("XML error body", r.error_offset(), r.error());
  return out;
}

void add_to_batch(ListPage const& page, Batch& batch) {
  std::string_view data = batch.data;
  batch.objects.reserve(batch.objects.size() + page.objects.size());
  for (ListedObject const& o : page.objects) {
    batch.objects.push_back(ObjectRef{o.key.in(data), {}});
  }
}

}  // namespace presign::io
