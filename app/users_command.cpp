// presign users add|list|disable|enable: the people API keys belong to.
#include "control_commands.hpp"
#include "exit_codes.hpp"
#include "presign/store/records.hpp"

#include <cstdio>

namespace presign::app {

CLI::App* add_users_command(CLI::App& app, UsersOptions& o) {
  CLI::App* users = app.add_subcommand("users", "Users of the control plane (owners of API keys)");
  users->require_subcommand(1);
  o.add = users->add_subcommand("add", "Add a user by e-mail");
  o.list = users->add_subcommand("list", "List the users");
  o.disable = users->add_subcommand("disable", "Disable a user: their keys stop working at once");
  o.enable = users->add_subcommand("enable", "Enable a disabled user again");
  for (CLI::App* c : {o.add, o.disable, o.enable}) {
    c->add_option("email", o.email, "the user's e-mail")->required();
  }
  o.list->add_flag("--json", o.json, "one JSON array");
  for (CLI::App* c : {o.add, o.list, o.disable, o.enable}) add_store_options(c, o.cli);
  return users;
}

int run_users(UsersOptions const& o) {
  char const* const cmd = o.add->parsed()       ? "users add"
                          : o.list->parsed()    ? "users list"
                          : o.disable->parsed() ? "users disable"
                                                : "users enable";
  if (!o.list->parsed()) {
    if (auto v = store::validate_email(o.email); !v) return report(cmd, v.error());
  }
  auto stamp = cli_stamp(o.cli);
  if (!stamp) return report(cmd, stamp.error());
  auto s = open_store(o.cli, o.list->parsed());  // a listing never creates a store
  if (!s) return report(cmd, s.error());
  if (o.add->parsed()) {
    auto u = store::add_user(*s, o.email, *stamp);
    if (!u) return report(cmd, u.error());
    std::fprintf(stderr, "presign users add: added %s\n", u->email.c_str());
    return kOk;
  }
  if (o.disable->parsed() || o.enable->parsed()) {
    bool const disable = o.disable->parsed();
    if (auto r = store::set_user_disabled(*s, o.email, disable, *stamp); !r) {
      return report(cmd, r.error());
    }
    std::fprintf(stderr, "presign %s: %s is %s\n", cmd, o.email.c_str(),
                 disable ? "disabled; their keys authenticate nothing" : "enabled");
    return kOk;
  }
  auto users = store::list_users(*s);
  if (!users) return report(cmd, users.error());
  if (o.json) {
    std::string out = "[";
    for (std::size_t i = 0; i < users->size(); ++i) {
      auto const& u = (*users)[i];
      out += i == 0 ? "{" : ",{";
      json_field(out, "email", u.email, true);
      json_field(out, "state", u.disabled ? "disabled" : "enabled");
      json_time(out, "created", u.created_at);
      out += '}';
    }
    out += "]\n";
    std::fputs(out.c_str(), stdout);
    return kOk;
  }
  std::vector<std::vector<std::string>> rows{{"EMAIL", "STATE", "CREATED"}};
  for (auto const& u : *users) {
    rows.push_back({u.email, u.disabled ? "disabled" : "enabled", time_text(u.created_at)});
  }
  print_table(rows);
  return kOk;
}

}  // namespace presign::app
