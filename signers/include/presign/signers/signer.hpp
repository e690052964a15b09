#pragma once
/// The contract every signer implements (see shared STYLE §4.3).
///
/// A signer is immutable after `create` and shared by all workers. Each worker owns one
/// `Scratch` (buffers, per-thread crypto contexts) and one output string. `sign` appends
/// exactly one URL to `out` and returns `SignError::kOk`, or leaves `out` unchanged and
/// returns the reason. `sign` is `noexcept`, does not allocate once `out` and the scratch
/// have grown to their working size, and never throws.

#include "presign/core/object_ref.hpp"

#include <concepts>
#include <string>

namespace presign::signers {

template <class S>
concept Signer = requires(S const& signer, typename S::Scratch& scratch, ObjectRef const& object,
                          std::string& out) {
  { signer.sign(object, scratch, out) } -> std::same_as<SignError>;
  requires noexcept(signer.sign(object, scratch, out));
};

/// Longest object name any supported provider accepts, in bytes (S3, GCS, Azure: 1,024).
inline constexpr std::size_t kMaxKeyBytes = 1024;

}  // namespace presign::signers
