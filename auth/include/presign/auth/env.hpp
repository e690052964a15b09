#pragma once
/// The environment as credential sources read it: one lookup function, injectable, so tests
/// and a server never read the process environment by accident.

#include <functional>
#include <optional>
#include <string>

namespace presign::auth {

/// Reads one environment variable; empty values count as unset.
using EnvLookup = std::function<std::optional<std::string>(char const* name)>;

/// The process environment (`getenv`); empty values count as unset.
EnvLookup process_env();

}  // namespace presign::auth
