// ListingSource: a PageFetcher as the engine's ObjectSource (see listing.hpp).
//
// Shape: one prefetch thread owns the fetcher and the pagination state. It fetches a page
// into a free slot, runs the pagination guards on it, and queues it; `next` (the engine's
// input stage) takes the oldest queued slot, swaps its key buffer into the batch (no copy:
// the batch's old buffer goes back into the slot, so capacities circulate) and returns the
// slot. There are `kPagesAhead` slots, so at most that many pages wait in memory while the
// engine signs, and the listing of page N+1 overlaps the signing of page N.
//
// Choices worth knowing:
// - Empty pages that carry a token (normal on Azure and GCS, docs/RELIABILITY.md §1.5) are
//   skipped: no empty batch is emitted. A listing whose only page is empty yields no batch at all.
// - The guards (each a kProtocol error naming the listing and the page number):
//   a continuation token seen twice on a page with keys (every token sent is remembered as a
//   128-bit hash, so a cycle of any length is caught, not only A→A; an empty page may repeat
//   its request's token, at most 100 times in a row); an echoed prefix different from the one
//   asked for; a key outside the prefix; a key not strictly greater than the one before it
//   (across pages, and than `start_after`). `IsTruncated` without a token is the parser's
//   error already. A guard failure is not retried: the same request would get the same page.
// - Pages fetched before a failing one are still delivered, in order, before the error, so a
//   checkpointed job keeps everything up to the failure.
// - `source_position` (after each batch) records the token of the next page, the objects and
//   batches so far and the last key, length-prefixed so any bytes survive:
//     `listing/1 seq=S index=I pages=P done=D token=<len>:<bytes> last=<len>:<bytes>|-`
//   `seek` restores all of it, so the ascending check continues across a resume. The set of
//   tokens seen is not carried over (only the resume token is seeded into it).
#include "presign/io/listing.hpp"
#include "presign/core/text.hpp"

#include "presign/io/record_format.hpp"

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_set>
#include <utility>
#include <vector>

namespace presign::io {
namespace {

constexpr std::size_t kPagesAhead = 3;
// Empty pages in a row that may hand back a token already used (see check()).
constexpr std::uint64_t kMaxStalledPages = 100;
constexpr std::string_view kPositionTag = "listing/1";

struct Position {
  std::uint64_t seq = 0;    // batches emitted
  std::uint64_t index = 0;  // objects emitted
  std::uint64_t pages = 0;  // pages fetched (empty ones included)
  bool done = false;        // the last page has been seen
  std::string token;        // of the next page
  std::optional<std::string> last_key;
};

void put_bytes(std::string& out, std::string_view name, std::string_view bytes) {
  out += ' ';
  out += name;
  out += '=';
  out += std::to_string(bytes.size());
  out += ':';
  out += bytes;
}

std::string encode_position(Position const& p) {
  std::string out(kPositionTag);
  out += " seq=" + std::to_string(p.seq) + " index=" + std::to_string(p.index) +
         " pages=" + std::to_string(p.pages) + " done=" + (p.done ? "1" : "0");
  put_bytes(out, "token", p.token);
  if (p.last_key) {
    put_bytes(out, "last", *p.last_key);
  } else {
    out += " last=-";
  }
  return out;
}

// A tiny cursor over the encoded position.
struct Reader {
  std::string_view s;
  bool ok = true;

  bool lit(std::string_view t) {
    if (!ok || !s.starts_with(t)) return ok = false;
    s.remove_prefix(t.size());
    return true;
  }
  std::uint64_t number() {
    if (!ok) return 0;
    std::uint64_t v = 0;
    std::size_t i = 0;
    for (; i < s.size() && i < 20 && s[i] >= '0' && s[i] <= '9'; ++i) {
      v = v * 10 + static_cast<std::uint64_t>(s[i] - '0');
    }
    if (i == 0 || i >= 20) ok = false;
    s.remove_prefix(i);
    return v;
  }
  std::string bytes() {
    std::uint64_t const n = number();
    if (!lit(":") || n > s.size()) {
      ok = false;
      return {};
    }
    std::string out(s.substr(0, n));
    s.remove_prefix(n);
    return out;
  }
};

std::optional<Position> decode_position(std::string_view text) {
  Reader r{text};
  Position p;
  r.lit(kPositionTag);
  r.lit(" seq=");
  p.seq = r.number();
  r.lit(" index=");
  p.index = r.number();
  r.lit(" pages=");
  p.pages = r.number();
  r.lit(" done=");
  std::uint64_t const done = r.number();
  r.lit(" token=");
  p.token = r.bytes();
  r.lit(" last=");
  if (r.ok && r.s == "-") {
    r.s = {};
  } else {
    p.last_key = r.bytes();
  }
  if (!r.ok || !r.s.empty() || done > 1) return std::nullopt;
  p.done = done == 1;
  if (!p.done && p.token.empty() && p.index > 0) return std::nullopt;  // cannot continue
  return p;
}

// Two independent 64-bit hashes of a token (std::hash and FNV-1a): a false "seen twice" needs
// both to collide.
struct TokenHash {
  std::uint64_t a = 0;
  std::uint64_t b = 0;
  bool operator==(TokenHash const&) const = default;
};
struct TokenHashHasher {
  std::size_t operator()(TokenHash const& h) const noexcept {
    return static_cast<std::size_t>(h.a ^ (h.b * 31));
  }
};
TokenHash hash_token(std::string_view t) noexcept {
  std::uint64_t f = 1469598103934665603ULL;
  for (unsigned char c : t) {
    f ^= c;
    f *= 1099511628211ULL;
  }
  return {static_cast<std::uint64_t>(std::hash<std::string_view>{}(t)), f};
}

std::string quoted(std::string_view key) {
  std::string out = "'";
  append_printable(out, key.substr(0, 200));
  out += key.size() > 200 ? "...'" : "'";
  return out;
}

class ListingSource final : public ObjectSource {
 public:
  ListingSource(std::unique_ptr<PageFetcher> fetcher, ListingOptions options)
      : fetcher_(std::move(fetcher)), options_(std::move(options)), name_(fetcher_->describe()) {
    for (std::size_t i = 0; i < kPagesAhead; ++i) free_.push_back(std::make_unique<Slot>());
  }

  ~ListingSource() override {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) {
      fetcher_->cancel();
      thread_.join();
    }
  }

  ListingSource(ListingSource const&) = delete;
  ListingSource& operator=(ListingSource const&) = delete;

  void cancel() noexcept override {
    {
      std::lock_guard lock(mutex_);
      cancelled_ = true;
    }
    cv_.notify_all();
    fetcher_->cancel();
  }

  bool stop(std::chrono::milliseconds grace) noexcept override {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    cancel();
    if (!thread_.joinable()) return true;
    bool done = false;
    {
      std::unique_lock lock(mutex_);
      done = cv_.wait_for(lock, grace, [this] { return producer_done_; });
    }
    if (done) {
      thread_.join();
      return true;
    }
    thread_.detach();  // still in a request: the caller leaks this object (let_go)
    return false;
  }

  Result<bool> next(Batch& batch) override {
    batch.reset();
    if (!started_) start();
    std::unique_ptr<Slot> slot;
    {
      std::unique_lock lock(mutex_);
      cv_.wait(lock, [this] { return !ready_.empty() || error_ || finished_ || cancelled_; });
      if (cancelled_) return make_error(ErrorKind::kCancelled, "listing " + name_ + " cancelled");
      if (ready_.empty()) {
        if (error_) return *error_;
        return false;
      }
      slot = std::move(ready_.front());
      ready_.pop_front();
    }
    batch.data.swap(slot->keys);
    add_to_batch(slot->page, batch);
    batch.seq = slot->seq;
    batch.first_index = slot->first_index;
    batch.source_position.swap(slot->position);
    {
      std::lock_guard lock(mutex_);
      free_.push_back(std::move(slot));
    }
    cv_.notify_all();
    return true;
  }

  Result<void> seek(std::string const& position) override {
    if (started_) {
      return make_error(ErrorKind::kInternal, "seek called on a listing that has started");
    }
    auto p = decode_position(position);
    if (!p) {
      return make_error(ErrorKind::kIo,
                        "checkpoint position does not belong to a bucket listing "
                        "(or is damaged); cannot resume " +
                            name_);
    }
    pos_ = std::move(*p);
    resumed_ = true;
    if (!pos_.token.empty()) seen_.insert(hash_token(pos_.token));
    return {};
  }

 private:
  struct Slot {
    ListPage page;
    std::string keys;
    std::string position;
    std::uint64_t seq = 0;
    std::uint64_t first_index = 0;
  };

  void start() {
    started_ = true;
    thread_ = std::thread([this] {
      try {
        run();
      } catch (std::exception const& e) {
        fail(make_error(ErrorKind::kInternal, "listing " + name_ + ": " + e.what()));
      } catch (...) {
        fail(make_error(ErrorKind::kInternal, "listing " + name_ + ": unknown exception"));
      }
      {
        std::lock_guard lock(mutex_);
        producer_done_ = true;
      }
      cv_.notify_all();
    });
  }

  void fail(Error e) {
    {
      std::lock_guard lock(mutex_);
      if (!error_) error_ = std::move(e);
    }
    cv_.notify_all();
  }

  void finish() {
    {
      std::lock_guard lock(mutex_);
      finished_ = true;
    }
    cv_.notify_all();
  }

  Error page_error(std::uint64_t page, std::string what) const {
    return make_error(ErrorKind::kProtocol,
                      "listing " + name_ + ": page " + std::to_string(page) + ": " + what);
  }

  // The producer: runs on thread_ until the listing ends, fails, or the source is destroyed.
  void run() {
    for (;;) {
      if (pos_.done) return finish();
      std::unique_ptr<Slot> slot;
      {
        std::unique_lock lock(mutex_);
        cv_.wait(lock, [this] { return stop_ || !free_.empty(); });
        if (stop_) return;
        slot = std::move(free_.back());
        free_.pop_back();
      }
      std::uint64_t const first_index = pos_.index;
      // Fetch until a page with keys, or the end.
      for (;;) {
        ListRequest req;
        req.prefix = options_.prefix;
        req.token = pos_.token;
        req.page_size = options_.page_size;
        if (pos_.pages == 0 && !resumed_) req.start_after = options_.start_after;
        if (!req.token.empty()) seen_.insert(hash_token(req.token));
        std::uint64_t const page_no = pos_.pages + 1;
        req.page_number = page_no;
        slot->keys.clear();
        auto fetched = fetcher_->fetch(req, slot->page, slot->keys);
        {
          std::lock_guard lock(mutex_);
          if (stop_) return;
        }
        if (!fetched) {
          Error e = fetched.error();
          e.detail = "listing " + name_ + ": page " + std::to_string(page_no) + ": " + e.detail;
          return fail(std::move(e));
        }
        if (auto bad = check(req, *slot, page_no); bad) return fail(std::move(*bad));
        ListPage const& page = slot->page;
        pos_.pages = page_no;
        pos_.index += page.objects.size();
        if (!page.objects.empty()) {
          pos_.last_key = std::string(page.objects.back().key.in(slot->keys));
        }
        pos_.done = !page.truncated;
        pos_.token = page.truncated ? page.next_token : std::string();
        if (!page.objects.empty() || pos_.done) break;
      }
      if (slot->page.objects.empty()) return finish();  // the last page was empty
      slot->seq = pos_.seq++;
      slot->first_index = first_index;
      slot->position = encode_position(pos_);
      {
        std::lock_guard lock(mutex_);
        ready_.push_back(std::move(slot));
      }
      cv_.notify_all();
    }
  }

  // The pagination guards of docs/RELIABILITY.md §1.5 on one parsed page.
  std::optional<Error> check(ListRequest const& req, Slot const& slot, std::uint64_t page_no) {
    ListPage const& page = slot.page;
    if (page.prefix_echoed && page.echoed_prefix != req.prefix) {
      return page_error(page_no, "the service echoed prefix " + quoted(page.echoed_prefix) +
                                     " for a request with prefix " + quoted(req.prefix) +
                                     " (a proxy or server dropped the prefix: refusing to "
                                     "list outside it)");
    }
    if (page.truncated && seen_.contains(hash_token(page.next_token))) {
      // With keys, a token already used means the next request would list keys again: a
      // loop. An empty page may repeat the token it was asked with (a service that ran out of
      // time before finding a key, or the fake's empty page): allowed, but only
      // kMaxStalledPages times in a row, so a stuck service cannot keep us forever.
      if (!page.objects.empty()) {
        return page_error(page_no,
                          "the same continuation token was received twice (the "
                          "service is looping; stopping rather than listing keys again)");
      }
      if (++stalled_pages_ > kMaxStalledPages) {
        return page_error(page_no, std::to_string(stalled_pages_ - 1) +
                                       " empty pages in a row came back with the same "
                                       "continuation token (the listing makes no progress)");
      }
    } else if (!page.objects.empty()) {
      stalled_pages_ = 0;
    }
    std::optional<std::string_view> last;
    if (pos_.last_key) last = *pos_.last_key;
    if (!req.start_after.empty() && (!last || req.start_after > *last)) last = req.start_after;
    for (std::size_t i = 0; i < page.objects.size(); ++i) {
      std::string_view const key = page.objects[i].key.in(slot.keys);
      if (!key.starts_with(req.prefix)) {
        return page_error(page_no,
                          "key " + quoted(key) + " is outside the prefix " + quoted(req.prefix));
      }
      if (options_.require_ascending && last && !(key > *last)) {
        return page_error(page_no, "keys out of order: " + quoted(key) + " (object " +
                                       std::to_string(pos_.index + i + 1) + ") does not follow " +
                                       quoted(*last) +
                                       " (listings are in ascending byte order; a pagination "
                                       "bug of the service or a proxy would repeat or skip keys)");
      }
      last = key;
    }
    return std::nullopt;
  }

  std::unique_ptr<PageFetcher> fetcher_;
  ListingOptions const options_;
  std::string const name_;

  // Producer state (the thread, or seek before it starts).
  Position pos_;
  bool resumed_ = false;
  std::unordered_set<TokenHash, TokenHashHasher> seen_;
  std::uint64_t stalled_pages_ = 0;

  // Shared with the producer, under mutex_.
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::unique_ptr<Slot>> ready_;
  std::vector<std::unique_ptr<Slot>> free_;
  std::optional<Error> error_;
  bool finished_ = false;
  bool stop_ = false;
  bool cancelled_ = false;
  bool producer_done_ = false;  // set by the producer thread as its last step

  bool started_ = false;  // consumer side only
  std::thread thread_;
};

}  // namespace

std::string page_label(ListRequest const& req) {
  return req.page_number == 0 ? std::string("listing page")
                              : "page " + std::to_string(req.page_number);
}

std::unique_ptr<ObjectSource> make_listing_source(std::unique_ptr<PageFetcher> fetcher,
                                                  ListingOptions options) {
  return std::make_unique<ListingSource>(std::move(fetcher), std::move(options));
}

}  // namespace presign::io
