// presign store rotate-master-key [--new-key-file PATH]: re-encrypts every stored secret under
// a new master key in one transaction (store/rotate.hpp says how a crash at any step leaves a
// store that the old or the new key opens). Never prints a key.
#include "control_commands.hpp"
#include "exit_codes.hpp"
#include "presign/store/key_file.hpp"
#include "presign/store/rotate.hpp"

#include <cstdio>

namespace presign::app {

CLI::App* add_store_command(CLI::App& app, StoreOptionsCli& o) {
  CLI::App* st = app.add_subcommand("store", "The control plane's store file and master key");
  st->require_subcommand(1);
  o.rotate = st->add_subcommand(
      "rotate-master-key",
      "Re-encrypt every stored secret under a new master key (a random one, or --new-key-file)");
  o.rotate->add_option("--new-key-file", o.new_key_file,
                       "take the new key from this file (0600; base64 or 64 hex digits); "
                       "needed when the key comes from PRESIGN_MASTER_KEY");
  add_store_options(o.rotate, o.cli);
  return st;
}

int run_store(StoreOptionsCli const& o) {
  char const* const cmd = "store rotate-master-key";
  std::optional<store::MasterKey> new_key;
  if (!o.new_key_file.empty()) {
    auto k = store::read_key_file(o.new_key_file);
    if (!k) return report(cmd, k.error());
    new_key = *k;
  }
  auto stamp = cli_stamp(o.cli);
  if (!stamp) return report(cmd, stamp.error());
  auto s = open_store(o.cli);
  if (!s) return report(cmd, s.error());
  bool const from_env = s->key_file().empty();
  auto r = store::rotate_master_key(*s, new_key, *stamp);
  if (!r) return report(cmd, r.error());
  std::fprintf(stderr, "presign %s: key version %lld, %lld secrets re-encrypted\n", cmd,
               static_cast<long long>(r->key_version), static_cast<long long>(r->secrets));
  if (from_env) {
    std::fprintf(stderr,
                 "presign %s: the store now needs the key in %s: set PRESIGN_MASTER_KEY to "
                 "it, or PRESIGN_MASTER_KEY_FILE to that file\n",
                 cmd, o.new_key_file.c_str());
  } else {
    std::fprintf(stderr, "presign %s: new key in %s; the previous one kept in %s.old\n", cmd,
                 s->key_file().c_str(), s->key_file().c_str());
  }
  return kOk;
}

}  // namespace presign::app
