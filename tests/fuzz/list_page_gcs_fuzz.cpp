// libFuzzer target: GCS objects.list pages and JSON error bodies
// (presign::io::ListPageParser::parse_gcs, parse_gcs_error). Run by scripts/fuzz.sh; seeds in
// corpus/list_page_gcs/, past crashes in regressions/list_page_gcs/. A page that parses is
// written back as JSON (control bytes as \u00XX) and must parse to the same page.

#include "list_page_fuzz_check.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace presign::fuzz {

std::string write_gcs_page(Flat const& f, bool size_as_number) {
  std::string j = "{\"kind\":\"storage#objects\"";
  if (!f.next_token.empty()) {
    j += ",\"nextPageToken\":";
    json_escape(j, f.next_token);
  }
  j += ",\"items\":[";
  for (std::size_t i = 0; i < f.keys.size(); ++i) {
    if (i != 0) j += ',';
    j += "{\"kind\":\"storage#object\",\"name\":";
    json_escape(j, f.keys[i]);
    j += ",\"size\":";
    j += size_as_number ? std::to_string(f.sizes[i]) : "\"" + std::to_string(f.sizes[i]) + "\"";
    j += ",\"updated\":";
    json_escape(j, f.modified[i]);
    j += ",\"etag\":";
    json_escape(j, f.etags[i]);
    j += ",\"metadata\":{\"a\":[1,{\"b\":null}]}}";
  }
  j += "],\"prefixes\":[";
  for (std::size_t i = 0; i < f.prefixes.size(); ++i) {
    if (i != 0) j += ',';
    json_escape(j, f.prefixes[i]);
  }
  j += "]}";
  return j;
}

int list_page_gcs_one(std::uint8_t const* data, std::size_t size) {
  std::string_view body(reinterpret_cast<char const*>(data), size);
  {
    // The error-body parser sees the same bytes; it must not crash and must say where.
    static ListPageParser errors;
    auto e = errors.parse_gcs_error(body);
    if (!e) PRESIGN_FUZZ_CHECK(e.error().kind == ErrorKind::kProtocol);
    if (e) PRESIGN_FUZZ_CHECK(!e->code.empty() && e->message.size() <= 1024);
  }
  Flat page;
  if (!parse_and_check(ListFormat::kGcsObjectsList, body, &page)) return 0;
  for (bool as_number : {false, true}) {
    Flat again;
    std::string doc = write_gcs_page(page, as_number);
    PRESIGN_FUZZ_CHECK(parse_and_check(ListFormat::kGcsObjectsList, doc, &again));
    PRESIGN_FUZZ_CHECK(again == page);
  }
  return 0;
}

}  // namespace presign::fuzz

#ifndef PRESIGN_FUZZ_NO_MAIN
extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  return presign::fuzz::list_page_gcs_one(data, size);
}
#endif
