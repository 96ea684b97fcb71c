namespace OvStateful.Cli.Tests;

/// <summary>
/// `ovs validate` end to end through the real command tree. Console output is process-wide, so
/// every test that captures it lives in this one class (xunit runs a class's tests one at a time).
/// </summary>
[Collection(ConsoleCollection.Name)]
public class ValidateCommandTests
{
    private static string TritonStateful
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "OvStateful.sln"))) dir = dir.Parent;
            Assert.NotNull(dir);
            return Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "conformance", "triton-stateful"));
        }
    }

    private static (int Exit, string[] Lines) Run(params string[] args)
    {
        var saved = Console.Out;
        var output = new StringWriter();
        Console.SetOut(output);
        try
        {
            var exit = Program.BuildRoot().Parse(args).Invoke();
            return (exit, output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        }
        finally
        {
            Console.SetOut(saved);
        }
    }

    [Fact]
    public void What_Triton_accepts_passes_with_a_warning_and_what_cannot_load_fails()
    {
        var repo = CliRunner.RepositoryWithABrokenModel();
        try
        {
            var (exit, lines) = Run("validate", repo);
            Assert.Equal(1, exit);
            var few = Array.FindIndex(lines, l => l.StartsWith("OK few_slots ", StringComparison.Ordinal));
            Assert.True(few >= 0, string.Join("\n", lines));
            Assert.Matches(@"^  warning: .*config\.pbtxt:\d+:\d+: sequence_batching\.oldest\.max_candidate_sequences: 2 is below max_batch_size 64: accepted, as Triton does, with 2 slots", lines[few + 1]);
            Assert.Contains("ERROR broken", lines);
            Assert.Contains(lines, l => l.StartsWith("OK accumulate ", StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(repo, recursive: true);
        }
    }

    [Fact]
    public void Conformance_repository_is_valid()
    {
        var (exit, lines) = Run("validate", TritonStateful);
        Assert.Equal(0, exit);
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("OK accumulate_fp32 1 onnxruntime", lines[0]);
        Assert.StartsWith("OK accumulate_int32 1 onnxruntime", lines[1]);
    }

    [Fact]
    public void Every_problem_of_a_file_is_reported_with_its_line_and_column()
    {
        var repo = Path.Combine(Path.GetTempPath(), "ovs-cli-test-" + Guid.NewGuid().ToString("N"));
        try
        {
            Directory.CreateDirectory(Path.Combine(repo, "many", "1"));
            var file = Path.Combine(repo, "many", "config.pbtxt");
            File.WriteAllText(file,
                "max_batch_size: 4\n" +
                "instance_group [ { kind: KIND_TPU } ]\n" +
                "input [ { name: \"x\" data_type: TYPE_FP32 dims: [ 0 ] }, { name: \"x\" dimz: [ 1 ] } ]\n" +
                "sequence_batching { oldest { max_queue_delay_microseconds: -1 } }\n");
            var (exit, lines) = Run("validate", repo);
            Assert.Equal(1, exit);
            // Syntax problems are all found in one pass; each names file:line:column.
            Assert.Equal(
            [
                "ERROR many",
                $"  {file}:2:26: unknown value \"KIND_TPU\" for ModelInstanceGroup.Kind field \"kind\" of ModelInstanceGroup; expected one of: KIND_AUTO, KIND_GPU, KIND_CPU, KIND_MODEL; did you mean \"KIND_GPU\"?",
                $"  {file}:3:69: unknown field \"dimz\" in ModelInput; expected one of: name, data_type, format, dims, reshape, is_shape_tensor, allow_ragged_batch, optional, is_non_linear_format_io; did you mean \"dims\"?",
                $"  {file}:4:60: integer -1 is out of range for uint64 field \"max_queue_delay_microseconds\" of ModelSequenceBatching.StrategyOldest (0 to 18446744073709551615)",
            ], lines);

            // Once the syntax is right, every config problem is reported, each at its field.
            File.WriteAllText(file,
                "max_batch_size: 4\n" +
                "input [ { name: \"x\" data_type: TYPE_FP32 dims: [ 0 ] }, { name: \"x\" dims: [ 1 ] } ]\n");
            (exit, lines) = Run("validate", repo);
            Assert.Equal(1, exit);
            Assert.Equal(
            [
                "ERROR many",
                $"  {file}:2:50: input[0].dims[0]: 0 is not a dimension; expected a positive size or -1 (dynamic)",
                $"  {file}:2:59: input[1].name: \"x\" is already used by input[0]; input names must be unique",
                $"  {file}:2:57: input[1].data_type: missing or TYPE_INVALID; expected a TYPE_* data type such as TYPE_FP32",
            ], lines[..4]);
        }
        finally
        {
            Directory.Delete(repo, recursive: true);
        }
    }

    [Fact]
    public void Broken_repository_fails_with_located_messages()
    {
        var repo = Path.Combine(Path.GetTempPath(), "ovs-cli-test-" + Guid.NewGuid().ToString("N"));
        try
        {
            Directory.CreateDirectory(Path.Combine(repo, "bad", "1"));
            File.WriteAllText(Path.Combine(repo, "bad", "config.pbtxt"), "name: \"bad\"\nmax_batch_size: 4\nsequence_batching {\n  oldest { max_candidates: 8 }\n}\n");
            Directory.CreateDirectory(Path.Combine(repo, "worse", "1"));
            File.WriteAllText(Path.Combine(repo, "worse", "config.pbtxt"),
                "max_batch_size: 4\nsequence_batching { control_input { name: \"S\" control { kind: CONTROL_SEQUENCE_START } } }\n" +
                "parameters { key: \"engine\" value { string_value: \"openvino\" } }\n");
            File.WriteAllText(Path.Combine(repo, "worse", "1", "model.onnx"), "");
            Directory.CreateDirectory(Path.Combine(repo, "fine", "1"));
            File.WriteAllText(Path.Combine(repo, "fine", "config.pbtxt"), "max_batch_size: 1\nparameters { key: \"engine\" value { string_value: \"openvino\" } }\n");
            File.WriteAllText(Path.Combine(repo, "fine", "1", "model.onnx"), "");

            var (exit, lines) = Run("validate", repo);
            Assert.NotEqual(0, exit);
            Assert.Equal(
            [
                "ERROR bad",
                $"  {Path.Combine(repo, "bad", "config.pbtxt")}:4:12: unknown field \"max_candidates\" in ModelSequenceBatching.StrategyOldest; expected one of: max_candidate_sequences, preferred_batch_size, max_queue_delay_microseconds, preserve_ordering",
            ], lines[..2]);
            // Where OpenVINO is installed its engine reads the (empty) model files too; elsewhere the configs alone are checked.
            var worse = 3;
            if (new OvStateful.OpenVino.OpenVinoEngineProvider().Availability.IsAvailable)
            {
                Assert.Equal("ERROR fine", lines[2]);
                Assert.Contains("model.onnx: cannot be read by openvino: OpenVINO cannot read model file", lines[3]);
                worse = 4;
            }
            else
            {
                Assert.StartsWith("OK fine 1 openvino (config only: ", lines[2]);
            }
            Assert.Equal(
            [
                "ERROR worse",
                $"  {Path.Combine(repo, "worse", "config.pbtxt")}:2:55: sequence_batching.control_input[0].control[0]: CONTROL_SEQUENCE_START needs exactly one of int32_false_true, fp32_false_true or bool_false_true with 2 values [false, true]; none is given",
            ], lines[worse..(worse + 2)]);
        }
        finally
        {
            Directory.Delete(repo, recursive: true);
        }
    }

    [OrtAvailableFact]
    public void Unreadable_model_file_is_reported_by_the_engine()
    {
        var repo = Path.Combine(Path.GetTempPath(), "ovs-cli-test-" + Guid.NewGuid().ToString("N"));
        try
        {
            Directory.CreateDirectory(Path.Combine(repo, "corrupt", "1"));
            File.WriteAllText(Path.Combine(repo, "corrupt", "config.pbtxt"), "max_batch_size: 1\n");
            var model = Path.Combine(repo, "corrupt", "1", "model.onnx");
            File.WriteAllText(model, "not an onnx file");
            var (exit, lines) = Run("validate", repo);
            Assert.Equal(1, exit);
            Assert.Equal("ERROR corrupt", lines[0]);
            Assert.StartsWith($"  {model}: cannot be read by onnxruntime: ", lines[1]);
        }
        finally
        {
            Directory.Delete(repo, recursive: true);
        }
    }

    [OrtAvailableFact]
    public void Conformance_models_are_checked_against_their_files_by_onnx_runtime()
    {
        var (exit, lines) = Run("validate", TritonStateful);
        Assert.Equal(0, exit);
        Assert.Equal(["OK accumulate_fp32 1 onnxruntime", "OK accumulate_int32 1 onnxruntime"], lines);
    }

    [Fact]
    public void Missing_repository_fails()
    {
        var (exit, lines) = Run("validate", "/nonexistent/ovs-repo");
        Assert.Equal(1, exit);
        Assert.Equal(["ERROR /nonexistent/ovs-repo", "  model repository \"/nonexistent/ovs-repo\" does not exist; expected a folder holding one folder per model"], lines);
    }
}
