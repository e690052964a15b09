#pragma once
/// One small JSON string writer for the libraries below io (the control plane's `--json`
/// listings). io's record formats keep their own escaper (`io::append_json_escaped`): it is
/// on the signing hot path and copies runs of plain ASCII at once; this one favours brevity.

#include <string>
#include <string_view>

namespace presign {

/// Appends `s` as a complete JSON string, quotes included: `"` and `\` escaped, control
/// bytes as `\n`, `\r`, `\t`, `\b`, `\f` or `\u00XX`, DEL as `\u007f`, and every invalid UTF-8
/// sequence as U+FFFD, so the result is always valid JSON whatever the bytes.
void append_json_string(std::string& out, std::string_view s);

}  // namespace presign
