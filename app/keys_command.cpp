// presign keys create|list|delete|verify: API keys. A new key is printed once, alone on
// stdout; the store keeps its SHA-256 only. `verify` reads a key from stdin (never argv, which
// `ps` shows) and answers with store::verify_api_key, the check the HTTP service will make.
#include "control_commands.hpp"
#include "exit_codes.hpp"
#include "presign/store/api_key_format.hpp"
#include "presign/store/api_keys.hpp"
#include "presign/store/crypto.hpp"

#include <cstdio>

namespace presign::app {

CLI::App* add_keys_command(CLI::App& app, KeysOptions& o) {
  CLI::App* keys = app.add_subcommand("keys", "API keys of the control plane's users");
  keys->require_subcommand(1);
  o.create = keys->add_subcommand("create", "Create a key; it is printed once, on stdout");
  o.create->add_option("--name", o.name, "a name unique in the store: 1-64 of A-Z a-z 0-9 . _ -")
      ->required();
  o.create->add_option("--user", o.user, "the e-mail of the key's user")->required();
  o.create->add_option("--role", o.role, "admin, signer or viewer")
      ->required()
      ->check(CLI::IsMember({"admin", "signer", "viewer"}));
  o.create
      ->add_option("--validity", o.validity,
                   "how long the key lives, in --unit (1 minute to 25 weeks)")
      ->required();
  o.create->add_option("--unit", o.unit, "second, minute, hour, day or week")
      ->required()
      ->check(CLI::IsMember({"second", "minute", "hour", "day", "week"}));
  o.list = keys->add_subcommand("list", "List the keys (never the keys themselves)");
  o.list->add_flag("--json", o.json, "one JSON array");
  o.del = keys->add_subcommand("delete", "Delete a key: it authenticates nothing from then on");
  o.del->add_option("name", o.name, "the key's name")->required();
  o.verify = keys->add_subcommand(
      "verify",
      "Read a key from stdin and say whose it is and whether it is valid (exit 0), "
      "or why not (exit 3)");
  for (CLI::App* c : {o.create, o.list, o.del, o.verify}) add_store_options(c, o.cli);
  return keys;
}

namespace {

int create(KeysOptions const& o, store::Store& s, store::Stamp const& stamp) {
  auto const unit = store::parse_validity_unit(o.unit);
  auto const seconds = store::validity_seconds(o.validity, *unit);
  if (!seconds) return report("keys create", seconds.error());
  auto const role = store::parse_role(o.role);
  auto k = store::create_api_key(s, store::NewApiKey{o.name, o.user, *role, *seconds}, stamp);
  if (!k) return report("keys create", k.error());
  std::printf("%s\n", k->key.c_str());
  std::fflush(stdout);
  store::wipe(k->key);
  std::fprintf(stderr,
               "presign keys create: key '%s' for %s (role %s) expires %s; it was printed above "
               "and is not shown again\n",
               k->info.name.c_str(), k->info.user_email.c_str(),
               std::string(store::role_name(k->info.role)).c_str(),
               time_text(k->info.expires_at).c_str());
  return kOk;
}

int list(KeysOptions const& o, store::Store& s, store::Instant now) {
  auto keys = store::list_api_keys(s);
  if (!keys) return report("keys list", keys.error());
  if (o.json) {
    std::string out = "[";
    for (std::size_t i = 0; i < keys->size(); ++i) {
      auto const& k = (*keys)[i];
      out += i == 0 ? "{" : ",{";
      json_field(out, "name", k.name, true);
      json_field(out, "user", k.user_email);
      json_field(out, "role", store::role_name(k.role));
      json_time(out, "created", k.created_at);
      json_time(out, "expires", k.expires_at);
      json_time(out, "last_used", k.last_used_at);
      json_field(out, "state", store::key_state(k, now));
      out += '}';
    }
    out += "]\n";
    std::fputs(out.c_str(), stdout);
    return kOk;
  }
  std::vector<std::vector<std::string>> rows{
      {"NAME", "USER", "ROLE", "CREATED", "EXPIRES", "LAST USED", "STATE"}};
  for (auto const& k : *keys) {
    rows.push_back({k.name, k.user_email, std::string(store::role_name(k.role)),
                    time_text(k.created_at), time_text(k.expires_at), time_text(k.last_used_at),
                    std::string(store::key_state(k, now))});
  }
  print_table(rows);
  return kOk;
}

int verify(store::Store& s, store::Instant now) {
  std::string key;
  if (!read_stdin(key)) {
    return report("keys verify", make_error(ErrorKind::kIo, "cannot read the key from stdin"));
  }
  // One line: drop its line ending only (anything else is part of what was given).
  if (key.ends_with('\n')) key.pop_back();
  if (key.ends_with('\r')) key.pop_back();
  auto v = store::verify_api_key(s, key, now);
  store::wipe(key);
  if (!v) return report("keys verify", v.error());
  bool const valid = v->verdict == store::KeyVerdict::kValid;
  std::string out =
      valid ? "valid\n" : "invalid: " + std::string(store::verdict_reason(v->verdict)) + "\n";
  if (v->key) {
    out += "user: " + v->key->user_email + "\nname: " + v->key->name +
           "\nrole: " + std::string(store::role_name(v->key->role)) +
           "\nexpires: " + time_text(v->key->expires_at) + "\n";
  }
  std::fputs(out.c_str(), stdout);
  return valid ? kOk : kAuthOrConfig;
}

}  // namespace

int run_keys(KeysOptions const& o) {
  char const* const cmd = o.create->parsed() ? "keys create"
                          : o.list->parsed() ? "keys list"
                          : o.del->parsed()  ? "keys delete"
                                             : "keys verify";
  if (o.create->parsed()) {
    auto const unit = store::parse_validity_unit(o.unit);
    if (auto v = store::validity_seconds(o.validity, unit.value_or(store::ValidityUnit::kSecond));
        !v) {
      return report(cmd, v.error());  // before the store is touched
    }
  }
  auto stamp = cli_stamp(o.cli);
  if (!stamp) return report(cmd, stamp.error());
  // Listing and verifying keys never create a store.
  auto s = open_store(o.cli, o.list->parsed() || o.verify->parsed());
  if (!s) return report(cmd, s.error());
  if (o.create->parsed()) return create(o, *s, *stamp);
  if (o.list->parsed()) return list(o, *s, stamp->now);
  if (o.verify->parsed()) return verify(*s, stamp->now);
  if (auto r = store::delete_api_key(*s, o.name, *stamp); !r) return report(cmd, r.error());
  std::fprintf(stderr, "presign keys delete: deleted key '%s'\n", o.name.c_str());
  return kOk;
}

}  // namespace presign::app
