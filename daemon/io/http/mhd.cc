#include "daemon/io/http/mhd.h"

#include <dlfcn.h>

#include <cassert>

namespace supd::io::mhd {
namespace {

Api g_api{};
bool g_loaded = false;

template <typename F>
bool Sym(void* lib, const char* name, F* out, std::string* error) {
  *out = reinterpret_cast<F>(dlsym(lib, name));
  if (*out == nullptr) *error = std::string(SUPD_MHD_SONAME) + " has no " + name;
  return *out != nullptr;
}

}  // namespace

const Api* Load(std::string* error) {
  if (g_loaded) return &g_api;
  // Kept loaded for the life of the process (callbacks may still be pending at exit).
  void* lib = dlopen(SUPD_MHD_SONAME, RTLD_NOW | RTLD_LOCAL);
  if (lib == nullptr) {
    const char* why = dlerror();
    *error = std::string("cannot load ") + SUPD_MHD_SONAME + " (" + (why ? why : "?") +
             "); daemon.http needs GNU libmicrohttpd: apt-get install libmicrohttpd12";
    return nullptr;
  }
  Api a{};
  bool ok = Sym(lib, "MHD_start_daemon", &a.start_daemon, error) &&
            Sym(lib, "MHD_stop_daemon", &a.stop_daemon, error) &&
            Sym(lib, "MHD_run", &a.run, error) &&
            Sym(lib, "MHD_get_timeout", &a.get_timeout, error) &&
            Sym(lib, "MHD_get_daemon_info", &a.get_daemon_info, error) &&
            Sym(lib, "MHD_create_response_from_buffer", &a.create_response_from_buffer, error) &&
            Sym(lib, "MHD_create_response_from_callback", &a.create_response_from_callback,
                error) &&
            Sym(lib, "MHD_add_response_header", &a.add_response_header, error) &&
            Sym(lib, "MHD_queue_response", &a.queue_response, error) &&
            Sym(lib, "MHD_destroy_response", &a.destroy_response, error) &&
            Sym(lib, "MHD_suspend_connection", &a.suspend_connection, error) &&
            Sym(lib, "MHD_resume_connection", &a.resume_connection, error) &&
            Sym(lib, "MHD_lookup_connection_value", &a.lookup_connection_value, error);
  if (!ok) {
    dlclose(lib);
    return nullptr;
  }
  g_api = a;
  g_loaded = true;
  return &g_api;
}

const Api& Fn() {
  assert(g_loaded);
  return g_api;
}

}  // namespace supd::io::mhd
