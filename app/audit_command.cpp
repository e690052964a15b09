// presign audit [--since T] [--json]: who changed what, oldest first. Secrets never reach the
// log (the store writes names and kinds only).
#include "control_commands.hpp"
#include "exit_codes.hpp"
#include "presign/core/time.hpp"
#include "presign/store/records.hpp"

#include <cstdio>

namespace presign::app {

CLI::App* add_audit_command(CLI::App& app, AuditOptions& o) {
  CLI::App* audit = app.add_subcommand("audit", "The audit log of the control plane's changes");
  audit->add_option("--since", o.since, "only entries at or after this RFC 3339 time");
  audit->add_flag("--json", o.json, "one JSON array");
  add_store_options(audit, o.cli);
  return audit;
}

int run_audit(AuditOptions const& o) {
  std::optional<store::Instant> since;
  if (!o.since.empty()) {
    auto t = parse_rfc3339(o.since);
    if (!t) return report("audit", make_error(ErrorKind::kUsage, "--since: " + t.error().detail));
    since = *t;
  }
  auto s = open_store(o.cli, true);  // reading the log never creates a store
  if (!s) return report("audit", s.error());
  auto log = store::list_audit(*s, since);
  if (!log) return report("audit", log.error());
  if (o.json) {
    std::string out = "[";
    for (std::size_t i = 0; i < log->size(); ++i) {
      auto const& e = (*log)[i];
      out += i == 0 ? "{" : ",{";
      json_field(out, "time", format_rfc3339(e.at), true);
      json_field(out, "actor", e.actor);
      json_field(out, "action", e.action);
      json_field(out, "target", e.target);
      out += '}';
    }
    out += "]\n";
    std::fputs(out.c_str(), stdout);
    return kOk;
  }
  std::vector<std::vector<std::string>> rows{{"TIME", "ACTOR", "ACTION", "TARGET"}};
  for (auto const& e : *log) rows.push_back({format_rfc3339(e.at), e.actor, e.action, e.target});
  print_table(rows);
  return kOk;
}

}  // namespace presign::app
