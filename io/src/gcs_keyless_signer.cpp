// Keyless GCS V4 batches (gcs_keyless_signer.hpp): the V4 signer's string to sign per object,
// one concurrent signBlob round per batch, then the V4 signer's URL around each signature.
#include "presign/io/gcs_keyless_signer.hpp"

#include <atomic>
#include <mutex>
#include <new>
#include <utility>
#include <variant>

namespace presign::io {

namespace gcs = signers::gcs;

struct GcsKeylessSigner::State {
  std::atomic<bool> stopped{false};
  mutable std::mutex mutex;
  std::optional<Error> why;
};

Result<GcsKeylessSigner> GcsKeylessSigner::create(gcs::GcsPresignConfig config,
                                                  std::shared_ptr<SignBlobClient> client) {
  auto const* account = std::get_if<gcs::ExternalServiceAccount>(&config.credentials);
  if (account == nullptr || !client || account->client_email != client->email()) {
    return make_error(ErrorKind::kInternal,
                      "keyless signing needs the signBlob client of the account it names");
  }
  auto p = gcs::GcsPresigner::create(std::move(config));
  if (!p) return p.error();
  return GcsKeylessSigner(std::move(*p), std::move(client), std::make_shared<State>());
}

Result<void> GcsKeylessSigner::check() const {
  auto sig = client_->sign("presign: checking that IAM signBlob signs as " + client_->email());
  if (sig) return {};
  Error e = sig.error();
  e.kind = ErrorKind::kAuth;
  e.detail = "keyless signing as " + client_->email() + " does not work: " + e.detail;
  return e;
}

std::optional<Error> GcsKeylessSigner::stopped_by() const {
  std::lock_guard lock(state_->mutex);
  return state_->why;
}

SignError GcsKeylessSigner::sign(ObjectRef const& object, Scratch& scratch,
                                 std::string& out) const noexcept {
  sign_all(std::span<ObjectRef const>(&object, 1), scratch);
  SignError const e = outcome(scratch, 0);
  if (e == SignError::kOk) append_url(scratch, 0, out);
  return e;
}

void GcsKeylessSigner::sign_all(std::span<ObjectRef const> objects,
                                Scratch& scratch) const noexcept {
  constexpr std::size_t kNone = static_cast<std::size_t>(-1);
  try {
    scratch.outcomes.assign(objects.size(), SignError::kOk);
    scratch.payload_of.assign(objects.size(), kNone);
    scratch.url_offsets.assign(objects.size() + 1, 0);
    scratch.urls.clear();
    // Reused strings keep their capacity from batch to batch.
    std::size_t n = 0;
    for (std::size_t i = 0; i < objects.size(); ++i) {
      if (scratch.payloads.size() <= n) scratch.payloads.emplace_back();
      std::string& sts = scratch.payloads[n];
      sts.clear();
      SignError const e = presigner_.append_string_to_sign(objects[i], scratch.presign, sts);
      if (e != SignError::kOk) {
        scratch.outcomes[i] = e;
        continue;
      }
      scratch.payload_of[i] = n++;
    }
    std::size_t failed = 0;
    bool stop = state_->stopped.load(std::memory_order_acquire);
    if (!stop && n > 0) {
      auto r = client_->sign_many(std::span<std::string const>(scratch.payloads.data(), n),
                                  scratch.signatures, failed);
      if (!r) {
        std::lock_guard lock(state_->mutex);
        if (!state_->why) {
          state_->why = r.error();
          state_->why->detail = "keyless signing stopped: " + state_->why->detail;
        }
        state_->stopped.store(true, std::memory_order_release);
        stop = true;
      }
    }
    for (std::size_t i = 0; i < objects.size(); ++i) {
      if (scratch.outcomes[i] == SignError::kOk) {
        std::size_t const k = scratch.payload_of[i];
        std::string const* sig =
            stop || k >= scratch.signatures.size() ? nullptr : &scratch.signatures[k];
        if (sig == nullptr || sig->empty()) {
          scratch.outcomes[i] = SignError::kRemoteFailed;
        } else {
          auto const* bytes = reinterpret_cast<std::uint8_t const*>(sig->data());
          scratch.outcomes[i] = presigner_.append_signed_url(objects[i], scratch.presign,
                                                             {bytes, sig->size()}, scratch.urls);
        }
      }
      scratch.url_offsets[i + 1] = scratch.urls.size();
    }
  } catch (...) {  // bad_alloc only: every object of the batch fails
    scratch.outcomes.assign(objects.size(), SignError::kRemoteFailed);
    scratch.url_offsets.assign(objects.size() + 1, 0);
  }
}

SignError GcsKeylessSigner::outcome(Scratch const& scratch, std::size_t i) const noexcept {
  return i < scratch.outcomes.size() ? scratch.outcomes[i] : SignError::kRemoteFailed;
}

void GcsKeylessSigner::append_url(Scratch const& scratch, std::size_t i,
                                  std::string& out) const noexcept {
  if (i >= scratch.outcomes.size() || scratch.outcomes[i] != SignError::kOk) return;
  std::size_t const b = scratch.url_offsets[i];
  out.append(scratch.urls, b, scratch.url_offsets[i + 1] - b);
}

}  // namespace presign::io
