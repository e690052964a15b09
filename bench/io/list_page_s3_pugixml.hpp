#pragma once
// The S3 ListObjectsV2 parser written on pugixml (Debian libpugixml-dev 1.13), kept as the
// measured alternative to the hand-written reader in io/src/list_page_xml.cpp (results at the
// top of list_page_bench.cpp). It has the same contract as ListPageParser::parse_s3 for every
// page a service sends: the same required elements, KeyCount/IsTruncated checks, entity rules
// (pugixml parses the structure; entities are decoded by the same detail::decode_xml_text, so
// &#0; and unknown entities are refused as there), UTF-8 check and URL decoding. Error texts
// and offsets differ. It was fuzzed during the comparison (2026-11-23: 997,818 inputs in 60 s,
// ASan+UBSan, no finding, and no key/token difference from the reader wherever both accepted;
// pugixml itself ran uninstrumented, as Debian ships only the compiled library). It is not
// linked into presign.

#include "presign/io/list_page.hpp"
#include "presign/core/utf8.hpp"

#include <pugixml.hpp>

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace presign::bench {

class PugixmlS3Parser {
 public:
  Result<void> parse(std::string_view body, io::ListPage& page, std::string& key_bytes) {
    page.clear();
    std::size_t const key_base = key_bytes.size();
    error_.clear();
    if (!parse_impl(body, page, key_bytes, key_base)) {
      key_bytes.resize(key_base);
      page.clear();
      return make_error(ErrorKind::kProtocol, "S3 ListObjectsV2 page (pugixml): " + error_);
    }
    return ok();
  }

 private:
  bool fail(std::string what) {
    if (error_.empty()) error_ = std::move(what);
    return false;
  }

  // Appends the text content of `n` (PCDATA and CDATA children; elements are an error).
  bool text(pugi::xml_node n, std::string& out) {
    for (pugi::xml_node c = n.first_child(); c; c = c.next_sibling()) {
      switch (c.type()) {
        case pugi::node_pcdata: {
          std::string_view raw = c.value();
          std::string err;
          std::size_t at = 0;
          if (!io::detail::decode_xml_text(raw, static_cast<std::size_t>(c.offset_debug()), out,
                                           err, at)) {
            return fail(err);
          }
          break;
        }
        case pugi::node_cdata: {
          std::string_view raw = c.value();
          if (raw.find('\r') != std::string_view::npos) return fail("raw CR in CDATA");
          out.append(raw);
          break;
        }
        case pugi::node_element:
          return fail(std::string("element inside <") + n.name() + ">");
        default:
          break;
      }
    }
    return true;
  }

  bool number(pugi::xml_node n, std::uint64_t max, std::uint64_t& v) {
    scratch_.clear();
    if (!text(n, scratch_)) return false;
    std::string_view s = scratch_;
    while (!s.empty() && (s.front() == ' ' || s.front() == '\n' || s.front() == '\t')) {
      s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\n' || s.back() == '\t')) {
      s.remove_suffix(1);
    }
    if (s.empty()) return fail("empty number");
    v = 0;
    for (char c : s) {
      if (c < '0' || c > '9') return fail("not a number");
      auto d = static_cast<std::uint64_t>(c - '0');
      if (v > (max - d) / 10) return fail("number too large");
      v = v * 10 + d;
    }
    return true;
  }

  // Other elements may only hold whitespace between children, as in the production reader.
  bool only_elements(pugi::xml_node n) {
    for (pugi::xml_node c = n.first_child(); c; c = c.next_sibling()) {
      if (c.type() == pugi::node_pcdata || c.type() == pugi::node_cdata) {
        for (char ch : std::string_view(c.value())) {
          if (ch != ' ' && ch != '\n' && ch != '\t' && ch != '\r') {
            return fail("text where an element was expected");
          }
        }
      }
    }
    return true;
  }

  bool parse_impl(std::string_view body, io::ListPage& page, std::string& key_bytes,
                  std::size_t key_base) {
    if (find_invalid_utf8_or_nul(body) != body.size()) return fail("invalid UTF-8 or NUL");
    buf_.assign(body);
    // Structure only: no entity decoding (done above), no EOL normalisation (a raw CR must stay
    // visible to be refused), DOCTYPE nodes kept so that they can be refused.
    unsigned const flags = pugi::parse_cdata | pugi::parse_doctype | pugi::parse_declaration;
    pugi::xml_parse_result res =
        doc_.load_buffer_inplace(buf_.data(), buf_.size(), flags, pugi::encoding_utf8);
    if (!res) return fail(std::string(res.description()));
    pugi::xml_node root;
    for (pugi::xml_node c = doc_.first_child(); c; c = c.next_sibling()) {
      if (c.type() == pugi::node_doctype) return fail("DOCTYPE refused");
      if (c.type() == pugi::node_declaration) {
        pugi::xml_attribute enc = c.attribute("encoding");
        std::string_view e = enc.value();
        if (enc && e != "UTF-8" && e != "utf-8") return fail("not UTF-8");
      }
      if (c.type() == pugi::node_element) root = c;
      if (c.type() == pugi::node_pcdata) return fail("text outside the root");
    }
    if (!root) return fail("no root element");
    if (std::string_view(root.name()) != "ListBucketResult") return fail("wrong root");
    if (!only_elements(root)) return false;

    bool has_truncated = false;
    for (pugi::xml_node c = root.first_child(); c; c = c.next_sibling()) {
      if (c.type() != pugi::node_element) continue;
      std::string_view n = c.name();
      if (n == "Contents") {
        if (!only_elements(c)) return false;
        io::ListedObject obj;
        bool key = false;
        bool size = false;
        for (pugi::xml_node f = c.first_child(); f; f = f.next_sibling()) {
          if (f.type() != pugi::node_element) continue;
          std::string_view fn = f.name();
          if (fn == "Key") {
            if (key) return fail("duplicate Key");
            key = true;
            obj.key.offset = key_bytes.size();
            if (!text(f, key_bytes)) return false;
            obj.key.size = key_bytes.size() - obj.key.offset;
          } else if (fn == "Size") {
            if (size) return fail("duplicate Size");
            size = true;
            if (!number(f, std::numeric_limits<std::uint64_t>::max(), obj.size)) return false;
          } else if (fn == "LastModified") {
            obj.last_modified.offset = page.text.size();
            if (!text(f, page.text)) return false;
            obj.last_modified.size = page.text.size() - obj.last_modified.offset;
          } else if (fn == "ETag") {
            obj.etag.offset = page.text.size();
            if (!text(f, page.text)) return false;
            obj.etag.size = page.text.size() - obj.etag.offset;
          }
        }
        if (!key || !size) return fail("Contents without Key or Size");
        page.objects.push_back(obj);
      } else if (n == "CommonPrefixes") {
        pugi::xml_node p = c.child("Prefix");
        if (!p) return fail("CommonPrefixes without Prefix");
        io::ByteSpan span{page.text.size(), 0};
        if (!text(p, page.text)) return false;
        span.size = page.text.size() - span.offset;
        page.common_prefixes.push_back(span);
      } else if (n == "IsTruncated") {
        if (has_truncated) return fail("duplicate IsTruncated");
        has_truncated = true;
        scratch_.clear();
        if (!text(c, scratch_)) return false;
        if (scratch_ == "true") {
          page.truncated = true;
        } else if (scratch_ != "false") {
          return fail("IsTruncated not a boolean");
        }
      } else if (n == "NextContinuationToken") {
        if (!text(c, page.next_token)) return false;
      } else if (n == "ContinuationToken") {
        if (!text(c, page.echoed_token)) return false;
      } else if (n == "Prefix") {
        page.prefix_echoed = true;
        if (!text(c, page.echoed_prefix)) return false;
      } else if (n == "Name") {
        if (!text(c, page.bucket)) return false;
      } else if (n == "KeyCount" || n == "MaxKeys") {
        std::uint64_t v = 0;
        if (!number(c, std::numeric_limits<std::int64_t>::max(), v)) return false;
        (n == "KeyCount" ? page.key_count : page.max_keys) = static_cast<std::int64_t>(v);
      } else if (n == "EncodingType") {
        scratch_.clear();
        if (!text(c, scratch_)) return false;
        if (scratch_ != "url") return fail("unsupported EncodingType");
        page.url_encoded = true;
      }
    }
    if (!has_truncated) return fail("IsTruncated missing");
    if (page.truncated == page.next_token.empty()) return fail("IsTruncated/token mismatch");
    if (page.key_count >= 0) {
      auto keys = static_cast<std::int64_t>(page.objects.size());
      if (page.key_count != keys &&
          page.key_count != keys + static_cast<std::int64_t>(page.common_prefixes.size())) {
        return fail("KeyCount mismatch");
      }
    }
    if (page.url_encoded) {
      std::size_t w = key_base;
      for (io::ListedObject& o : page.objects) {
        std::size_t bad = 0;
        std::size_t n = io::detail::url_decode_to(key_bytes.data() + o.key.offset, o.key.size,
                                                  key_bytes.data() + w, true, bad);
        if (n == std::string_view::npos) return fail("bad %-escape");
        if (find_invalid_utf8_or_nul(std::string_view(key_bytes.data() + w, n)) != n) {
          return fail("key not UTF-8 after decoding");
        }
        o.key = io::ByteSpan{w, n};
        w += n;
      }
      key_bytes.resize(w);
    }
    return true;
  }

  pugi::xml_document doc_;
  std::string buf_;      // mutable copy for in-situ parsing
  std::string scratch_;  // numbers, booleans
  std::string error_;
};

}  // namespace presign::bench
