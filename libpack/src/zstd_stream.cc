#include "libpack/zstd_stream.h"

#include <zstd.h>
#include <zstd_errors.h>

#include <thread>

namespace xj::pack {

struct ZstdCompressSink::Impl {
  ZSTD_CCtx* cctx = nullptr;
  Sink* out = nullptr;
  Bytes buf;
  bool finished = false;
  ~Impl() {
    if (cctx != nullptr) ZSTD_freeCCtx(cctx);
  }
  Status Drain(ZSTD_inBuffer* in, ZSTD_EndDirective mode) {
    for (;;) {
      ZSTD_outBuffer o{buf.data(), buf.size(), 0};
      std::size_t left = ZSTD_compressStream2(cctx, &o, in, mode);
      if (ZSTD_isError(left)) {
        return Error(Code::kInternal, "zstd: {}", ZSTD_getErrorName(left));
      }
      if (o.pos > 0)
        XJ_RETURN_IF_ERROR(out->Write(ByteSpan(buf.data(), o.pos)));
      bool done = mode == ZSTD_e_continue ? in->pos == in->size : left == 0;
      if (done) return Status::Ok();
    }
  }
};

ZstdCompressSink::ZstdCompressSink(std::unique_ptr<Impl> impl)
    : impl_(std::move(impl)) {}
ZstdCompressSink::~ZstdCompressSink() = default;

Result<std::unique_ptr<ZstdCompressSink>> ZstdCompressSink::Create(
    Sink* out, int level, int workers) {
  auto impl = std::make_unique<Impl>();
  impl->cctx = ZSTD_createCCtx();
  if (impl->cctx == nullptr)
    return Status(Code::kOutOfMemory, "zstd: no memory");
  if (workers <= 0)
    workers =
        static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  ZSTD_CCtx_setParameter(impl->cctx, ZSTD_c_compressionLevel, level);
  ZSTD_CCtx_setParameter(impl->cctx, ZSTD_c_windowLog, kZstdWindowLog);
  ZSTD_CCtx_setParameter(impl->cctx, ZSTD_c_checksumFlag, 1);
  // Worker mode even for one worker: its output is the same for any count.
  std::size_t rc =
      ZSTD_CCtx_setParameter(impl->cctx, ZSTD_c_nbWorkers, workers);
  if (ZSTD_isError(rc))
    return Status(Code::kInternal, "zstd was built without threads");
  // Jobs of 4 MiB instead of the default 32 (4 windows): a few jobs are in
  // flight per worker, and this keeps all of them near 40 MiB. The output
  // depends on the job size, so it is fixed here, never tuned per machine.
  ZSTD_CCtx_setParameter(impl->cctx, ZSTD_c_jobSize, kZstdJobSize);
  impl->out = out;
  impl->buf.resize(ZSTD_CStreamOutSize());
  return std::unique_ptr<ZstdCompressSink>(
      new ZstdCompressSink(std::move(impl)));
}

Status ZstdCompressSink::Write(ByteSpan data) {
  ZSTD_inBuffer in{data.data(), data.size(), 0};
  return impl_->Drain(&in, ZSTD_e_continue);
}

Status ZstdCompressSink::Finish() {
  if (impl_->finished) return Status(Code::kInternal, "zstd: finished twice");
  impl_->finished = true;
  ZSTD_inBuffer in{nullptr, 0, 0};
  return impl_->Drain(&in, ZSTD_e_end);
}

struct ZstdDecompressSource::Impl {
  ZSTD_DCtx* dctx = nullptr;
  Source* in = nullptr;
  Bytes inbuf;
  ZSTD_inBuffer input{nullptr, 0, 0};
  bool eof = false;
  bool frame_done = true;  // no frame open yet
  bool one_done = false;   // a frame has ended
  std::uint64_t produced = 0, max_output = 0;
  Status status;
  ~Impl() {
    if (dctx != nullptr) ZSTD_freeDCtx(dctx);
  }
};

ZstdDecompressSource::ZstdDecompressSource(std::unique_ptr<Impl> impl)
    : impl_(std::move(impl)) {}
ZstdDecompressSource::~ZstdDecompressSource() = default;
std::uint64_t ZstdDecompressSource::produced() const { return impl_->produced; }

Result<std::unique_ptr<ZstdDecompressSource>> ZstdDecompressSource::Create(
    Source* in, std::uint64_t max_output) {
  auto impl = std::make_unique<Impl>();
  impl->dctx = ZSTD_createDCtx();
  if (impl->dctx == nullptr)
    return Status(Code::kOutOfMemory, "zstd: no memory");
  ZSTD_DCtx_setParameter(impl->dctx, ZSTD_d_windowLogMax, kZstdWindowLog);
  impl->in = in;
  impl->inbuf.resize(ZSTD_DStreamInSize() * 8);
  impl->max_output = max_output;
  return std::unique_ptr<ZstdDecompressSource>(
      new ZstdDecompressSource(std::move(impl)));
}

Result<std::size_t> ZstdDecompressSource::Read(MutableByteSpan buf) {
  Impl& d = *impl_;
  if (!d.status.ok()) return d.status;
  for (;;) {
    if (d.input.pos == d.input.size && !d.eof) {
      XJ_ASSIGN_OR_RETURN(std::size_t n, d.in->Read(d.inbuf));
      if (n == 0) d.eof = true;
      d.input = {d.inbuf.data(), n, 0};
    }
    if (d.one_done && d.input.pos < d.input.size) {
      // The payload is one frame: nothing, not even a skippable frame,
      // follows it.
      d.status = Status(Code::kTrailingData,
                        "the compressed payload goes on after its one zstd "
                        "frame");
      return d.status;
    }
    if (d.input.pos == d.input.size && d.eof) {
      if (!d.frame_done) {
        d.status = Status(Code::kTruncated,
                          "the compressed payload ends inside a frame");
        return d.status;
      }
      return std::size_t{0};
    }
    ZSTD_outBuffer out{buf.data(), buf.size(), 0};
    std::size_t rc = ZSTD_decompressStream(d.dctx, &out, &d.input);
    if (ZSTD_isError(rc)) {
      d.status =
          d.produced == 0 && ZSTD_getErrorCode(rc) == ZSTD_error_prefix_unknown
              ? Status(Code::kMalformed,
                       "the payload is not zstd-compressed: it does not begin "
                       "with a zstd frame")
              : Error(Code::kMalformed, "the compressed payload is damaged: {}",
                      ZSTD_getErrorName(rc));
      return d.status;
    }
    d.frame_done = rc == 0;
    if (d.frame_done) d.one_done = true;
    d.produced += out.pos;
    if (d.produced > d.max_output) {
      d.status =
          Error(Code::kRejected,
                "the payload decompresses to more than {} bytes, more than "
                "its signed size allows (a decompression bomb?)",
                d.max_output);
      return d.status;
    }
    if (out.pos > 0) return out.pos;
  }
}

}  // namespace xj::pack
