#include "providers.hpp"

namespace presign::app {

int run_azure(BucketUri const&, SignOptions const&, io::Format, std::int64_t, SigningTime) {
  return fail(make_error(ErrorKind::kUsage, "az:// is not supported yet"));
}

}  // namespace presign::app
