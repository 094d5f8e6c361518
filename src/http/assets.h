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
  std::size_t raw_size;
  const char* etag;              // quoted
};

std::span<const EmbeddedAsset> embedded_assets();

// Serves the UI file for ctx's path ("/" and unknown extension-less paths get index.html).
// web_dir empty: the embedded files. Returns false when there is nothing to serve.
bool serve_asset(Context& ctx, const std::string& web_dir);

}  // namespace tt::http
