// Refreshing temporary credentials (see refreshing.hpp), after botocore's
// RefreshableCredentials._refresh: a try-lock for the advisory refresh (whoever finds the lock
// taken goes on with the current credentials), a blocking lock for the mandatory one, and the
// need checked again once the lock is held (another caller may have refreshed meanwhile).
#include "presign/auth/refreshing.hpp"

#include <utility>

namespace presign::auth {

RefreshingCredentials::RefreshingCredentials(std::shared_ptr<CredentialSource const> source,
                                             Credentials initial, RefreshWindows windows,
                                             std::function<SigningTime()> now)
    : source_(std::move(source)),
      windows_(windows),
      now_(std::move(now)),
      current_(std::make_shared<Credentials const>(std::move(initial))) {
  if (!now_) {
    now_ = [] {
      return std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
    };
  }
}

std::shared_ptr<Credentials const> RefreshingCredentials::load() const {
  std::lock_guard lock(data_mutex_);
  return current_;
}

std::uint64_t RefreshingCredentials::refresh_attempts() const {
  std::lock_guard lock(data_mutex_);
  return attempts_;
}

RefreshingCredentials::Need RefreshingCredentials::need(Credentials const& c) const {
  if (!c.expires) return Need::kNone;
  // botocore's refresh_needed: the seconds remaining are below the window.
  auto const remaining = *c.expires - now_();
  if (remaining < windows_.mandatory) return Need::kMandatory;
  if (remaining < windows_.advisory) return Need::kAdvisory;
  return Need::kNone;
}

Result<Credentials> RefreshingCredentials::current() {
  auto snapshot = load();
  Need const first = need(*snapshot);
  if (first == Need::kNone) return *snapshot;
  std::unique_lock lock(refresh_mutex_, std::try_to_lock);
  if (!lock.owns_lock()) {
    // Another caller refreshes. In the advisory window the current credentials still work;
    // in the mandatory window wait for that refresh, then look again.
    if (first != Need::kMandatory) return *snapshot;
    lock.lock();
  }
  snapshot = load();
  Need const now_needed = need(*snapshot);
  if (now_needed == Need::kNone || (first == Need::kMandatory && now_needed != Need::kMandatory)) {
    return *snapshot;  // refreshed by the caller that held the lock
  }
  return refresh(now_needed == Need::kMandatory);
}

Result<Credentials> RefreshingCredentials::refresh(bool mandatory) {
  auto const old = load();
  {
    std::lock_guard lock(data_mutex_);
    ++attempts_;
  }
  std::string const from = old->origin.empty() ? std::string("the credential source") : old->origin;
  auto const end_text = [&] {
    SigningTime const end = *old->expires;
    return std::string(end <= now_() ? "ended at " : "end at ") + format_rfc3339(end);
  };
  auto fresh = source_->fetch();
  if (!fresh) {
    // An advisory refresh may fail: the credentials in hand are still good for a while, and
    // the next call tries again (botocore logs a warning and goes on). Told once for the
    // credentials in hand, not at every page while the source stays down.
    if (!mandatory) {
      if (warn_ && warned_at_ != replaced_) {
        warned_at_ = replaced_;
        warn_("could not refresh the credentials from " + from + " ahead of their end (they " +
              end_text() + "); going on with them and trying again: " + fresh.error().detail);
      }
      return *old;
    }
    Error e = fresh.error();
    e.kind = ErrorKind::kAuth;
    e.detail = "the credentials from " + from + " " + end_text() +
               " and could not be refreshed: " + e.detail;
    return e;
  }
  if (fresh->expires && *fresh->expires <= now_()) {
    std::string const by = fresh->origin.empty() ? from : fresh->origin;
    return make_error(ErrorKind::kAuth, "the credentials from " + from + " " + end_text() +
                                            ", and those refreshed from " + by +
                                            " ended already at " + format_rfc3339(*fresh->expires));
  }
  auto made = std::make_shared<Credentials const>(std::move(*fresh));
  ++replaced_;
  {
    std::lock_guard lock(data_mutex_);
    current_ = made;
  }
  return *made;
}

}  // namespace presign::auth
