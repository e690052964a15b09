// presign: batch presigning of object-store URLs. The only catch-all and exit-code mapping.
#include "bench_command.hpp"
#include "cli_errors.hpp"
#include "control_commands.hpp"
#include "exit_codes.hpp"
#include "interrupt.hpp"
#include "ls_command.hpp"
#include "sign_command.hpp"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>
#include <new>
#include <string>

#ifndef PRESIGN_VERSION
#define PRESIGN_VERSION "0.1.0"
#endif

int main(int argc, char** argv) {
  // First, before any thread (TBB, listing, HTTP) exists, so that all of them inherit the mask.
  presign::app::interrupt::install();
  CLI::App app{"presign: signed URLs for every object of a bucket, millions per second"};
  app.set_version_flag("--version", std::string("presign ") + PRESIGN_VERSION);
  app.require_subcommand(1);
  presign::app::SignOptions sign_options;
  CLI::App* sign = presign::app::add_sign_command(app, sign_options);
  presign::app::LsOptions ls_options;
  CLI::App* ls = presign::app::add_ls_command(app, ls_options);
  presign::app::BenchOptions bench_options;
  CLI::App* bench = presign::app::add_bench_command(app, bench_options);
  // The control plane (issue #16): the store of users, API keys and integrations.
  presign::app::UsersOptions users_options;
  CLI::App* users = presign::app::add_users_command(app, users_options);
  presign::app::KeysOptions keys_options;
  CLI::App* keys = presign::app::add_keys_command(app, keys_options);
  presign::app::IntegrationsOptions integrations_options;
  CLI::App* integrations = presign::app::add_integrations_command(app, integrations_options);
  presign::app::StoreOptionsCli store_options;
  CLI::App* store = presign::app::add_store_command(app, store_options);
  presign::app::AuditOptions audit_options;
  CLI::App* audit = presign::app::add_audit_command(app, audit_options);
  std::string help_topic;
  CLI::App* help = app.add_subcommand("help", "Show the help of presign, or of one command");
  help->add_option("command", help_topic, "a command, e.g. sign, ls, bench, keys");
  try {
    app.parse(argc, argv);
  } catch (CLI::ParseError const& e) {
    if (e.get_exit_code() != 0) {
      // Name the unknown command, option or word (with the nearest spelling) where CLI11
      // would only say "A subcommand is required" or "arguments were not expected".
      if (auto msg = presign::app::explain_parse_error(app, argc, argv)) {
        std::fprintf(stderr, "%s\n", msg->c_str());
        return presign::app::kUsage;
      }
    }
    int const rc = app.exit(e);
    return rc == 0 ? 0 : presign::app::kUsage;
  }
  if (help->parsed()) {
    auto text = presign::app::help_text(app, help_topic);
    if (!text) {
      std::fprintf(stderr, "%s\n", presign::app::unknown_command_message(app, help_topic).c_str());
      return presign::app::kUsage;
    }
    std::fputs(text->c_str(), stdout);
    return presign::app::kOk;
  }
  try {
    if (sign->parsed()) return presign::app::run_sign(sign_options);
    if (bench->parsed()) return presign::app::run_bench(bench_options);
    if (ls->parsed()) return presign::app::run_ls(ls_options);
    if (users->parsed()) return presign::app::run_users(users_options);
    if (keys->parsed()) return presign::app::run_keys(keys_options);
    if (integrations->parsed()) return presign::app::run_integrations(integrations_options);
    if (store->parsed()) return presign::app::run_store(store_options);
    if (audit->parsed()) return presign::app::run_audit(audit_options);
  } catch (std::bad_alloc const&) {
    std::fputs("presign: out of memory\n", stderr);
    return presign::app::kInternal;
  } catch (std::exception const& e) {
    std::fprintf(stderr, "presign: internal error: %s\n", e.what());
    return presign::app::kInternal;
  }
  return presign::app::kUsage;
}
