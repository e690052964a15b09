// The engine over a real listing: keys listed from the fake S3 server (SigV4 verified, hostile
// bytes in every key) go through the pipeline to the same bytes as a key file of the same keys.
#include "presign/engine/pipeline.hpp"
#include "presign/io/key_file_source.hpp"
#include "presign/io/listing.hpp"
#include "presign/io/record_format.hpp"
#include "presign/io/s3_lister.hpp"
#include "presign/signers/sigv4.hpp"

#include "fake_s3_server.hpp"
#include "s3_listing_fixture.hpp"
#include "memory_sink.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

using namespace presign;
using presign::test::fake_options;
using presign::test::FakeS3Server;
using presign::test::kAkid;
using presign::test::kRegion;
using presign::test::kSecret;
using presign::test::lister_config;
using presign::test::MemorySink;

TEST_SUITE("engine.listing_pipeline") {
  TEST_CASE("a listing through the pipeline signs exactly what a key file of the same keys gives") {
    auto o = fake_options(12'345);
    o.key_suffix = " +&<\xC3\xA9%";
    FakeS3Server server(o);
    signers::sigv4::S3PresignConfig pc;
    pc.credentials = {kAkid, kSecret, ""};
    pc.region = kRegion;
    pc.bucket = "bucket";
    pc.endpoint = server.endpoint();
    pc.signing_time = *parse_rfc3339("2024-01-01T00:00:00Z");
    auto const s3 = signers::sigv4::S3Presigner::create(pc);
    if (!s3) FAIL(s3.error().detail);
    REQUIRE(s3.has_value());
    io::RecordFormatter const fmt(io::Format::kNdjson, format_rfc3339(s3->expires_at()));
    engine::FormattingBatchSigner<signers::sigv4::S3Presigner> const signer(*s3, fmt);
    engine::PipelineOptions popts;
    popts.threads = 2;
    popts.on_object_errors = [](std::string_view) {};

    auto const dir = std::filesystem::temp_directory_path() /
                     ("presign-listing-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    std::string const keys_path = (dir / "keys.txt").string();
    {
      std::ofstream out(keys_path, std::ios::binary);
      for (std::uint64_t i = 0; i < 12'345; ++i) out << server.key(i) << '\n';
    }
    auto file_source = io::KeyFileSource::open(keys_path);
    REQUIRE(file_source.has_value());
    MemorySink from_file;
    auto const a = engine::run_pipeline(**file_source, signer, fmt, from_file, popts);
    REQUIRE(a.has_value());

    auto fetcher = io::make_s3_page_fetcher(lister_config(server));
    REQUIRE(fetcher.has_value());
    io::ListingOptions pages;
    pages.page_size = 1000;
    auto list_source = io::make_listing_source(std::move(*fetcher), pages);
    MemorySink from_listing;
    auto const b = engine::run_pipeline(*list_source, signer, fmt, from_listing, popts);
    REQUIRE(b.has_value());
    CHECK(b->objects == 12'345);
    CHECK(b->errors == 0);
    CHECK(from_listing.data.size() == from_file.data.size());
    CHECK(from_listing.data == from_file.data);
    CHECK(from_listing.data.find("%C3%A9") != std::string::npos);
    std::filesystem::remove_all(dir);
  }
}
