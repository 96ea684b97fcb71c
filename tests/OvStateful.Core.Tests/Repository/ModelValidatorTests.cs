using OvStateful.Core.Engines;
using OvStateful.Core.Repository;

namespace OvStateful.Core.Tests.Repository;

/// <summary>How ModelValidator treats engine providers: missing, unavailable, failing, or reading the model file.</summary>
public class ModelValidatorTests
{
    /// <summary>
    /// Provider double for the validator's own logic only; no engine test uses it. Its Inspect reads
    /// the real ONNX file's signature with the test reader.
    /// </summary>
    private sealed class FakeProvider(string name, bool available, Exception? inspectError = null) : IEngineProvider
    {
        public string Name => name;
        public EngineAvailability Availability => available ? EngineAvailability.Available("test") : EngineAvailability.Unavailable("libtest.so not found");
        public int Inspections { get; private set; }

        public ModelFileSignature Inspect(string modelFile)
        {
            Inspections++;
            if (inspectError is not null) throw inspectError;
            return OnnxSignatureReader.Read(modelFile);
        }

        public IStatefulEngine Load(EngineLoadContext context) => throw new NotSupportedException("validation never loads");
    }

    private static ModelDefinition Accumulate() => ModelRepository.LoadModel(Path.Combine(TestPaths.TritonStateful, "accumulate_fp32"));

    [Fact]
    public void No_provider_means_config_only()
    {
        var r = ModelValidator.Validate(Accumulate(), []);
        Assert.Equal(ModelValidationStatus.EngineUnavailable, r.Status);
        Assert.Equal("onnxruntime", r.Engine);
        Assert.Equal("no \"onnxruntime\" engine is built into this program; the model file was not inspected", r.EngineNote);
        Assert.Empty(r.Problems);
    }

    [Fact]
    public void Unavailable_engine_is_reported_not_thrown()
    {
        var p = new FakeProvider("onnxruntime", available: false);
        var r = ModelValidator.Validate(Accumulate(), [new FakeProvider("openvino", true), p]);
        Assert.Equal(ModelValidationStatus.EngineUnavailable, r.Status);
        Assert.Equal("onnxruntime is not available here (libtest.so not found); the model file was not inspected", r.EngineNote);
        Assert.Equal(0, p.Inspections);
    }

    [Fact]
    public void Available_engine_inspects_each_version()
    {
        var p = new FakeProvider("onnxruntime", available: true);
        var r = ModelValidator.Validate(Accumulate(), [p]);
        Assert.Equal(ModelValidationStatus.Ok, r.Status);
        Assert.Null(r.EngineNote);
        Assert.Equal(1, p.Inspections);
    }

    [Fact]
    public void Unreadable_model_file_is_a_problem()
    {
        var model = Accumulate();
        var r = ModelValidator.Validate(model, [new FakeProvider("onnxruntime", true, new EngineException("bad protobuf"))]);
        Assert.Equal(ModelValidationStatus.Invalid, r.Status);
        Assert.Equal($"{model.Versions[0].ModelFile}: cannot be read by onnxruntime: bad protobuf", Assert.Single(r.Problems).ToString());
    }

    [Fact]
    public void Model_file_mismatch_makes_the_model_invalid()
    {
        using var repo = new TempDir();
        var src = Path.Combine(TestPaths.TritonStateful, "accumulate_fp32");
        var text = File.ReadAllText(Path.Combine(src, "config.pbtxt"))
            .Replace("Accumulate_In, Accumulate_Out", "Accumulate_In, Accumulate_Output")
            .Replace("accumulate_fp32", "acc");
        repo.Write("acc/config.pbtxt", text);
        Directory.CreateDirectory(Path.Combine(repo.Path, "acc", "1"));
        File.Copy(Path.Combine(src, "1", "accumulate_fp32.onnx"), Path.Combine(repo.Path, "acc", "1", "acc.onnx"));
        var model = Assert.Single(ModelRepository.Open(repo.Path));
        Assert.True(model.IsValid, string.Join("\n", model.Problems));
        var r = ModelValidator.Validate(model, [new FakeProvider("onnxruntime", true)]);
        Assert.Equal(ModelValidationStatus.Invalid, r.Status);
        Assert.Equal("parameters[\"state_pairs\"]: state output \"Accumulate_Output\" is not an output of the model file; its outputs are: \"Output\", \"Accumulate_Out\"",
            Assert.Single(r.Problems).ToString());
    }
}
