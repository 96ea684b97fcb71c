using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using OvStateful.OpenVino.Interop;

namespace OvStateful.OpenVino.Tests;

/// <summary>The C header (native/include/ovs_shim.h) and the C# imports must not drift apart.</summary>
public partial class ShimHeaderTests
{
    private static readonly string Header = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "native", "include", "ovs_shim.h"));

    [GeneratedRegex(@"OVS_API\s+[\w\s\*]+?\b(ovs_\w+)\s*\(")]
    private static partial Regex ExportPattern();

    [Fact]
    public void Every_exported_function_is_imported_and_nothing_else()
    {
        var exported = ExportPattern().Matches(Header).Select(m => m.Groups[1].Value).Order().ToList();
        var imported = typeof(ShimNative).GetMethods(BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public)
            .Where(m => m.Name.StartsWith("ovs_", StringComparison.Ordinal) && m.GetCustomAttribute<LibraryImportAttribute>() is not null)
            .Select(m => m.Name).Order().ToList();
        Assert.True(exported.Count > 20, $"parsed only {exported.Count} exports from the header");
        Assert.Equal(exported, imported);
    }

    [Fact]
    public void Abi_version_matches_what_the_loader_expects()
    {
        var m = Regex.Match(Header, @"#define OVS_SHIM_ABI_VERSION (\d+)");
        Assert.True(m.Success);
        Assert.Equal(ShimLibrary.ExpectedAbiVersion, int.Parse(m.Groups[1].Value));
    }

    [Theory]
    [InlineData("OVS_OK", 0)]
    [InlineData("OVS_INVALID_ARGUMENT", (int)ShimStatus.InvalidArgument)]
    [InlineData("OVS_NOT_FOUND", (int)ShimStatus.NotFound)]
    [InlineData("OVS_BUFFER_TOO_SMALL", (int)ShimStatus.BufferTooSmall)]
    [InlineData("OVS_OPENVINO_ERROR", (int)ShimStatus.OpenVinoError)]
    [InlineData("OVS_OUT_OF_MEMORY", (int)ShimStatus.OutOfMemory)]
    [InlineData("OVS_UNEXPECTED", (int)ShimStatus.Unexpected)]
    [InlineData("OVS_INITIAL_ZEROS", 0)]
    [InlineData("OVS_INITIAL_CONSTANT", 1)]
    [InlineData("OVS_INITIAL_COMPUTED", 2)]
    public void Status_and_initial_value_numbers_match_the_header(string name, int value)
    {
        var m = Regex.Match(Header, $@"\b{name} = (\d+)");
        Assert.True(m.Success, name);
        Assert.Equal(value, int.Parse(m.Groups[1].Value));
    }

    [Fact]
    public void Element_codes_match_the_header()
    {
        foreach (Match m in Regex.Matches(Header, @"OVS_ELEM_(\w+) = (\d+)"))
        {
            var code = int.Parse(m.Groups[2].Value);
            var type = ShimElement.FromCode(code);
            if (m.Groups[1].Value == "UNSUPPORTED") Assert.Equal(Core.Tensors.DataType.Invalid, type);
            else Assert.Equal(m.Groups[1].Value, Wire(type));
        }
    }

    // Header names (F32, I64, U8, BF16) in Core's wire spelling (FP32, INT64, UINT8, BF16).
    private static string Wire(Core.Tensors.DataType t) => Core.Tensors.DataTypes.WireName(t)
        .Replace("FP", "F").Replace("UINT", "U").Replace("INT", "I");
}
