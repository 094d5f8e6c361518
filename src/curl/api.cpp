#include "curl/api.h"

#include <dlfcn.h>

#include <mutex>

namespace tt::curl {

namespace {

struct Loaded {
  Api api{};
  bool ok = false;
  std::string error;
};

template <typename F>
bool resolve(void* lib, const char* name, F& out, std::string& error) {
  out = reinterpret_cast<F>(dlsym(lib, name));
  if (!out && error.empty()) error = std::string("libcurl.so.4 has no ") + name;
  return out != nullptr;
}

const Loaded& loaded() {
  static Loaded l;
  static std::once_flag once;
  std::call_once(once, [] {
    void* lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
      const char* why = dlerror();
      l.error = why ? why : "libcurl.so.4 could not be loaded";
      return;
    }
    CURLcode (*global_init)(long) = nullptr;
    Api& a = l.api;
    bool ok = resolve(lib, "curl_global_init", global_init, l.error);
    ok &= resolve(lib, "curl_version_info", a.version_info, l.error);
    ok &= resolve(lib, "curl_easy_init", a.easy_init, l.error);
    ok &= resolve(lib, "curl_easy_cleanup", a.easy_cleanup, l.error);
    ok &= resolve(lib, "curl_easy_setopt", a.easy_setopt, l.error);
    ok &= resolve(lib, "curl_easy_getinfo", a.easy_getinfo, l.error);
    ok &= resolve(lib, "curl_easy_strerror", a.easy_strerror, l.error);
    ok &= resolve(lib, "curl_slist_append", a.slist_append, l.error);
    ok &= resolve(lib, "curl_slist_free_all", a.slist_free_all, l.error);
    ok &= resolve(lib, "curl_multi_init", a.multi_init, l.error);
    ok &= resolve(lib, "curl_multi_cleanup", a.multi_cleanup, l.error);
    ok &= resolve(lib, "curl_multi_setopt", a.multi_setopt, l.error);
    ok &= resolve(lib, "curl_multi_add_handle", a.multi_add_handle, l.error);
    ok &= resolve(lib, "curl_multi_remove_handle", a.multi_remove_handle, l.error);
    ok &= resolve(lib, "curl_multi_assign", a.multi_assign, l.error);
    ok &= resolve(lib, "curl_multi_socket_action", a.multi_socket_action, l.error);
    ok &= resolve(lib, "curl_multi_info_read", a.multi_info_read, l.error);
    if (!ok) return;
    if (global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
      l.error = "curl_global_init failed";
      return;
    }
    l.ok = true;  // the library stays loaded for the life of the process
  });
  return l;
}

}  // namespace

const Api* api() {
  const auto& l = loaded();
  return l.ok ? &l.api : nullptr;
}

const std::string& load_error() { return loaded().error; }

}  // namespace tt::curl
