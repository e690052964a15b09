#pragma once
/// The contract every signer implements (the `Signer` concept below).
///
/// A signer is immutable after `create` and shared by all workers. Each worker owns one
/// `Scratch` (buffers, per-thread crypto contexts) and one output string. `sign` appends
/// exactly one URL to `out` and returns `SignError::kOk`, or leaves `out` unchanged and
/// returns the reason. `sign` is `noexcept`, does not allocate once `out` and the scratch
/// have grown to their working size, and never throws.

#include "presign/core/error.hpp"
#include "presign/core/object_ref.hpp"

#include <concepts>
#include <cstddef>
#include <optional>
#include <span>
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

/// Most objects a `GroupSigner` signs in one `sign_group` call (the multi-buffer SHA-256's
/// lane count, `crypto::kSha256MaxLanes`).
inline constexpr std::size_t kMaxSignGroup = 16;

/// A `Signer` that can also sign a group of objects in lockstep (multi-buffer hashing), in two
/// phases, so the caller still writes each record around its URL:
///
///   SignError errors[kMaxSignGroup];
///   std::size_t const n = signer.sign_group(objects, scratch, errors);  // objects[0, n)
///   for (std::size_t i = 0; i < n; ++i) {
///     if (errors[i] == SignError::kOk) signer.append_group_url(scratch, i, out);
///   }
///
/// `sign_group` signs the first n objects of `objects` (1 ≤ n ≤ kMaxSignGroup when `objects`
/// is not empty, 0 when it is) and keeps their URLs' parts in `scratch`; `errors[i]` is
/// exactly what `sign` would return for `objects[i]`. `append_group_url(scratch, i, out)`
/// then appends the URL `sign` would append for `objects[i]`, and nothing when that object
/// failed; the results stay valid until the next `sign_group` or `sign` with that scratch.
/// The keys' bytes must stay alive until then. Both are noexcept and allocation-free once the
/// scratch has been used once (it sizes itself on first use) and `out` has capacity.
template <class S>
concept GroupSigner = Signer<S> &&
    requires(S const& signer, typename S::Scratch& scratch, typename S::Scratch const& done,
             std::span<ObjectRef const> objects, std::span<SignError, kMaxSignGroup> errors,
             std::size_t i, std::string& out) {
  { signer.sign_group(objects, scratch, errors) } -> std::same_as<std::size_t>;
  requires noexcept(signer.sign_group(objects, scratch, errors));
  { signer.append_group_url(done, i, out) } -> std::same_as<void>;
  requires noexcept(signer.append_group_url(done, i, out));
};

/// A `Signer` whose signatures come from a network service (GCS keyless signing through IAM
/// signBlob): one call per object, so a whole batch is signed at once, its calls overlapping,
/// and the caller then writes each record around its URL:
///
///   signer.sign_all(objects, scratch);            // blocks until every object has an outcome
///   for (std::size_t i = 0; i < objects.size(); ++i) {
///     if (signer.outcome(scratch, i) == SignError::kOk) signer.append_url(scratch, i, out);
///   }
///
/// `outcome(scratch, i)` is what `sign` would return for `objects[i]` (plus kRemoteFailed when
/// the service gave no signature); the URLs stay valid until the next `sign_all` or `sign`
/// with that scratch. The scratch grows to the largest batch once and is then reused.
///
/// A failure that no retry can mend (the permission to sign withdrawn, the caller's token
/// refused) stops the signer for good: that batch's objects and every later one fail, and
/// `stopped_by()` says why (no secret in it), so the caller ends the job rather than writing
/// error records for everything left (engine/pipeline.hpp).
template <class S>
concept RemoteSigner = Signer<S> &&
    requires(S const& signer, typename S::Scratch& scratch, typename S::Scratch const& done,
             std::span<ObjectRef const> objects, std::size_t i, std::string& out) {
  { signer.sign_all(objects, scratch) } -> std::same_as<void>;
  requires noexcept(signer.sign_all(objects, scratch));
  { signer.outcome(done, i) } -> std::same_as<SignError>;
  requires noexcept(signer.outcome(done, i));
  { signer.append_url(done, i, out) } -> std::same_as<void>;
  requires noexcept(signer.append_url(done, i, out));
  { signer.stopped_by() } -> std::same_as<std::optional<Error>>;
};

}  // namespace presign::signers
