#pragma once
/// Temporary credentials kept fresh during a long job, as botocore's RefreshableCredentials
/// keep them: the credentials found at the start are used until they come close to their
/// end, then the same source is asked again.
///
/// Two windows before the end (botocore's defaults, 15 and 10 minutes):
/// - advisory: one caller refreshes; the others keep using the current credentials meanwhile
///   (they are still valid), and a failed refresh keeps them too (it is tried again on the
///   next call) and is told to the warning observer once per credentials in hand (botocore
///   logs a warning; repeated failures for the same credentials are not told again);
/// - mandatory: every caller waits for the refresh under way or makes one; a failure is an
///   error naming the source (kAuth), and so are refreshed credentials that have already
///   ended.
/// Credentials without an end (static keys) are never refreshed, nor is the source asked.
///
/// Thread-safe: one refresh at a time. A refresh calls the source (an STS request, a
/// credential_process run...) and blocks its caller for that long. No secret is ever put in
/// an error message.

#include "presign/auth/credentials.hpp"
#include "presign/core/error.hpp"
#include "presign/core/time.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

namespace presign::auth {

/// How long before their end credentials are refreshed (injectable for tests).
struct RefreshWindows {
  std::chrono::seconds advisory{15 * 60};   ///< botocore's `_advisory_refresh_timeout`
  std::chrono::seconds mandatory{10 * 60};  ///< botocore's `_mandatory_refresh_timeout`
};

class RefreshingCredentials {
 public:
  /// `initial`: what `source` answered at the start of the job (not fetched again here).
  /// `now`: the clock (whole seconds); empty: the system clock.
  RefreshingCredentials(std::shared_ptr<CredentialSource const> source, Credentials initial,
                        RefreshWindows windows = {}, std::function<SigningTime()> now = {});

  /// The credentials to use now, refreshed first when due (see the file comment). Blocks
  /// while this call refreshes, or while a mandatory refresh by another caller runs.
  [[nodiscard]] Result<Credentials> current();

  /// How many times the source was asked (successfully or not) since construction.
  [[nodiscard]] std::uint64_t refresh_attempts() const;

  /// Told (from the refreshing caller's thread) when an advisory refresh fails: a message
  /// naming the source, when the credentials in hand end and the source's error (no secret).
  /// Set before the first `current()`.
  void set_warning_observer(std::function<void(std::string const&)> observer) {
    warn_ = std::move(observer);
  }

 private:
  enum class Need : std::uint8_t { kNone, kAdvisory, kMandatory };
  [[nodiscard]] Need need(Credentials const& c) const;
  [[nodiscard]] std::shared_ptr<Credentials const> load() const;
  // Called with refresh_mutex_ held.
  Result<Credentials> refresh(bool mandatory);

  std::shared_ptr<CredentialSource const> source_;
  RefreshWindows windows_;
  std::function<SigningTime()> now_;
  mutable std::mutex data_mutex_;  // guards current_ and attempts_
  std::shared_ptr<Credentials const> current_;
  std::uint64_t attempts_ = 0;
  std::mutex refresh_mutex_;  // held by the one refresh under way
  std::function<void(std::string const&)> warn_;
  // Guarded by refresh_mutex_: how many times current_ was replaced, and at which count the
  // last warning was told (one warning per credentials in hand).
  std::uint64_t replaced_ = 0;
  std::uint64_t warned_at_ = ~std::uint64_t{0};
};

}  // namespace presign::auth
