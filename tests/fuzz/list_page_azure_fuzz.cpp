// libFuzzer target: Azure List Blobs pages (presign::io::ListPageParser::parse_azure).
// Run by scripts/fuzz.sh; seeds in corpus/list_page_azure/, past crashes in
// regressions/list_page_azure/. A page that parses is written back, plain and with every name
// as `<Name Encoded="true">`, and must parse to the same page.

#include "list_page_fuzz_check.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace presign::fuzz {

std::string write_azure_page(Flat const& f, bool encoded) {
  std::string x =
      "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<EnumerationResults "
      "ServiceEndpoint=\"https://account.blob.core.windows.net/\" "
      "ContainerName=\"c\"><Blobs>";
  auto name = [&](std::string_view v) {
    if (!encoded) {
      x += "<Name>";
      xml_escape(x, v);
    } else {
      x += "<Name Encoded=\"true\">";
      std::string enc;
      url_encode(enc, v, /*space_as_plus=*/false);
      xml_escape(x, enc);
    }
    x += "</Name>";
  };
  for (std::size_t i = 0; i < f.keys.size(); ++i) {
    x += "<Blob>";
    name(f.keys[i]);
    x += "<Properties><Last-Modified>";
    xml_escape(x, f.modified[i]);
    x += "</Last-Modified><Etag>";
    xml_escape(x, f.etags[i]);
    x += "</Etag><Content-Length>" + std::to_string(f.sizes[i]) +
         "</Content-Length></Properties></Blob>";
  }
  for (auto const& p : f.prefixes) {
    x += "<BlobPrefix>";
    name(p);
    x += "</BlobPrefix>";
  }
  x += "</Blobs><NextMarker>";
  xml_escape(x, f.next_token);
  x += "</NextMarker></EnumerationResults>";
  return x;
}

int list_page_azure_one(std::uint8_t const* data, std::size_t size) {
  std::string_view body(reinterpret_cast<char const*>(data), size);
  Flat page;
  if (!parse_and_check(ListFormat::kAzureListBlobs, body, &page)) return 0;
  for (bool encoded : {false, true}) {
    Flat again;
    std::string doc = write_azure_page(page, encoded);
    PRESIGN_FUZZ_CHECK(parse_and_check(ListFormat::kAzureListBlobs, doc, &again));
    PRESIGN_FUZZ_CHECK(again == page);
  }
  return 0;
}

}  // namespace presign::fuzz

#ifndef PRESIGN_FUZZ_NO_MAIN
extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  return presign::fuzz::list_page_azure_one(data, size);
}
#endif
