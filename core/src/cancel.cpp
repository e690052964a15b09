#include "presign/core/cancel.hpp"

#include <algorithm>

namespace presign {

void CancelSource::request() {
  std::lock_guard lock(mutex_);
  if (flag_.exchange(true, std::memory_order_acq_rel)) return;
  for (auto const& [id, fn] : hooks_) fn();
}

CancelSource::Hook::Hook(CancelSource& source, std::function<void()> fn) : source_(source) {
  std::lock_guard lock(source_.mutex_);
  id_ = source_.next_id_++;
  if (source_.flag_.load(std::memory_order_acquire)) {
    fn();  // already requested: at once
    return;
  }
  source_.hooks_.emplace_back(id_, std::move(fn));
}

CancelSource::Hook::~Hook() {
  std::lock_guard lock(source_.mutex_);
  auto& hooks = source_.hooks_;
  hooks.erase(
      std::remove_if(hooks.begin(), hooks.end(), [this](auto const& h) { return h.first == id_; }),
      hooks.end());
}

}  // namespace presign
