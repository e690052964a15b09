#pragma once
/// What the control-plane commands (users, keys, integrations, store, audit) share: the
/// `--store` and `--actor` options, opening the store with the master key from the
/// environment, the clock (`PRESIGN_TEST_NOW`, for tests), error reports with their exit code,
/// and text tables.
///
/// Environment: PRESIGN_STORE (the store path), XDG_DATA_HOME / HOME (its default),
/// PRESIGN_MASTER_KEY (the key as base64 or 64 hex digits), PRESIGN_MASTER_KEY_FILE (the key
/// file; default master.key beside the store), PRESIGN_ACTOR (the audit log's actor),
/// PRESIGN_TEST_NOW (RFC 3339: the time every command takes as now; for tests only).

#include "presign/core/error.hpp"
#include "presign/store/store.hpp"

#include <CLI/CLI.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace presign::app {

struct StoreCli {
  std::optional<std::string> store;  ///< --store PATH
  std::string actor;                 ///< --actor NAME
};

/// Adds --store and --actor to a control-plane command.
void add_store_options(CLI::App* cmd, StoreCli& cli);

/// Opens the store the options and the environment name, and prints its warnings (a directory
/// others may write to) on stderr. With `must_exist` (read-only commands, jobs signing with an
/// integration) a missing store file is a configuration error ("no store at PATH", exit 3) and
/// nothing is created.
Result<store::Store> open_store(StoreCli const& cli, bool must_exist = false);

/// Now: PRESIGN_TEST_NOW when set (RFC 3339; a bad value is an error), else the system clock.
Result<store::Instant> cli_now();

/// The actor (--actor, else PRESIGN_ACTOR, else the OS user name) and now.
Result<store::Stamp> cli_stamp(StoreCli const& cli);

/// Prints "presign COMMAND: DETAIL" on stderr and returns the exit code of the error's kind
/// (what does not exist is a usage error here: 2).
int report(std::string_view command, Error const& e);

/// Prints rows as columns (two spaces apart), the first row a header; control bytes escaped.
void print_table(std::vector<std::vector<std::string>> const& rows);

/// RFC 3339, or "-" for none.
std::string time_text(std::optional<store::Instant> t);

/// Appends `"name":` and the JSON string `value`, with a leading comma unless first.
void json_field(std::string& out, std::string_view name, std::string_view value,
                bool first = false);
/// Appends `"name":` and an RFC 3339 string, or null.
void json_time(std::string& out, std::string_view name, std::optional<store::Instant> t);

/// Reads all of stdin (for `-` values and `keys verify`); false on a read error.
bool read_stdin(std::string& out);

}  // namespace presign::app
