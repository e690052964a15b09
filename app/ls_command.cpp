// presign ls: a bucket listing printed as keys or NDJSON.
//
// The listing is the ObjectSource `presign sign` uses (io::make_listing_source), so both
// commands share the pagination guards (a repeated token, keys out of order or outside the
// prefix), the retries and the prefetching. That source yields keys only; the size and
// last-modified time of each object are taken from the parsed pages by `MetadataTap`, a
// PageFetcher that wraps the provider's fetcher and queues the metadata of every page that has
// keys. The source turns exactly those pages, in the same order, into batches, so batch N
// pairs with queued page N (checked: the counts must agree).
//
// Output formats:
//   keys    each key's exact bytes and '\n'. A key that itself contains '\n' cannot be
//           written so (a reader splitting on '\n', such as `presign sign --keys-from`, would
//           see two keys): it is left out, reported on stderr, and the exit code is 1. Use
//           --format ndjson for such buckets.
//   ndjson  {"key":K,"size":N,"last_modified":"…"} — K escaped as the sign command's JSON
//           formats escape it (U+FFFD for invalid UTF-8, plus "key_base64" with the exact
//           bytes); last_modified as the service wrote it.
#include "ls_command.hpp"

#include "exit_codes.hpp"
#include "progress.hpp"
#include "run_job.hpp"
#include "presign/core/base64.hpp"
#include "presign/core/text.hpp"
#include "presign/io/listing.hpp"
#include "presign/io/output_file.hpp"
#include "presign/io/record_format.hpp"

#include <chrono>
#include <cstdio>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unistd.h>
#include <utility>
#include <vector>

namespace presign::app {
namespace {

// The metadata of one listing page that had keys.
struct PageMeta {
  std::vector<std::uint64_t> sizes;
  std::vector<io::ByteSpan> last_modified;  // into `text`
  std::string text;
};

// Shared by the tap (the listing's prefetch thread) and run_ls (the main thread).
class MetaQueue {
 public:
  void push(PageMeta m) {
    std::lock_guard lock(mutex_);
    pages_.push_back(std::move(m));
  }
  // The page that became the batch just returned by the source: it was queued before the
  // source handed the batch over, so it is always there.
  bool pop(PageMeta& out) {
    std::lock_guard lock(mutex_);
    if (pages_.empty()) return false;
    out = std::move(pages_.front());
    pages_.pop_front();
    return true;
  }

 private:
  std::mutex mutex_;
  std::deque<PageMeta> pages_;
};

class MetadataTap final : public io::PageFetcher {
 public:
  MetadataTap(std::unique_ptr<io::PageFetcher> inner, std::shared_ptr<MetaQueue> queue)
      : inner_(std::move(inner)), queue_(std::move(queue)) {}

  Result<void> fetch(io::ListRequest const& req, io::ListPage& page,
                     std::string& key_bytes) override {
    auto r = inner_->fetch(req, page, key_bytes);
    if (r && !page.objects.empty()) {
      PageMeta m;
      m.sizes.reserve(page.objects.size());
      m.last_modified.reserve(page.objects.size());
      for (io::ListedObject const& o : page.objects) {
        m.sizes.push_back(o.size);
        std::string_view const lm = page.text_of(o.last_modified);
        m.last_modified.push_back(io::ByteSpan{m.text.size(), lm.size()});
        m.text += lm;
      }
      queue_->push(std::move(m));
    }
    return r;
  }
  [[nodiscard]] std::string describe() const override { return inner_->describe(); }
  void cancel() noexcept override { inner_->cancel(); }

 private:
  std::unique_ptr<io::PageFetcher> inner_;
  std::shared_ptr<MetaQueue> queue_;
};

}  // namespace

CLI::App* add_ls_command(CLI::App& app, LsOptions& o) {
  CLI::App* cmd = app.add_subcommand("ls", "List the objects of a bucket (what `sign` would sign)");
  cmd->footer(R"(Output:
  --format keys    one key per line, exact bytes (the input `presign sign --keys-from` reads).
                   A key containing a newline cannot be written so: it is left out, reported
                   on stderr, and the exit code is 1 (use --format ndjson for such buckets).
  --format ndjson  {"key":K,"size":N,"last_modified":"..."} per line; keys that are not
                   UTF-8 also carry "key_base64" with their exact bytes.

Examples:
  presign ls s3://my-bucket/images/ > keys.txt
  presign ls s3://test-bucket --endpoint http://127.0.0.1:4569 --format ndjson --output objects.ndjson

A stored integration instead of a URI (as for presign sign; see presign sign --help):
  presign ls --integration NAME [PREFIX] [--store PATH]

Exit codes: 0 ok, 1 some keys left out (see stderr), 2 usage, 3 credentials/configuration,
            4 local I/O, 5 listing failed.)");
  cmd->add_option("uri", o.uri,
                  "s3://BUCKET[/PREFIX], gs://BUCKET[/PREFIX], az://ACCOUNT/CONTAINER[/PREFIX]; "
                  "with --integration: a key PREFIX");
  cmd->add_option("--integration", o.integration,
                  "list the bucket of this stored integration, with its credentials");
  cmd->add_option("--store", o.store.store,
                  "with --integration: the store file (default PRESIGN_STORE, else "
                  "$XDG_DATA_HOME/presign/presign.db or ~/.local/share/presign/presign.db)");
  cmd->add_option("--format", o.format, "keys|ndjson (default keys)")
      ->check(CLI::IsMember({"keys", "ndjson"}));
  cmd->add_option("--output", o.output,
                  "output file (default stdout); written atomically, mode 0600");
  cmd->add_flag("--quiet", o.quiet,
                "no progress line (shown only on a terminal) and no retry reports on stderr");
  cmd->add_option("--endpoint", o.endpoint, "custom endpoint, e.g. http://127.0.0.1:4569");
  cmd->add_option("--region", o.region, "s3://: region (default as for sign)");
  cmd->add_option("--profile", o.profile, "s3://: AWS profile (default as for sign)");
  cmd->add_option("--addressing", o.addressing, "auto|virtual|path")
      ->check(CLI::IsMember({"auto", "virtual", "path"}));
  cmd->add_option("--credentials", o.credentials, "gs://: service-account JSON key file");
  cmd->add_option("--impersonate-service-account", o.impersonate_service_account,
                  "gs://: list as this service account: its tokens come from IAM "
                  "generateAccessToken, asked for with your credentials (or --access-token)");
  add_listing_options(cmd, o, "");
  return cmd;
}

int run_ls(LsOptions const& given) {
  LsOptions o = given;
  if (auto r = resolve_integration(o, "ls"); !r) return fail(r.error());
  auto uri = parse_bucket_uri(o.uri);
  if (!uri) return fail(uri.error());
  if (auto p = providers::provider_for(uri->scheme); !p) return fail(p.error());
  bool const ndjson = o.format == "ndjson";
  auto setup = prepare_listing(*uri, listing_flags(o), nullptr);
  if (!setup) return fail(setup.error());
  auto queue = std::make_shared<MetaQueue>();
  auto source = io::make_listing_source(
      std::make_unique<MetadataTap>(std::move(setup->fetcher), queue), std::move(setup->options));
  // SIGINT/SIGTERM cancel the listing (a request waiting or a retry backing off) and stop.
  interrupt::Graceful const graceful;
  std::optional<interrupt::CancelHook> cancel_listing;
  cancel_listing.emplace([src = source.get()] { src->cancel(); });
  auto interrupted = [&](char const* what) {
    cancel_listing.reset();  // waits for a hook running on the signal thread
    io::let_go(std::move(source),
               interrupt::kStopGrace);  // a request on the wire is not waited for
    return fail(interrupted_error(what));
  };

  // The first page before the output: a failed listing leaves no file behind.
  io::Batch batch;
  auto more = source->next(batch);
  if (interrupt::requested()) return interrupted("no output written");
  if (!more) return fail(as_listing_failure(more.error()));
  if (o.integration_job) o.integration_job->stamp_used();  // the listing has started

  auto opened = open_output(o.output);
  if (!opened) return fail(opened.error());
  std::unique_ptr<io::OutputSink> sink = std::move(*opened);
  interrupt::set_cleanup_file(sink->part_path());
  struct ClearCleanup {
    ~ClearCleanup() { interrupt::set_cleanup_file({}); }
  } const clear_cleanup;

  bool const progress = !o.quiet && ::isatty(STDERR_FILENO);
  auto const started = std::chrono::steady_clock::now();
  auto last_progress = started;
  std::uint64_t objects = 0;
  std::uint64_t left_out = 0;
  std::string out;
  PageMeta meta;
  while (*more) {
    out.clear();
    // Popped in every format, so the queue never holds more than the pages prefetched.
    if (!queue->pop(meta) || meta.sizes.size() != batch.objects.size()) {
      return fail(make_error(ErrorKind::kInternal, "listing metadata does not match page " +
                                                       std::to_string(batch.seq + 1)));
    }
    for (std::size_t i = 0; i < batch.objects.size(); ++i) {
      std::string_view const key = batch.objects[i].key;
      if (ndjson) {
        out += "{\"key\":\"";
        if (!io::append_json_escaped(out, key)) {
          out += "\",\"key_base64\":\"";
          append_base64(out, key);
        }
        out += "\",\"size\":";
        out += std::to_string(meta.sizes[i]);
        out += ",\"last_modified\":\"";
        io::append_json_escaped(out, meta.last_modified[i].in(meta.text));
        out += "\"}\n";
      } else if (key.find('\n') != std::string_view::npos) {
        ++left_out;
        std::string msg = "presign: object " + std::to_string(batch.first_index + i + 1) + " '";
        append_printable(msg, key.substr(0, 200));
        msg += key.size() > 200 ? "...'" : "'";
        msg +=
            " contains a newline and cannot be written as a line of --format keys: left "
            "out (use --format ndjson)\n";
        end_progress_line();
        std::fputs(msg.c_str(), stderr);
      } else {
        out += key;
        out += '\n';
      }
    }
    objects += batch.objects.size();
    if (auto r = sink->write(out); !r) return fail(r.error());
    if (progress) {
      auto const now = std::chrono::steady_clock::now();
      if (now - last_progress > std::chrono::milliseconds(500)) {
        last_progress = now;
        print_ls_progress(objects, std::chrono::duration<double>(now - started).count(), false);
      }
    }
    more = source->next(batch);
    if (interrupt::requested()) {
      end_progress_line();
      return interrupted(sink->part_path().empty() ? "the output is incomplete"
                                                   : "no output written");
    }
    if (!more) return fail(as_listing_failure(more.error()));  // fail ends the progress line
  }
  if (auto r = sink->commit(); !r) return fail(r.error());
  if (progress) {
    double const secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    print_ls_progress(objects, secs, true);
  }
  if (left_out > 0) {
    std::fprintf(stderr, "presign: %llu of %llu keys left out (they contain a newline)\n",
                 static_cast<unsigned long long>(left_out),
                 static_cast<unsigned long long>(objects));
    return kPartial;
  }
  return kOk;
}

}  // namespace presign::app
