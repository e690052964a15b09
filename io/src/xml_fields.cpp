// read_xml_fields: the list pages' XmlReader walked with a caller's element names.
#include "presign/io/xml_fields.hpp"

#include "list_page_xml.hpp"

#include <vector>

namespace presign::io {
namespace {

// Walks the children of `parent` (already opened); depth is bounded by XmlReader::kMaxDepth.
bool walk(detail::XmlReader& r, detail::XmlElement const& parent,
          std::set<std::string_view> const& containers, std::set<std::string_view> const& fields,
          XmlFields& out) {
  detail::XmlElement child;
  while (r.next_child(parent, child)) {
    if (fields.contains(child.name)) {
      std::string text;
      if (!r.read_text(child, text)) return false;
      out.values.try_emplace(std::string(child.name), std::move(text));
    } else if (containers.contains(child.name)) {
      detail::XmlElement const self = child;
      if (!walk(r, self, containers, fields, out)) return false;
    } else if (!r.skip(child)) {
      return false;
    }
  }
  return !r.failed();
}

}  // namespace

Result<XmlFields> read_xml_fields(std::string_view doc,
                                  std::set<std::string_view> const& containers,
                                  std::set<std::string_view> const& fields) {
  std::vector<std::string_view> stack;
  detail::XmlReader r(doc, stack);
  detail::XmlElement root;
  XmlFields out;
  if (r.open_root(root)) {
    out.root = std::string(root.name);
    if (walk(r, root, containers, fields, out)) r.finish();
  }
  if (r.failed()) return detail::protocol_error("XML answer", r.error_offset(), r.error());
  return out;
}

}  // namespace presign::io
