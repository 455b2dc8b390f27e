#error "daemon/core is pure: no libuv here (DESIGN.md). Put effects in daemon/io."
