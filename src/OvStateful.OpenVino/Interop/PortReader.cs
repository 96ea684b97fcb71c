using System.Text;
using OvStateful.Core.Engines;

namespace OvStateful.OpenVino.Interop;

/// <summary>Reads port lists (name, element type, partial shape) from a model or compiled model.</summary>
internal static unsafe class PortReader
{
    /// <summary>One port info call: (index, name buffer, cap, out needed, out element, dims, dims cap, out rank) → status.</summary>
    internal delegate int PortInfo(int index, byte* name, int cap, out int needed, out int element, long* dims, int dimsCap, out int rank);

    public static ModelFileTensor Read(int index, PortInfo info)
    {
        var nameCap = 256;
        var dimsCap = 16;
        while (true)
        {
            var name = new byte[nameCap];
            var dims = new long[dimsCap];
            int status, needed, element, rank;
            fixed (byte* n = name)
            fixed (long* d = dims)
            {
                status = info(index, n, nameCap, out needed, out element, d, dimsCap, out rank);
            }
            if (status == (int)ShimStatus.BufferTooSmall && (needed > nameCap || rank > dimsCap))
            {
                nameCap = Math.Max(nameCap, needed);
                dimsCap = Math.Max(dimsCap, rank);
                continue;
            }
            ShimErrors.ThrowIfFailed(status, "port_info");
            var shape = rank < 0 ? [] : dims[..rank];
            return new ModelFileTensor(Encoding.UTF8.GetString(name, 0, Math.Max(0, needed - 1)), ShimElement.FromCode(element), shape);
        }
    }
}
