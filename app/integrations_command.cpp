// presign integrations add|list|show|update|delete: named buckets with the credentials to sign
// for them. Secrets are write-only: `show` and `list` say which kind of credentials an
// integration has and that a secret is stored, never the secret.
#include "control_commands.hpp"
#include "exit_codes.hpp"
#include "integration_credentials.hpp"
#include "presign/core/endpoint.hpp"
#include "presign/store/integrations.hpp"

#include <cstdio>
#include <iostream>
#include <unistd.h>

namespace presign::app {

CLI::App* add_integrations_command(CLI::App& app, IntegrationsOptions& o) {
  CLI::App* in = app.add_subcommand("integrations", "Buckets and the credentials to sign for them");
  in->require_subcommand(1);
  o.add = in->add_subcommand("add", "Add an integration (secrets: see --help of each option)");
  o.add->add_option("--name", o.name, "1-64 of A-Z a-z 0-9 . _ -")->required();
  o.add->add_option("--provider", o.provider, "aws, gcp or azure")
      ->required()
      ->check(CLI::IsMember({"aws", "gcp", "azure"}));
  o.add->add_option("--bucket", o.bucket, "the bucket (Azure: the container)")->required();
  o.add->add_option("--region", o.region, "the bucket's region");
  o.add->add_option("--endpoint", o.endpoint, "a custom endpoint, scheme://host[:port]");
  add_credential_options(o.add, o.cred);
  o.list = in->add_subcommand("list", "List the integrations (never their secrets)");
  o.list->add_flag("--json", o.json, "one JSON array");
  o.show = in->add_subcommand("show", "Show one integration (never its secret)");
  o.show->add_option("name", o.name, "the integration")->required();
  o.show->add_flag("--json", o.json, "one JSON object");
  o.update = in->add_subcommand("update", "Rename an integration or replace its credentials");
  o.update->add_option("name", o.name, "the integration")->required();
  o.update->add_option("--rename", o.rename, "a new name");
  o.update->add_option("--provider", o.provider, "refused: create a new integration instead");
  o.update->add_option("--bucket", o.bucket, "refused: create a new integration instead");
  add_credential_options(o.update, o.cred);
  o.del = in->add_subcommand(
      "delete", "Delete an integration: on a terminal, type its name to confirm; else --confirm");
  o.del->add_option("name", o.name, "the integration")->required();
  o.del->add_option("--confirm", o.confirm, "the integration's name again (for scripts)");
  o.check = in->add_subcommand(
      "check",
      "Check an integration's credentials with one cheap request (a one-key listing) and "
      "record the outcome as its status: ok, or failing with the reason (exit 3 or 5)");
  o.check->add_option("name", o.name, "the integration")->required();
  for (CLI::App* c : {o.add, o.list, o.show, o.update, o.del, o.check}) {
    add_store_options(c, o.cli);
  }
  return in;
}

namespace {

void json_integration(std::string& out, store::Integration const& i) {
  out += '{';
  json_field(out, "name", i.name, true);
  json_field(out, "provider", i.provider);
  json_field(out, "bucket", i.bucket);
  json_field(out, "region", i.region);
  json_field(out, "endpoint", i.endpoint);
  json_field(out, "credential_kind", i.credential_kind);
  out += ",\"credential\":{";
  for (std::size_t k = 0; k < i.credential_params.size(); ++k) {
    json_field(out, i.credential_params[k].first, i.credential_params[k].second, k == 0);
  }
  out += i.has_secret ? "},\"secret_stored\":true" : "},\"secret_stored\":false";
  json_time(out, "created", i.created_at);
  json_time(out, "updated", i.updated_at);
  json_time(out, "last_used", i.last_used_at);
  json_field(out, "status", i.status);
  json_time(out, "status_at", i.status_at);
  json_field(out, "status_message", i.status_message);
  out += '}';
}

std::string credential_text(store::Integration const& i) {
  return i.credential_kind + (i.has_secret ? " (secret stored)" : " (no secret)");
}

int show(IntegrationsOptions const& o, store::Store& s) {
  auto i = store::get_integration(s, o.name);
  if (!i) return report("integrations show", i.error());
  if (o.json) {
    std::string out;
    json_integration(out, *i);
    out += '\n';
    std::fputs(out.c_str(), stdout);
    return kOk;
  }
  std::vector<std::vector<std::string>> rows{{"name:", i->name},
                                             {"provider:", i->provider},
                                             {"bucket:", i->bucket},
                                             {"region:", i->region.empty() ? "-" : i->region},
                                             {"endpoint:", i->endpoint.empty() ? "-" : i->endpoint},
                                             {"credentials:", credential_text(*i)}};
  for (auto const& [k, v] : i->credential_params) rows.push_back({"  " + k + ":", v});
  rows.push_back({"created:", time_text(i->created_at)});
  rows.push_back({"updated:", time_text(i->updated_at)});
  rows.push_back({"last used:", time_text(i->last_used_at)});
  rows.push_back(
      {"status:", i->status + (i->status_message.empty() ? "" : ": " + i->status_message)});
  rows.push_back({"status at:", time_text(i->status_at)});
  print_table(rows);
  return kOk;
}

int list(IntegrationsOptions const& o, store::Store& s) {
  auto all = store::list_integrations(s);
  if (!all) return report("integrations list", all.error());
  if (o.json) {
    std::string out = "[";
    for (std::size_t k = 0; k < all->size(); ++k) {
      if (k > 0) out += ',';
      json_integration(out, (*all)[k]);
    }
    out += "]\n";
    std::fputs(out.c_str(), stdout);
    return kOk;
  }
  std::vector<std::vector<std::string>> rows{
      {"NAME", "PROVIDER", "BUCKET", "CREDENTIALS", "STATUS", "LAST USED"}};
  for (auto const& i : *all) {
    rows.push_back(
        {i.name, i.provider, i.bucket, credential_text(i), i.status, time_text(i.last_used_at)});
  }
  print_table(rows);
  return kOk;
}

// The typed name on a terminal, --confirm otherwise; anything else (EOF included) refuses.
Result<void> confirm_delete(IntegrationsOptions const& o) {
  if (o.del->count("--confirm") > 0) {
    if (o.confirm == o.name) return {};
    return make_error(ErrorKind::kUsage,
                      "not deleted: --confirm does not repeat the name '" + o.name + "'");
  }
  if (::isatty(STDIN_FILENO) == 0) {
    return make_error(ErrorKind::kUsage,
                      "not deleted: stdin is not a terminal; pass --confirm NAME to delete "
                      "from a script");
  }
  std::fprintf(stderr, "Delete integration '%s'? Type its name to confirm: ", o.name.c_str());
  std::fflush(stderr);
  std::string line;
  if (!std::getline(std::cin, line)) {
    return make_error(ErrorKind::kUsage, "not deleted: no answer");
  }
  if (line.ends_with('\r')) line.pop_back();
  if (line != o.name) return make_error(ErrorKind::kUsage, "not deleted: the name typed differs");
  return {};
}

}  // namespace

int run_integrations(IntegrationsOptions const& o) {
  if (o.check->parsed()) return run_integration_check(o);
  char const* const cmd = o.add->parsed()      ? "integrations add"
                          : o.list->parsed()   ? "integrations list"
                          : o.show->parsed()   ? "integrations show"
                          : o.update->parsed() ? "integrations update"
                                               : "integrations delete";
  store::IntegrationUpdate update;
  if (o.update->parsed()) {
    if (o.update->count("--provider") > 0) update.provider = o.provider;
    if (o.update->count("--bucket") > 0) update.bucket = o.bucket;
    if (auto r = store::check_update(update); !r) return report(cmd, r.error());
    if (o.update->count("--rename") > 0) update.rename = o.rename;
  }
  if (o.add->parsed() && !o.endpoint.empty()) {
    // Azure endpoints may name the account in their path (an emulator's
    // http://127.0.0.1:10000/devstoreaccount1), as az:// --endpoint does.
    auto e = parse_endpoint(
        o.endpoint, EndpointRules{.what = "--endpoint", .allow_path = o.provider == "azure"});
    if (!e) return report(cmd, e.error());
  }
  auto stamp = cli_stamp(o.cli);
  if (!stamp) return report(cmd, stamp.error());
  auto s = open_store(o.cli, o.list->parsed() || o.show->parsed());  // reading creates nothing
  if (!s) return report(cmd, s.error());
  if (o.list->parsed()) return list(o, *s);
  if (o.show->parsed()) return show(o, *s);
  if (o.del->parsed()) {
    auto exists = store::get_integration(*s, o.name);
    if (!exists) return report(cmd, exists.error());
    if (auto r = confirm_delete(o); !r) return report(cmd, r.error());
    if (auto r = store::delete_integration(*s, o.name, *stamp); !r) return report(cmd, r.error());
    std::fprintf(stderr, "presign integrations delete: deleted '%s'\n", o.name.c_str());
    return kOk;
  }
  if (o.add->parsed()) {
    auto cred = credential_from_options(o.cred, o.provider);
    if (!cred) return report(cmd, cred.error());
    if (!*cred) {
      return report(cmd, make_error(ErrorKind::kUsage,
                                    "give the integration's credentials (see presign "
                                    "integrations add --help)"));
    }
    store::NewIntegration n{o.name, o.provider, o.bucket, o.region, o.endpoint, std::move(**cred)};
    auto added = store::add_integration(*s, n, *stamp);
    for (auto& f : n.credential.secret) store::wipe(f.second);
    if (!added) return report(cmd, added.error());
    std::fprintf(stderr, "presign integrations add: added '%s' (%s)\n", added->name.c_str(),
                 credential_text(*added).c_str());
    return kOk;
  }
  // update
  auto current = store::get_integration(*s, o.name);
  if (!current) return report(cmd, current.error());
  auto cred = credential_from_options(o.cred, current->provider);
  if (!cred) return report(cmd, cred.error());
  if (*cred) update.credential = std::move(**cred);
  if (!update.rename && !update.credential) {
    return report(cmd,
                  make_error(ErrorKind::kUsage, "nothing to update: give --rename or credentials"));
  }
  auto updated = store::update_integration(*s, o.name, update, *stamp);
  if (update.credential) {
    for (auto& f : update.credential->secret) store::wipe(f.second);
  }
  if (!updated) return report(cmd, updated.error());
  std::fprintf(stderr, "presign integrations update: updated '%s' (%s)\n", updated->name.c_str(),
               credential_text(*updated).c_str());
  return kOk;
}

}  // namespace presign::app
