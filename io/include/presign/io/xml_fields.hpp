#pragma once
/// Small XML answers of AWS APIs (STS, and any Query-protocol service): the text of a few
/// named elements, read with the same strict pull reader as the list pages
/// (io/src/list_page_xml.hpp), so one XML reader serves the whole tree.

#include "presign/core/error.hpp"

#include <map>
#include <set>
#include <string>
#include <string_view>

namespace presign::io {

/// What `read_xml_fields` found.
struct XmlFields {
  std::string root;                           ///< the root element's name
  std::map<std::string, std::string> values;  ///< element name → decoded text (first wins)
};

/// Reads `doc` once: descends into the root and into elements named in `containers`, reads
/// the text of elements named in `fields`, skips (still checking) everything else. Errors
/// (kProtocol) give the byte offset and never quote a value.
Result<XmlFields> read_xml_fields(std::string_view doc,
                                  std::set<std::string_view> const& containers,
                                  std::set<std::string_view> const& fields);

}  // namespace presign::io
