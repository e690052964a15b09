#include "presign/auth/aws.hpp"

#include <cerrno>
#include <cstdlib>
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

// The shared file `leaf` ("credentials", "config"): the override variable's path when set,
// else $HOME/.aws/LEAF, else nullopt. Without a home there is no ~/.aws: like the AWS CLI, no
// shared file is read then unless an override names one. (Falling back to "./.aws" would read
// whatever directory a scheduled job happens to start in.) An empty HOME counts as unset.
std::optional<std::string> home_file(EnvLookup const& env, char const* override_var,
                                     char const* leaf) {
  if (auto v = env(override_var); v && !v->empty()) return *v;
  auto home = env("HOME");
  if (!home || home->empty()) return std::nullopt;
  return *home + "/.aws/" + leaf;
}

// How a shared file is named in messages: its path, or why it was not looked at.
std::string describe_place(std::optional<std::string> const& path, char const* override_var,
                           char const* leaf) {
  if (path) return *path;
  return std::string("no ~/.aws/") + leaf + " (HOME is not set, nor is " + override_var + ")";
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
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    int const e = errno;
    return make_error(ErrorKind::kConfig, "cannot read " + path + ": " + std::strerror(e));
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return make_error(ErrorKind::kConfig, "cannot read " + path);
  return std::optional<IniFile>{parse_ini(ss.str())};
}

std::string profile_name(EnvLookup const& env) {
  if (auto p = env("AWS_PROFILE")) return *p;
  if (auto p = env("AWS_DEFAULT_PROFILE")) return *p;
  return "default";
}

}  // namespace

IniFile parse_ini(std::string_view text) {
  IniFile out;
  std::string section;
  bool in_section = false;
  while (!text.empty()) {
    auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    line = trim(line);
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    if (line.front() == '[') {
      auto close = line.find(']');
      if (close == std::string_view::npos) {
        in_section = false;
        continue;
      }
      section = std::string(trim(line.substr(1, close - 1)));
      in_section = true;
      out[section];
      continue;
    }
    auto eq = line.find('=');
    if (!in_section || eq == std::string_view::npos) continue;
    out[section][std::string(trim(line.substr(0, eq)))] = std::string(trim(line.substr(eq + 1)));
  }
  return out;
}

Result<sigv4::Credentials> DefaultChainProvider::credentials() const {
  auto c = fetch();
  if (!c) return c.error();
  return std::get<sigv4::Credentials>(std::move(c->secret));
}

std::string DefaultChainProvider::describe() const {
  return "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, then the profile (AWS_PROFILE) in "
         "~/.aws/credentials and ~/.aws/config";
}

Result<Credentials> DefaultChainProvider::fetch() const {
  auto const id = env_("AWS_ACCESS_KEY_ID");
  auto const secret = env_("AWS_SECRET_ACCESS_KEY");
  if (id && secret) {
    return Credentials{sigv4::Credentials{*id, *secret, env_("AWS_SESSION_TOKEN").value_or("")},
                       "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"};
  }
  if (id || secret) {
    return make_error(ErrorKind::kConfig,
                      std::string("AWS credentials in the environment are incomplete: ") +
                          (id ? "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not"
                              : "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not"));
  }
  std::string const profile = profile_name(env_);
  auto const cred_path = home_file(env_, "AWS_SHARED_CREDENTIALS_FILE", "credentials");
  auto const conf_path = home_file(env_, "AWS_CONFIG_FILE", "config");
  struct Place {
    std::optional<std::string> path;
    std::string section;
  };
  Place const places[] = {{cred_path, profile},
                          {conf_path, profile == "default" ? profile : "profile " + profile}};
  bool profile_seen = false;
  for (auto const& place : places) {
    if (!place.path) continue;
    auto ini = load_ini(*place.path);
    if (!ini) return ini.error();
    if (!*ini) continue;
    auto sec = (*ini)->find(place.section);
    if (sec == (*ini)->end()) continue;
    profile_seen = true;
    auto const& kv = sec->second;
    auto k = kv.find("aws_access_key_id");
    auto s = kv.find("aws_secret_access_key");
    if (k != kv.end() && s != kv.end() && !k->second.empty() && !s->second.empty()) {
      auto t = kv.find("aws_session_token");
      return Credentials{sigv4::Credentials{k->second, s->second, t == kv.end() ? "" : t->second},
                         "profile '" + profile + "' in " + *place.path};
    }
  }
  std::string msg =
      "no AWS credentials found: looked for AWS_ACCESS_KEY_ID and "
      "AWS_SECRET_ACCESS_KEY in the environment, then aws_access_key_id and "
      "aws_secret_access_key of profile '" +
      profile + "' in " + describe_place(cred_path, "AWS_SHARED_CREDENTIALS_FILE", "credentials") +
      " and " + describe_place(conf_path, "AWS_CONFIG_FILE", "config");
  if (!profile_seen && profile != "default") msg += " (profile '" + profile + "' was not found)";
  return make_error(ErrorKind::kConfig, std::move(msg));
}

std::string resolve_region(EnvLookup const& env, std::string const& explicit_region) {
  if (!explicit_region.empty()) return explicit_region;
  if (auto r = env("AWS_REGION")) return *r;
  if (auto r = env("AWS_DEFAULT_REGION")) return *r;
  std::string const profile = profile_name(env);
  auto const conf_path = home_file(env, "AWS_CONFIG_FILE", "config");
  if (!conf_path) return "us-east-1";
  auto ini = load_ini(*conf_path);
  if (ini && *ini) {
    auto sec = (*ini)->find(profile == "default" ? profile : "profile " + profile);
    if (sec != (*ini)->end()) {
      auto r = sec->second.find("region");
      if (r != sec->second.end() && !r->second.empty()) return r->second;
    }
  }
  return "us-east-1";
}

std::string resolve_s3_endpoint(EnvLookup const& env, std::string const& explicit_endpoint) {
  if (!explicit_endpoint.empty()) return explicit_endpoint;
  if (auto e = env("AWS_ENDPOINT_URL_S3")) return *e;
  if (auto e = env("AWS_ENDPOINT_URL")) return *e;
  return {};
}

}  // namespace presign::auth::aws
