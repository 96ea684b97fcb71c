using System.Reflection;
using System.Runtime.Loader;

namespace OvStateful.OnnxRuntime.Tests;

/// <summary>
/// OVS_ORT_LIBRARY, end to end. The library is chosen once per process, so each test loads a
/// second copy of our engine and of the ONNX Runtime C# API into a load context of its own,
/// which chooses afresh, and asks it what it found.
/// </summary>
public class ExplicitLibraryTests
{
    [Fact]
    public void The_library_it_names_is_the_one_loaded()
    {
        // A copy at a path of our own, so the process's mappings tell it from the build's.
        var dir = Directory.CreateTempSubdirectory("ovs-ort-lib-");
        try
        {
            var copy = Path.Combine(dir.FullName, "libonnxruntime.so");
            File.Copy(Path.Combine(AppContext.BaseDirectory, "libonnxruntime.so"), copy);
            var (available, reason) = AvailabilityWith(copy);
            Assert.True(available, reason);
            Assert.Contains($"({copy};", reason);
            Assert.Contains(copy, File.ReadAllText("/proc/self/maps"));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void A_path_that_does_not_exist_is_an_error_naming_it_not_a_fallback()
    {
        var (available, reason) = AvailabilityWith("/nonexistent/ovs/libonnxruntime.so");
        Assert.False(available);
        Assert.Contains("/nonexistent/ovs/libonnxruntime.so (no such file)", reason);
        Assert.Contains("1.31 or newer", reason);
    }

    private static (bool Available, string Reason) AvailabilityWith(string library)
    {
        OrtNativeLibrary.Get(); // this process's own choice is made before the variable is set
        var old = Environment.GetEnvironmentVariable(OrtNativeLibrary.EnvironmentVariable);
        Environment.SetEnvironmentVariable(OrtNativeLibrary.EnvironmentVariable, library);
        try
        {
            var context = new Isolated(AppContext.BaseDirectory);
            var engine = context.LoadFromAssemblyName(typeof(OnnxRuntimeEngineProvider).Assembly.GetName());
            var providerType = engine.GetType(typeof(OnnxRuntimeEngineProvider).FullName!, throwOnError: true)!;
            var provider = Activator.CreateInstance(providerType, [null, null])!;
            var availability = providerType.GetProperty(nameof(OnnxRuntimeEngineProvider.Availability))!.GetValue(provider)!;
            return ((bool)availability.GetType().GetProperty("IsAvailable")!.GetValue(availability)!,
                (string)availability.GetType().GetProperty("Reason")!.GetValue(availability)!);
        }
        finally
        {
            Environment.SetEnvironmentVariable(OrtNativeLibrary.EnvironmentVariable, old);
        }
    }

    /// <summary>Our engine, Core and the ORT C# API from the test folder, fresh; everything else shared with the test.</summary>
    private sealed class Isolated(string directory) : AssemblyLoadContext("ovs-ort-explicit-library")
    {
        private static readonly string[] Own = ["OvStateful.OnnxRuntime", "OvStateful.Core", "Microsoft.ML.OnnxRuntime"];

        protected override Assembly? Load(AssemblyName name) =>
            Own.Contains(name.Name) ? LoadFromAssemblyPath(Path.Combine(directory, name.Name + ".dll")) : null;
    }
}
