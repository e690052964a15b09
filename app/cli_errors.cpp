#include "cli_errors.hpp"

#include <algorithm>
#include <cstring>

namespace presign::app {

std::size_t edit_distance(std::string_view a, std::string_view b) {
  // Three rolling rows: prev2 (i-2), prev (i-1), cur (i).
  std::vector<std::size_t> prev2(b.size() + 1), prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t const cost = a[i - 1] == b[j - 1] ? 0 : 1;
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        cur[j] = std::min(cur[j], prev2[j - 2] + 1);
      }
    }
    std::swap(prev2, prev);
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::optional<std::string> nearest(std::string_view word,
                                   std::vector<std::string> const& candidates) {
  std::size_t best = std::string::npos;
  std::string const* pick = nullptr;
  for (auto const& c : candidates) {
    std::size_t const d = edit_distance(word, c);
    if (d < best) {
      best = d;
      pick = &c;
    }
  }
  if (pick != nullptr && best <= std::max<std::size_t>(1, word.size() / 3)) return *pick;
  // "--keys" for "--keys-from": a unique prefix of at least three characters.
  std::string const* prefixed = nullptr;
  std::size_t n = 0;
  for (auto const& c : candidates) {
    if (word.size() >= 3 && c.size() > word.size() && c.compare(0, word.size(), word) == 0) {
      prefixed = &c;
      ++n;
    }
  }
  if (n == 1) return *prefixed;
  return std::nullopt;
}

namespace {

std::vector<CLI::App const*> commands_of(CLI::App const& app) {
  return app.get_subcommands([](CLI::App const* s) { return !s->get_name().empty(); });
}

std::string command_list(CLI::App const& app) {
  std::string list;
  for (auto const* s : commands_of(app)) {
    if (!list.empty()) list += ", ";
    list += s->get_name();
  }
  return list;
}

// Long option names of `cmd` ("--expires"), the help and version flags included.
std::vector<std::string> long_options(CLI::App const& cmd) {
  std::vector<std::string> names;
  for (auto const* opt : cmd.get_options()) {
    for (auto const& l : opt->get_lnames()) names.push_back("--" + l);
  }
  return names;
}

CLI::Option const* find_long(CLI::App const& cmd, std::string_view name) {
  for (auto const* opt : cmd.get_options()) {
    for (auto const& l : opt->get_lnames()) {
      if (name.size() == l.size() + 2 && name.substr(2) == l) return opt;
    }
  }
  return nullptr;
}

CLI::Option const* find_short(CLI::App const& cmd, char c) {
  for (auto const* opt : cmd.get_options()) {
    for (auto const& s : opt->get_snames()) {
      if (s.size() == 1 && s[0] == c) return opt;
    }
  }
  return nullptr;
}

std::string unknown_option_message(std::string const& who, CLI::App const& cmd,
                                   std::string const& word) {
  std::string msg = who + ": unknown option '" + word + "'";
  if (word.starts_with("--")) {
    if (auto n = nearest(word, long_options(cmd))) return msg + "; did you mean '" + *n + "'?";
  }
  return msg + "; see '" + who + " --help'";
}

// Scans one command's arguments [from, argc) as CLI11 would: options (with their values),
// positionals, and "--". Returns the message for the first word it cannot place.
std::optional<std::string> scan_command(CLI::App const& cmd, std::string const& who, int from,
                                        int argc, char const* const* argv) {
  std::size_t positionals = 0;
  for (auto const* opt : cmd.get_options()) {
    if (opt->get_positional() && !opt->nonpositional()) ++positionals;
  }
  std::size_t seen = 0;
  char const* last_flag = nullptr;  // the previous word, when it was a flag (takes no value)
  bool only_positionals = false;
  for (int i = from; i < argc; ++i) {
    std::string const word = argv[i];
    if (!only_positionals && word == "--") {
      only_positionals = true;
      continue;
    }
    if (!only_positionals && word.size() > 1 && word[0] == '-') {
      CLI::Option const* opt = nullptr;
      bool inline_value = false;
      if (word.starts_with("--")) {
        std::size_t const eq = word.find('=');
        opt = find_long(cmd, std::string_view(word).substr(0, eq));
        inline_value = eq != std::string::npos;
        if (opt == nullptr) return unknown_option_message(who, cmd, word.substr(0, eq));
      } else {
        opt = find_short(cmd, word[1]);
        inline_value = word.size() > 2;
        if (opt == nullptr) return unknown_option_message(who, cmd, word.substr(0, 2));
      }
      last_flag = nullptr;
      if (opt->get_expected_max() == 0) {  // a flag
        last_flag = argv[i];
      } else if (!inline_value && i + 1 < argc) {
        ++i;  // its value
      }
      continue;
    }
    // A command with commands of its own (`presign keys create`): the word names one.
    if (!only_positionals && seen == 0) {
      auto const subs = commands_of(cmd);
      for (auto const* s : subs) {
        if (s->check_name(word))
          return scan_command(*s, who + " " + s->get_name(), i + 1, argc, argv);
      }
      if (!subs.empty() && positionals == 0) {
        std::vector<std::string> names;
        for (auto const* s : subs) names.push_back(s->get_name());
        std::string msg = who + ": unknown command '" + word + "'";
        if (auto n = nearest(word, names)) return msg + "; did you mean '" + *n + "'?";
        return msg + "; commands: " + command_list(cmd);
      }
    }
    if (seen < positionals) {
      ++seen;
      last_flag = nullptr;
      continue;
    }
    std::string msg = who + ": unexpected argument '" + word + "'";
    if (last_flag != nullptr) return msg + "; '" + last_flag + "' takes no value";
    return msg + "; see '" + who + " --help'";
  }
  return std::nullopt;
}

}  // namespace

std::string unknown_command_message(CLI::App const& app, std::string const& word) {
  std::vector<std::string> names;
  for (auto const* s : commands_of(app)) names.push_back(s->get_name());
  std::string msg = "presign: unknown command '" + word + "'";
  if (auto n = nearest(word, names)) return msg + "; did you mean '" + *n + "'?";
  return msg + "; commands: " + command_list(app);
}

std::optional<std::string> explain_parse_error(CLI::App const& app, int argc,
                                               char const* const* argv) {
  // Top level: options (--help, --version) until the first word, which names the command.
  for (int i = 1; i < argc; ++i) {
    std::string const word = argv[i];
    if (word.size() > 1 && word[0] == '-') {
      bool const known = word.starts_with("--")
                             ? find_long(app, word.substr(0, word.find('='))) != nullptr
                             : find_short(app, word[1]) != nullptr;
      if (!known) return unknown_option_message("presign", app, word.substr(0, word.find('=')));
      continue;
    }
    for (auto const* s : commands_of(app)) {
      if (s->check_name(word))
        return scan_command(*s, "presign " + s->get_name(), i + 1, argc, argv);
    }
    return unknown_command_message(app, word);
  }
  return std::nullopt;
}

std::optional<std::string> help_text(CLI::App const& app, std::string const& topic) {
  if (topic.empty())
    return app.get_formatter()->make_help(&app, app.get_name(), CLI::AppFormatMode::Normal);
  for (auto const* s : commands_of(app)) {
    if (s->check_name(topic)) {
      return s->get_formatter()->make_help(s, app.get_name() + " " + s->get_name(),
                                           CLI::AppFormatMode::Normal);
    }
  }
  return std::nullopt;
}

}  // namespace presign::app
