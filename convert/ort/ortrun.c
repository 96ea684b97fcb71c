/* ortrun: runs an ONNX model once with ONNX Runtime's C API, for checking golden data.
 *
 *   gcc -O1 ortrun.c -o ortrun -ldl
 *   ortrun LIBONNXRUNTIME MODEL.onnx IN.bin OUT.bin
 *
 * Needs no ORT headers: OrtApi is a table of function pointers that only ever grows at the
 * end, so the slots used here (indices from onnxruntime_c_api.h, API version 29) stay valid;
 * GetApi(29) is served by ORT 1.29 and later (1.31 serves 1..31). IN.bin/OUT.bin hold tensor records (see
 * ort_runner.py): u32 count, then per tensor u32 name_len, name, u32 ONNX element type,
 * u32 rank, i64 dims[rank], u64 nbytes, data. OUT.bin holds every model output. */
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void* St; /* OrtStatus*: NULL on success */
typedef struct { void* (*GetApi)(uint32_t); const char* (*GetVersionString)(void); } OrtApiBase;

enum { /* OrtApi slots */
  GetErrorMessage = 2, CreateEnv = 3, CreateSession = 7, Run = 9, CreateSessionOptions = 10,
  SetIntraOpNumThreads = 24, SessionGetOutputCount = 31, SessionGetOutputName = 37,
  CreateTensorWithDataAsOrtValue = 49, GetTensorMutableData = 51, GetTensorElementType = 60,
  GetDimensionsCount = 61, GetDimensions = 62, GetTensorShapeElementCount = 64,
  GetTensorTypeAndShape = 65, CreateCpuMemoryInfo = 69, GetAllocatorWithDefaultOptions = 78,
};
static void** api;
#define FN(slot, type) ((type)api[slot])
static void check(St s, const char* what) {
  if (!s) return;
  fprintf(stderr, "ortrun: %s failed: %s\n", what, FN(GetErrorMessage, const char* (*)(St))(s));
  exit(1);
}
static size_t element_size(uint32_t t) {
  switch (t) {
    case 1: case 6: case 12: return 4;         /* float, int32, uint32 */
    case 7: case 11: case 13: return 8;        /* int64, double, uint64 */
    case 2: case 3: case 9: return 1;          /* uint8, int8, bool */
    case 4: case 5: case 10: return 2;         /* uint16, int16, float16 */
  }
  fprintf(stderr, "ortrun: element type %u is not supported\n", t);
  exit(1);
}
static void read_exact(void* p, size_t n, FILE* f) {
  if (n && fread(p, 1, n, f) != n) { fprintf(stderr, "ortrun: input file is truncated\n"); exit(1); }
}

int main(int argc, char** argv) {
  if (argc != 5) { fprintf(stderr, "usage: ortrun LIBONNXRUNTIME MODEL.onnx IN.bin OUT.bin\n"); return 2; }
  void* lib = dlopen(argv[1], RTLD_NOW);
  if (!lib) { fprintf(stderr, "ortrun: %s\n", dlerror()); return 1; }
  const OrtApiBase* (*get_base)(void) = (const OrtApiBase* (*)(void))dlsym(lib, "OrtGetApiBase");
  if (!get_base || !(api = (void**)get_base()->GetApi(29))) { fprintf(stderr, "ortrun: GetApi(29) failed\n"); return 1; }

  void *env, *options, *session, *memory, *allocator;
  check(FN(CreateEnv, St (*)(int, const char*, void**))(2 /* warning */, "ortrun", &env), "CreateEnv");
  check(FN(CreateSessionOptions, St (*)(void**))(&options), "CreateSessionOptions");
  check(FN(SetIntraOpNumThreads, St (*)(void*, int))(options, 1), "SetIntraOpNumThreads");
  check(FN(CreateSession, St (*)(void*, const char*, void*, void**))(env, argv[2], options, &session), "CreateSession");
  check(FN(CreateCpuMemoryInfo, St (*)(int, int, void**))(1 /* arena */, 0 /* default */, &memory), "CreateCpuMemoryInfo");

  FILE* in = fopen(argv[3], "rb");
  if (!in) { perror(argv[3]); return 1; }
  uint32_t n;
  read_exact(&n, 4, in);
  if (n > 64) { fprintf(stderr, "ortrun: %u inputs is too many\n", n); return 1; }
  char* names[64]; void* values[64];
  for (uint32_t i = 0; i < n; i++) {
    uint32_t len, type, rank; uint64_t nbytes; int64_t dims[16];
    read_exact(&len, 4, in); names[i] = calloc(len + 1, 1); read_exact(names[i], len, in);
    read_exact(&type, 4, in); read_exact(&rank, 4, in);
    if (rank > 16) { fprintf(stderr, "ortrun: rank %u is too large\n", rank); return 1; }
    read_exact(dims, 8 * rank, in); read_exact(&nbytes, 8, in);
    void* data = malloc(nbytes ? nbytes : 1); read_exact(data, nbytes, in);
    check(FN(CreateTensorWithDataAsOrtValue, St (*)(void*, void*, size_t, const int64_t*, size_t, int, void**))(
              memory, data, nbytes, dims, rank, (int)type, &values[i]), names[i]);
  }
  fclose(in);

  size_t nout;
  check(FN(SessionGetOutputCount, St (*)(void*, size_t*))(session, &nout), "SessionGetOutputCount");
  if (nout > 64) { fprintf(stderr, "ortrun: too many outputs\n"); return 1; }
  check(FN(GetAllocatorWithDefaultOptions, St (*)(void**))(&allocator), "GetAllocatorWithDefaultOptions");
  char* out_names[64]; void* outputs[64] = {0};
  for (size_t i = 0; i < nout; i++)
    check(FN(SessionGetOutputName, St (*)(void*, size_t, void*, char**))(session, i, allocator, &out_names[i]), "SessionGetOutputName");
  check(FN(Run, St (*)(void*, void*, char**, void**, size_t, char**, size_t, void**))(
            session, NULL, names, values, n, out_names, nout, outputs), "Run");

  FILE* out = fopen(argv[4], "wb");
  if (!out) { perror(argv[4]); return 1; }
  uint32_t count = (uint32_t)nout;
  fwrite(&count, 4, 1, out);
  for (size_t i = 0; i < nout; i++) {
    void *info, *data; int type; size_t rank, elements; int64_t dims[16];
    check(FN(GetTensorTypeAndShape, St (*)(void*, void**))(outputs[i], &info), "GetTensorTypeAndShape");
    check(FN(GetTensorElementType, St (*)(void*, int*))(info, &type), "GetTensorElementType");
    check(FN(GetDimensionsCount, St (*)(void*, size_t*))(info, &rank), "GetDimensionsCount");
    if (rank > 16) { fprintf(stderr, "ortrun: output rank too large\n"); return 1; }
    check(FN(GetDimensions, St (*)(void*, int64_t*, size_t))(info, dims, rank), "GetDimensions");
    check(FN(GetTensorShapeElementCount, St (*)(void*, size_t*))(info, &elements), "GetTensorShapeElementCount");
    check(FN(GetTensorMutableData, St (*)(void*, void**))(outputs[i], &data), "GetTensorMutableData");
    uint32_t len = (uint32_t)strlen(out_names[i]), t = (uint32_t)type, r = (uint32_t)rank;
    uint64_t nbytes = elements * element_size(t);
    fwrite(&len, 4, 1, out); fwrite(out_names[i], 1, len, out); fwrite(&t, 4, 1, out); fwrite(&r, 4, 1, out);
    fwrite(dims, 8, rank, out); fwrite(&nbytes, 8, 1, out); fwrite(data, 1, nbytes, out);
  }
  fclose(out);
  return 0; /* the process exits: ORT objects are not released one by one */
}
