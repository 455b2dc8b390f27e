// GNU libmicrohttpd, loaded with dlopen when daemon.http is configured instead of linked:
// linking it maps GnuTLS, p11-kit and nettle into every supd and runs their constructors,
// ~0.85 MiB of PSS measured on Debian 12 — more than a quarter of supd's memory target at
// 100 children (bench/RESULTS.md, issue 16) for a feature most trees leave off.
#pragma once

#include <microhttpd.h>

#include <string>

namespace supd::io::mhd {

/// The libmicrohttpd functions supd calls.
struct Api {
  decltype(&MHD_start_daemon) start_daemon;
  decltype(&MHD_stop_daemon) stop_daemon;
  decltype(&MHD_run) run;
  decltype(&MHD_get_timeout) get_timeout;
  decltype(&MHD_get_daemon_info) get_daemon_info;
  decltype(&MHD_create_response_from_buffer) create_response_from_buffer;
  decltype(&MHD_create_response_from_callback) create_response_from_callback;
  decltype(&MHD_add_response_header) add_response_header;
  decltype(&MHD_queue_response) queue_response;
  decltype(&MHD_destroy_response) destroy_response;
  decltype(&MHD_suspend_connection) suspend_connection;
  decltype(&MHD_resume_connection) resume_connection;
  decltype(&MHD_lookup_connection_value) lookup_connection_value;
};

/// Loads the library once (later calls return the same table). nullptr, with the reason
/// and what to install in *error, when it or one of its functions is missing.
const Api* Load(std::string* error);

/// The table Load() returned; only valid after a successful Load().
const Api& Fn();

}  // namespace supd::io::mhd
