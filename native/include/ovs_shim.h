/*
 * ovs_shim.h: the C ABI of libovs_openvino_shim, a thin layer over OpenVINO's C++ API
 * (2025.x/2026.x) that OvStateful's .NET engine calls through P/Invoke.
 *
 * Rules every function follows:
 *  - returns an ovs_status (0 = OVS_OK); on failure a message is kept in a thread-local
 *    buffer that ovs_last_error() returns (valid until the next failing call on that thread);
 *  - never lets a C++ exception out;
 *  - handles are opaque, owned by the caller, freed with the matching ovs_*_free (NULL is a no-op);
 *  - element types are ovs_element codes (the numbering of OvStateful.Core's DataType);
 *  - shapes are int64 arrays; -1 marks a dynamic dimension; a rank of -1 a dynamic rank;
 *  - strings returned into a caller's buffer follow one pattern: (buf, cap, *needed), *needed =
 *    length + 1, OVS_BUFFER_TOO_SMALL (nothing written) when cap < *needed.
 *
 * Bump OVS_SHIM_ABI_VERSION whenever a signature or a meaning below changes; the .NET side
 * refuses a shim whose ovs_abi_version() differs from the one it was written for.
 */
#ifndef OVS_SHIM_H
#define OVS_SHIM_H

#include <stddef.h>
#include <stdint.h>

#define OVS_SHIM_ABI_VERSION 2

#if defined(_WIN32)
#define OVS_API __declspec(dllexport)
#else
#define OVS_API __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ovs_status {
    OVS_OK = 0,
    OVS_INVALID_ARGUMENT = 1,  /* a NULL handle, bad index, unknown element code, ... */
    OVS_NOT_FOUND = 2,         /* a named tensor or state does not exist */
    OVS_BUFFER_TOO_SMALL = 3,  /* the caller's buffer cannot hold the result */
    OVS_OPENVINO_ERROR = 4,    /* ov::Exception thrown by OpenVINO */
    OVS_OUT_OF_MEMORY = 5,     /* std::bad_alloc */
    OVS_UNEXPECTED = 6         /* any other exception */
} ovs_status;

/* Same numbers as OvStateful.Core.Tensors.DataType. */
typedef enum ovs_element {
    OVS_ELEM_UNSUPPORTED = 0,
    OVS_ELEM_BOOL = 1,
    OVS_ELEM_U8 = 2,
    OVS_ELEM_U16 = 3,
    OVS_ELEM_U32 = 4,
    OVS_ELEM_U64 = 5,
    OVS_ELEM_I8 = 6,
    OVS_ELEM_I16 = 7,
    OVS_ELEM_I32 = 8,
    OVS_ELEM_I64 = 9,
    OVS_ELEM_F16 = 10,
    OVS_ELEM_F32 = 11,
    OVS_ELEM_F64 = 12,
    OVS_ELEM_BF16 = 13
} ovs_element;

/* Where a variable's value after reset() comes from (ovs_model_variable_initial). */
typedef enum ovs_initial {
    OVS_INITIAL_ZEROS = 0,     /* ReadValue without an initializer: zeros of the variable's shape */
    OVS_INITIAL_CONSTANT = 1,  /* the initializer is (or folds to) a constant; its value was copied */
    OVS_INITIAL_COMPUTED = 2   /* the initializer depends on model inputs; only the plugin can compute it */
} ovs_initial;

typedef struct ovs_core ovs_core;          /* ov::Core */
typedef struct ovs_model ovs_model;        /* std::shared_ptr<ov::Model> */
typedef struct ovs_compiled ovs_compiled;  /* ov::CompiledModel */
typedef struct ovs_request ovs_request;    /* ov::InferRequest + its variable states */

OVS_API int32_t ovs_abi_version(void);
/* Message of the last failure on this thread ("" when none). */
OVS_API const char* ovs_last_error(void);
/* OpenVINO's build number ("2026.4.1-22982-..."), copied into buf (NUL-terminated, truncated to cap). */
OVS_API int32_t ovs_runtime_version(char* buf, int32_t cap);
/* The folder of the OpenVINO core library this shim runs on (where the loader found libopenvino.so). */
OVS_API int32_t ovs_runtime_location(char* buf, int32_t cap, int32_t* needed);

OVS_API int32_t ovs_core_create(ovs_core** out);
OVS_API void ovs_core_free(ovs_core* core);
/* ov::Core::get_available_devices(), joined with ", " ("CPU" here; "CPU, GPU" with an Intel GPU and its plugin). */
OVS_API int32_t ovs_core_available_devices(ovs_core* core, char* buf, int32_t cap, int32_t* needed);

/* Reads an ONNX file or an IR .xml (its .bin beside it). */
OVS_API int32_t ovs_model_read(ovs_core* core, const char* path, ovs_model** out);
OVS_API void ovs_model_free(ovs_model* model);
/* Number of ReadValue/Assign variables the model already has (0 = not stateful yet). */
OVS_API int32_t ovs_model_variable_count(const ovs_model* model, int32_t* count);
/*
 * Variable `index`: its variable_id into name (*name_needed = length + 1), element code and
 * partial shape, laid out as ovs_model_port_info.
 */
OVS_API int32_t ovs_model_variable_info(const ovs_model* model, int32_t index, char* name, int32_t cap,
                                        int32_t* name_needed, int32_t* element, int64_t* dims, int32_t dims_cap,
                                        int32_t* rank);
/*
 * Where variable `index` starts after reset(): *kind is an ovs_initial. For OVS_INITIAL_CONSTANT
 * the value (element code, shape, bytes) is copied into dst (OVS_BUFFER_TOO_SMALL with the shape
 * written when dst_bytes is short). Constant-folds the model first, so reshape it to static shapes
 * before asking if the initializer is computed from shapes (zeros broadcast to the batch, ...).
 */
OVS_API int32_t ovs_model_variable_initial(ovs_model* model, int32_t index, int32_t* kind, void* dst, int64_t dst_bytes,
                                           int32_t* element, int64_t* dims, int32_t dims_cap, int32_t* rank);
/*
 * ov::pass::MakeStateful over `count` pairs: input tensor param_names[i] becomes a ReadValue
 * and output tensor result_names[i] an Assign of one variable, named by OpenVINO
 * param_names[i] + result_names[i] (concatenated). Reshape before this: the variable takes
 * the parameter's partial shape at this moment.
 */
OVS_API int32_t ovs_model_make_stateful(ovs_model* model, const char* const* param_names,
                                        const char* const* result_names, int32_t count);
/* Model inputs (is_output = 0) or outputs (1). */
OVS_API int32_t ovs_model_port_count(const ovs_model* model, int32_t is_output, int32_t* count);
/*
 * One port: its tensor name into name (cap bytes, *name_needed = length + 1), element code,
 * shape (-1 dynamic) into dims (dims_cap entries) and *rank (-1 = dynamic rank).
 * Fails with OVS_BUFFER_TOO_SMALL when the name or the dims do not fit (the needed sizes are set).
 */
OVS_API int32_t ovs_model_port_info(const ovs_model* model, int32_t is_output, int32_t index,
                                    char* name, int32_t cap, int32_t* name_needed,
                                    int32_t* element, int64_t* dims, int32_t dims_cap, int32_t* rank);
/* Index of the port that carries tensor name `name` (any of its names); OVS_NOT_FOUND if none. */
OVS_API int32_t ovs_model_port_find(const ovs_model* model, int32_t is_output, const char* name, int32_t* index);
/*
 * ov::Model::reshape with one PartialShape per named input: input i is names[i] with
 * ranks[i] dims taken in order from dims (all inputs' dims concatenated); -1 = dynamic.
 */
OVS_API int32_t ovs_model_reshape(ovs_model* model, const char* const* names, const int64_t* dims,
                                  const int32_t* ranks, int32_t count);
/* ov::save_model to an IR .xml (the .bin beside it); compress_to_fp16 != 0 stores f32 weights as f16. */
OVS_API int32_t ovs_model_save(const ovs_model* model, const char* xml_path, int32_t compress_to_fp16);

/*
 * ov::Core::compile_model for "CPU", "GPU", "AUTO", ... with `count` properties given as strings
 * in OpenVINO's own spelling (keys[i] = values[i]: "PERFORMANCE_HINT" = "LATENCY",
 * "INFERENCE_PRECISION_HINT" = "f32", "NUM_STREAMS" = "1", "INFERENCE_NUM_THREADS" = "2", ...);
 * OpenVINO parses each value into the property's type and refuses unknown keys.
 */
OVS_API int32_t ovs_compile(ovs_core* core, const ovs_model* model, const char* device, const char* const* keys,
                            const char* const* values, int32_t count, ovs_compiled** out);
OVS_API void ovs_compiled_free(ovs_compiled* compiled);
/* A property of the compiled model as a string (ov::CompiledModel::get_property(name)): "f32" for INFERENCE_PRECISION_HINT, ... */
OVS_API int32_t ovs_compiled_get_property(const ovs_compiled* compiled, const char* name, char* buf, int32_t cap,
                                          int32_t* needed);
/* The compiled model's inputs/outputs, same layout as ovs_model_port_info. */
OVS_API int32_t ovs_compiled_port_count(const ovs_compiled* compiled, int32_t is_output, int32_t* count);
OVS_API int32_t ovs_compiled_port_info(const ovs_compiled* compiled, int32_t is_output, int32_t index,
                                       char* name, int32_t cap, int32_t* name_needed,
                                       int32_t* element, int64_t* dims, int32_t dims_cap, int32_t* rank);
OVS_API int32_t ovs_compiled_port_find(const ovs_compiled* compiled, int32_t is_output, const char* name,
                                       int32_t* index);

/* A new infer request; its variable states are listed once here (ov::InferRequest::query_state). */
OVS_API int32_t ovs_request_create(ovs_compiled* compiled, ovs_request** out);
OVS_API void ovs_request_free(ovs_request* request);
/*
 * Input `index` (compiled-model order) becomes an ov::Tensor over the caller's memory: no copy.
 * The memory must stay valid and unchanged until the next infer on this request has returned.
 */
OVS_API int32_t ovs_request_set_input(ovs_request* request, int32_t index, int32_t element,
                                      const int64_t* shape, int32_t rank, void* data);
OVS_API int32_t ovs_request_infer(ovs_request* request);
/*
 * Output `index`: *data points into the request's own tensor, valid until the next set_input
 * or infer on this request; its element code, shape (shape_cap entries) and rank are written.
 */
OVS_API int32_t ovs_request_get_output(ovs_request* request, int32_t index, const void** data,
                                       int32_t* element, int64_t* shape, int32_t shape_cap, int32_t* rank);
OVS_API int32_t ovs_request_state_count(const ovs_request* request, int32_t* count);
OVS_API int32_t ovs_request_state_name(const ovs_request* request, int32_t index, char* buf, int32_t cap,
                                       int32_t* needed);
/*
 * Copies state `index` into dst (dst_bytes bytes) as element type `element` (the variable's
 * declared type; a CPU plugin that keeps an i64 variable as i32 inside has it widened back);
 * writes its shape and rank. OVS_BUFFER_TOO_SMALL (nothing copied, shape still written) when it
 * does not fit.
 */
OVS_API int32_t ovs_request_get_state(ovs_request* request, int32_t index, int32_t element, void* dst,
                                      int64_t dst_bytes, int64_t* shape, int32_t shape_cap, int32_t* rank);
/*
 * Replaces state `index` with the caller's tensor (whole tensor, any batch size). The shim copies
 * it first (into a buffer it keeps per state and reuses), so src may be reused as soon as this
 * returns. An i64 tensor that the plugin refuses (the CPU plugin keeps i64 variables as i32) is
 * narrowed to i32, failing with OVS_INVALID_ARGUMENT if a value does not fit.
 */
OVS_API int32_t ovs_request_set_state(ovs_request* request, int32_t index, int32_t element,
                                      const int64_t* shape, int32_t rank, const void* src);
/* Puts state `index` back to its ReadValue initial value; index -1 resets every state. */
OVS_API int32_t ovs_request_reset_state(ovs_request* request, int32_t index);

#ifdef __cplusplus
}
#endif

#endif /* OVS_SHIM_H */
