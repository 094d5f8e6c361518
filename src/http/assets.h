// http/assets.h — the web UI compiled into the binary (see cmake/embed_web.cmake), or served
// from a directory with --web-dir while developing it.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace tt::http {

class Context;

struct EmbeddedAsset {
  const char* path;              // "/index.html"
  const unsigned char* gzipped;  // gzip -9n of the file
  std::size_t gzipped_size;
  const unsigned char* brotli;  // brotli -q 11 of the file; null when the build had no brotli
  std::size_t brotli_size;
  std::size_t raw_size;
  const char* hash;  // of the raw content; each encoding's ETag adds a suffix
};

std::span<const EmbeddedAsset> embedded_assets();

// Serves the UI file for ctx's path ("/" and unknown extension-less paths get index.html).
// web_dir empty: the embedded files, precompressed (brotli or gzip, as the client accepts) with a
// strong ETag per encoding. Files under /assets/ carry a content hash in their names and are
// cached for a year; everything else is revalidated. With a base path (http/base_path.h),
// index.html is rewritten for it and sent uncompressed (it is under a kilobyte). Returns false
// when there is nothing to serve.
bool serve_asset(Context& ctx, const std::string& web_dir, const std::string& base_path = {});

}  // namespace tt::http
