/**
 * Turns ONNX Runtime's telemetry off for this process, before any ORT environment exists.
 * A process setting, so the entry points own it, not the engine: the CLI (src/cli/main.ts)
 * and the service (src/service/index.ts) import this first, on the main thread, before
 * anything loads onnxruntime-node or starts engine threads (worker threads get their own copy
 * of `process.env`, but the native getenv reads the process's environment, which only the
 * main thread's assignment changes). Embedders of the engine set ORT_DISABLE_TELEMETRY=1 too.
 *
 * Why, as reported upstream-style:
 *
 *   onnxruntime-node 1.30.0 (linux-x64, CPU): SIGSEGV in the first InferenceSession.create/run
 *   when the process command line totals about 29 KB or more.
 *
 *   Repro (no other code): `node repro.mjs $(python3 -c "print('x'*29000)")` where repro.mjs
 *   creates a session on any model and runs it → exit 139. 28,000 bytes work; the same bytes
 *   in an environment variable work; `ulimit -s 65536` (a bigger main-thread stack) works.
 *   Stack (gdb): OrtSingletonData::OrtObjects::OrtObjects → Ort::Env creation →
 *   ~86,800 frames of a three-function recursion inside libonnxruntime.so.1, i.e. a stack
 *   overflow whose depth grows with the input. The library's new POSIX telemetry
 *   (core/platform/posix/telemetry.cc) reads /proc/self/cmdline at Env creation; with
 *   ORT_DISABLE_TELEMETRY=1 the same command line runs fine, with ORT_DISABLE_TELEMETRY=0 it
 *   crashes. Expected: argv of any length is harmless (and a library collects no command
 *   line, which may hold file names and personal data, without being asked).
 *
 * So: telemetry off always. It also keeps the promise that nothing leaves the machine.
 */
process.env.ORT_DISABLE_TELEMETRY = '1';

