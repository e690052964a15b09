// Listing-page parsers (io/src/list_page_{s3,azure,gcs}.cpp): documented pages, hostile keys,
// and every kind of malformed body, which must fail with kProtocol, a byte offset, the key
// buffer cut back and the page empty — never a crash, never a shorter page.
//
// The sample pages are written here by hand from the documented formats; each says which page
// of the provider's reference it follows. The last suite replays the fuzz corpora and every
// crash input kept in tests/fuzz/regressions/ through the fuzz targets' own entry points.
#include "presign/io/list_page.hpp"

#include "presign/core/utf8.hpp"

#include "../fuzz/fuzz_replay.hpp"
#include "test_support.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

using namespace presign;
using namespace presign::io;
using namespace std::string_literals;

namespace presign::fuzz {
int list_page_s3_one(std::uint8_t const* data, std::size_t size);
int list_page_azure_one(std::uint8_t const* data, std::size_t size);
int list_page_gcs_one(std::uint8_t const* data, std::size_t size);
int uri_decode_one(std::uint8_t const* data, std::size_t size);
int gcs_token_one(std::uint8_t const* data, std::size_t size);
}  // namespace presign::fuzz

namespace {

// S3 API reference, "ListObjectsV2", response syntax and "Example 1: Listing keys"; the ETag
// is written with &quot; as S3 itself writes it.
constexpr std::string_view kS3Page = R"(<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>example-bucket</Name>
  <Prefix/>
  <KeyCount>3</KeyCount>
  <MaxKeys>1000</MaxKeys>
  <IsTruncated>false</IsTruncated>
  <Contents>
    <Key>happyface.jpg</Key>
    <LastModified>2014-11-21T19:40:05.000Z</LastModified>
    <ETag>&quot;70ee1738b6b21e2c8a43f3a5ab0eee71&quot;</ETag>
    <Size>11</Size>
    <StorageClass>STANDARD</StorageClass>
  </Contents>
  <Contents>
    <Key>photos/2006/January/sample.jpg</Key>
    <LastModified>2014-11-21T19:40:05.000Z</LastModified>
    <ETag>"d41d8cd98f00b204e9800998ecf8427e"</ETag>
    <ChecksumAlgorithm>CRC32</ChecksumAlgorithm>
    <Size>0</Size>
    <Owner><ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID><DisplayName>mtd@amazon.com</DisplayName></Owner>
    <StorageClass>STANDARD</StorageClass>
  </Contents>
  <Contents>
    <Key>big.bin</Key>
    <LastModified>2023-01-01T00:00:00.000Z</LastModified>
    <ETag>"9b2cf535f27731c974343645a3985328-5"</ETag>
    <Size>53687091200</Size>
    <StorageClass>INTELLIGENT_TIERING</StorageClass>
    <RestoreStatus><IsRestoreInProgress>false</IsRestoreInProgress></RestoreStatus>
  </Contents>
</ListBucketResult>
)";

// Same reference: a truncated page read with a continuation token and a delimiter.
constexpr std::string_view kS3Truncated = R"(<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>bucket</Name>
  <Prefix>photos/</Prefix>
  <NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>
  <ContinuationToken>1w41l63U0xa8q7smH50vCxyTQqdxo69O3EmK28Bi5PcROI4wI/EyIJg==</ContinuationToken>
  <StartAfter>photos/a</StartAfter>
  <KeyCount>3</KeyCount>
  <MaxKeys>3</MaxKeys>
  <Delimiter>/</Delimiter>
  <IsTruncated>true</IsTruncated>
  <Contents>
    <Key>photos/b.jpg</Key>
    <LastModified>2014-11-21T19:40:05.000Z</LastModified>
    <ETag>"70ee1738b6b21e2c8a43f3a5ab0eee71"</ETag>
    <Size>42</Size>
    <StorageClass>STANDARD</StorageClass>
  </Contents>
  <CommonPrefixes><Prefix>photos/2006/</Prefix></CommonPrefixes>
  <CommonPrefixes><Prefix>photos/2007/</Prefix></CommonPrefixes>
</ListBucketResult>)";

// S3 "Error responses": a 503 SlowDown body (with the fields S3 sends around Code).
constexpr std::string_view kS3Error = R"(<?xml version="1.0" encoding="UTF-8"?>
<Error>
  <Code>SlowDown</Code>
  <Message>Please reduce your request rate.</Message>
  <RequestId>4442587FB7D0A2F9</RequestId>
  <HostId>dGhpcyBpcyBub3QgYSByZWFsIGhvc3QgaWQ=</HostId>
</Error>)";

// Azure Blob REST reference, "List Blobs", response body (2021-08-06 and later), trimmed to
// the elements that vary; Metadata and Tags kept to show they are skipped.
constexpr std::string_view kAzurePage = R"(<?xml version="1.0" encoding="utf-8"?>
<EnumerationResults ServiceEndpoint="https://myaccount.blob.core.windows.net/" ContainerName="mycontainer">
  <Prefix>logs/</Prefix>
  <Marker>2!80!MDAwMDQ1IWxvZ3MvMjAyMy8wMS8wMS9hLmxvZyEwMDAwMjghOTk5OS0xMi0zMVQyMzo1OTo1OS45OTk5OTk5WiE-</Marker>
  <MaxResults>2</MaxResults>
  <Delimiter>/</Delimiter>
  <Blobs>
    <Blob>
      <Name>logs/a &amp; b.log</Name>
      <Properties>
        <Creation-Time>Tue, 03 Jan 2023 10:00:00 GMT</Creation-Time>
        <Last-Modified>Tue, 03 Jan 2023 10:00:00 GMT</Last-Modified>
        <Etag>0x8DAED8D0F5F6C2B</Etag>
        <Content-Length>1024</Content-Length>
        <Content-Type>text/plain</Content-Type>
        <Content-MD5 />
        <BlobType>BlockBlob</BlobType>
        <AccessTier>Hot</AccessTier>
        <LeaseStatus>unlocked</LeaseStatus>
        <LeaseState>available</LeaseState>
        <ServerEncrypted>true</ServerEncrypted>
      </Properties>
      <Metadata><Owner>ops</Owner></Metadata>
      <OrMetadata />
    </Blob>
    <Blob>
      <Name Encoded="true">logs/%EF%BF%BEodd+name%20x</Name>
      <Snapshot>2023-01-04T10:00:00.0000000Z</Snapshot>
      <Properties>
        <Last-Modified>Wed, 04 Jan 2023 10:00:00 GMT</Last-Modified>
        <Etag>0x8DAED8D0F5F6C2C</Etag>
        <Content-Length>0</Content-Length>
      </Properties>
    </Blob>
    <BlobPrefix>
      <Name>logs/2023/</Name>
    </BlobPrefix>
  </Blobs>
  <NextMarker>2!80!MDAwMDQ1IWxvZ3MvMjAyMy8wMS8wMi9iLmxvZyEwMDAwMjghOTk5OS0xMi0zMVQyMzo1OTo1OS45OTk5OTk5WiE-</NextMarker>
</EnumerationResults>)";

// Azure "Blob service error codes": the common error body.
constexpr std::string_view kAzureError = R"(<?xml version="1.0" encoding="utf-8"?>
<Error><Code>ServerBusy</Code><Message>The server is busy.
RequestId:0f1b2c3d-0000-0000-0000-000000000000
Time:2023-01-03T10:00:00.0000000Z</Message></Error>)";

// Cloud Storage JSON API, "Objects: list" response and the "Objects" resource (fields as the
// service writes them: uint64 values as strings).
constexpr std::string_view kGcsPage = R"({
  "kind": "storage#objects",
  "nextPageToken": "CgtwaG90b3MvYi5qcGc=",
  "prefixes": ["photos/2006/", "photos/2007/"],
  "items": [
    {
      "kind": "storage#object",
      "id": "bucket/photos/a.jpg/1672740000000000",
      "selfLink": "https://www.googleapis.com/storage/v1/b/bucket/o/photos%2Fa.jpg",
      "mediaLink": "https://storage.googleapis.com/download/storage/v1/b/bucket/o/photos%2Fa.jpg?generation=1672740000000000&alt=media",
      "name": "photos/a.jpg",
      "bucket": "bucket",
      "generation": "1672740000000000",
      "metageneration": "1",
      "contentType": "image/jpeg",
      "storageClass": "STANDARD",
      "size": "434234",
      "md5Hash": "+6nt3l8nMxyXcWRaOYYzKA==",
      "crc32c": "mnG7TA==",
      "etag": "CIDo0PmH/vwCEAE=",
      "timeCreated": "2023-01-03T10:00:00.000Z",
      "updated": "2023-01-03T10:00:00.000Z",
      "timeStorageClassUpdated": "2023-01-03T10:00:00.000Z",
      "metadata": {"owner": "ops", "nested": "{\"json\": [1, 2]}"}
    },
    {
      "kind": "storage#object",
      "name": "photos/\u00e9t\u00e9 \ud83d\ude00 \u0001.jpg",
      "bucket": "bucket",
      "generation": "1672740000000001",
      "size": "18446744073709551615",
      "etag": "CIHo0PmH/vwCEAE=",
      "updated": "2023-01-03T10:00:01.000Z"
    }
  ]
})";

// Cloud Storage JSON API, "HTTP status and error codes".
constexpr std::string_view kGcsError = R"({
  "error": {
    "code": 429,
    "message": "The rate of change requests to the object exceeds the rate limit.",
    "errors": [
      {"message": "The rate of change requests to the object exceeds the rate limit.",
       "domain": "usageLimits", "reason": "rateLimitExceeded"}
    ]
  }
})";

struct Parsed {
  Result<void> result;
  ListPage page;
  std::string keys;
  std::vector<std::string> key_list;
};

Parsed parse(ListFormat f, std::string_view body) {
  static ListPageParser parser;  // warm, as in production
  Parsed p{ok(), {}, {}, {}};
  p.result = parser.parse(f, body, p.page, p.keys);
  for (auto const& o : p.page.objects) p.key_list.emplace_back(o.key.in(p.keys));
  return p;
}

Parsed s3(std::string_view body) { return parse(ListFormat::kS3ListObjectsV2, body); }
Parsed azure(std::string_view body) { return parse(ListFormat::kAzureListBlobs, body); }
Parsed gcs(std::string_view body) { return parse(ListFormat::kGcsObjectsList, body); }

/// A minimal S3 page around `contents` (already XML).
std::string s3_page(std::string_view contents, std::string_view extra = "",
                    std::string_view truncated = "false") {
  return "<ListBucketResult>" + std::string(extra) + "<IsTruncated>" + std::string(truncated) +
         "</IsTruncated>" + std::string(contents) + "</ListBucketResult>";
}

std::string s3_key(std::string_view raw_key) {
  return "<Contents><Key>" + std::string(raw_key) + "</Key><Size>1</Size></Contents>";
}

/// The error must be kProtocol, mention `needle`, give a byte offset, and leave nothing.
void require_protocol_error(Parsed const& p, std::string_view needle) {
  REQUIRE_FALSE(p.result.has_value());
  Error const& e = p.result.error();
  INFO("detail: " << e.detail);
  CHECK(e.kind == ErrorKind::kProtocol);
  CHECK(e.detail.find(needle) != std::string::npos);
  CHECK(e.detail.find(" at byte ") != std::string::npos);
  CHECK(p.keys.empty());
  CHECK(p.page.objects.empty());
  CHECK(p.page.text.empty());
  CHECK(p.page.common_prefixes.empty());
  CHECK(p.page.next_token.empty());
}

/// `depth` nested unknown elements.
std::string nested(int depth) {
  std::string s;
  for (int i = 0; i < depth; ++i) s += "<a>";
  for (int i = 0; i < depth; ++i) s += "</a>";
  return s;
}

std::size_t error_offset(Parsed const& p) {
  std::string const& d = p.result.error().detail;
  return std::stoul(d.substr(d.rfind(" at byte ") + 9));
}

}  // namespace

TEST_SUITE("io.list_page") {
  TEST_CASE("the documented S3 page parses to its keys, sizes, etags and echoes") {
    Parsed p = s3(kS3Page);
    REQUIRE(p.result.has_value());
    CHECK(p.key_list ==
          std::vector<std::string>{"happyface.jpg", "photos/2006/January/sample.jpg", "big.bin"});
    REQUIRE(p.page.objects.size() == 3);
    CHECK(p.page.objects[0].size == 11);
    CHECK(p.page.objects[1].size == 0);
    CHECK(p.page.objects[2].size == 53687091200ULL);
    CHECK(p.page.text_of(p.page.objects[0].etag) == "\"70ee1738b6b21e2c8a43f3a5ab0eee71\"");
    CHECK(p.page.text_of(p.page.objects[1].etag) == "\"d41d8cd98f00b204e9800998ecf8427e\"");
    CHECK(p.page.text_of(p.page.objects[0].last_modified) == "2014-11-21T19:40:05.000Z");
    CHECK(p.page.objects[0].version.size == 0);
    CHECK(p.page.bucket == "example-bucket");
    CHECK(p.page.prefix_echoed);
    CHECK(p.page.echoed_prefix.empty());
    CHECK_FALSE(p.page.delimiter_echoed);
    CHECK(p.page.max_keys == 1000);
    CHECK(p.page.key_count == 3);
    CHECK_FALSE(p.page.truncated);
    CHECK(p.page.next_token.empty());
    CHECK_FALSE(p.page.url_encoded);
  }

  TEST_CASE("a truncated S3 page gives its token as sent, echoes and common prefixes") {
    Parsed p = s3(kS3Truncated);
    REQUIRE(p.result.has_value());
    CHECK(p.page.truncated);
    // Tokens are opaque: '+', '/' and '=' stay as they are (the caller percent-encodes them).
    CHECK(p.page.next_token == "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
    CHECK(p.page.echoed_token == "1w41l63U0xa8q7smH50vCxyTQqdxo69O3EmK28Bi5PcROI4wI/EyIJg==");
    CHECK(p.page.echoed_start_after == "photos/a");
    CHECK(p.page.echoed_prefix == "photos/");
    CHECK(p.page.echoed_delimiter == "/");
    CHECK(p.key_list == std::vector<std::string>{"photos/b.jpg"});
    REQUIRE(p.page.common_prefixes.size() == 2);
    CHECK(p.page.text_of(p.page.common_prefixes[0]) == "photos/2006/");
    CHECK(p.page.text_of(p.page.common_prefixes[1]) == "photos/2007/");
  }

  TEST_CASE("S3 keys decode every entity form to the exact bytes") {
    struct Case {
      std::string_view xml;
      std::string key;
    };
    std::vector<Case> cases = {
        {"a&amp;b&lt;c&gt;d&quot;e&apos;f", "a&b<c>d\"e'f"},
        {"&#38;&#x26;&#x3C;", "&&<"},
        {"ctl&#1;&#x2;&#x1F;&#127;", "ctl\x01\x02\x1f\x7f"},
        {"cr&#13;lf&#10;tab&#9;crx&#xD;&#xa;", "cr\rlf\ntab\tcrx\r\n"},
        {"emoji&#x1F600;&#128512;", "emoji\xF0\x9F\x98\x80\xF0\x9F\x98\x80"},
        {"lead&#0000065;zeros&#x0000041;", "leadAzerosA"},
        {"max&#x10FFFF;", "max\xF4\x8F\xBF\xBF"},
        {"two&#xE9;&#x20AC;", "two\xC3\xA9\xE2\x82\xAC"},
        {"raw \xF0\x9F\x98\x80 \xC3\xA9", "raw \xF0\x9F\x98\x80 \xC3\xA9"},
        {"  spaces kept  ", "  spaces kept  "},
        {"tab\tand\nnewline raw", "tab\tand\nnewline raw"},
        {"<![CDATA[a<b>&amp;]]>c", "a<b>&amp;c"},
        {"a<!-- comment -->b", "ab"},
        {"%2B+stays%20as-is", "%2B+stays%20as-is"},  // no EncodingType: nothing to URL-decode
        {"", ""},
    };
    for (auto const& c : cases) {
      CAPTURE(c.xml);
      Parsed p = s3(s3_page(s3_key(c.xml)));
      REQUIRE(p.result.has_value());
      REQUIRE(p.key_list.size() == 1);
      CHECK(p.key_list[0] == c.key);
    }
    Parsed empty_elem = s3(s3_page("<Contents><Key/><Size>0</Size></Contents>"));
    REQUIRE(empty_elem.result.has_value());
    CHECK(empty_elem.key_list == std::vector<std::string>{""});
  }

  TEST_CASE("EncodingType=url decodes keys, prefixes and StartAfter with '+' as a space") {
    // EncodingType after the Contents on purpose: decoding must not depend on element order.
    std::string body =
        "<ListBucketResult><Prefix>dir+x%2F</Prefix><StartAfter>a%2Bb</StartAfter>"
        "<Delimiter>%2F</Delimiter><IsTruncated>false</IsTruncated>" +
        s3_key("a+b%2Bc") + s3_key("ctl%01%02%0D%0A%7F") + s3_key("%F0%9F%98%80emoji") +
        s3_key("pct%2525") + s3_key("%e2%82%ac-lower-hex") + s3_key("&amp;%26") +
        "<CommonPrefixes><Prefix>sub+dir%2F</Prefix></CommonPrefixes>"
        "<EncodingType>url</EncodingType><KeyCount>7</KeyCount></ListBucketResult>";
    Parsed p = s3(body);
    REQUIRE(p.result.has_value());
    CHECK(p.page.url_encoded);
    CHECK(p.key_list == std::vector<std::string>{"a b+c", "ctl\x01\x02\r\n\x7f",
                                                 "\xF0\x9F\x98\x80"
                                                 "emoji",
                                                 "pct%25", "\xE2\x82\xAC-lower-hex", "&&"});
    CHECK(p.page.echoed_prefix == "dir x/");
    CHECK(p.page.echoed_start_after == "a+b");
    CHECK(p.page.echoed_delimiter == "/");
    REQUIRE(p.page.common_prefixes.size() == 1);
    CHECK(p.page.text_of(p.page.common_prefixes[0]) == "sub dir/");
    // Decoded keys stay back to back in the key buffer.
    std::size_t at = 0;
    for (auto const& o : p.page.objects) {
      CHECK(o.key.offset == at);
      at += o.key.size;
    }
    CHECK(at == p.keys.size());
  }

  TEST_CASE("keys are appended after what the batch buffer holds, and add_to_batch views them") {
    ListPageParser parser;
    Batch batch;
    batch.data = "earlier";
    ListPage page;
    REQUIRE(parser.parse_s3(kS3Page, page, batch.data).has_value());
    CHECK(batch.data.substr(0, 7) == "earlier");
    CHECK(page.objects[0].key.offset == 7);
    add_to_batch(page, batch);
    REQUIRE(batch.objects.size() == 3);
    CHECK(batch.objects[0].key == "happyface.jpg");
    CHECK(batch.objects[2].key == "big.bin");
    CHECK(batch.objects[1].version.empty());
  }

  TEST_CASE("a warm parser reuses every buffer and keeps no state between pages") {
    ListPageParser parser;
    ListPage page;
    std::string keys;
    for (int i = 0; i < 3; ++i) {
      keys.clear();
      REQUIRE(parser.parse_s3(kS3Page, page, keys).has_value());
    }
    char const* keys_data = keys.data();
    auto const* objects_data = page.objects.data();
    char const* text_data = page.text.data();
    keys.clear();
    REQUIRE(parser.parse_s3(kS3Page, page, keys).has_value());
    CHECK(keys.data() == keys_data);
    CHECK(page.objects.data() == objects_data);
    CHECK(page.text.data() == text_data);
    // A different, smaller page afterwards: nothing of the first one leaks through.
    keys.clear();
    REQUIRE(parser.parse_s3(s3_page(s3_key("only")), page, keys).has_value());
    CHECK(page.objects.size() == 1);
    CHECK(keys == "only");
    CHECK_FALSE(page.prefix_echoed);
    CHECK(page.bucket.empty());
    CHECK(page.key_count == -1);
    // And after a failure, the next good page parses normally.
    keys.clear();
    CHECK_FALSE(parser.parse_s3("<ListBucketResult><Contents>", page, keys).has_value());
    REQUIRE(parser.parse_s3(kS3Truncated, page, keys).has_value());
    CHECK(page.next_token.size() > 10);
  }

  TEST_CASE("an S3 error body yields its Code and Message, from either parser") {
    Parsed p = s3(kS3Error);
    REQUIRE_FALSE(p.result.has_value());
    CHECK(p.result.error().provider_code == "SlowDown");
    CHECK(p.result.error().detail.find("Please reduce your request rate.") != std::string::npos);
    CHECK(p.keys.empty());

    ListPageParser parser;
    auto e = parser.parse_xml_error(kS3Error);
    REQUIRE(e.has_value());
    CHECK(e->code == "SlowDown");
    CHECK(e->message == "Please reduce your request rate.");
    CHECK(e->request_id == "4442587FB7D0A2F9");
    Error err = to_error(*e, ErrorKind::kNetwork, 503);
    CHECK(err.http_status == 503);
    CHECK(err.provider_code == "SlowDown");
    CHECK(err.kind == ErrorKind::kNetwork);

    // SignatureDoesNotMatch carries StringToSign and CanonicalRequest: never read.
    auto sig = parser.parse_xml_error(
        "<Error><Code>SignatureDoesNotMatch</Code><Message>m</Message>"
        "<StringToSign>AWS4-HMAC-SHA256\n20130524T000000Z</StringToSign>"
        "<CanonicalRequest>GET\n/</CanonicalRequest></Error>");
    REQUIRE(sig.has_value());
    CHECK(sig->message == "m");

    auto no_code = parser.parse_xml_error("<Error><Message>m</Message></Error>");
    REQUIRE_FALSE(no_code.has_value());
    CHECK(no_code.error().detail.find("without a <Code>") != std::string::npos);
    auto long_message = parser.parse_xml_error("<Error><Code>X</Code><Message>" +
                                               std::string(5000, 'm') + "</Message></Error>");
    REQUIRE(long_message.has_value());
    CHECK(long_message->message.size() == 1024);
  }

  TEST_CASE("every prefix of a valid page is refused, never read as a shorter page") {
    struct Doc {
      ListFormat format;
      std::string_view body;
    };
    for (Doc d : {Doc{ListFormat::kS3ListObjectsV2, kS3Page},
                  Doc{ListFormat::kS3ListObjectsV2, kS3Truncated},
                  Doc{ListFormat::kAzureListBlobs, kAzurePage},
                  Doc{ListFormat::kGcsObjectsList, kGcsPage}}) {
      // The root's end: anything after it is only whitespace.
      std::size_t end = d.body.find_last_not_of(" \n") + 1;
      for (std::size_t n = 0; n < end; ++n) {
        Parsed p = parse(d.format, d.body.substr(0, n));
        CAPTURE(n);
        REQUIRE_FALSE(p.result.has_value());
        CHECK(p.result.error().kind == ErrorKind::kProtocol);
        CHECK(p.keys.empty());
        CHECK(p.page.objects.empty());
      }
      CHECK(parse(d.format, d.body.substr(0, end)).result.has_value());
    }
  }

  TEST_CASE("malformed S3 pages fail with what went wrong and where") {
    struct Case {
      std::string body;
      std::string_view needle;
    };
    std::vector<Case> cases = {
        // structure
        {"", "no root element"},
        {"   ", "no root element"},
        {"<ListBucketResult>", "truncated"},
        {s3_page(s3_key("a")).substr(0, 40), "truncated"},
        {"<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResults>",
         "does not close"},
        {"<ListBucketResult><IsTruncated>false</Key></ListBucketResult>", "does not close"},
        {s3_page("") + "<ListBucketResult/>", "content after the root"},
        {s3_page("") + "trailing", "content after the root"},
        {"text<ListBucketResult/>", "text before the root"},
        {"<ListObjectsResult><IsTruncated>false</IsTruncated></ListObjectsResult>",
         "expected <ListBucketResult>"},
        {s3_page("<Contents>stray<Key>a</Key><Size>1</Size></Contents>"), "text where an element"},
        {s3_page("<Contents><Key>a<b/></Key><Size>1</Size></Contents>"), "holds text only"},
        {s3_page("<Contents><Key>a</Key><Size>1</Size><Key>b</Key></Contents>"), "duplicate <Key>"},
        {"<ListBucketResult><IsTruncated>false</IsTruncated><IsTruncated>false</IsTruncated>"
         "</ListBucketResult>",
         "duplicate <IsTruncated>"},
        {"<ListBucketResult a=1><IsTruncated>false</IsTruncated></ListBucketResult>",
         "quoted attribute"},
        {"<ListBucketResult a='<'><IsTruncated>false</IsTruncated></ListBucketResult>",
         "'<' in an attribute"},
        {"<ListBucketResult><IsTruncated>false</IsTruncated><X" + std::string(200, ' '),
         "unterminated start tag"},
        {s3_page(nested(70)), "nested deeper"},
        {s3_page("<!-- unterminated"), "unterminated comment"},
        {s3_page("<Contents><Key><![CDATA[abc</Key></Contents>"), "unterminated CDATA"},
        // entities
        {s3_page(s3_key("&foo;")), "unknown entity"},
        {s3_page(s3_key("&AMP;")), "unknown entity"},
        {s3_page(s3_key("a & b")), "not followed by a reference"},
        {s3_page(s3_key("&amp")), "not followed by a reference"},
        {s3_page(s3_key("&#;")), "malformed character reference"},
        {s3_page(s3_key("&#x;")), "malformed character reference"},
        {s3_page(s3_key("&#X41;")), "malformed character reference"},
        {s3_page(s3_key("&#12a;")), "malformed character reference"},
        {s3_page(s3_key("&#0;")), "not a valid XML character"},
        {s3_page(s3_key("&#xD800;")), "not a valid XML character"},
        {s3_page(s3_key("&#xDFFF;")), "not a valid XML character"},
        {s3_page(s3_key("&#x110000;")), "not a valid XML character"},
        {s3_page(s3_key("&#99999999999999999999;")), "not a valid XML character"},
        {s3_page(s3_key("&#x" + std::string(40, '0') + "41;")), "not followed by a reference"},
        {s3_page(s3_key("raw\rcr")), "raw carriage return"},
        {s3_page(s3_key("<![CDATA[raw\rcr]]>")), "raw carriage return"},
        // URL decoding (EncodingType=url)
        {s3_page(s3_key("%"), "<EncodingType>url</EncodingType>"), "malformed %-escape"},
        {s3_page(s3_key("ab%4"), "<EncodingType>url</EncodingType>"), "malformed %-escape"},
        {s3_page(s3_key("%ZZ"), "<EncodingType>url</EncodingType>"), "malformed %-escape"},
        {s3_page(s3_key("%C3%28"), "<EncodingType>url</EncodingType>"), "not UTF-8"},
        {s3_page(s3_key("%FF"), "<EncodingType>url</EncodingType>"), "not UTF-8"},
        {s3_page(s3_key("nul%00"), "<EncodingType>url</EncodingType>"), "not UTF-8"},
        {s3_page("", "<EncodingType>url</EncodingType><Prefix>%G0</Prefix>"), "<Prefix>"},
        {s3_page("<CommonPrefixes><Prefix>%</Prefix></CommonPrefixes>",
                 "<EncodingType>url</EncodingType>"),
         "CommonPrefixes"},
        {s3_page("", "<EncodingType>base64</EncodingType>"), "unsupported <EncodingType>"},
        // required elements and pagination
        {"<ListBucketResult></ListBucketResult>", "<IsTruncated> is missing"},
        {"<ListBucketResult/>", "<IsTruncated> is missing"},
        {s3_page("<Contents><Size>1</Size></Contents>"), "without a <Key>"},
        {s3_page("<Contents><Key>a</Key></Contents>"), "without a <Size>"},
        {s3_page("<CommonPrefixes></CommonPrefixes>"), "without a <Prefix>"},
        {s3_page(s3_key("a"), "", "true"), "NextContinuationToken is missing"},
        {s3_page(s3_key("a"), "<NextContinuationToken/>", "true"),
         "NextContinuationToken is missing"},
        {s3_page(s3_key("a"), "<NextContinuationToken>t</NextContinuationToken>", "false"),
         "IsTruncated is false"},
        {s3_page(s3_key("a"), "", "maybe"), "not a boolean"},
        {s3_page(s3_key("a") + s3_key("b"), "<KeyCount>3</KeyCount>"), "KeyCount 3"},
        {s3_page(s3_key("a") + s3_key("b"), "<KeyCount>1</KeyCount>"), "KeyCount 1"},
        // numbers
        {s3_page("<Contents><Key>a</Key><Size>18446744073709551616</Size></Contents>"), "<Size>"},
        {s3_page("<Contents><Key>a</Key><Size>99999999999999999999999</Size></Contents>"),
         "<Size>"},
        {s3_page("<Contents><Key>a</Key><Size>-1</Size></Contents>"), "<Size>"},
        {s3_page("<Contents><Key>a</Key><Size>1e3</Size></Contents>"), "<Size>"},
        {s3_page("<Contents><Key>a</Key><Size></Size></Contents>"), "<Size>"},
        {s3_page("<Contents><Key>a</Key><Size>0x10</Size></Contents>"), "<Size>"},
        {s3_page("", "<MaxKeys>9223372036854775808</MaxKeys>"), "<MaxKeys>"},
        // encodings
        {s3_page(s3_key("bad\xFFutf8")), "invalid UTF-8"},
        {s3_page(s3_key("overlong\xC0\xAF")), "invalid UTF-8"},
        {s3_page(s3_key("surrogate\xED\xA0\x80")), "invalid UTF-8"},
        {s3_page(s3_key("cut\xF0\x9F\x98")), "invalid UTF-8"},
        {s3_page(s3_key("above\xF4\x90\x80\x80")), "invalid UTF-8"},
        {s3_page(s3_key("nul\0byte"s)), "NUL byte"},
        {"\xFF\xFE<\0L\0"s, "invalid UTF-8"},
        {"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>" + s3_page(""), "is not UTF-8"},
        {"<?xml version=\"1.0\" encoding=\"UTF-16\"?>" + s3_page(""), "is not UTF-8"},
        {s3_page("") + "<?xml version=\"1.0\"?>", "not at the start"},
    };
    for (auto const& c : cases) {
      CAPTURE(c.body);
      require_protocol_error(s3(c.body), c.needle);
    }
  }

  TEST_CASE("the failure offset points at the offending bytes") {
    std::string body = s3_page(s3_key("good") + s3_key("bad&nope;"));
    Parsed p = s3(body);
    REQUIRE_FALSE(p.result.has_value());
    CHECK(error_offset(p) == body.find("&nope;"));
    std::string utf = s3_page(s3_key("x\xFFy"));
    Parsed q = s3(utf);
    REQUIRE_FALSE(q.result.has_value());
    CHECK(error_offset(q) == utf.find('\xFF'));
  }

  TEST_CASE("DOCTYPE and ENTITY declarations are refused, never expanded") {
    // Billion laughs, an external entity (XXE) and an internal subset inside the root.
    std::vector<std::string> bodies = {
        R"(<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>&lol2;</Key><Size>1</Size></Contents></ListBucketResult>)",
        R"(<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>&xxe;</Key><Size>1</Size></Contents></ListBucketResult>)",
        R"(<ListBucketResult><!DOCTYPE x><IsTruncated>false</IsTruncated></ListBucketResult>)",
        R"(<ListBucketResult><!ENTITY x "y"><IsTruncated>false</IsTruncated></ListBucketResult>)",
        R"(<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key><!ELEMENT k ANY></Key><Size>1</Size></Contents></ListBucketResult>)",
    };
    for (auto const& b : bodies) {
      CAPTURE(b);
      Parsed p = s3(b);
      REQUIRE_FALSE(p.result.has_value());
      CHECK(p.result.error().detail.find("refused") != std::string::npos);
      CHECK(p.keys.empty());
    }
  }

  TEST_CASE("prolog forms that are fine: BOM, declaration, comments, PIs, namespaces") {
    std::string body =
        "\xEF\xBB\xBF<?xml version='1.0' encoding='utf-8' standalone='yes'?>\n"
        "<!-- listing --><?pi data?>\n"
        "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        "<IsTruncated>\n false \n</IsTruncated>" +
        s3_key("k") +
        "<s3:Unknown xmlns:s3='x'>skipped &amp; <deep>ok</deep></s3:Unknown>"
        "</ListBucketResult>\n<!-- after -->\n";
    Parsed p = s3(body);
    REQUIRE(p.result.has_value());
    CHECK(p.key_list == std::vector<std::string>{"k"});
    // Skipped elements are still checked for well-formedness.
    require_protocol_error(s3(s3_page("<Owner><ID>&bad;</ID></Owner>")), "unknown entity");
  }

  TEST_CASE("the documented Azure page parses, with Encoded names and snapshots") {
    Parsed p = azure(kAzurePage);
    REQUIRE(p.result.has_value());
    // Encoded="true": percent-decoded RFC 3986 style, so '+' stays '+'.
    CHECK(p.key_list == std::vector<std::string>{"logs/a & b.log", "logs/\xEF\xBF\xBEodd+name x"});
    REQUIRE(p.page.objects.size() == 2);
    CHECK(p.page.objects[0].size == 1024);
    CHECK(p.page.text_of(p.page.objects[0].etag) == "0x8DAED8D0F5F6C2B");
    CHECK(p.page.text_of(p.page.objects[0].last_modified) == "Tue, 03 Jan 2023 10:00:00 GMT");
    CHECK(p.page.objects[0].version.size == 0);
    CHECK(p.page.text_of(p.page.objects[1].version) == "2023-01-04T10:00:00.0000000Z");
    REQUIRE(p.page.common_prefixes.size() == 1);
    CHECK(p.page.text_of(p.page.common_prefixes[0]) == "logs/2023/");
    CHECK(p.page.bucket == "mycontainer");
    CHECK(p.page.echoed_prefix == "logs/");
    CHECK(p.page.echoed_delimiter == "/");
    CHECK(p.page.max_keys == 2);
    CHECK(p.page.echoed_token.starts_with("2!80!"));
    CHECK(p.page.truncated);
    CHECK(p.page.next_token.starts_with("2!80!MDAwMDQ1IWxvZ3MvMjAyMy8wMS8wMi"));
  }

  TEST_CASE("an empty Azure page that carries a marker is truncated, not the end") {
    Parsed p = azure(
        "<EnumerationResults ContainerName=\"c\"><Blobs /><NextMarker>2!4!x</NextMarker>"
        "</EnumerationResults>");
    REQUIRE(p.result.has_value());
    CHECK(p.page.objects.empty());
    CHECK(p.page.truncated);
    Parsed last = azure("<EnumerationResults><Blobs></Blobs><NextMarker /></EnumerationResults>");
    REQUIRE(last.result.has_value());
    CHECK_FALSE(last.page.truncated);
    CHECK_FALSE(last.page.prefix_echoed);
  }

  TEST_CASE("malformed Azure pages fail with what went wrong and where") {
    auto blob = [](std::string_view inner) {
      return "<EnumerationResults><Blobs><Blob>" + std::string(inner) +
             "</Blob></Blobs><NextMarker/></EnumerationResults>";
    };
    std::string const props = "<Properties><Content-Length>1</Content-Length></Properties>";
    struct Case {
      std::string body;
      std::string_view needle;
    };
    std::vector<Case> cases = {
        {"<EnumerationResults><Blobs/></EnumerationResults>", "<NextMarker> is missing"},
        {"<EnumerationResults><NextMarker/></EnumerationResults>", "<Blobs> is missing"},
        {blob(props), "without a <Name>"},
        {blob("<Name>a</Name>"), "without <Properties>"},
        {blob("<Name>a</Name><Properties/>"), "without <Content-Length>"},
        {blob("<Name>a</Name><Name>b</Name>" + props), "duplicate <Name>"},
        {blob("<Name Encoded=\"yes\">a</Name>" + props), "neither true nor false"},
        {blob("<Name Encoded=\"true\">a%zz</Name>" + props), "malformed %-escape"},
        {blob("<Name Encoded=\"true\">a%FF</Name>" + props), "not UTF-8"},
        {blob("<Name Encoded=\"true\" Encoded=\"true\">a</Name>" + props), "duplicate attribute"},
        {blob("<Name>a</Name><Properties><Content-Length>-5</Content-Length></Properties>"),
         "<Content-Length>"},
        {blob("<Name>a</Name><Properties><Content-Length>18446744073709551616</Content-Length>"
              "</Properties>"),
         "<Content-Length>"},
        {"<EnumerationResults><Blobs><BlobPrefix/></Blobs><NextMarker/></EnumerationResults>",
         "<BlobPrefix> without a <Name>"},
        {"<EnumerationResults><Blobs/><NextMarker/><NextMarker/></EnumerationResults>",
         "duplicate <NextMarker>"},
        {"<EnumerationResults><Blobs/><NextMarker/><MaxResults>x</MaxResults></EnumerationResults>",
         "<MaxResults>"},
        {"<ListBucketResult/>", "expected <EnumerationResults>"},
        {"<!DOCTYPE x><EnumerationResults/>", "refused"},
        {blob("<Name>&unknown;</Name>" + props), "unknown entity"},
    };
    for (auto const& c : cases) {
      CAPTURE(c.body);
      require_protocol_error(azure(c.body), c.needle);
    }
    Parsed err = azure(kAzureError);
    REQUIRE_FALSE(err.result.has_value());
    CHECK(err.result.error().provider_code == "ServerBusy");
    ListPageParser parser;
    auto e = parser.parse_xml_error(kAzureError);
    REQUIRE(e.has_value());
    CHECK(e->code == "ServerBusy");
    CHECK(e->message.starts_with("The server is busy.\nRequestId:"));
  }

  TEST_CASE("the documented GCS page parses, uint64 strings and \\u escapes included") {
    Parsed p = gcs(kGcsPage);
    REQUIRE(p.result.has_value());
    CHECK(p.key_list == std::vector<std::string>{
                            "photos/a.jpg", "photos/\xC3\xA9t\xC3\xA9 \xF0\x9F\x98\x80 \x01.jpg"});
    REQUIRE(p.page.objects.size() == 2);
    CHECK(p.page.objects[0].size == 434234);
    CHECK(p.page.objects[1].size == 18446744073709551615ULL);
    CHECK(p.page.text_of(p.page.objects[0].etag) == "CIDo0PmH/vwCEAE=");
    CHECK(p.page.text_of(p.page.objects[0].last_modified) == "2023-01-03T10:00:00.000Z");
    CHECK(p.page.text_of(p.page.objects[0].version) == "1672740000000000");
    REQUIRE(p.page.common_prefixes.size() == 2);
    CHECK(p.page.text_of(p.page.common_prefixes[1]) == "photos/2007/");
    CHECK(p.page.next_token == "CgtwaG90b3MvYi5qcGc=");
    CHECK(p.page.truncated);
    CHECK_FALSE(p.page.prefix_echoed);
  }

  TEST_CASE("GCS pages without items are valid, and a token still means more pages") {
    Parsed empty = gcs(R"({"kind":"storage#objects"})");
    REQUIRE(empty.result.has_value());
    CHECK(empty.page.objects.empty());
    CHECK_FALSE(empty.page.truncated);
    Parsed more = gcs(R"({"kind":"storage#objects","nextPageToken":"abc"})");
    REQUIRE(more.result.has_value());
    CHECK(more.page.truncated);
    Parsed number = gcs(R"({"items":[{"name":"n","size":12}]})");
    REQUIRE(number.result.has_value());
    CHECK(number.page.objects[0].size == 12);
    Parsed nul = gcs(R"({"items":[{"name":"a\u0000b","size":"1"}]})");
    REQUIRE(nul.result.has_value());
    CHECK(nul.key_list[0] == "a\0b"s);
  }

  TEST_CASE("malformed GCS pages fail with what went wrong and where") {
    struct Case {
      std::string body;
      std::string_view needle;
    };
    std::vector<Case> cases = {
        {"", "GCS objects.list page"},
        {"[]", "not a JSON object"},
        {R"({"items":[{"size":"1"}]})", "has no \"name\""},
        {R"({"items":[{"name":"a"}]})", "has no \"size\""},
        {R"({"items":[{"name":"a","size":"-1"}]})", "\"size\""},
        {R"({"items":[{"name":"a","size":"1.5"}]})", "\"size\""},
        {R"({"items":[{"name":"a","size":" 1"}]})", "\"size\""},
        {R"({"items":[{"name":"a","size":""}]})", "\"size\""},
        {R"({"items":[{"name":"a","size":"18446744073709551616"}]})", "\"size\""},
        {R"({"items":[{"name":"a","size":18446744073709551616}]})", "\"size\""},
        {R"({"items":[{"name":"a","size":-1}]})", "\"size\""},
        {R"({"items":[{"name":"a","size":true}]})", "\"size\""},
        {R"({"items":[{"name":1,"size":"1"}]})", "\"name\""},
        {R"({"items":[{"name":"a","name":"b","size":"1"}]})", "duplicate \"name\""},
        {R"({"items":[{"name":"a","size":"1"}],"items":[]})", "duplicate \"items\""},
        {R"({"items":{"name":"a"}})", "\"items\" is not an array"},
        {R"({"items":["a"]})", "items[0] is not an object"},
        {R"({"kind":"storage#buckets"})", "expected \"storage#objects\""},
        {R"({"prefixes":[1]})", "prefixes[]"},
        {R"({"nextPageToken":5})", "nextPageToken"},
        {R"({"items":[]} {"items":[]})", ""},
        {R"({"items":[]}])", ""},
        {"{\"items\":[{\"name\":\"bad\xFF\",\"size\":\"1\"}]}", ""},
        {R"({"items":[{"name":"\ud800","size":"1"}]})", ""},
        {R"({"items":[{"name":"a\x","size":"1"}]})", ""},
        {R"({"items":[{"name":"a","size":"1",}]})", ""},
    };
    for (auto const& c : cases) {
      CAPTURE(c.body);
      require_protocol_error(gcs(c.body), c.needle);
    }
  }

  TEST_CASE("a GCS error body yields its reason, status and message") {
    Parsed p = gcs(kGcsError);
    REQUIRE_FALSE(p.result.has_value());
    CHECK(p.result.error().provider_code == "rateLimitExceeded");
    ListPageParser parser;
    auto e = parser.parse_gcs_error(kGcsError);
    REQUIRE(e.has_value());
    CHECK(e->code == "rateLimitExceeded");
    CHECK(e->status == 429);
    CHECK(e->message.starts_with("The rate of change"));
    CHECK(to_error(*e, ErrorKind::kNetwork, 0).http_status == 429);
    auto bare = parser.parse_gcs_error(R"({"error":{"code":404,"message":"No such object"}})");
    REQUIRE(bare.has_value());
    CHECK(bare->code == "404");
    CHECK_FALSE(parser.parse_gcs_error(R"({"error":"x"})").has_value());
    CHECK_FALSE(parser.parse_gcs_error(R"({"kind":"storage#objects"})").has_value());
  }

  TEST_CASE("url_decode_to decodes in place and agrees with uri_decode") {
    std::string s = "a+b%2B%20%e2%82%ac";
    std::size_t bad = 0;
    std::size_t n = detail::url_decode_to(s.data(), s.size(), s.data(), true, bad);
    CHECK(std::string_view(s.data(), n) == "a b+ \xE2\x82\xAC");
    std::string t = "x%4";
    CHECK(detail::url_decode_to(t.data(), t.size(), t.data(), false, bad) == std::string::npos);
    CHECK(bad == 1);
    CHECK(find_invalid_utf8_or_nul("ok \xC3\xA9") == 5);
    CHECK(find_invalid_utf8_or_nul("12345678901234567\x80") == 17);
  }
}

TEST_SUITE("io.list_page_fuzz") {
  // tests/fuzz/fuzz_replay.hpp says what the replay checks.
  TEST_CASE("fuzz corpora and regression inputs replay cleanly") {
    presign::fuzz::replay_fuzz_inputs(
        {{"list_page_s3", presign::fuzz::list_page_s3_one, 820, 0},
         {"list_page_azure", presign::fuzz::list_page_azure_one, 648, 0},
         {"list_page_gcs", presign::fuzz::list_page_gcs_one, 574, 0},
         {"uri_decode", presign::fuzz::uri_decode_one, 106, 0},
         {"gcs_token", presign::fuzz::gcs_token_one, 7, 2}});
  }
}
