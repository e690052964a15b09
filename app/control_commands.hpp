#pragma once
/// The control plane's commands over the store (store/): `users`, `keys`, `integrations`,
/// `store rotate-master-key` and `audit`; one file each (users_command.cpp, keys_command.cpp,
/// integrations_command.cpp, store_command.cpp, audit_command.cpp). Every one registers itself
/// on the program and returns the exit code: 0 ok, 2 usage (or what does not exist), 3 an
/// invalid key or master key, 4 store I/O. No command ever prints a secret.

#include "store_cli.hpp"

#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>

namespace presign::app {

struct UsersOptions {
  StoreCli cli;
  std::string email;
  bool json = false;
  CLI::App* add = nullptr;
  CLI::App* list = nullptr;
  CLI::App* disable = nullptr;
  CLI::App* enable = nullptr;
};
CLI::App* add_users_command(CLI::App& app, UsersOptions& o);
int run_users(UsersOptions const& o);

struct KeysOptions {
  StoreCli cli;
  std::string name;
  std::string user;
  std::string role;
  std::int64_t validity = 0;
  std::string unit;
  bool json = false;
  CLI::App* create = nullptr;
  CLI::App* list = nullptr;
  CLI::App* del = nullptr;
  CLI::App* verify = nullptr;
};
CLI::App* add_keys_command(CLI::App& app, KeysOptions& o);
int run_keys(KeysOptions const& o);

/// The credential options of `integrations add` and `integrations update`. A value of `-`
/// for a secret option is read from stdin (argv is visible to every user through `ps`).
struct CredentialOptions {
  // AWS
  std::string access_key_id, secret_access_key, session_token, role_arn, external_id;
  bool from_env = false;
  // GCP
  std::string key_file, hmac_access_id, hmac_secret, impersonate_service_account;
  // Azure
  std::string account_name, account_key, connection_string, tenant_id, client_id, client_secret;
};

struct IntegrationsOptions {
  StoreCli cli;
  std::string name;
  std::string provider;
  std::string bucket;
  std::string region;
  std::string endpoint;
  std::string rename;
  std::string confirm;
  bool json = false;
  CredentialOptions cred;
  CLI::App* add = nullptr;
  CLI::App* list = nullptr;
  CLI::App* show = nullptr;
  CLI::App* update = nullptr;
  CLI::App* del = nullptr;
  CLI::App* check = nullptr;
};
CLI::App* add_integrations_command(CLI::App& app, IntegrationsOptions& o);
int run_integrations(IntegrationsOptions const& o);
/// `integrations check NAME` (integration_check.cpp): 0 ok, 3 or 5 failing, as a job would.
int run_integration_check(IntegrationsOptions const& o);

struct StoreOptionsCli {
  StoreCli cli;
  std::string new_key_file;
  CLI::App* rotate = nullptr;
};
CLI::App* add_store_command(CLI::App& app, StoreOptionsCli& o);
int run_store(StoreOptionsCli const& o);

struct AuditOptions {
  StoreCli cli;
  std::string since;
  bool json = false;
};
CLI::App* add_audit_command(CLI::App& app, AuditOptions& o);
int run_audit(AuditOptions const& o);

}  // namespace presign::app
