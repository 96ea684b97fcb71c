using OvStateful.Core.State;
using OvStateful.Core.Tensors;

namespace OvStateful.Core.Tests.State;

public class BatchAxisLayoutTests
{
    // Index of element (outer o, batch b, inner i) in a row-major [outer, B, inner] tensor, computed directly.
    private static int Flat(int o, int b, int i, int batch, int inner) => (o * batch + b) * inner + i;

    [Theory]
    [InlineData(new long[] { -1, 5 }, 0)]          // accumulate state [B, 5]
    [InlineData(new long[] { 4, -1, 5 }, 1)]       // accumulate input [4, B, 5]
    [InlineData(new long[] { 2, -1, 128 }, 1)]     // Silero state [2, B, 128]
    [InlineData(new long[] { 3, 2, -1 }, 2)]       // batch axis last
    public void Rows_land_where_the_batch_axis_says(long[] shape, int axis)
    {
        const int batch = 3;
        var layout = BatchAxisLayout.For(shape, axis, DataType.Int32);
        var outer = (int)shape.Take(axis).Aggregate(1L, (a, d) => a * d);
        var inner = (int)shape.Skip(axis + 1).Aggregate(1L, (a, d) => a * d);
        Assert.Equal(outer, layout.Outer);
        Assert.Equal(inner * 4, layout.InnerBytes);

        var tensor = new int[outer * batch * inner];
        for (var b = 0; b < batch; b++)
        {
            var row = Enumerable.Range(0, outer * inner).Select(k => b * 1000 + k).ToArray();
            layout.CopyRowIn(System.Runtime.InteropServices.MemoryMarshal.AsBytes(row.AsSpan()), System.Runtime.InteropServices.MemoryMarshal.AsBytes(tensor.AsSpan()), b, batch);
        }
        for (var o = 0; o < outer; o++)
            for (var b = 0; b < batch; b++)
                for (var i = 0; i < inner; i++)
                    Assert.Equal(b * 1000 + o * inner + i, tensor[Flat(o, b, i, batch, inner)]);

        for (var b = 0; b < batch; b++)
        {
            var back = new int[outer * inner];
            layout.CopyRowOut(System.Runtime.InteropServices.MemoryMarshal.AsBytes(tensor.AsSpan()), b, batch, System.Runtime.InteropServices.MemoryMarshal.AsBytes(back.AsSpan()));
            Assert.Equal(Enumerable.Range(0, outer * inner).Select(k => b * 1000 + k), back);
        }
    }
}
