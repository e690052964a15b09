#include "presign/auth/env.hpp"

#include <cstdlib>

namespace presign::auth {

EnvLookup process_env() {
  return [](char const* name) -> std::optional<std::string> {
    char const* v = std::getenv(name);  // NOLINT(concurrency-mt-unsafe): read before threads start
    if (v == nullptr || *v == '\0') return std::nullopt;
    return std::string(v);
  };
}

}  // namespace presign::auth
