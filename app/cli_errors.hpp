#pragma once
/// Command-line mistakes explained: an unknown command or option is named, with the nearest
/// known spelling (edit distance) or the list of commands; `presign help [COMMAND]`.

#include <CLI/CLI.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace presign::app {

/// Damerau-Levenshtein (optimal string alignment) distance: insertions, deletions,
/// substitutions and transpositions of adjacent characters each count 1.
std::size_t edit_distance(std::string_view a, std::string_view b);

/// The candidate closest to `word`, if close enough to be a likely typo (distance at most a
/// third of the word's length, at least 1; or `word` is a prefix of exactly one candidate).
std::optional<std::string> nearest(std::string_view word,
                                   std::vector<std::string> const& candidates);

/// After CLI11 refused `argv` (any ParseError but help/version): a one-line message naming
/// the first unknown command, unknown option or unexpected argument, or nullopt when the
/// mistake is of another kind (CLI11's own message is right then).
std::optional<std::string> explain_parse_error(CLI::App const& app, int argc,
                                               char const* const* argv);

/// The help text of `app` (topic empty) or of its subcommand `topic`, as `--help` prints it;
/// nullopt when there is no such subcommand.
std::optional<std::string> help_text(CLI::App const& app, std::string const& topic);

/// "presign: unknown command 'X'; did you mean 'Y'?" or "...; commands: sign, ls, ...".
std::string unknown_command_message(CLI::App const& app, std::string const& word);

}  // namespace presign::app
