// The messages between `mmsim host`/`diff`/`fuzz-diff` (the controller) and the task servers
// (sim/scenario/host_server.cc): one real process per scenario task, driven over a stream
// socket. Plain structs of fixed size; both ends are built from this header.
#ifndef MMSIM_SCENARIO_HOST_PROTOCOL_H_
#define MMSIM_SCENARIO_HOST_PROTOCOL_H_

#include <cstdint>

namespace mmsim::scenario::host_protocol {

// The socket a server reads its requests from.
inline constexpr int kServerFd = 100;

enum Op : uint32_t {
  kSyscall = 1,  // syscall(nr, a[0..5]); str is passed as a[str_arg] when str_arg >= 0
  kTouch,        // one access per page of [a[0], a[0]+a[1]); a[2] = 1 for a write
  kFork,         // fork; the child serves the socket passed with the request (SCM_RIGHTS)
  kExit,         // reply, then _exit(a[0])
  kDrain,        // drain this CPU's folio batches (munlock + MADV_COLD of a scratch page)
  kSetup,        // pin to CPU a[0]; RLIMIT_MEMLOCK a[1]/a[2] when a[3]; drop caps mask a[4]
  kCapset,       // drop mask a[0] (effective and permitted), raise mask a[1] (effective)
  kGetrlimit,    // resource a[0]: ret = 0 and value[0..1] = cur, max
  kSetrlimit,    // resource a[0], cur a[1], max a[2]
};

// The most bytes a call may write to the reply's buffer (kSyscall with out_arg).
inline constexpr int kOutBytes = 16;

struct Request {
  uint32_t op = 0;
  int32_t str_arg = -1;
  // kSyscall: a[out_arg] is the server's buffer of kOutBytes, returned in Reply::out
  // (mincore's vector) when out_arg >= 0.
  int32_t out_arg = -1;
  uint64_t nr = 0;
  uint64_t a[6] = {};
  char str[256] = {};
};

struct Reply {
  int64_t ret = 0;  // the raw return value, -errno on failure
  uint64_t value[2] = {};
  uint8_t out[kOutBytes] = {};  // see Request::out_arg
};

}  // namespace mmsim::scenario::host_protocol

#endif  // MMSIM_SCENARIO_HOST_PROTOCOL_H_
