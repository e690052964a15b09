#include "presign/engine/pipeline.hpp"

#include "presign/engine/ordered_ring.hpp"

#include <tbb/info.h>
#include <tbb/parallel_pipeline.h>
#include <tbb/task_arena.h>
#include <zstd.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace presign::engine {
namespace {

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// One zstd frame per call; the context is per thread (creating one costs ~100 µs).
bool compress_frame(std::string_view in, std::string& out, int level) {
  thread_local std::unique_ptr<ZSTD_CCtx, decltype(&ZSTD_freeCCtx)> cctx(ZSTD_createCCtx(),
                                                                         ZSTD_freeCCtx);
  out.resize(ZSTD_compressBound(in.size()));
  std::size_t const n =
      ZSTD_compressCCtx(cctx.get(), out.data(), out.size(), in.data(), in.size(), level);
  if (ZSTD_isError(n)) return false;
  out.resize(n);
  return true;
}

}  // namespace

Result<RunStats> run_pipeline(io::ObjectSource& source, BatchSigner const& signer,
                              io::RecordFormatter const& format, io::OutputSink& sink,
                              PipelineOptions const& options) {
  auto const t0 = std::chrono::steady_clock::now();
  unsigned const threads =
      options.threads ? options.threads : static_cast<unsigned>(tbb::info::default_concurrency());
  std::size_t const capacity =
      options.tokens ? options.tokens : std::max<std::size_t>(8, std::size_t{4} * threads);
  auto report = options.on_object_errors ? options.on_object_errors : [](std::string_view s) {
    std::fwrite(s.data(), 1, s.size(), stderr);
  };

  // Job state carried across resumes. The writer thread owns `state` while it runs.
  CheckpointState state = options.start;
  int const level = options.zstd_level;
  std::string frame;  // writer-side compression buffer
  // Writes a piece of output (compressed as its own frame when compressing); empty pieces
  // write nothing, so the bytes depend only on the data.
  auto emit = [&](std::string_view data) -> Result<void> {
    if (data.empty()) return {};
    if (level > 0) {
      if (!compress_frame(data, frame, level))
        return make_error(ErrorKind::kInternal, "zstd compression failed");
      data = frame;
    }
    if (auto r = sink.write(data); !r) return r.error();
    state.output_bytes += data.size();
    return {};
  };
  RunStats stats;
  stats.threads = threads;
  if (!options.resuming) {
    state.output_bytes = 0;
    state.next_seq = 0;
    state.objects = 0;
    state.errors = 0;
    state.any_record = false;
    state.complete = false;
    if (auto r = emit(format.header()); !r) return r.error();
    if (options.checkpoint) {  // a checkpoint exists from the first byte on
      if (auto r = sink.sync(); !r) return r.error();
      if (auto r = options.checkpoint->write(state); !r) return r.error();
    }
  } else if (!state.source_position.empty()) {
    // An empty position is the checkpoint taken right after the header: nothing of the
    // source was consumed yet, so the source starts from its beginning.
    if (auto r = source.seek(state.source_position); !r) return r.error();
  }

  // Batches live in a fixed array indexed by seq % capacity; the ring grants room for seq
  // only when batch seq - capacity has been written, so a slot's batch is always free.
  std::vector<io::Batch> batches(capacity);
  OrderedRing<io::Batch> ring(capacity, state.next_seq);
  io::Batch end_marker;  // published after the last batch: tells the writer to finish
  std::optional<Error> source_failure;  // set by the input filter only
  std::optional<Error> writer_failure;  // set by the writer thread only
  // A signer that stopped for good (BatchSigner::stopped_by): set by a signing worker before
  // it publishes the batch that saw it, so the writer, which reads the flag after taking a
  // batch, never writes that batch or a later one.
  std::atomic<bool> signer_stopped{false};
  std::mutex signer_mu;
  std::optional<Error> signer_failure;  // under signer_mu

  // Counters the progress thread reads.
  std::atomic<std::uint64_t> progress_objects{state.objects};
  std::atomic<std::uint64_t> progress_errors{state.errors};
  std::atomic<std::uint64_t> progress_bytes{state.output_bytes};
  // The source is only ever touched by the thread running the input filter (sources are not
  // thread-safe); the input filter publishes fraction_done() here after every page and the
  // progress thread reads this copy, never the source itself.
  std::atomic<double> progress_fraction{source.fraction_done()};

  std::uint64_t const first_seq = state.next_seq;
  std::thread writer([&] {
    std::uint64_t seq = first_seq;
    std::vector<io::Batch*> group;
    for (;;) {
      io::Batch* b = ring.take(seq);
      if (b == nullptr || b == &end_marker) return;
      // Group commit: take every batch that is already done, write them, then make the
      // group durable and record one checkpoint. A slow disk thus means bigger groups, not
      // a slower pipeline.
      group.clear();
      group.push_back(b);
      while (group.size() < capacity / 2) {
        io::Batch* n = ring.try_take(seq + group.size());
        if (n == nullptr || n == &end_marker) break;
        group.push_back(n);
      }
      if (signer_stopped.load(std::memory_order_acquire)) {
        ring.stop();  // the run fails with the signer's error; nothing more is written
        return;
      }
      for (io::Batch* g : group) {
        if (!g->error_log.empty()) report(g->error_log);
        if (!g->out.empty()) {
          Result<void> r;
          if (state.any_record) r = emit(format.separator());
          if (r && level > 0) {
            if (g->packed.empty()) {
              r = make_error(ErrorKind::kInternal, "zstd compression failed");
            } else {
              r = sink.write(g->packed);
              state.output_bytes += g->packed.size();
            }
          } else if (r) {
            r = sink.write(g->out);
            state.output_bytes += g->out.size();
          }
          if (!r) {
            writer_failure = r.error();
            ring.stop();
            return;
          }
          state.any_record = true;
        }
        state.objects += g->objects.size();
        state.errors += g->errors;
        state.source_position = g->source_position;
        ++stats.batches;
      }
      std::int64_t const done_ns = now_ns();
      for (io::Batch* g : group) {
        stats.latency.record(
            static_cast<std::uint64_t>(std::max<std::int64_t>(0, done_ns - g->arrived_ns)),
            g->objects.size());
      }
      state.next_seq = seq + group.size();
      if (options.checkpoint) {
        Result<void> r = sink.sync();
        if (r) r = options.checkpoint->write(state);
        if (!r) {
          writer_failure = r.error();
          ring.stop();
          return;
        }
      }
      progress_objects.store(state.objects, std::memory_order_relaxed);
      progress_errors.store(state.errors, std::memory_order_relaxed);
      progress_bytes.store(state.output_bytes, std::memory_order_relaxed);
      for (std::size_t i = 0; i < group.size(); ++i) ring.release(seq + i);
      seq += group.size();
    }
  });

  // Progress ticker.
  std::mutex tick_mu;
  std::condition_variable tick_cv;
  bool ticking = true;
  std::thread ticker;
  auto snapshot = [&](bool final) {
    Progress p;
    p.objects = progress_objects.load(std::memory_order_relaxed);
    p.errors = progress_errors.load(std::memory_order_relaxed);
    p.bytes = progress_bytes.load(std::memory_order_relaxed);
    p.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    p.fraction = progress_fraction.load(std::memory_order_relaxed);
    p.final = final;
    return p;
  };
  if (options.on_progress) {
    ticker = std::thread([&] {
      std::unique_lock lock(tick_mu);
      while (!tick_cv.wait_for(lock, options.progress_interval, [&] { return !ticking; })) {
        options.on_progress(snapshot(false));
      }
    });
  }

  // The input filter's state. TBB runs the serial filter on one thread at a time, but hands
  // it between threads through its own (uninstrumented) scheduler, which ThreadSanitizer
  // cannot see; the uncontended mutex (~20 ns per batch) makes that ordering explicit. For
  // the same reason each batch is handed to the signing stage through `handoff`.
  std::mutex input_mu;
  std::uint64_t next_seq = first_seq;
  auto cancel_requested = [&] {
    return options.cancel != nullptr && options.cancel->load(std::memory_order_acquire);
  };
  std::vector<std::atomic<std::uint64_t>> handoff(capacity);
  tbb::task_arena arena(static_cast<int>(threads));
  arena.initialize();
  // Slots of the arena are the workers: current_thread_index() is below max_concurrency().
  auto const workers = static_cast<std::size_t>(arena.max_concurrency());
  signer.reserve_workers(workers);
  arena.execute([&] {
    tbb::parallel_pipeline(
        capacity,
        tbb::make_filter<void, io::Batch*>(
            tbb::filter_mode::serial_in_order,
            [&](tbb::flow_control& fc) -> io::Batch* {
              std::lock_guard lock(input_mu);
              if (cancel_requested() || signer_stopped.load(std::memory_order_acquire) ||
                  !ring.wait_for_room(next_seq)) {
                fc.stop();
                return nullptr;
              }
              io::Batch* b = &batches[next_seq % capacity];
              auto more = source.next(*b);
              progress_fraction.store(source.fraction_done(), std::memory_order_relaxed);
              if (!more && !cancel_requested()) source_failure = more.error();
              if (!more || !*more) {
                fc.stop();
                return nullptr;
              }
              b->seq = next_seq++;
              b->arrived_ns = now_ns();
              // release: the batch's contents happen-before the signing stage reads them.
              handoff[b->seq % capacity].store(b->seq + 1, std::memory_order_release);
              return b;
            }) &
            tbb::make_filter<io::Batch*, void>(tbb::filter_mode::parallel, [&](io::Batch* b) {
              // acquire: pairs with the release above (TBB already orders it; see input_mu).
              auto const slot = static_cast<std::size_t>(b - batches.data());
              std::uint64_t const seq = handoff[slot].load(std::memory_order_acquire) - 1;
              int const worker = tbb::this_task_arena::current_thread_index();
              // TBB promises a slot below max_concurrency(); two workers sharing a scratch
              // would corrupt URLs silently, so a broken promise stops the program instead.
              if (worker < 0 || static_cast<std::size_t>(worker) >= workers) std::terminate();
              signer.sign_batch(*b, static_cast<std::size_t>(worker));
              if (auto why = signer.stopped_by()) {
                std::lock_guard lock(signer_mu);
                if (!signer_failure) signer_failure = std::move(why);
                signer_stopped.store(true, std::memory_order_release);
              }
              if (level > 0 && !b->out.empty() && !compress_frame(b->out, b->packed, level)) {
                b->packed.clear();  // the writer reports it
              }
              ring.publish(seq, b);
            }));
  });
  std::lock_guard input_done(input_mu);  // orders the filter's last writes before the reads below
  // Every admitted batch is published; tell the writer where the end is, then wait for it.
  if (ring.wait_for_room(next_seq)) ring.publish(next_seq, &end_marker);
  writer.join();
  if (ticker.joinable()) {
    {
      std::lock_guard lock(tick_mu);
      ticking = false;
    }
    tick_cv.notify_all();
    ticker.join();
  }

  auto finish_stats = [&] {
    stats.objects = state.objects;
    stats.errors = state.errors;
    stats.bytes = state.output_bytes;
    stats.objects_this_run = state.objects - (options.resuming ? options.start.objects : 0);
    stats.resumed = options.resuming;
    stats.wall_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };
  // A failed run still reports how far it got (for the run summary).
  auto failed = [&](Error e) -> Result<RunStats> {
    if (options.failure_stats) {
      finish_stats();
      *options.failure_stats = stats;
    }
    return e;
  };
  if (writer_failure) return failed(*writer_failure);
  if (signer_stopped.load(std::memory_order_acquire)) {
    stats.signer_stopped = true;
    std::lock_guard lock(signer_mu);
    return failed(*signer_failure);
  }
  if (source_failure) return failed(*source_failure);
  // Stopped on request: what was read is written (and checkpointed), nothing is published.
  if (cancel_requested()) return failed(make_error(ErrorKind::kCancelled, "interrupted"));

  if (auto r = emit(format.footer(state.any_record)); !r) return failed(r.error());
  if (options.checkpoint) {
    // Record "finished, N bytes" before publishing: a kill between the rename below and the
    // checkpoint's removal then resumes into finish_resumable_output instead of a missing
    // partial file.
    state.complete = true;
    if (auto r = sink.sync(); !r) return failed(r.error());
    if (auto r = options.checkpoint->write(state); !r) return failed(r.error());
  }
  if (auto r = sink.commit(); !r) return failed(r.error());
  if (options.checkpoint) {
    // The output is published: the checkpoint has nothing left to protect.
    if (auto r = options.checkpoint->remove(); !r) return failed(r.error());
  }
  finish_stats();
  if (options.on_progress) {
    progress_objects = state.objects;
    progress_errors = state.errors;
    progress_bytes = state.output_bytes;
    options.on_progress(snapshot(true));
  }
  return stats;
}

}  // namespace presign::engine
