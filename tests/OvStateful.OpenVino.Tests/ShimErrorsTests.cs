using OvStateful.Core.Engines;
using OvStateful.OpenVino.Interop;

namespace OvStateful.OpenVino.Tests;

public class ShimErrorsTests
{
    [Theory]
    [InlineData(1, "InvalidArgument")]
    [InlineData(2, "NotFound")]
    [InlineData(3, "BufferTooSmall")]
    [InlineData(4, "OpenVinoError")]
    [InlineData(5, "OutOfMemory")]
    [InlineData(6, "Unexpected")]
    public void Every_shim_status_becomes_an_engine_exception_naming_the_call_status_and_message(int status, string name)
    {
        var e = ShimErrors.Create(status, "ShimNative.ovs_model_read(_handle, path, out var model)", "ovs_model_read: Cannot open model.onnx\n");

        Assert.IsAssignableFrom<EngineException>(e);
        Assert.Equal(status, e.Status);
        Assert.Equal($"OpenVINO call ovs_model_read failed ({name}): ovs_model_read: Cannot open model.onnx", e.Message);
    }

    [Fact]
    public void Unknown_status_and_empty_message_still_give_a_readable_error()
    {
        var e = ShimErrors.Create(42, "ovs_request_infer(r)", "");
        Assert.Equal("OpenVINO call ovs_request_infer failed (status 42): (no message from the shim)", e.Message);
    }

    [Fact]
    public void Ok_does_not_throw_and_never_touches_the_native_library()
    {
        ShimErrors.ThrowIfFailed(0); // the shim is not loaded here: reading its error buffer would fail
    }

    [Theory]
    [InlineData("ShimNative.ovs_compile(_handle, model.Handle, device, 1, 0, 0, out var c)", "ovs_compile")]
    [InlineData("status", "status")]
    [InlineData("port_info", "port_info")]
    public void Short_name_is_the_called_function(string call, string expected) => Assert.Equal(expected, ShimErrors.ShortName(call));
}
