// Every output format against hostile object keys: the output must parse with an independent
// reader (simdjson for JSON, an RFC 4180 reader and a TSV unescaper written here) and give back
// the exact key bytes — through "key_base64" when the key is not UTF-8.
#include "presign/io/record_format.hpp"

#include "presign/core/utf8.hpp"

#include "presign/signers/crypto.hpp"

#include "test_support.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace presign;
using namespace presign::io;

namespace {

// A URL as the signers write it: only unreserved bytes, '%', '/', ':', '?', '&' and '='.
constexpr std::string_view kUrl =
    "https://examplebucket.s3.amazonaws.com/a%20b?X-Amz-Algorithm=AWS4-HMAC-SHA256&"
    "X-Amz-Signature=0123456789abcdef";
constexpr std::string_view kExpires = "2013-05-25T00:00:00Z";

struct Key {
  std::string bytes;
  bool utf8;
};

std::vector<Key> hostile_keys() {
  using namespace std::string_literals;
  return {
      {"plain/key.txt", true},
      {"say \"hi\"", true},
      {"back\\slash\\", true},
      {"\\\"", true},
      {"ctl\x01\x02\x1f\x7f", true},
      {"nul\0byte"s, true},
      {"tab\there", true},
      {"new\nline", true},
      {"cr\rlf\r\n", true},
      {"\b\f", true},
      {"com,ma", true},
      {"\"quoted\",\"csv\"", true},
      {",", true},
      {"\"", true},
      {" leading and trailing ", true},
      {"sp ace/\xC3\xA9+plus.txt", true},
      {"\xE6\x97\xA5\xE6\x9C\xAC/\xF0\x9F\x98\x80.txt", true},  // 日本/😀.txt
      {"\xF0\x9F\x98\x80", true},                               // a lone 4-byte emoji
      {"line\xE2\x80\xA8sep", true},                            // U+2028
      {"\xEF\xBB\xBF"
       "bom",
       true},
      {"\xFF\xFE", false},
      {"trunc\xC3", false},
      {"\xC0\xAF", false},          // overlong '/'
      {"\xED\xA0\x80", false},      // UTF-16 surrogate
      {"\xF4\x90\x80\x80", false},  // above U+10FFFF
      {"\xF0\x9F\x98", false},      // emoji cut short
      {"ok\x80"
       "cont\"\n",
       false},  // stray continuation byte plus escapes
  };
}

std::string record(RecordFormatter const& f, std::string_view key) {
  std::string out;
  ObjectRef const obj{key, {}};
  f.begin(out, obj);
  out += kUrl;
  f.end(out, obj);
  return out;
}

std::string b64_decode(std::string_view s) {
  std::string out;
  REQUIRE(signers::crypto::base64_decode(s, out));
  return out;
}

// Checks a JSON key field: exact for UTF-8, U+FFFD plus key_base64 otherwise.
void check_json_key(simdjson::dom::element obj, char const* field, Key const& k) {
  std::string_view got;
  REQUIRE_FALSE(obj[field].get(got));
  std::string_view b64;
  bool const has_b64 = !obj["key_base64"].get(b64);
  if (k.utf8) {
    CHECK(got == k.bytes);
    CHECK_FALSE(has_b64);
  } else {
    CHECK(got.find("\xEF\xBF\xBD") != std::string_view::npos);  // U+FFFD
    REQUIRE(has_b64);
    CHECK(b64_decode(b64) == k.bytes);
  }
}

// RFC 4180 reader: records end in CRLF, fields are separated by ',', a quoted field may hold
// ',', CR, LF and "" (one quote). Fails the test on anything else.
std::vector<std::vector<std::string>> parse_csv(std::string_view s) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  std::size_t i = 0;
  while (i < s.size()) {
    if (s[i] == '"') {
      ++i;
      for (;;) {
        REQUIRE(i < s.size());
        if (s[i] == '"') {
          if (i + 1 < s.size() && s[i + 1] == '"') {
            field += '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        field += s[i++];
      }
    } else {
      while (i < s.size() && s[i] != ',' && s[i] != '\r' && s[i] != '\n') {
        REQUIRE(s[i] != '"');  // a quote inside an unquoted field is not RFC 4180
        field += s[i++];
      }
    }
    REQUIRE(i < s.size());
    if (s[i] == ',') {
      row.push_back(std::move(field));
      field.clear();
      ++i;
      continue;
    }
    REQUIRE(s.substr(i, 2) == "\r\n");  // bare CR or LF outside quotes is not allowed
    row.push_back(std::move(field));
    field.clear();
    rows.push_back(std::move(row));
    row.clear();
    i += 2;
  }
  return rows;
}

std::string tsv_unescape(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    REQUIRE(s[i] != '\t');
    REQUIRE(s[i] != '\n');
    if (s[i] != '\\') {
      out += s[i];
      continue;
    }
    REQUIRE(i + 1 < s.size());
    switch (s[++i]) {
      case '\\':
        out += '\\';
        break;
      case 't':
        out += '\t';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      default:
        FAIL("unknown TSV escape");
    }
  }
  return out;
}

}  // namespace

TEST_SUITE("io.record_format") {
  TEST_CASE("format names parse and print both ways; unknown names are usage errors") {
    for (Format f :
         {Format::kNdjson, Format::kLabelbox, Format::kCsv, Format::kTsv, Format::kUrls}) {
      auto const parsed = parse_format(format_name(f));
      REQUIRE(parsed.has_value());
      CHECK(*parsed == f);
    }
    for (char const* bad : {"", "json", "NDJSON", "csv ", "jsonl"}) {
      auto const r = parse_format(bad);
      REQUIRE_FALSE(r.has_value());
      CHECK(r.error().kind == ErrorKind::kUsage);
    }
  }

  TEST_CASE("is_valid_utf8 accepts well-formed text and rejects every ill-formed kind") {
    for (auto const& k : hostile_keys()) {
      INFO(test::sh_quote(k.bytes));
      CHECK(is_valid_utf8(k.bytes) == k.utf8);
    }
    CHECK(is_valid_utf8(""));
    CHECK(is_valid_utf8("\xF4\x8F\xBF\xBF"));        // U+10FFFF
    CHECK(is_valid_utf8("\xED\x9F\xBF"));            // U+D7FF
    CHECK(is_valid_utf8("\xEE\x80\x80"));            // U+E000
    CHECK_FALSE(is_valid_utf8("\xE0\x80\xAF"));      // overlong 3-byte
    CHECK_FALSE(is_valid_utf8("\xF0\x80\x80\xAF"));  // overlong 4-byte
    CHECK_FALSE(is_valid_utf8("\xF5\x80\x80\x80"));
    CHECK_FALSE(is_valid_utf8("\xC2"));
    CHECK_FALSE(is_valid_utf8("\xE1\x80"));
  }

  TEST_CASE("append_json_escaped keeps valid UTF-8, escapes controls and flags replacements") {
    std::string out;
    CHECK(append_json_escaped(out, "a\"b\\c\n\x01\x7f\xC3\xA9"));
    CHECK(out == "a\\\"b\\\\c\\n\\u0001\x7f\xC3\xA9");
    out.clear();
    CHECK_FALSE(append_json_escaped(out, "x\xFFy"));
    CHECK(out == "x\\ufffdy");
  }

  TEST_CASE("ndjson records parse with simdjson and give back every hostile key") {
    RecordFormatter const f(Format::kNdjson, std::string(kExpires));
    CHECK(f.header().empty());
    CHECK(f.footer(true).empty());
    CHECK(f.separator().empty());
    simdjson::dom::parser parser;
    for (auto const& k : hostile_keys()) {
      INFO(test::sh_quote(k.bytes));
      std::string const line = record(f, k.bytes);
      REQUIRE(line.ends_with('\n'));
      REQUIRE(line.find('\n') == line.size() - 1);  // one record, one line
      simdjson::dom::element obj;
      REQUIRE_FALSE(parser.parse(line).get(obj));
      check_json_key(obj, "key", k);
      std::string_view url, expires;
      REQUIRE_FALSE(obj["url"].get(url));
      CHECK(url == kUrl);
      REQUIRE_FALSE(obj["expires_at"].get(expires));
      CHECK(expires == kExpires);
    }
  }

  TEST_CASE("ndjson error records parse and carry the key and the reason") {
    RecordFormatter const f(Format::kNdjson, std::string(kExpires));
    CHECK(f.has_error_records());
    simdjson::dom::parser parser;
    for (auto const& k : hostile_keys()) {
      INFO(test::sh_quote(k.bytes));
      std::string line;
      f.error_record(line, ObjectRef{k.bytes, {}}, "reason with \"quotes\"\n");
      REQUIRE(line.find('\n') == line.size() - 1);
      simdjson::dom::element obj;
      REQUIRE_FALSE(parser.parse(line).get(obj));
      check_json_key(obj, "key", k);
      std::string_view err;
      REQUIRE_FALSE(obj["error"].get(err));
      CHECK(err == "reason with \"quotes\"\n");
      CHECK(obj["url"].error() == simdjson::NO_SUCH_FIELD);
    }
    for (Format other : {Format::kLabelbox, Format::kCsv, Format::kTsv, Format::kUrls}) {
      CHECK_FALSE(RecordFormatter(other, "").has_error_records());
    }
  }

  TEST_CASE("a labelbox document is one JSON array that gives back every hostile key") {
    // Keys that are not UTF-8 cannot be global keys: the formatter refuses them (the pipeline
    // leaves them out and reports them); every other key comes back exactly, with no extra field.
    RecordFormatter const f(Format::kLabelbox, std::string(kExpires));
    CHECK(f.may_reject());
    std::vector<Key> keys;
    for (auto const& k : hostile_keys()) {
      INFO(test::sh_quote(k.bytes));
      CHECK(f.reject_reason(ObjectRef{k.bytes, {}}).empty() == k.utf8);
      if (k.utf8) keys.push_back(k);
    }
    std::string doc = f.header();
    for (std::size_t i = 0; i < keys.size(); ++i) {
      if (i) doc += f.separator();
      doc += record(f, keys[i].bytes);
    }
    doc += f.footer(true);
    simdjson::dom::parser parser;
    simdjson::dom::array arr;
    REQUIRE_FALSE(parser.parse(doc).get(arr));
    REQUIRE(arr.size() == keys.size());
    std::size_t i = 0;
    for (simdjson::dom::element e : arr) {
      INFO(test::sh_quote(keys[i].bytes));
      std::string_view url;
      REQUIRE_FALSE(e["row_data"].get(url));
      CHECK(url == kUrl);
      check_json_key(e, "global_key", keys[i]);
      simdjson::dom::object obj;
      REQUIRE_FALSE(e.get(obj));
      CHECK(obj.size() == 2);  // row_data and global_key only
      ++i;
    }
  }

  TEST_CASE("an empty labelbox document is an empty JSON array") {
    RecordFormatter const f(Format::kLabelbox, "");
    std::string const doc = f.header() + f.footer(false);
    CHECK(doc == "[\n]\n");
    simdjson::dom::parser parser;
    simdjson::dom::array arr;
    REQUIRE_FALSE(parser.parse(doc).get(arr));
    CHECK(arr.size() == 0);
  }

  TEST_CASE("csv follows RFC 4180 and gives back every hostile key") {
    RecordFormatter const f(Format::kCsv, "");
    auto const keys = hostile_keys();
    std::string doc = f.header();
    for (auto const& k : keys) doc += record(f, k.bytes);
    doc += f.footer(true);
    auto const rows = parse_csv(doc);
    REQUIRE(rows.size() == keys.size() + 1);
    CHECK(rows[0] == std::vector<std::string>{"url", "external_id"});
    for (std::size_t i = 0; i < keys.size(); ++i) {
      INFO(test::sh_quote(keys[i].bytes));
      REQUIRE(rows[i + 1].size() == 2);
      CHECK(rows[i + 1][0] == kUrl);
      CHECK(rows[i + 1][1] == keys[i].bytes);
    }
    // Quoting only where RFC 4180 requires it.
    CHECK(record(f, "plain key") == std::string(kUrl) + ",plain key\r\n");
    CHECK(record(f, "a,b") == std::string(kUrl) + ",\"a,b\"\r\n");
    CHECK(record(f, "say \"x\"") == std::string(kUrl) + ",\"say \"\"x\"\"\"\r\n");
  }

  TEST_CASE("tsv escapes backslash, tab, LF and CR so every record is one line") {
    RecordFormatter const f(Format::kTsv, "");
    for (auto const& k : hostile_keys()) {
      INFO(test::sh_quote(k.bytes));
      std::string const line = record(f, k.bytes);
      REQUIRE(line.ends_with('\n'));
      REQUIRE(line.find('\n') == line.size() - 1);
      auto const tab = line.find('\t');
      REQUIRE(tab != std::string::npos);
      CHECK(line.substr(tab + 1, line.size() - tab - 2) == kUrl);
      CHECK(tsv_unescape(std::string_view(line).substr(0, tab)) == k.bytes);
    }
    CHECK(record(f, "a\\b\tc\nd\re") == "a\\\\b\\tc\\nd\\re\t" + std::string(kUrl) + "\n");
  }

  TEST_CASE("urls writes the URL and a newline, nothing of the key") {
    RecordFormatter const f(Format::kUrls, "");
    for (auto const& k : hostile_keys()) CHECK(record(f, k.bytes) == std::string(kUrl) + "\n");
    CHECK(f.header().empty());
    CHECK(f.footer(false).empty());
  }

  TEST_CASE("a global key template parses literal text and placeholders and doubled braces") {
    using P = GlobalKeyTemplate::Part;
    auto t = GlobalKeyTemplate::parse("a{{b}}/{bucket}:{key}{uri}}}");
    REQUIRE(t.has_value());
    auto const pieces = t->pieces();
    REQUIRE(pieces.size() == 6);
    CHECK((pieces[0].part == P::kText && pieces[0].text == "a{b}/"));
    CHECK(pieces[1].part == P::kBucket);
    CHECK((pieces[2].part == P::kText && pieces[2].text == ":"));
    CHECK(pieces[3].part == P::kKey);
    CHECK(pieces[4].part == P::kUri);
    CHECK((pieces[5].part == P::kText && pieces[5].text == "}"));
    GlobalKeyTemplate const def;
    REQUIRE(def.pieces().size() == 1);
    CHECK(def.pieces()[0].part == P::kKey);
    REQUIRE(GlobalKeyTemplate::parse("{uri}").has_value());
    REQUIRE(GlobalKeyTemplate::parse("{{{key}}}").has_value());
  }

  TEST_CASE(
      "a global key template with an unknown placeholder or an unbalanced brace is a usage error") {
    struct Bad {
      std::string_view text;
      std::string_view says;
    };
    for (Bad const b :
         {Bad{"{nope}", "unknown placeholder {nope}"}, Bad{"{Key}", "unknown placeholder {Key}"},
          Bad{"{}", "unknown placeholder {}"}, Bad{"{key", "unbalanced '{' at offset 0"},
          Bad{"x/{key}/{", "unbalanced '{' at offset 8"},
          Bad{"{ke{y}", "unbalanced '{' at offset 0"}, Bad{"key}", "unbalanced '}' at offset 3"},
          Bad{"{key}}", "unbalanced '}' at offset 5"}, Bad{"", "neither {key} nor {uri}"},
          Bad{"fixed", "neither {key} nor {uri}"},
          Bad{"{bucket}/{{key}}", "neither {key} nor {uri}"},
          Bad{"\xFF{key}", "not valid UTF-8"}}) {
      INFO(test::sh_quote(std::string(b.text)));
      auto const t = GlobalKeyTemplate::parse(b.text);
      REQUIRE_FALSE(t.has_value());
      CHECK(t.error().kind == ErrorKind::kUsage);
      CHECK(t.error().detail.starts_with("--global-key '"));
      CHECK(t.error().detail.find(b.says) != std::string::npos);
    }
  }

  TEST_CASE("labelbox global keys render the template for s3 and gs and az objects") {
    struct Case {
      ObjectLocation where;
      std::string_view want;
    };
    auto const tmpl = GlobalKeyTemplate::parse("{uri}|{bucket}/{key}|{{x}}").value();
    std::string_view const key = "dir/\xC3\xA9 \"q\".jpg";
    for (Case const& c :
         {Case{{"b1", "s3://b1/"}, "s3://b1/dir/\xC3\xA9 \"q\".jpg|b1/dir/\xC3\xA9 \"q\".jpg|{x}"},
          Case{{"g-2", "gs://g-2/"},
               "gs://g-2/dir/\xC3\xA9 \"q\".jpg|g-2/dir/\xC3\xA9 \"q\".jpg|{x}"},
          Case{{"cont", "az://acct/cont/"},
               "az://acct/cont/dir/\xC3\xA9 \"q\".jpg|cont/dir/\xC3\xA9 \"q\".jpg|{x}"}}) {
      INFO(c.where.uri_prefix);
      RecordFormatter const f(Format::kLabelbox, "", LabelboxOptions{tmpl, "", c.where});
      CHECK(f.reject_reason(ObjectRef{key, {}}).empty());
      std::string const doc = "[" + record(f, key) + "]";
      simdjson::dom::parser parser;
      simdjson::dom::array arr;
      REQUIRE_FALSE(parser.parse(doc).get(arr));
      REQUIRE(arr.size() == 1);
      std::string_view gk, url;
      REQUIRE_FALSE(arr.at(0)["global_key"].get(gk));
      CHECK(gk == c.want);
      REQUIRE_FALSE(arr.at(0)["row_data"].get(url));
      CHECK(url == kUrl);
    }
  }

  TEST_CASE("the default global key is the key and the other formats ignore labelbox options") {
    LabelboxOptions const o{GlobalKeyTemplate::parse("{bucket}/{key}").value(), "IMAGE",
                            ObjectLocation{"b", "s3://b/"}};
    CHECK(record(RecordFormatter(Format::kLabelbox, ""), "k.jpg") ==
          "{\"row_data\":\"" + std::string(kUrl) + "\",\"global_key\":\"k.jpg\"}");
    CHECK(record(RecordFormatter(Format::kCsv, "", o), "k.jpg") ==
          std::string(kUrl) + ",k.jpg\r\n");
    CHECK(record(RecordFormatter(Format::kNdjson, "x", o), "k.jpg") ==
          "{\"key\":\"k.jpg\",\"url\":\"" + std::string(kUrl) + "\",\"expires_at\":\"x\"}\n");
    CHECK_FALSE(RecordFormatter(Format::kNdjson, "x", o).may_reject());
    CHECK(RecordFormatter(Format::kNdjson, "x", o).reject_reason(ObjectRef{"\xFF", {}}).empty());
  }

  TEST_CASE("labelbox records carry media_type as Labelbox spells it when one is given") {
    for (auto const& [typed, written] : {std::pair{"image", "IMAGE"},
                                         {"Video", "VIDEO"},
                                         {"TEXT", "TEXT"},
                                         {"audio", "AUDIO"},
                                         {"document", "PDF"},
                                         {"pdf", "PDF"},
                                         {"html", "HTML"},
                                         {"dicom", "DICOM"},
                                         {"Conversational", "CONVERSATIONAL"}}) {
      char const* const given = typed;  // (clang 14 cannot capture a structured binding)
      INFO(given);
      auto const m = parse_labelbox_media_type(typed);
      REQUIRE(m.has_value());
      CHECK(*m == written);
    }
    for (std::string_view bad : {"", "images", "jpeg", "TMS_GEO", "IMAGE ", "im\xFF"}) {
      auto const m = parse_labelbox_media_type(bad);
      REQUIRE_FALSE(m.has_value());
      CHECK(m.error().kind == ErrorKind::kUsage);
      CHECK(m.error().detail.find("AUDIO, CONVERSATIONAL, DICOM, DOCUMENT, HTML, IMAGE, PDF, TEXT, "
                                  "VIDEO") != std::string::npos);
    }
    LabelboxOptions o;
    o.media_type = "IMAGE";
    RecordFormatter const f(Format::kLabelbox, "", o);
    std::string const rec = record(f, "a\"b");
    CHECK(rec == "{\"row_data\":\"" + std::string(kUrl) +
                     "\",\"global_key\":\"a\\\"b\",\"media_type\":\"IMAGE\"}");
    simdjson::dom::parser parser;
    simdjson::dom::element e;
    REQUIRE_FALSE(parser.parse(rec).get(e));
    std::string_view mt;
    REQUIRE_FALSE(e["media_type"].get(mt));
    CHECK(mt == "IMAGE");
  }

  TEST_CASE("labelbox refuses a global key over the length limit counted in characters") {
    auto const tmpl = GlobalKeyTemplate::parse("{bucket}/{key}").value();
    LabelboxOptions const o{tmpl, "", ObjectLocation{"bkt", "s3://bkt/"}};  // 4 fixed characters
    RecordFormatter const f(Format::kLabelbox, "", o);
    std::size_t const room = kLabelboxMaxGlobalKeyChars - 4;
    CHECK(f.reject_reason(ObjectRef{std::string(room, 'x'), {}}).empty());
    std::string const over = f.reject_reason(ObjectRef{std::string(room + 1, 'x'), {}});
    CHECK(over ==
          "the Labelbox global key would be 201 characters long; Labelbox allows at most 200");
    // Characters, not bytes: 196 two-byte characters fit.
    std::string accents;
    for (std::size_t i = 0; i < room; ++i) accents += "\xC3\xA9";
    CHECK(f.reject_reason(ObjectRef{accents, {}}).empty());
    // {uri} counts the key once more.
    RecordFormatter const twice(
        Format::kLabelbox, "",
        LabelboxOptions{GlobalKeyTemplate::parse("{uri}#{key}").value(), "", o.location});
    CHECK(twice.reject_reason(ObjectRef{std::string(95, 'k'), {}}).empty());  // 9+95+1+95
    CHECK_FALSE(twice.reject_reason(ObjectRef{std::string(96, 'k'), {}}).empty());
  }

  TEST_CASE("labelbox refuses a key that is not UTF-8 with a reason") {
    RecordFormatter const f(Format::kLabelbox, "");
    for (std::string_view bad : {"\xFF\xFE", "trunc\xC3", "\xED\xA0\x80"}) {
      CHECK(f.reject_reason(ObjectRef{bad, {}}) ==
            "the key is not valid UTF-8, so it cannot be part of a Labelbox global key");
    }
    CHECK(f.reject_reason(ObjectRef{"ok", {}}).empty());
  }

  TEST_CASE("labelbox options that leave no room for a key are a usage error") {
    LabelboxOptions o{GlobalKeyTemplate::parse(std::string(199, 'p') + "{key}").value(), "",
                      ObjectLocation{"b", "s3://b/"}};
    CHECK(check_labelbox_options(o).has_value());
    o.global_key = GlobalKeyTemplate::parse(std::string(200, 'p') + "{key}").value();
    auto const r = check_labelbox_options(o);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().kind == ErrorKind::kUsage);
    CHECK(r.error().detail.find("no room for a key") != std::string::npos);
    o.global_key = GlobalKeyTemplate();
    o.location.bucket = "b\xFF";
    CHECK_FALSE(check_labelbox_options(o).has_value());
  }

  TEST_CASE("labelbox records with a template do not allocate once the output has grown") {
    LabelboxOptions const o{GlobalKeyTemplate::parse("{uri}/{bucket}/{key}").value(), "VIDEO",
                            ObjectLocation{"b", "gs://b/"}};
    RecordFormatter const f(Format::kLabelbox, "", o);
    std::string out;
    out.reserve(1 << 16);
    char const* const data = out.data();
    for (int i = 0; i < 100; ++i) {
      ObjectRef const obj{"dir/file.jpg", {}};
      REQUIRE(f.reject_reason(obj).empty());
      f.begin(out, obj);
      out += kUrl;
      f.end(out, obj);
    }
    CHECK(out.data() == data);
  }
}
