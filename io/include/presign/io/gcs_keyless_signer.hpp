#pragma once
/// The batch signer of keyless GCS: GCS V4 URLs (GOOG4-RSA-SHA256) whose signatures come from
/// IAM signBlob (gcs_keyless.hpp). The canonical request, the string to sign and the URL are
/// the GCS V4 signer's own (`signers::gcs::GcsPresigner`, an `ExternalServiceAccount`); only
/// the RSA step is remote. Given the same signature bytes the URLs are byte-identical to a
/// key file's (RSASSA-PKCS1-v1_5 is deterministic, so a service signing with the same key
/// gives the same URL).
///
/// A `signers::RemoteSigner`: the pipeline hands it whole batches (`sign_all`), whose calls run
/// concurrently over keep-alive connections. A call whose retries run out fails its object
/// alone (kRemoteFailed, an error record); a failure no retry can mend (403: no permission to
/// sign as the account; 401 with a fresh token) fails the batch and every later one at once,
/// without more calls, and `stopped_by()` says why: the pipeline then ends the job with that
/// error (engine/pipeline.hpp; no output published). `check()` makes one call before a job, so
/// such failures usually stop the job before any output exists.

#include "presign/core/error.hpp"
#include "presign/core/object_ref.hpp"
#include "presign/core/time.hpp"
#include "presign/io/gcs_keyless.hpp"
#include "presign/signers/gcs_v4.hpp"
#include "presign/signers/signer.hpp"

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace presign::io {

class GcsKeylessSigner {
 public:
  /// Per-worker state: the V4 signer's scratch, and the last batch's URLs and outcomes.
  class Scratch {
    friend class GcsKeylessSigner;

    signers::gcs::GcsPresigner::Scratch presign;
    std::vector<std::string> payloads;
    std::vector<std::size_t> payload_of;  // object index -> payload index (or npos)
    std::vector<std::string> signatures;
    std::vector<SignError> outcomes;
    std::string urls;                      // every URL of the batch, back to back
    std::vector<std::size_t> url_offsets;  // object i's URL: [offsets[i], offsets[i + 1])
  };

  /// `config.credentials` must be an `ExternalServiceAccount` naming the client's account.
  /// Validates like `GcsPresigner::create`; makes no request.
  static Result<GcsKeylessSigner> create(signers::gcs::GcsPresignConfig config,
                                         std::shared_ptr<SignBlobClient> client);

  /// One signBlob call of a fixed probe text: kAuth (whatever went wrong: the token source,
  /// the permission, the service's answers) naming the account, so a job refuses to start.
  [[nodiscard]] Result<void> check() const;

  /// One object, one blocking call (tools, tests; the pipeline uses `sign_all`).
  [[nodiscard]] SignError sign(ObjectRef const& object, Scratch& scratch,
                               std::string& out) const noexcept;

  /// The `signers::RemoteSigner` contract.
  void sign_all(std::span<ObjectRef const> objects, Scratch& scratch) const noexcept;
  [[nodiscard]] SignError outcome(Scratch const& scratch, std::size_t i) const noexcept;
  void append_url(Scratch const& scratch, std::size_t i, std::string& out) const noexcept;

  /// The first failure that stopped signing (no token or secret in it), if any.
  [[nodiscard]] std::optional<Error> stopped_by() const;

  [[nodiscard]] SigningTime expires_at() const noexcept { return presigner_.expires_at(); }
  [[nodiscard]] signers::gcs::GcsPresigner const& presigner() const noexcept { return presigner_; }
  [[nodiscard]] SignBlobClient& client() const noexcept { return *client_; }

  struct State;  // gcs_keyless_signer.cpp: the stop flag and its error

 private:
  GcsKeylessSigner(signers::gcs::GcsPresigner p, std::shared_ptr<SignBlobClient> c,
                   std::shared_ptr<State> s)
      : presigner_(std::move(p)), client_(std::move(c)), state_(std::move(s)) {}

  signers::gcs::GcsPresigner presigner_;
  std::shared_ptr<SignBlobClient> client_;
  std::shared_ptr<State> state_;
};

static_assert(signers::RemoteSigner<GcsKeylessSigner>);

}  // namespace presign::io
