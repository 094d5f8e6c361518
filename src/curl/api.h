// curl/api.h — libcurl, loaded when first needed (dlopen of libcurl.so.4) rather than at
// start: its TLS, Kerberos, LDAP, SSH and IDN libraries hold about 4 MB of resident memory that a
// server with no HTTP checks and no notification channel never uses. The functions keep libcurl's
// names without the `curl_` prefix (curl::easy_setopt for curl_easy_setopt) and behave the same;
// when libcurl cannot be loaded, the constructors return nullptr and the rest do nothing, and
// load_error() says why. Thread-safe.
#pragma once

#include <curl/curl.h>

#include <string>

namespace tt::curl {

// libcurl's functions, resolved once (curl_global_init has run). nullptr when it is missing.
struct Api {
  curl_version_info_data* (*version_info)(CURLversion);
  CURL* (*easy_init)();
  void (*easy_cleanup)(CURL*);
  CURLcode (*easy_setopt)(CURL*, CURLoption, ...);
  CURLcode (*easy_getinfo)(CURL*, CURLINFO, ...);
  const char* (*easy_strerror)(CURLcode);
  curl_slist* (*slist_append)(curl_slist*, const char*);
  void (*slist_free_all)(curl_slist*);
  CURLM* (*multi_init)();
  CURLMcode (*multi_cleanup)(CURLM*);
  CURLMcode (*multi_setopt)(CURLM*, CURLMoption, ...);
  CURLMcode (*multi_add_handle)(CURLM*, CURL*);
  CURLMcode (*multi_remove_handle)(CURLM*, CURL*);
  CURLMcode (*multi_assign)(CURLM*, curl_socket_t, void*);
  CURLMcode (*multi_socket_action)(CURLM*, curl_socket_t, int, int*);
  CURLMsg* (*multi_info_read)(CURLM*, int*);
};
const Api* api();
// Why api() is nullptr ("libcurl.so.4: cannot open shared object file ..."); empty otherwise.
const std::string& load_error();

inline CURL* easy_init() { return api() ? api()->easy_init() : nullptr; }
inline void easy_cleanup(CURL* e) {
  if (api()) api()->easy_cleanup(e);
}
// The value is passed with its own type through libcurl's variadic call, as curl_easy_setopt
// takes it: callers pass long, pointers, function pointers or curl_off_t, as libcurl requires.
template <typename T>
CURLcode easy_setopt(CURL* e, CURLoption o, T value) {
  return api() ? api()->easy_setopt(e, o, value) : CURLE_FAILED_INIT;
}
template <typename T>
CURLcode easy_getinfo(CURL* e, CURLINFO i, T* out) {
  return api() ? api()->easy_getinfo(e, i, out) : CURLE_FAILED_INIT;
}
inline const char* easy_strerror(CURLcode c) {
  return api() ? api()->easy_strerror(c) : "libcurl is not loaded";
}
inline curl_slist* slist_append(curl_slist* l, const char* s) {
  return api() ? api()->slist_append(l, s) : nullptr;
}
inline void slist_free_all(curl_slist* l) {
  if (api()) api()->slist_free_all(l);
}
inline CURLM* multi_init() { return api() ? api()->multi_init() : nullptr; }
inline CURLMcode multi_cleanup(CURLM* m) {
  return api() ? api()->multi_cleanup(m) : CURLM_BAD_HANDLE;
}
template <typename T>
CURLMcode multi_setopt(CURLM* m, CURLMoption o, T value) {
  return api() ? api()->multi_setopt(m, o, value) : CURLM_BAD_HANDLE;
}
inline CURLMcode multi_add_handle(CURLM* m, CURL* e) {
  return api() ? api()->multi_add_handle(m, e) : CURLM_BAD_HANDLE;
}
inline CURLMcode multi_remove_handle(CURLM* m, CURL* e) {
  return api() ? api()->multi_remove_handle(m, e) : CURLM_BAD_HANDLE;
}
inline CURLMcode multi_assign(CURLM* m, curl_socket_t s, void* p) {
  return api() ? api()->multi_assign(m, s, p) : CURLM_BAD_HANDLE;
}
inline CURLMcode multi_socket_action(CURLM* m, curl_socket_t s, int ev, int* running) {
  return api() ? api()->multi_socket_action(m, s, ev, running) : CURLM_BAD_HANDLE;
}
inline CURLMsg* multi_info_read(CURLM* m, int* left) {
  return api() ? api()->multi_info_read(m, left) : nullptr;
}
inline curl_version_info_data* version_info() {
  return api() ? api()->version_info(CURLVERSION_NOW) : nullptr;
}

}  // namespace tt::curl
