using System.Text;

namespace OvStateful.OnnxRuntime.Interop;

internal static class Utf8
{
    /// <summary>NUL-terminated UTF-8 bytes for a native <c>const char*</c>.</summary>
    public static byte[] Z(string s)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(s) + 1];
        Encoding.UTF8.GetBytes(s, bytes);
        return bytes;
    }
}
