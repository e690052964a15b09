// GCS JSON API objects.list response (`{"kind":"storage#objects", ...}`) and JSON error bodies,
// as documented in the Cloud Storage JSON API reference ("Objects: list", "Objects resource",
// "HTTP status and error codes").
//
// simdjson On Demand: stage 1 validates the whole body (UTF-8, strings, structure) and the
// walk below reads every field of the top-level object and of every item; values of fields we
// do not read are skipped (checked for balance, not for every JSON rule). A truncated body
// fails in stage 1 or when the walk runs out of document. The body is copied once into a
// reused padded buffer (simdjson needs 64 readable bytes past the end).

#include "list_page_xml.hpp"
#include "presign/io/list_page.hpp"
#include "presign/core/utf8.hpp"

#include <simdjson.h>

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace presign::io::detail {

struct GcsScratch {
  simdjson::ondemand::parser parser;
  std::string padded;  // the body plus SIMDJSON_PADDING bytes
};

void GcsScratchDeleter::operator()(GcsScratch* p) const noexcept { delete p; }

}  // namespace presign::io::detail

namespace presign::io {
namespace {

namespace od = simdjson::ondemand;
using detail::excerpt;

constexpr std::string_view kWhat = "GCS objects.list page";

// Carries the first error and where it happened.
struct JsonWalk {
  od::document& doc;
  char const* base;
  std::size_t size;
  std::string error;
  std::size_t error_offset = 0;

  std::size_t here() {
    char const* p = nullptr;
    if (doc.current_location().get(p) != simdjson::SUCCESS || p == nullptr) return size;
    auto off = static_cast<std::size_t>(p - base);
    return off > size ? size : off;
  }
  bool fail(std::string what) {
    if (error.empty()) {
      error = std::move(what);
      error_offset = here();
    }
    return false;
  }
  bool fail(simdjson::error_code ec, std::string_view context) {
    return fail(std::string(context) + ": " + simdjson::error_message(ec));
  }
};

bool read_string(JsonWalk& w, od::value& v, std::string_view field, std::string_view& out) {
  if (auto ec = v.get_string().get(out)) {
    return w.fail(ec, "\"" + std::string(field) + "\" is not a JSON string");
  }
  return true;
}

bool append_span(JsonWalk& w, od::value& v, std::string_view field, std::string& text,
                 ByteSpan& span) {
  std::string_view s;
  if (!read_string(w, v, field, s)) return false;
  span.offset = text.size();
  span.size = s.size();
  text.append(s);
  return true;
}

// GCS writes uint64 values ("size", "generation") as decimal strings; accept an unsigned JSON
// number too (some emulators write one). Nothing else: no sign, no spaces, no fraction.
bool read_u64(JsonWalk& w, od::value& v, std::string_view field, std::uint64_t& out) {
  od::json_type t{};
  if (auto ec = v.type().get(t)) return w.fail(ec, "\"" + std::string(field) + "\"");
  if (t == od::json_type::number) {
    if (auto ec = v.get_uint64().get(out)) {
      return w.fail(ec, "\"" + std::string(field) + "\" is not an unsigned 64-bit number");
    }
    return true;
  }
  std::string_view s;
  if (!read_string(w, v, field, s)) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) {
    return w.fail("\"" + std::string(field) + "\" is not an unsigned 64-bit decimal: \"" +
                  excerpt(s) + "\"");
  }
  return true;
}

bool read_item(JsonWalk& w, od::value& item_value, std::size_t index, ListPage& page,
               std::string& key_bytes) {
  od::object item;
  if (auto ec = item_value.get_object().get(item)) {
    return w.fail(ec, "items[" + std::to_string(index) + "] is not an object");
  }
  ListedObject obj;
  bool name = false;
  bool size = false;
  bool updated = false;
  bool etag = false;
  bool generation = false;
  std::size_t const item_at = w.here();
  for (auto field_result : item) {
    od::field field;
    std::string_view key;
    if (auto ec = std::move(field_result).get(field))
      return w.fail(ec, "items[" + std::to_string(index) + "]");
    if (auto ec = field.unescaped_key().get(key)) return w.fail(ec, "a key in items[]");
    od::value v = field.value();
    auto dup = [&](bool& seen) {
      if (seen)
        return w.fail("duplicate \"" + excerpt(key) + "\" in items[" + std::to_string(index) + "]");
      seen = true;
      return true;
    };
    bool ok = true;
    if (key == "name") {
      std::string_view s;
      ok = dup(name) && read_string(w, v, "name", s);
      if (ok) {
        obj.key.offset = key_bytes.size();
        obj.key.size = s.size();
        key_bytes.append(s);
      }
    } else if (key == "size") {
      ok = dup(size) && read_u64(w, v, "size", obj.size);
    } else if (key == "updated") {
      ok = dup(updated) && append_span(w, v, "updated", page.text, obj.last_modified);
    } else if (key == "etag") {
      ok = dup(etag) && append_span(w, v, "etag", page.text, obj.etag);
    } else if (key == "generation") {
      std::uint64_t g = 0;
      ok = dup(generation) && read_u64(w, v, "generation", g);
      if (ok) {
        char buf[24];
        auto [end, ec] = std::to_chars(buf, buf + sizeof buf, g);
        obj.version.offset = page.text.size();
        obj.version.size = static_cast<std::size_t>(end - buf);
        page.text.append(buf, obj.version.size);
      }
    }
    // Every other field (bucket, md5Hash, metadata, ...) is skipped by the iterator.
    if (!ok) return false;
  }
  if (!w.error.empty()) return false;
  if (!name) {
    w.fail("items[" + std::to_string(index) + "] has no \"name\"");
    w.error_offset = item_at;
    return false;
  }
  if (!size) {
    w.fail("items[" + std::to_string(index) + "] has no \"size\"");
    w.error_offset = item_at;
    return false;
  }
  page.objects.push_back(obj);
  return true;
}

bool read_error_object(JsonWalk& w, od::value& v, ProviderError& out) {
  od::object err;
  if (auto ec = v.get_object().get(err)) return w.fail(ec, "\"error\" is not an object");
  std::string numeric;
  std::string reason;
  std::string status;
  for (auto field_result : err) {
    od::field field;
    std::string_view key;
    if (auto ec = std::move(field_result).get(field)) return w.fail(ec, "\"error\"");
    if (auto ec = field.unescaped_key().get(key)) return w.fail(ec, "a key in \"error\"");
    od::value fv = field.value();
    if (key == "code") {
      std::int64_t code = 0;
      if (auto ec = fv.get_int64().get(code)) return w.fail(ec, "\"error.code\"");
      if (code < 0 || code > 999) return w.fail("\"error.code\" is not an HTTP status");
      out.status = static_cast<int>(code);
      numeric = std::to_string(code);
    } else if (key == "message") {
      std::string_view s;
      if (!read_string(w, fv, "error.message", s)) return false;
      out.message.assign(s);
    } else if (key == "status") {
      std::string_view s;
      if (!read_string(w, fv, "error.status", s)) return false;
      status.assign(s);
    } else if (key == "errors") {
      od::array errors;
      if (auto ec = fv.get_array().get(errors)) return w.fail(ec, "\"error.errors\"");
      for (auto e_result : errors) {
        od::object e;
        if (auto ec = e_result.get_object().get(e)) return w.fail(ec, "\"error.errors[]\"");
        for (auto f_result : e) {
          od::field f;
          std::string_view k;
          if (auto ec = std::move(f_result).get(f)) return w.fail(ec, "\"error.errors[]\"");
          if (auto ec = f.unescaped_key().get(k)) return w.fail(ec, "\"error.errors[]\"");
          if (k == "reason" && reason.empty()) {
            od::value rv = f.value();
            std::string_view s;
            if (!read_string(w, rv, "error.errors[].reason", s)) return false;
            reason.assign(s);
          }
        }
      }
    }
  }
  if (!w.error.empty()) return false;
  // The most specific name first: errors[0].reason ("forbidden", "notFound", "rateLimitExceeded"),
  // then the gRPC-style status, then the number.
  out.code = !reason.empty() ? reason : !status.empty() ? status : numeric;
  if (out.code.empty()) return w.fail("\"error\" has neither a code nor a reason");
  truncate_utf8(out.message, 1024);
  return true;
}

// simdjson 3.0 has no document::at_end(); current_location() reports OUT_OF_BOUNDS there.
bool at_end(od::document& doc) { return doc.current_location().error() == simdjson::OUT_OF_BOUNDS; }

simdjson::error_code start(detail::GcsScratch& g, std::string_view body, od::document& doc) {
  g.padded.assign(body);
  g.padded.resize(body.size() + simdjson::SIMDJSON_PADDING);
  return g.parser.iterate(g.padded.data(), body.size(), g.padded.size()).get(doc);
}

}  // namespace

Result<void> ListPageParser::parse_gcs(std::string_view body, ListPage& page,
                                       std::string& key_bytes) {
  Impl& im = *impl_;
  if (!im.gcs) im.gcs.reset(new detail::GcsScratch);
  detail::GcsScratch& g = *im.gcs;
  page.clear();
  std::size_t const key_base = key_bytes.size();
  auto fail = [&](std::size_t offset, std::string_view why) -> Result<void> {
    key_bytes.resize(key_base);
    page.clear();
    return detail::protocol_error(kWhat, offset, why);
  };

  od::document doc;
  if (auto ec = start(g, body, doc)) return fail(0, simdjson::error_message(ec));
  JsonWalk w{doc, g.padded.data(), body.size(), {}, 0};
  od::object root;
  if (auto ec = doc.get_object().get(root)) {
    w.fail(ec, "the body is not a JSON object");
    return fail(w.error_offset, w.error);
  }
  bool kind = false;
  bool token = false;
  bool items = false;
  bool prefixes = false;
  bool error_body = false;
  ProviderError pe;
  for (auto field_result : root) {
    od::field field;
    std::string_view key;
    if (auto ec = std::move(field_result).get(field)) {
      w.fail(ec, "top-level object");
      break;
    }
    if (auto ec = field.unescaped_key().get(key)) {
      w.fail(ec, "a top-level key");
      break;
    }
    od::value v = field.value();
    auto dup = [&](bool& seen) {
      if (seen) return w.fail("duplicate \"" + excerpt(key) + "\"");
      seen = true;
      return true;
    };
    bool ok = true;
    if (key == "kind") {
      std::string_view s;
      ok = dup(kind) && read_string(w, v, "kind", s);
      if (ok && s != "storage#objects") {
        ok = w.fail("\"kind\" is \"" + excerpt(s) + "\", expected \"storage#objects\"");
      }
    } else if (key == "nextPageToken") {
      std::string_view s;
      ok = dup(token) && read_string(w, v, "nextPageToken", s);
      if (ok) page.next_token.assign(s);
    } else if (key == "items") {
      od::array arr;
      ok = dup(items);
      if (ok) {
        if (auto ec = v.get_array().get(arr)) ok = w.fail(ec, "\"items\" is not an array");
      }
      std::size_t index = 0;
      if (ok) {
        for (auto item_result : arr) {
          od::value item;
          if (auto ec = std::move(item_result).get(item)) {
            ok = w.fail(ec, "items[" + std::to_string(index) + "]");
            break;
          }
          if (!read_item(w, item, index, page, key_bytes)) {
            ok = false;
            break;
          }
          ++index;
        }
        if (ok && !w.error.empty()) ok = false;
      }
    } else if (key == "prefixes") {
      od::array arr;
      ok = dup(prefixes);
      if (ok) {
        if (auto ec = v.get_array().get(arr)) ok = w.fail(ec, "\"prefixes\" is not an array");
      }
      if (ok) {
        for (auto p_result : arr) {
          od::value p;
          ByteSpan span;
          if (auto ec = std::move(p_result).get(p)) {
            ok = w.fail(ec, "prefixes[]");
            break;
          }
          if (!append_span(w, p, "prefixes[]", page.text, span)) {
            ok = false;
            break;
          }
          page.common_prefixes.push_back(span);
        }
      }
    } else if (key == "error") {
      ok = dup(error_body) && read_error_object(w, v, pe);
    }
    if (!ok || !w.error.empty()) break;
  }
  if (w.error.empty() && !at_end(doc)) w.fail("content after the top-level object");
  if (!w.error.empty()) return fail(w.error_offset, w.error);
  if (error_body) {
    key_bytes.resize(key_base);
    page.clear();
    Error e = to_error(pe, ErrorKind::kProtocol, 0);
    e.detail = std::string(kWhat) + ": the body is a GCS error, not a listing: " + e.detail;
    return e;
  }
  // objects.list leaves out "items" on an empty page; "kind" is always there on GCS itself,
  // but some emulators omit it, so only a wrong kind is an error.
  page.truncated = !page.next_token.empty();
  return ok();
}

Result<ProviderError> ListPageParser::parse_gcs_error(std::string_view body) {
  Impl& im = *impl_;
  if (!im.gcs) im.gcs.reset(new detail::GcsScratch);
  detail::GcsScratch& g = *im.gcs;
  constexpr std::string_view kErr = "GCS error body";
  od::document doc;
  if (auto ec = start(g, body, doc))
    return detail::protocol_error(kErr, 0, simdjson::error_message(ec));
  JsonWalk w{doc, g.padded.data(), body.size(), {}, 0};
  ProviderError out;
  bool found = false;
  od::object root;
  if (auto ec = doc.get_object().get(root)) {
    w.fail(ec, "the body is not a JSON object");
  } else {
    for (auto field_result : root) {
      od::field field;
      std::string_view key;
      if (auto ec2 = std::move(field_result).get(field)) {
        w.fail(ec2, "top-level object");
        break;
      }
      if (auto ec2 = field.unescaped_key().get(key)) {
        w.fail(ec2, "a top-level key");
        break;
      }
      if (key == "error") {
        od::value v = field.value();
        if (found) {
          w.fail("duplicate \"error\"");
          break;
        }
        found = true;
        if (!read_error_object(w, v, out)) break;
      }
    }
    if (w.error.empty() && !at_end(doc)) w.fail("content after the top-level object");
    if (w.error.empty() && !found) w.fail("no \"error\" object");
  }
  if (!w.error.empty()) return detail::protocol_error(kErr, w.error_offset, w.error);
  return out;
}

}  // namespace presign::io
