// Built only under ThreadSanitizer. librdkafka makes its threads, locks and condition variables
// with C11 <threads.h>, which glibc implements by calling its pthread functions internally, where
// GCC 12's TSan cannot intercept them: librdkafka's threads then run unknown to TSan and crash
// in its allocator on their first malloc (seen with the mock cluster), and its locks order
// nothing for TSan. These definitions take the place of glibc's for the whole process and go
// through the pthread functions TSan does intercept. (GCC's libtsan has no thrd_* interceptors:
// https://github.com/llvm/llvm-project/issues/58330 for the LLVM side.)
#include <cerrno>
#include <cstdint>
#include <new>
#include <pthread.h>
#include <threads.h>

namespace {

struct ThreadStart {
  thrd_start_t function;
  void* argument;
};

void* run_c11_thread(void* start) {
  const ThreadStart copy = *static_cast<ThreadStart*>(start);
  delete static_cast<ThreadStart*>(start);
  return reinterpret_cast<void*>(static_cast<intptr_t>(copy.function(copy.argument)));
}

int c11_result(int pthread_error) {
  switch (pthread_error) {
    case 0:
      return thrd_success;
    case EBUSY:
      return thrd_busy;
    case ETIMEDOUT:
      return thrd_timedout;
    case ENOMEM:
      return thrd_nomem;
    default:
      return thrd_error;
  }
}

pthread_mutex_t* native(mtx_t* mutex) { return reinterpret_cast<pthread_mutex_t*>(mutex); }
pthread_cond_t* native(cnd_t* condition) { return reinterpret_cast<pthread_cond_t*>(condition); }

static_assert(sizeof(mtx_t) == sizeof(pthread_mutex_t) && sizeof(cnd_t) == sizeof(pthread_cond_t));

}  // namespace

extern "C" {

int thrd_create(thrd_t* thread, thrd_start_t function, void* argument) {
  auto* start = new (std::nothrow) ThreadStart{function, argument};
  if (start == nullptr) return thrd_nomem;
  const int error = pthread_create(thread, nullptr, run_c11_thread, start);
  if (error != 0) delete start;
  return c11_result(error);
}

int thrd_join(thrd_t thread, int* result) {
  void* value = nullptr;
  const int error = pthread_join(thread, &value);
  if (error == 0 && result != nullptr) {
    *result = static_cast<int>(reinterpret_cast<intptr_t>(value));
  }
  return c11_result(error);
}

int mtx_init(mtx_t* mutex, int type) {
  pthread_mutexattr_t attributes;
  pthread_mutexattr_init(&attributes);
  if ((type & mtx_recursive) != 0) {
    pthread_mutexattr_settype(&attributes, PTHREAD_MUTEX_RECURSIVE);
  }
  const int error = pthread_mutex_init(native(mutex), &attributes);
  pthread_mutexattr_destroy(&attributes);
  return c11_result(error);
}
int mtx_lock(mtx_t* mutex) { return c11_result(pthread_mutex_lock(native(mutex))); }
int mtx_trylock(mtx_t* mutex) { return c11_result(pthread_mutex_trylock(native(mutex))); }
int mtx_unlock(mtx_t* mutex) { return c11_result(pthread_mutex_unlock(native(mutex))); }
void mtx_destroy(mtx_t* mutex) { pthread_mutex_destroy(native(mutex)); }

int cnd_init(cnd_t* condition) { return c11_result(pthread_cond_init(native(condition), nullptr)); }
int cnd_signal(cnd_t* condition) { return c11_result(pthread_cond_signal(native(condition))); }
int cnd_broadcast(cnd_t* condition) {
  return c11_result(pthread_cond_broadcast(native(condition)));
}
int cnd_wait(cnd_t* condition, mtx_t* mutex) {
  return c11_result(pthread_cond_wait(native(condition), native(mutex)));
}
int cnd_timedwait(cnd_t* __restrict condition, mtx_t* __restrict mutex,
                  const struct timespec* __restrict deadline) {
  return c11_result(pthread_cond_timedwait(native(condition), native(mutex), deadline));
}
void cnd_destroy(cnd_t* condition) { pthread_cond_destroy(native(condition)); }

void call_once(once_flag* flag, void (*function)()) {
  pthread_once(reinterpret_cast<pthread_once_t*>(flag), function);
}

}  // extern "C"
