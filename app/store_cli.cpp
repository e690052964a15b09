#include "store_cli.hpp"

#include "exit_codes.hpp"
#include "presign/core/json.hpp"
#include "presign/core/text.hpp"
#include "presign/core/time.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <pwd.h>
#include <unistd.h>

namespace presign::app {
namespace {

char const* env(char const* name) {
  char const* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? v : nullptr;
}

}  // namespace

void add_store_options(CLI::App* cmd, StoreCli& cli) {
  cmd->add_option("--store", cli.store,
                  "the store file (default PRESIGN_STORE, else "
                  "$XDG_DATA_HOME/presign/presign.db or ~/.local/share/presign/presign.db)");
  cmd->add_option("--actor", cli.actor,
                  "who makes the change, for the audit log (default PRESIGN_ACTOR, else the "
                  "OS user name)");
}

Result<store::Store> open_store(StoreCli const& cli, bool must_exist) {
  auto path =
      store::resolve_store_path(cli.store, env("PRESIGN_STORE"), env("XDG_DATA_HOME"), env("HOME"));
  if (!path) return path.error();
  store::StoreOptions o;
  o.path = *path;
  o.must_exist = must_exist;
  if (char const* k = env("PRESIGN_MASTER_KEY")) o.key.key_text = std::string(k);
  if (char const* f = env("PRESIGN_MASTER_KEY_FILE")) o.key.key_file = f;
  auto s = store::Store::open(o);
  if (!s) {
    if (s.error().kind == ErrorKind::kNotFound) {
      return make_error(ErrorKind::kConfig,
                        s.error().detail +
                            " (create one with `presign users add EMAIL` or `presign "
                            "integrations add ...`, or name another with --store or "
                            "PRESIGN_STORE)");
    }
    return s.error();
  }
  for (auto const& w : s->warnings()) std::fprintf(stderr, "presign: warning: %s\n", w.c_str());
  return s;
}

Result<store::Instant> cli_now() {
  if (char const* t = env("PRESIGN_TEST_NOW")) {
    auto parsed = parse_rfc3339(t);
    if (!parsed) {
      return make_error(ErrorKind::kUsage, "PRESIGN_TEST_NOW: " + parsed.error().detail);
    }
    return *parsed;
  }
  return std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
}

Result<store::Stamp> cli_stamp(StoreCli const& cli) {
  auto now = cli_now();
  if (!now) return now.error();
  std::string actor = cli.actor;
  if (actor.empty()) {
    if (char const* a = env("PRESIGN_ACTOR")) actor = a;
  }
  if (actor.empty()) {
    if (passwd const* pw = ::getpwuid(::geteuid()); pw != nullptr && pw->pw_name != nullptr) {
      actor = pw->pw_name;
    } else {
      actor = "uid " + std::to_string(::geteuid());
    }
  }
  return store::Stamp{std::move(actor), *now};
}

int report(std::string_view command, Error const& e) {
  std::string line = "presign ";
  line += command;
  line += ": ";
  line += e.detail;
  std::fprintf(stderr, "%s\n", line.c_str());
  if (e.kind == ErrorKind::kNotFound) return kUsage;
  return exit_code_for(e.kind);
}

void print_table(std::vector<std::vector<std::string>> const& rows) {
  std::vector<std::vector<std::string>> cells;
  std::vector<std::size_t> width;
  for (auto const& row : rows) {
    auto& out = cells.emplace_back();
    for (std::size_t i = 0; i < row.size(); ++i) {
      std::string cell;
      append_printable(cell, row[i]);
      if (width.size() <= i) width.push_back(0);
      width[i] = std::max(width[i], cell.size());
      out.push_back(std::move(cell));
    }
  }
  for (auto const& row : cells) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line.append(width[i] - row[i].size() + 2, ' ');
    }
    std::printf("%s\n", line.c_str());
  }
}

std::string time_text(std::optional<store::Instant> t) {
  return t ? format_rfc3339(*t) : std::string("-");
}

void json_field(std::string& out, std::string_view name, std::string_view value, bool first) {
  if (!first) out += ',';
  append_json_string(out, name);
  out += ':';
  append_json_string(out, value);
}

void json_time(std::string& out, std::string_view name, std::optional<store::Instant> t) {
  out += ',';
  append_json_string(out, name);
  out += ':';
  if (t) {
    append_json_string(out, format_rfc3339(*t));
  } else {
    out += "null";
  }
}

bool read_stdin(std::string& out) {
  out.clear();
  char buf[4096];
  for (;;) {
    std::size_t const n = std::fread(buf, 1, sizeof buf, stdin);
    out.append(buf, n);
    if (n < sizeof buf) return std::ferror(stdin) == 0;
  }
}

}  // namespace presign::app
