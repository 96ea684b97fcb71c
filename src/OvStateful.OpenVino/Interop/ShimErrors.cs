using System.Runtime.CompilerServices;

namespace OvStateful.OpenVino.Interop;

/// <summary>The one place where a shim status becomes an exception.</summary>
internal static class ShimErrors
{
    /// <summary>
    /// Throws when <paramref name="status"/> is not OK. Call it right after the native call, on
    /// the same thread: the shim's message lives in a thread-local buffer until the next failure.
    /// </summary>
    public static void ThrowIfFailed(int status, [CallerArgumentExpression(nameof(status))] string call = "")
    {
        if (status != (int)ShimStatus.Ok) throw Create(status, call, ShimLibrary.LastError());
    }

    /// <summary>Builds the exception for a failed call (separate so the mapping is testable without the runtime).</summary>
    internal static OpenVinoException Create(int status, string call, string nativeMessage)
    {
        var what = Enum.IsDefined(typeof(ShimStatus), status) ? ((ShimStatus)status).ToString() : $"status {status}";
        var text = string.IsNullOrWhiteSpace(nativeMessage) ? "(no message from the shim)" : nativeMessage.Trim();
        return new OpenVinoException($"OpenVINO call {ShortName(call)} failed ({what}): {text}", status);
    }

    // "api.ModelRead(core, path, &model)" -> "ModelRead": the call expression names the function.
    internal static string ShortName(string call)
    {
        var open = call.IndexOf('(');
        var head = open < 0 ? call : call[..open];
        var dot = head.LastIndexOf('.');
        return (dot < 0 ? head : head[(dot + 1)..]).Trim();
    }
}
