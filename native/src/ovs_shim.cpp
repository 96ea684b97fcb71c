// ovs_shim.cpp: the C ABI of ovs_shim.h over OpenVINO's public C++ API (2025.x/2026.x).
// Every entry point runs its body inside guarded(), so no C++ exception crosses into .NET;
// failures leave "<function>: <message>" in a thread-local buffer (ovs_last_error).

#include "ovs_shim.h"

#include <dlfcn.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <map>
#include <memory>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include <openvino/core/except.hpp>
#include <openvino/core/graph_util.hpp>
#include <openvino/core/model.hpp>
#include <openvino/core/partial_shape.hpp>
#include <openvino/core/version.hpp>
#include <openvino/op/constant.hpp>
#include <openvino/op/util/read_value_base.hpp>
#include <openvino/pass/constant_folding.hpp>
#include <openvino/pass/make_stateful.hpp>
#include <openvino/pass/manager.hpp>
#include <openvino/runtime/compiled_model.hpp>
#include <openvino/runtime/core.hpp>
#include <openvino/runtime/infer_request.hpp>
#include <openvino/runtime/properties.hpp>
#include <openvino/runtime/tensor.hpp>
#include <openvino/runtime/variable_state.hpp>

struct ovs_core {
    ov::Core core;
};

struct ovs_model {
    std::shared_ptr<ov::Model> model;  // never null
};

struct ovs_compiled {
    ov::CompiledModel compiled;
};

struct ovs_request {
    ov::InferRequest request;
    // query_state() once at creation: the VariableState objects live as long as the request,
    // and listing them per step would allocate on the hot path.
    std::vector<ov::VariableState> states;
    // Per state: the tensor set_state hands to the plugin, reused while the shape and type stay
    // (set_shape reallocates only to grow), so a step allocates nothing here.
    std::vector<ov::Tensor> staged;
    // Per state: the plugin refused an i64 tensor once (CPU keeps i64 variables as i32), so
    // later set_state calls narrow to i32 without trying i64 first.
    std::vector<bool> i64_as_i32;
};

namespace {

thread_local std::string t_last_error;

// Thrown by the shim's own checks; carries the status to return. Not a std::exception, so
// guarded() can tell it from OpenVINO's errors.
struct ShimError {
    int32_t status;
    std::string message;
};

int32_t fail(int32_t status, const char* function, const char* message) noexcept {
    try {
        t_last_error.assign(function).append(": ").append(message);
    } catch (...) {
        // Out of memory while recording the error: the status code still says what happened.
    }
    return status;
}

template <typename Body>
int32_t guarded(const char* function, Body&& body) noexcept {
    try {
        body();
        return OVS_OK;
    } catch (const ShimError& e) {
        return fail(e.status, function, e.message.c_str());
    } catch (const ov::Exception& e) {
        return fail(OVS_OPENVINO_ERROR, function, e.what());
    } catch (const std::bad_alloc&) {
        return fail(OVS_OUT_OF_MEMORY, function, "out of memory");
    } catch (const std::exception& e) {
        return fail(OVS_UNEXPECTED, function, e.what());
    } catch (...) {
        return fail(OVS_UNEXPECTED, function, "unknown exception");
    }
}

template <typename T>
T& require(T* handle, const char* what) {
    if (handle == nullptr) throw ShimError{OVS_INVALID_ARGUMENT, std::string(what) + " is NULL"};
    return *handle;
}

void require_out(const void* out, const char* what) {
    if (out == nullptr) throw ShimError{OVS_INVALID_ARGUMENT, std::string("output pointer ") + what + " is NULL"};
}

int32_t to_code(const ov::element::Type& t) {
    if (t == ov::element::boolean) return OVS_ELEM_BOOL;
    if (t == ov::element::u8) return OVS_ELEM_U8;
    if (t == ov::element::u16) return OVS_ELEM_U16;
    if (t == ov::element::u32) return OVS_ELEM_U32;
    if (t == ov::element::u64) return OVS_ELEM_U64;
    if (t == ov::element::i8) return OVS_ELEM_I8;
    if (t == ov::element::i16) return OVS_ELEM_I16;
    if (t == ov::element::i32) return OVS_ELEM_I32;
    if (t == ov::element::i64) return OVS_ELEM_I64;
    if (t == ov::element::f16) return OVS_ELEM_F16;
    if (t == ov::element::f32) return OVS_ELEM_F32;
    if (t == ov::element::f64) return OVS_ELEM_F64;
    if (t == ov::element::bf16) return OVS_ELEM_BF16;
    return OVS_ELEM_UNSUPPORTED;
}

ov::element::Type from_code(int32_t code) {
    switch (code) {
    case OVS_ELEM_BOOL: return ov::element::boolean;
    case OVS_ELEM_U8: return ov::element::u8;
    case OVS_ELEM_U16: return ov::element::u16;
    case OVS_ELEM_U32: return ov::element::u32;
    case OVS_ELEM_U64: return ov::element::u64;
    case OVS_ELEM_I8: return ov::element::i8;
    case OVS_ELEM_I16: return ov::element::i16;
    case OVS_ELEM_I32: return ov::element::i32;
    case OVS_ELEM_I64: return ov::element::i64;
    case OVS_ELEM_F16: return ov::element::f16;
    case OVS_ELEM_F32: return ov::element::f32;
    case OVS_ELEM_F64: return ov::element::f64;
    case OVS_ELEM_BF16: return ov::element::bf16;
    default: throw ShimError{OVS_INVALID_ARGUMENT, "unknown element code " + std::to_string(code)};
    }
}

ov::Shape to_shape(const int64_t* dims, int32_t rank) {
    if (rank < 0 || (rank > 0 && dims == nullptr)) throw ShimError{OVS_INVALID_ARGUMENT, "bad shape (rank or dims)"};
    ov::Shape shape;
    shape.reserve(static_cast<size_t>(rank));
    for (int32_t i = 0; i < rank; ++i) {
        if (dims[i] < 0) throw ShimError{OVS_INVALID_ARGUMENT, "a tensor shape must be concrete (no -1)"};
        shape.push_back(static_cast<size_t>(dims[i]));
    }
    return shape;
}

// Writes shape and rank; throws OVS_BUFFER_TOO_SMALL (after setting *rank) if dims cannot hold it.
void write_shape(const ov::Shape& shape, int64_t* dims, int32_t cap, int32_t* rank) {
    require_out(rank, "rank");
    *rank = static_cast<int32_t>(shape.size());
    if (*rank > cap || (*rank > 0 && dims == nullptr))
        throw ShimError{OVS_BUFFER_TOO_SMALL, "shape of rank " + std::to_string(*rank) + " does not fit"};
    for (size_t i = 0; i < shape.size(); ++i) dims[i] = static_cast<int64_t>(shape[i]);
}

void write_partial_shape(const ov::PartialShape& ps, int64_t* dims, int32_t cap, int32_t* rank) {
    require_out(rank, "rank");
    if (ps.rank().is_dynamic()) {
        *rank = -1;
        return;
    }
    *rank = static_cast<int32_t>(ps.rank().get_length());
    if (*rank > cap || (*rank > 0 && dims == nullptr))
        throw ShimError{OVS_BUFFER_TOO_SMALL, "shape of rank " + std::to_string(*rank) + " does not fit"};
    for (int32_t i = 0; i < *rank; ++i) dims[i] = ps[i].is_static() ? ps[i].get_length() : -1;
}

// Copies s with its NUL; *needed = size + 1; OVS_BUFFER_TOO_SMALL if cap is short.
void write_name(const std::string& s, char* buf, int32_t cap, int32_t* needed) {
    require_out(needed, "needed");
    *needed = static_cast<int32_t>(s.size() + 1);
    if (buf == nullptr || cap < *needed)
        throw ShimError{OVS_BUFFER_TOO_SMALL, "name needs " + std::to_string(*needed) + " bytes"};
    std::memcpy(buf, s.c_str(), s.size() + 1);
}

template <typename Port>
std::string port_name(const Port& port) {
    // Tensor names are what configs and clients use; a port without one falls back to its node.
    return port.get_names().empty() ? port.get_node()->get_friendly_name() : port.get_any_name();
}

template <typename Ports>
const typename Ports::value_type& pick(const Ports& ports, int32_t index) {
    if (index < 0 || static_cast<size_t>(index) >= ports.size())
        throw ShimError{OVS_INVALID_ARGUMENT, "port index " + std::to_string(index) + " is outside 0.." +
                                                  std::to_string(static_cast<int64_t>(ports.size()) - 1)};
    return ports[static_cast<size_t>(index)];
}

template <typename Ports>
void port_info(const Ports& ports, int32_t index, char* name, int32_t cap, int32_t* name_needed, int32_t* element,
               int64_t* dims, int32_t dims_cap, int32_t* rank) {
    const auto& port = pick(ports, index);
    require_out(element, "element");
    *element = to_code(port.get_element_type());
    write_partial_shape(port.get_partial_shape(), dims, dims_cap, rank);
    write_name(port_name(port), name, cap, name_needed);
}

template <typename Ports>
void port_find(const Ports& ports, const char* name, int32_t* index) {
    if (name == nullptr) throw ShimError{OVS_INVALID_ARGUMENT, "name is NULL"};
    require_out(index, "index");
    for (size_t i = 0; i < ports.size(); ++i) {
        const auto& names = ports[i].get_names();
        if (names.count(name) != 0 || (names.empty() && ports[i].get_node()->get_friendly_name() == name)) {
            *index = static_cast<int32_t>(i);
            return;
        }
    }
    throw ShimError{OVS_NOT_FOUND, std::string("no port carries the tensor name '") + name + "'"};
}

ov::VariableState& state_at(ovs_request& r, int32_t index) {
    if (index < 0 || static_cast<size_t>(index) >= r.states.size())
        throw ShimError{OVS_INVALID_ARGUMENT, "state index " + std::to_string(index) + " is outside 0.." +
                                                  std::to_string(static_cast<int64_t>(r.states.size()) - 1)};
    return r.states[static_cast<size_t>(index)];
}

// The state's staging tensor as `type` `shape`, reused when both match.
ov::Tensor& staged(ovs_request& r, int32_t index, const ov::element::Type& type, const ov::Shape& shape) {
    auto& t = r.staged[static_cast<size_t>(index)];
    if (!t || t.get_element_type() != type) t = ov::Tensor(type, shape);
    else if (t.get_shape() != shape) t.set_shape(shape);
    return t;
}

void narrow_into(ov::Tensor& to, const int64_t* from, const std::string& state) {
    auto* out = to.data<int32_t>();
    for (size_t i = 0; i < to.get_size(); ++i) {
        if (from[i] < INT32_MIN || from[i] > INT32_MAX)
            throw ShimError{OVS_INVALID_ARGUMENT, "state " + state + " holds " + std::to_string(from[i]) +
                                                      ", outside int32, which the plugin keeps this int64 variable in"};
        out[i] = static_cast<int32_t>(from[i]);
    }
}

}  // namespace

extern "C" {

int32_t ovs_abi_version(void) {
    return OVS_SHIM_ABI_VERSION;
}

const char* ovs_last_error(void) {
    return t_last_error.c_str();
}

int32_t ovs_runtime_version(char* buf, int32_t cap) {
    return guarded(__func__, [&] {
        if (buf == nullptr || cap <= 0) throw ShimError{OVS_INVALID_ARGUMENT, "buffer is NULL or empty"};
        const char* build = ov::get_openvino_version().buildNumber;
        std::string s = build == nullptr ? "" : build;
        s.resize(std::min(s.size(), static_cast<size_t>(cap - 1)));
        std::memcpy(buf, s.c_str(), s.size() + 1);
    });
}

int32_t ovs_runtime_location(char* buf, int32_t cap, int32_t* needed) {
    return guarded(__func__, [&] {
        // dladdr on a function of the core library names the file the loader actually mapped,
        // which is what "the OpenVINO in use" means (RPATH, LD_LIBRARY_PATH or a preload).
        Dl_info info{};
        if (dladdr(reinterpret_cast<void*>(&ov::get_openvino_version), &info) == 0 || info.dli_fname == nullptr)
            throw ShimError{OVS_NOT_FOUND, "dladdr cannot name the OpenVINO core library"};
        std::string file = info.dli_fname;
        const auto slash = file.find_last_of('/');
        write_name(slash == std::string::npos ? std::string(".") : file.substr(0, slash), buf, cap, needed);
    });
}

int32_t ovs_core_create(ovs_core** out) {
    return guarded(__func__, [&] {
        require_out(out, "out");
        *out = nullptr;
        *out = new ovs_core();
    });
}

void ovs_core_free(ovs_core* core) {
    delete core;
}

int32_t ovs_core_available_devices(ovs_core* core, char* buf, int32_t cap, int32_t* needed) {
    return guarded(__func__, [&] {
        auto& c = require(core, "core");
        std::string joined;
        for (const auto& d : c.core.get_available_devices()) joined.append(joined.empty() ? "" : ", ").append(d);
        write_name(joined, buf, cap, needed);
    });
}

int32_t ovs_model_read(ovs_core* core, const char* path, ovs_model** out) {
    return guarded(__func__, [&] {
        auto& c = require(core, "core");
        require_out(out, "out");
        if (path == nullptr) throw ShimError{OVS_INVALID_ARGUMENT, "path is NULL"};
        *out = nullptr;
        auto model = c.core.read_model(std::string(path));
        *out = new ovs_model{std::move(model)};
    });
}

void ovs_model_free(ovs_model* model) {
    delete model;
}

int32_t ovs_model_variable_count(const ovs_model* model, int32_t* count) {
    return guarded(__func__, [&] {
        const auto& m = require(model, "model");
        require_out(count, "count");
        *count = static_cast<int32_t>(m.model->get_variables().size());
    });
}

int32_t ovs_model_variable_info(const ovs_model* model, int32_t index, char* name, int32_t cap, int32_t* name_needed,
                                int32_t* element, int64_t* dims, int32_t dims_cap, int32_t* rank) {
    return guarded(__func__, [&] {
        const auto& m = require(model, "model");
        const auto& vars = m.model->get_variables();
        if (index < 0 || static_cast<size_t>(index) >= vars.size())
            throw ShimError{OVS_INVALID_ARGUMENT, "variable index " + std::to_string(index) + " is out of range"};
        const auto info = vars[static_cast<size_t>(index)]->get_info();
        require_out(element, "element");
        *element = to_code(info.data_type);
        write_partial_shape(info.data_shape, dims, dims_cap, rank);
        write_name(info.variable_id, name, cap, name_needed);
    });
}

int32_t ovs_model_variable_initial(ovs_model* model, int32_t index, int32_t* kind, void* dst, int64_t dst_bytes,
                                   int32_t* element, int64_t* dims, int32_t dims_cap, int32_t* rank) {
    return guarded(__func__, [&] {
        auto& m = require(model, "model");
        require_out(kind, "kind");
        require_out(element, "element");
        const auto& vars = m.model->get_variables();
        if (index < 0 || static_cast<size_t>(index) >= vars.size())
            throw ShimError{OVS_INVALID_ARGUMENT, "variable index " + std::to_string(index) + " is out of range"};
        const auto& variable = vars[static_cast<size_t>(index)];
        // Folding turns initializers computed from static shapes (zeros broadcast to the batch) into constants.
        ov::pass::Manager manager;
        manager.register_pass<ov::pass::ConstantFolding>();
        manager.run_passes(m.model);
        std::shared_ptr<ov::op::util::ReadValueBase> read;
        for (const auto& op : m.model->get_ops()) {
            auto r = std::dynamic_pointer_cast<ov::op::util::ReadValueBase>(op);
            if (r && r->get_variable() == variable) {
                read = r;
                break;
            }
        }
        *kind = OVS_INITIAL_ZEROS;
        *element = to_code(variable->get_info().data_type);
        write_partial_shape(variable->get_info().data_shape, dims, dims_cap, rank);
        if (!read || read->get_input_size() == 0) return;
        auto constant = std::dynamic_pointer_cast<ov::op::v0::Constant>(read->get_input_node_shared_ptr(0));
        if (!constant) {
            *kind = OVS_INITIAL_COMPUTED;
            return;
        }
        *kind = OVS_INITIAL_CONSTANT;
        *element = to_code(constant->get_element_type());
        write_shape(constant->get_shape(), dims, dims_cap, rank);
        const auto bytes = constant->get_byte_size();
        if (dst == nullptr || dst_bytes < 0 || static_cast<uint64_t>(dst_bytes) < bytes)
            throw ShimError{OVS_BUFFER_TOO_SMALL, "initial value needs " + std::to_string(bytes) + " bytes"};
        std::memcpy(dst, constant->get_data_ptr(), bytes);
    });
}

int32_t ovs_model_make_stateful(ovs_model* model, const char* const* param_names, const char* const* result_names,
                                int32_t count) {
    return guarded(__func__, [&] {
        auto& m = require(model, "model");
        if (count <= 0 || param_names == nullptr || result_names == nullptr)
            throw ShimError{OVS_INVALID_ARGUMENT, "no state pairs given"};
        std::map<std::string, std::string> pairs;
        for (int32_t i = 0; i < count; ++i) {
            if (param_names[i] == nullptr || result_names[i] == nullptr)
                throw ShimError{OVS_INVALID_ARGUMENT, "state pair " + std::to_string(i) + " has a NULL name"};
            if (!pairs.emplace(param_names[i], result_names[i]).second)
                throw ShimError{OVS_INVALID_ARGUMENT, std::string("input '") + param_names[i] + "' is in two state pairs"};
        }
        ov::pass::Manager manager;
        manager.register_pass<ov::pass::MakeStateful>(pairs);
        manager.run_passes(m.model);
    });
}

int32_t ovs_model_port_count(const ovs_model* model, int32_t is_output, int32_t* count) {
    return guarded(__func__, [&] {
        const auto& m = require(model, "model");
        require_out(count, "count");
        *count = static_cast<int32_t>(is_output ? m.model->outputs().size() : m.model->inputs().size());
    });
}

int32_t ovs_model_port_info(const ovs_model* model, int32_t is_output, int32_t index, char* name, int32_t cap,
                            int32_t* name_needed, int32_t* element, int64_t* dims, int32_t dims_cap, int32_t* rank) {
    return guarded(__func__, [&] {
        const auto& m = require(model, "model");
        port_info(is_output ? m.model->outputs() : m.model->inputs(), index, name, cap, name_needed, element, dims,
                  dims_cap, rank);
    });
}

int32_t ovs_model_port_find(const ovs_model* model, int32_t is_output, const char* name, int32_t* index) {
    return guarded(__func__, [&] {
        const auto& m = require(model, "model");
        port_find(is_output ? m.model->outputs() : m.model->inputs(), name, index);
    });
}

int32_t ovs_model_reshape(ovs_model* model, const char* const* names, const int64_t* dims, const int32_t* ranks,
                          int32_t count) {
    return guarded(__func__, [&] {
        auto& m = require(model, "model");
        if (count <= 0 || names == nullptr || ranks == nullptr) throw ShimError{OVS_INVALID_ARGUMENT, "no shapes given"};
        std::map<std::string, ov::PartialShape> shapes;
        size_t offset = 0;
        for (int32_t i = 0; i < count; ++i) {
            if (names[i] == nullptr) throw ShimError{OVS_INVALID_ARGUMENT, "input name " + std::to_string(i) + " is NULL"};
            if (ranks[i] < 0) {
                shapes[names[i]] = ov::PartialShape::dynamic();
                continue;
            }
            if (ranks[i] > 0 && dims == nullptr) throw ShimError{OVS_INVALID_ARGUMENT, "dims is NULL"};
            std::vector<ov::Dimension> ds;
            for (int32_t k = 0; k < ranks[i]; ++k, ++offset)
                ds.push_back(dims[offset] < 0 ? ov::Dimension::dynamic() : ov::Dimension(dims[offset]));
            shapes[names[i]] = ov::PartialShape(ds);
        }
        m.model->reshape(shapes);
    });
}

int32_t ovs_model_save(const ovs_model* model, const char* xml_path, int32_t compress_to_fp16) {
    return guarded(__func__, [&] {
        const auto& m = require(model, "model");
        if (xml_path == nullptr) throw ShimError{OVS_INVALID_ARGUMENT, "xml_path is NULL"};
        ov::save_model(m.model, std::string(xml_path), compress_to_fp16 != 0);
    });
}

int32_t ovs_compile(ovs_core* core, const ovs_model* model, const char* device, const char* const* keys,
                    const char* const* values, int32_t count, ovs_compiled** out) {
    return guarded(__func__, [&] {
        auto& c = require(core, "core");
        const auto& m = require(model, "model");
        require_out(out, "out");
        if (device == nullptr || *device == '\0') throw ShimError{OVS_INVALID_ARGUMENT, "device is empty"};
        if (count < 0 || (count > 0 && (keys == nullptr || values == nullptr)))
            throw ShimError{OVS_INVALID_ARGUMENT, "properties are NULL"};
        *out = nullptr;
        // Strings, not typed values: ov::Any parses them into each property's own type, so the
        // .NET side needs no mirror of OpenVINO's property types.
        ov::AnyMap properties;
        for (int32_t i = 0; i < count; ++i) {
            if (keys[i] == nullptr || values[i] == nullptr)
                throw ShimError{OVS_INVALID_ARGUMENT, "property " + std::to_string(i) + " has a NULL key or value"};
            properties[keys[i]] = std::string(values[i]);
        }
        auto compiled = c.core.compile_model(m.model, std::string(device), properties);
        *out = new ovs_compiled{std::move(compiled)};
    });
}

void ovs_compiled_free(ovs_compiled* compiled) {
    delete compiled;
}

int32_t ovs_compiled_get_property(const ovs_compiled* compiled, const char* name, char* buf, int32_t cap,
                                  int32_t* needed) {
    return guarded(__func__, [&] {
        const auto& c = require(compiled, "compiled");
        if (name == nullptr) throw ShimError{OVS_INVALID_ARGUMENT, "name is NULL"};
        write_name(c.compiled.get_property(name).as<std::string>(), buf, cap, needed);
    });
}

int32_t ovs_compiled_port_count(const ovs_compiled* compiled, int32_t is_output, int32_t* count) {
    return guarded(__func__, [&] {
        const auto& c = require(compiled, "compiled");
        require_out(count, "count");
        *count = static_cast<int32_t>(is_output ? c.compiled.outputs().size() : c.compiled.inputs().size());
    });
}

int32_t ovs_compiled_port_info(const ovs_compiled* compiled, int32_t is_output, int32_t index, char* name,
                               int32_t cap, int32_t* name_needed, int32_t* element, int64_t* dims, int32_t dims_cap,
                               int32_t* rank) {
    return guarded(__func__, [&] {
        const auto& c = require(compiled, "compiled");
        port_info(is_output ? c.compiled.outputs() : c.compiled.inputs(), index, name, cap, name_needed, element,
                  dims, dims_cap, rank);
    });
}

int32_t ovs_compiled_port_find(const ovs_compiled* compiled, int32_t is_output, const char* name, int32_t* index) {
    return guarded(__func__, [&] {
        const auto& c = require(compiled, "compiled");
        port_find(is_output ? c.compiled.outputs() : c.compiled.inputs(), name, index);
    });
}

int32_t ovs_request_create(ovs_compiled* compiled, ovs_request** out) {
    return guarded(__func__, [&] {
        auto& c = require(compiled, "compiled");
        require_out(out, "out");
        *out = nullptr;
        auto request = std::make_unique<ovs_request>();
        request->request = c.compiled.create_infer_request();
        request->states = request->request.query_state();
        request->staged.resize(request->states.size());
        request->i64_as_i32.assign(request->states.size(), false);
        *out = request.release();
    });
}

void ovs_request_free(ovs_request* request) {
    delete request;
}

int32_t ovs_request_set_input(ovs_request* request, int32_t index, int32_t element, const int64_t* shape,
                              int32_t rank, void* data) {
    return guarded(__func__, [&] {
        auto& r = require(request, "request");
        if (data == nullptr) throw ShimError{OVS_INVALID_ARGUMENT, "data is NULL"};
        if (index < 0) throw ShimError{OVS_INVALID_ARGUMENT, "input index is negative"};
        // Wraps the caller's memory (no copy); see the header for how long it must live.
        r.request.set_input_tensor(static_cast<size_t>(index), ov::Tensor(from_code(element), to_shape(shape, rank), data));
    });
}

int32_t ovs_request_infer(ovs_request* request) {
    return guarded(__func__, [&] { require(request, "request").request.infer(); });
}

int32_t ovs_request_get_output(ovs_request* request, int32_t index, const void** data, int32_t* element,
                               int64_t* shape, int32_t shape_cap, int32_t* rank) {
    return guarded(__func__, [&] {
        auto& r = require(request, "request");
        require_out(data, "data");
        require_out(element, "element");
        if (index < 0) throw ShimError{OVS_INVALID_ARGUMENT, "output index is negative"};
        ov::Tensor t = r.request.get_output_tensor(static_cast<size_t>(index));
        *element = to_code(t.get_element_type());
        write_shape(t.get_shape(), shape, shape_cap, rank);
        // The request keeps owning this tensor, so the pointer outlives the local handle.
        *data = t.data();
    });
}

int32_t ovs_request_state_count(const ovs_request* request, int32_t* count) {
    return guarded(__func__, [&] {
        const auto& r = require(request, "request");
        require_out(count, "count");
        *count = static_cast<int32_t>(r.states.size());
    });
}

int32_t ovs_request_state_name(const ovs_request* request, int32_t index, char* buf, int32_t cap, int32_t* needed) {
    return guarded(__func__, [&] {
        auto& r = const_cast<ovs_request&>(require(request, "request"));
        write_name(state_at(r, index).get_name(), buf, cap, needed);
    });
}

int32_t ovs_request_get_state(ovs_request* request, int32_t index, int32_t element, void* dst, int64_t dst_bytes,
                              int64_t* shape, int32_t shape_cap, int32_t* rank) {
    return guarded(__func__, [&] {
        auto& r = require(request, "request");
        const auto want = from_code(element);
        ov::Tensor state = state_at(r, index).get_state();
        write_shape(state.get_shape(), shape, shape_cap, rank);
        const auto have = state.get_element_type();
        const bool widen = want == ov::element::i64 && have == ov::element::i32;
        if (have != want && !widen)
            throw ShimError{OVS_INVALID_ARGUMENT, "state " + state_at(r, index).get_name() + " is " + have.get_type_name() +
                                                      ", not " + want.get_type_name()};
        const auto bytes = ov::shape_size(state.get_shape()) * want.size();
        if (dst == nullptr || dst_bytes < 0 || static_cast<uint64_t>(dst_bytes) < bytes)
            throw ShimError{OVS_BUFFER_TOO_SMALL, "state needs " + std::to_string(bytes) + " bytes, got " +
                                                      std::to_string(dst_bytes)};
        if (widen) {
            // A host copy first: a device plugin's state may live in device memory.
            ov::Tensor host(have, state.get_shape());
            state.copy_to(host);
            const auto* from = host.data<const int32_t>();
            auto* to = static_cast<int64_t*>(dst);
            for (size_t i = 0; i < host.get_size(); ++i) to[i] = from[i];
            return;
        }
        // copy_to, not data(): a device plugin's state may live in device memory.
        ov::Tensor target(have, state.get_shape(), dst);
        state.copy_to(target);
    });
}

int32_t ovs_request_set_state(ovs_request* request, int32_t index, int32_t element, const int64_t* shape,
                              int32_t rank, const void* src) {
    return guarded(__func__, [&] {
        auto& r = require(request, "request");
        if (src == nullptr) throw ShimError{OVS_INVALID_ARGUMENT, "src is NULL"};
        auto& state = state_at(r, index);
        const auto type = from_code(element);
        const auto dims = to_shape(shape, rank);
        // An owned copy: not every plugin copies in set_state (the base IVariableState keeps the
        // tensor), and the caller's buffer is reused for the next batch.
        if (type == ov::element::i64 && r.i64_as_i32[static_cast<size_t>(index)]) {
            auto& t = staged(r, index, ov::element::i32, dims);
            narrow_into(t, static_cast<const int64_t*>(src), state.get_name());
            state.set_state(t);
            return;
        }
        auto& t = staged(r, index, type, dims);
        std::memcpy(t.data(), src, t.get_byte_size());
        if (type != ov::element::i64) {
            state.set_state(t);
            return;
        }
        try {
            state.set_state(t);
        } catch (const ov::Exception&) {
            // "CPU plugin does not support i64 for use with oneDNN": it keeps the variable as
            // i32 and takes an i32 tensor (get_state still answers i64). Remember, and narrow.
            r.i64_as_i32[static_cast<size_t>(index)] = true;
            auto& narrow = staged(r, index, ov::element::i32, dims);
            narrow_into(narrow, static_cast<const int64_t*>(src), state.get_name());
            state.set_state(narrow);
        }
    });
}

int32_t ovs_request_reset_state(ovs_request* request, int32_t index) {
    return guarded(__func__, [&] {
        auto& r = require(request, "request");
        if (index == -1)
            r.request.reset_state();
        else
            state_at(r, index).reset();
    });
}

}  // extern "C"
