#include "presign/engine/pipeline.hpp"

#include <tbb/concurrent_queue.h>
#include <tbb/info.h>
#include <tbb/parallel_pipeline.h>
#include <tbb/task_arena.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

namespace presign::engine {

Result<RunStats> run_pipeline(io::ObjectSource& source, BatchSigner const& signer,
                              io::RecordFormatter const& format, io::OutputSink& sink,
                              PipelineOptions const& options) {
  auto const t0 = std::chrono::steady_clock::now();
  unsigned const threads =
      options.threads ? options.threads : static_cast<unsigned>(tbb::info::default_concurrency());
  std::size_t const tokens = options.tokens ? options.tokens : std::size_t{4} * threads;
  auto report = options.on_object_errors ? options.on_object_errors : [](std::string_view s) {
    std::fwrite(s.data(), 1, s.size(), stderr);
  };

  RunStats stats;
  std::optional<Error> failure;  // written by the serial filters only (one at a time)
  std::atomic<bool> failed{false};

  std::string const header = format.header();
  if (auto r = sink.write(header); !r) return r.error();
  stats.bytes += header.size();

  // Batch pool: `tokens` batches at most are alive; a finished batch returns to the pool.
  std::vector<std::unique_ptr<io::Batch>> storage;
  tbb::concurrent_queue<io::Batch*> pool;
  for (std::size_t i = 0; i < tokens; ++i) {
    storage.push_back(std::make_unique<io::Batch>());
    pool.push(storage.back().get());
  }
  bool any_record = false;

  tbb::task_arena arena(static_cast<int>(threads));
  arena.execute([&] {
    tbb::parallel_pipeline(
        tokens,
        tbb::make_filter<void, io::Batch*>(
            tbb::filter_mode::serial_in_order,
            [&](tbb::flow_control& fc) -> io::Batch* {
              io::Batch* b = nullptr;
              if (failed.load(std::memory_order_acquire) || !pool.try_pop(b)) {
                // The pool cannot be empty while a token is free; an empty pool means a bug.
                fc.stop();
                return nullptr;
              }
              auto more = source.next(*b);
              if (!more) {
                failure = more.error();
                failed.store(true, std::memory_order_release);
              }
              if (!more || !*more) {
                pool.push(b);
                fc.stop();
                return nullptr;
              }
              return b;
            }) &
            tbb::make_filter<io::Batch*, io::Batch*>(tbb::filter_mode::parallel,
                                                     [&](io::Batch* b) {
                                                       signer.sign_batch(*b);
                                                       return b;
                                                     }) &
            tbb::make_filter<io::Batch*, void>(
                tbb::filter_mode::serial_in_order, [&](io::Batch* b) {
                  if (!failed.load(std::memory_order_acquire)) {
                    stats.objects += b->objects.size();
                    stats.errors += b->errors;
                    ++stats.batches;
                    if (!b->error_log.empty()) report(b->error_log);
                    if (!b->out.empty()) {
                      Result<void> r;
                      if (any_record && !format.separator().empty()) {
                        r = sink.write(format.separator());
                        stats.bytes += format.separator().size();
                      }
                      if (r) r = sink.write(b->out);
                      if (!r) {
                        failure = r.error();
                        failed.store(true, std::memory_order_release);
                      }
                      stats.bytes += b->out.size();
                      any_record = true;
                    }
                  }
                  pool.push(b);
                }));
  });
  if (failure) return *failure;

  std::string const footer = format.footer(any_record);
  if (auto r = sink.write(footer); !r) return r.error();
  stats.bytes += footer.size();
  if (auto r = sink.commit(); !r) return r.error();
  stats.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return stats;
}

}  // namespace presign::engine
