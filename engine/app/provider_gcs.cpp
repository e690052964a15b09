#include "providers.hpp"

namespace presign::app {

int run_gcs(BucketUri const&, SignOptions const&, io::Format, std::int64_t, SigningTime) {
  return fail(make_error(ErrorKind::kUsage, "gs:// is not supported yet"));
}

}  // namespace presign::app
