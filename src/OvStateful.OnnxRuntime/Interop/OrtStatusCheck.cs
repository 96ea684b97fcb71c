using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace OvStateful.OnnxRuntime.Interop;

/// <summary>The one place an <c>OrtStatus*</c> becomes an exception; the status is always released.</summary>
internal static class OrtStatusCheck
{
    public static unsafe void ThrowIfFailed(IntPtr status, [CallerArgumentExpression(nameof(status))] string call = "")
    {
        if (status == IntPtr.Zero) return;
        var api = OrtLibrary.Get().Api;
        var code = (OrtErrorCode)api.GetErrorCode(status);
        var message = Marshal.PtrToStringUTF8(api.GetErrorMessage(status)) ?? "(no message)";
        api.ReleaseStatus(status);
        throw new OrtException(code, message, ShortCall(call));
    }

    // "api.CreateSession(env, ...)" -> "CreateSession"
    private static string ShortCall(string call)
    {
        var open = call.IndexOf('(');
        var head = open < 0 ? call : call[..open];
        var dot = head.LastIndexOf('.');
        return dot < 0 ? head : head[(dot + 1)..];
    }
}

/// <summary>OrtErrorCode from onnxruntime_c_api.h.</summary>
public enum OrtErrorCode
{
    Ok = 0,
    Fail = 1,
    InvalidArgument = 2,
    NoSuchFile = 3,
    NoModel = 4,
    EngineError = 5,
    RuntimeException = 6,
    InvalidProtobuf = 7,
    ModelLoaded = 8,
    NotImplemented = 9,
    InvalidGraph = 10,
    EpFail = 11,
}

/// <summary>An ONNX Runtime call failed; carries ORT's own message and the call's name.</summary>
public sealed class OrtException(OrtErrorCode code, string ortMessage, string call)
    : Exception($"ONNX Runtime {call} failed ({code}): {ortMessage}")
{
    public OrtErrorCode Code { get; } = code;
    public string OrtMessage { get; } = ortMessage;
    public string Call { get; } = call;
}
