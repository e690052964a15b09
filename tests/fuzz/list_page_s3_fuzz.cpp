// libFuzzer target: S3 ListObjectsV2 pages (presign::io::ListPageParser::parse_s3).
// Run by scripts/fuzz.sh; seeds in corpus/list_page_s3/, past crashes in regressions/list_page_s3/.
// Besides the shared invariants (list_page_fuzz_check.hpp), a page that parses is written back
// as XML, once plain and once with EncodingType=url, and must parse to the same page.

#include "list_page_fuzz_check.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace presign::fuzz {

std::string write_s3_page(Flat const& f, bool url) {
  std::string x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListBucketResult>";
  auto value = [&](std::string_view v) {
    if (!url) return xml_escape(x, v);
    std::string enc;
    url_encode(enc, v, /*space_as_plus=*/true);
    xml_escape(x, enc);
  };
  if (url) x += "<EncodingType>url</EncodingType>";
  x += "<KeyCount>" + std::to_string(f.keys.size() + f.prefixes.size()) + "</KeyCount>";
  x += f.truncated ? "<IsTruncated>true</IsTruncated>" : "<IsTruncated>false</IsTruncated>";
  if (!f.next_token.empty()) {
    x += "<NextContinuationToken>";
    xml_escape(x, f.next_token);  // tokens are never URL-encoded by S3
    x += "</NextContinuationToken>";
  }
  for (std::size_t i = 0; i < f.keys.size(); ++i) {
    x += "<Contents><Key>";
    value(f.keys[i]);
    x += "</Key><LastModified>";
    xml_escape(x, f.modified[i]);
    x += "</LastModified><ETag>";
    xml_escape(x, f.etags[i]);
    x += "</ETag><Size>" + std::to_string(f.sizes[i]) + "</Size></Contents>";
  }
  for (auto const& p : f.prefixes) {
    x += "<CommonPrefixes><Prefix>";
    value(p);
    x += "</Prefix></CommonPrefixes>";
  }
  x += "</ListBucketResult>";
  return x;
}

int list_page_s3_one(std::uint8_t const* data, std::size_t size) {
  std::string_view body(reinterpret_cast<char const*>(data), size);
  {
    // The <Error> body parser (S3 and Azure share it) sees the same bytes.
    static ListPageParser errors;
    auto e = errors.parse_xml_error(body);
    if (!e) PRESIGN_FUZZ_CHECK(e.error().detail.find(" at byte ") != std::string::npos);
    if (e) PRESIGN_FUZZ_CHECK(!e->code.empty() && e->message.size() <= 1024);
  }
  Flat page;
  if (!parse_and_check(ListFormat::kS3ListObjectsV2, body, &page)) return 0;
  // Values read from the document cannot hold a raw CR (refused) but may hold any other byte
  // the decoders produced, so the writers escape everything.
  for (bool url : {false, true}) {
    Flat again;
    std::string doc = write_s3_page(page, url);
    PRESIGN_FUZZ_CHECK(parse_and_check(ListFormat::kS3ListObjectsV2, doc, &again));
    PRESIGN_FUZZ_CHECK(again == page);
  }
  return 0;
}

}  // namespace presign::fuzz

#ifndef PRESIGN_FUZZ_NO_MAIN
extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  return presign::fuzz::list_page_s3_one(data, size);
}
#endif
