// Owning wrapper for a heap-allocated libuv handle: the one place that calls uv_close.
// The handle memory is freed in the close callback, so it never lives in a reallocating
// container and is valid until libuv is done with it.
#pragma once

#include <uv.h>

#include <utility>

namespace supd::io {

template <typename T>
class UvHandle {
 public:
  UvHandle() = default;
  ~UvHandle() { Reset(); }
  UvHandle(const UvHandle&) = delete;
  UvHandle& operator=(const UvHandle&) = delete;
  UvHandle(UvHandle&& other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
  UvHandle& operator=(UvHandle&& other) noexcept {
    if (this != &other) {
      Reset();
      handle_ = std::exchange(other.handle_, nullptr);
    }
    return *this;
  }

  /// Allocates the handle and runs `init(T*)` (e.g. uv_timer_init). On failure (negative
  /// return) the memory is freed without uv_close, as libuv requires. Returns init's result.
  template <typename InitFn>
  int Init(InitFn&& init, void* data) {
    Reset();
    T* h = new T{};
    int rc = init(h);
    if (rc < 0) {
      delete h;
      return rc;
    }
    h->data = data;
    handle_ = h;
    return 0;
  }

  /// Closes the handle (its callbacks never run again); the memory goes in the close cb.
  void Reset() {
    if (handle_ == nullptr) return;
    T* h = std::exchange(handle_, nullptr);
    h->data = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(h),
             [](uv_handle_t* raw) { delete reinterpret_cast<T*>(raw); });
  }

  T* get() const { return handle_; }
  explicit operator bool() const { return handle_ != nullptr; }

 private:
  T* handle_ = nullptr;
};

}  // namespace supd::io
