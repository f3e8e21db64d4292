// sigonstack.c: linked into every libFuzzer binary by
// scripts/fuzz-libfuzzer.sh, as OSS-Fuzz's base image links its
// gosigfuzz.o into every Go fuzzer (compile_libfuzzer adds it to
// LIB_FUZZING_ENGINE when FUZZING_LANGUAGE is go).
//
// Why: libFuzzer installs its SIGALRM handler (the -timeout check, every
// timeout/2+1 seconds) without SA_ONSTACK, so the kernel pushes the signal
// frame, several KB with AVX-512 state, onto whatever stack the thread is
// on. That is mostly a goroutine stack, which is small and has no guard
// page: near its end, the frame overwrites what lies below it (another
// goroutine's stack, or heap objects), and the garbage collector later
// dies on the damage ("found pointer to free object").
// golang/go#49075 tells the story; llvm/llvm-project#147422 made libFuzzer
// always use SA_ONSTACK and was reverted (#153114).
//
// libFuzzer calls LLVMFuzzerInitialize first thing in FuzzerDriver, before
// it installs any handler, and its SetSigaction keeps the SA_ONSTACK flag
// of the disposition it replaces (compiler-rt/lib/fuzzer/
// FuzzerUtilPosix.cpp). So setting the flag on the default dispositions
// here makes libFuzzer's handlers run on the signal stack the Go runtime
// gives every thread that runs Go code.
//
// Only signals the Go runtime leaves alone in a c-archive are touched:
// it installs its own handlers (already SA_ONSTACK) for SIGSEGV, SIGBUS,
// SIGFPE, SIGPIPE and SIGURG, possibly while this runs, in the runtime's
// init thread.
#include <signal.h>
#include <stddef.h>

static const int libfuzzer_signals[] = {
    SIGALRM, SIGABRT, SIGILL, SIGINT, SIGTERM, SIGXFSZ, SIGUSR1, SIGUSR2,
};

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  for (size_t i = 0; i < sizeof libfuzzer_signals / sizeof libfuzzer_signals[0]; i++) {
    struct sigaction sa;
    if (sigaction(libfuzzer_signals[i], NULL, &sa) == 0) {
      sa.sa_flags |= SA_ONSTACK;
      sigaction(libfuzzer_signals[i], &sa, NULL);
    }
  }
  return 0;
}
