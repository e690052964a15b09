// The AWS shared files: INI parsing (lenient and strict) and the profile map botocore builds
// from ~/.aws/config and ~/.aws/credentials (`configloader.build_profile_map` and
// `Session.full_config`).
#include "aws_internal.hpp"
#include "presign/auth/aws_sources.hpp"
#include "presign/core/text.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <sys/stat.h>

namespace presign::auth::aws {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

// One pass over the text for both parsers. `strict` turns the lines the lenient parser skips
// into errors "FILE line N: ...". The lenient form keeps the old behaviour (first of '=' only,
// no continuation lines, key names as written) for callers that only want a best effort.
Result<IniFile> parse(std::string_view text, bool strict, std::string_view path) {
  IniFile out;
  std::string section;
  bool in_section = false;
  std::string last_key;  // for continuation lines (strict only)
  std::size_t line_no = 0;
  auto bad = [&](std::string what) {
    return make_error(ErrorKind::kConfig,
                      std::string(path) + " line " + std::to_string(line_no) + ": " + what);
  };
  while (!text.empty()) {
    ++line_no;
    auto nl = text.find('\n');
    std::string_view raw = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    std::string_view line = trim(raw);
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    bool const indented = raw.front() == ' ' || raw.front() == '\t';
    if (strict && indented && in_section && !last_key.empty()) {
      // configparser: an indented line continues the value above (botocore reads nested
      // sections such as `s3 =\n  addressing_style = path` from it).
      auto& v = out[section][last_key];
      if (!v.empty()) v += '\n';
      v += line;
      continue;
    }
    if (line.front() == '[') {
      auto close = line.find(']');
      if (close == std::string_view::npos) {
        if (strict) return bad("a section header without ']'");
        in_section = false;
        continue;
      }
      section = std::string(trim(line.substr(1, close - 1)));
      in_section = true;
      last_key.clear();
      out[section];
      continue;
    }
    auto eq = strict ? line.find_first_of("=:") : line.find('=');
    if (!in_section) {
      if (strict) return bad("a setting before any [section]");
      continue;
    }
    if (eq == std::string_view::npos) {
      if (strict) return bad("neither '=' nor ':' (expected key = value)");
      continue;
    }
    std::string key(trim(line.substr(0, eq)));
    if (strict) {
      if (key.empty()) return bad("a setting without a name");
      key = ascii_to_lower(key);
    }
    out[section][key] = std::string(trim(line.substr(eq + 1)));
    last_key = std::move(key);
  }
  return out;
}

// Returns nullopt when the file does not exist; an Error when it exists but can't be read.
// Existence is decided by stat(2), not by a failed open: an unreadable file or a directory in
// the file's place must be reported, not mistaken for "no profile here" (which would let the
// chain fall through to other credentials without a word).
Result<std::optional<IniFile>> load_ini(std::string const& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    int const e = errno;
    if (e == ENOENT || e == ENOTDIR) return std::optional<IniFile>{};
    return make_error(ErrorKind::kConfig, "cannot read " + path + ": " + std::strerror(e));
  }
  if (S_ISDIR(st.st_mode)) {
    return make_error(ErrorKind::kConfig, "cannot read " + path + ": it is a directory");
  }
  auto text = detail::read_small_file(path);
  if (!text) return text.error();
  auto ini = parse_ini_strict(*text, path);
  if (!ini) return ini.error();
  return std::optional<IniFile>{std::move(*ini)};
}

// botocore's build_profile_map: "profile NAME" (shlex-split into exactly two words) and
// "default" are profiles, "sso-session NAME" are SSO sessions, anything else is not a
// profile. "profile default" is the default profile too.
void add_config_sections(IniFile& ini, std::string const& path, SharedConfig& out) {
  for (auto& [name, values] : ini) {
    auto const words = shell_split(name);
    if (name.starts_with("profile")) {
      if (!words || words->size() != 2) continue;
      out.config_file_profiles[(*words)[1]] =
          Profile{std::move(values), "profile '" + (*words)[1] + "' in " + path};
    } else if (name.starts_with("sso-session")) {
      if (!words || words->size() != 2) continue;
      out.sso_sessions[(*words)[1]] =
          Profile{std::move(values), "sso-session '" + (*words)[1] + "' in " + path};
    } else if (name == "default") {
      // An explicit [profile default] wins over [default] (botocore keeps the one it meets
      // last in a dict ordered by the file; both in one file is rare, take [profile default]).
      out.config_file_profiles.try_emplace(
          "default", Profile{std::move(values), "profile 'default' in " + path});
    }
  }
}

}  // namespace

std::string const* Profile::get(std::string const& key) const {
  auto it = values.find(key);
  return it == values.end() ? nullptr : &it->second;
}

IniFile parse_ini(std::string_view text) { return *parse(text, false, {}); }

Result<IniFile> parse_ini_strict(std::string_view text, std::string_view path) {
  return parse(text, true, path);
}

namespace detail {

std::optional<std::string> home_file(EnvLookup const& env, char const* override_var,
                                     char const* leaf) {
  if (auto v = env(override_var); v && !v->empty()) return *v;
  auto home = env("HOME");
  if (!home || home->empty()) return std::nullopt;
  return *home + "/.aws/" + leaf;
}

std::string describe_place(std::optional<std::string> const& path, char const* override_var,
                           char const* leaf) {
  if (path) return *path;
  return std::string("no ~/.aws/") + leaf + " (HOME is not set, nor is " + override_var + ")";
}

Result<std::string> read_small_file(std::string const& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    int const e = errno;
    return make_error(ErrorKind::kConfig, "cannot read " + path + ": " + std::strerror(e));
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return make_error(ErrorKind::kConfig, "cannot read " + path);
  return ss.str();
}

}  // namespace detail

Result<SharedConfig> load_shared_config(EnvLookup const& env) {
  SharedConfig out;
  auto const cred_path = detail::home_file(env, "AWS_SHARED_CREDENTIALS_FILE", "credentials");
  auto const conf_path = detail::home_file(env, "AWS_CONFIG_FILE", "config");
  out.credentials_place =
      detail::describe_place(cred_path, "AWS_SHARED_CREDENTIALS_FILE", "credentials");
  out.config_place = detail::describe_place(conf_path, "AWS_CONFIG_FILE", "config");
  if (conf_path) {
    auto ini = load_ini(*conf_path);
    if (!ini) return ini.error();
    if (*ini) add_config_sections(**ini, *conf_path, out);
  }
  if (cred_path) {
    auto ini = load_ini(*cred_path);
    if (!ini) return ini.error();
    if (*ini) {
      // Every section of the credentials file is a profile, named as written.
      for (auto& [name, values] : **ini) {
        out.credentials_file_profiles[name] =
            Profile{std::move(values), "profile '" + name + "' in " + *cred_path};
      }
    }
  }
  out.profiles = out.config_file_profiles;
  for (auto const& [name, p] : out.credentials_file_profiles) {
    auto [it, fresh] = out.profiles.try_emplace(name, p);
    if (fresh) continue;
    for (auto const& [k, v] : p.values) it->second.values[k] = v;
    it->second.where += " and " + p.where;
  }
  return out;
}

}  // namespace presign::auth::aws
