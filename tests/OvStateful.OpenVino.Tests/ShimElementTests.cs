using OvStateful.Core.Tensors;
using OvStateful.OpenVino.Interop;

namespace OvStateful.OpenVino.Tests;

public class ShimElementTests
{
    public static TheoryData<DataType> Numeric => new()
    {
        DataType.Bool, DataType.UInt8, DataType.UInt16, DataType.UInt32, DataType.UInt64, DataType.Int8, DataType.Int16,
        DataType.Int32, DataType.Int64, DataType.Fp16, DataType.Fp32, DataType.Fp64, DataType.Bf16,
    };

    [Theory]
    [MemberData(nameof(Numeric))]
    public void Codes_round_trip_and_equal_the_header_numbering(DataType type)
    {
        var code = ShimElement.ToCode(type);
        Assert.Equal(type, ShimElement.FromCode(code));
        // ovs_shim.h promises the numbering of Core's DataType.
        Assert.Equal((int)type, code);
    }

    [Fact]
    public void Types_OpenVINO_cannot_hold_are_refused_by_name()
    {
        var e = Assert.Throws<ArgumentException>(() => ShimElement.ToCode(DataType.String));
        Assert.Contains("BYTES", e.Message);
        Assert.Equal(DataType.Invalid, ShimElement.FromCode(0));
        Assert.Equal(DataType.Invalid, ShimElement.FromCode(99));
    }
}
