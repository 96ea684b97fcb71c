using OvStateful.Core.Config;
using OvStateful.Core.Repository;

namespace OvStateful.Core.Tests.Repository;

public class ModelRepositoryTests
{
    private const string Minimal = "max_batch_size: 1\ninput { name: \"x\" data_type: TYPE_FP32 dims: [ 1 ] }\n";

    private static ModelDefinition Single(TempDir repo) => Assert.Single(ModelRepository.Open(repo.Path));

    [Fact]
    public void Default_policy_serves_the_latest_version_only()
    {
        using var repo = new TempDir();
        repo.Write("m/config.pbtxt", Minimal);
        foreach (var v in new[] { "1", "2", "10" }) repo.Write($"m/{v}/model.onnx", "");
        repo.Write("m/010/model.onnx", "");   // Triton ignores names starting with 0
        repo.Write("m/abc/model.onnx", "");   // and names that are not numbers
        var m = Single(repo);
        Assert.True(m.IsValid, string.Join("\n", m.Problems));
        Assert.Equal("m", m.Name);
        Assert.Equal("m", m.Config!.Name); // name defaults to the folder name
        var v10 = Assert.Single(m.Versions);
        Assert.Equal(10, v10.Version);
        Assert.Equal(Path.Combine(repo.Path, "m", "10"), v10.Directory);
        Assert.Equal(Path.Combine(repo.Path, "m", "10", "model.onnx"), v10.ModelFile);
    }

    [Theory]
    [InlineData("version_policy { latest { num_versions: 2 } }", new long[] { 2, 3 })]
    [InlineData("version_policy { latest { num_versions: 9 } }", new long[] { 1, 2, 3 })]
    [InlineData("version_policy { all { } }", new long[] { 1, 2, 3 })]
    [InlineData("version_policy { specific { versions: [ 3, 1 ] } }", new long[] { 1, 3 })]
    public void Version_policies_select_folders(string policy, long[] expected)
    {
        using var repo = new TempDir();
        repo.Write("m/config.pbtxt", Minimal + policy);
        foreach (var v in new[] { "1", "2", "3" }) repo.Write($"m/{v}/model.onnx", "");
        var m = Single(repo);
        Assert.True(m.IsValid, string.Join("\n", m.Problems));
        Assert.Equal(expected, m.Versions.Select(v => v.Version));
    }

    [Fact]
    public void Specific_version_without_a_folder_is_a_problem()
    {
        using var repo = new TempDir();
        repo.Write("m/config.pbtxt", Minimal + "version_policy { specific { versions: [ 1, 4 ] } }");
        repo.Write("m/1/model.onnx", "");
        var m = Single(repo);
        Assert.Equal([1L], m.Versions.Select(v => v.Version));
        var p = Assert.Single(m.Problems);
        Assert.Equal("version_policy.specific", p.Location);
        Assert.Equal($"version 4 has no folder {Path.Combine(repo.Path, "m", "4")}", p.Message);
    }

    [Fact]
    public void Name_mismatch_is_a_problem()
    {
        using var repo = new TempDir();
        repo.Write("m/config.pbtxt", "name: \"other\"\n" + Minimal);
        repo.Write("m/1/model.onnx", "");
        var m = Single(repo);
        Assert.Equal("m", m.Name);
        Assert.Equal("name: \"other\" differs from the model folder name \"m\"; they must match (or leave name out)", Assert.Single(m.Problems).ToString());
    }

    [Fact]
    public void Missing_config_is_a_problem()
    {
        using var repo = new TempDir();
        repo.Write("m/1/model.onnx", "");
        var m = Single(repo);
        Assert.Null(m.Config);
        Assert.False(m.IsValid);
        Assert.Equal($"{Path.Combine(repo.Path, "m", "config.pbtxt")}: missing; every model folder needs a config.pbtxt", Assert.Single(m.Problems).ToString());
    }

    [Fact]
    public void Syntax_error_is_located_in_the_file()
    {
        using var repo = new TempDir();
        var file = repo.Write("m/config.pbtxt", "name: \"m\"\nmax_batch_size: 1\n  dimz: 3\n");
        repo.Write("m/1/model.onnx", "");
        var p = Assert.Single(Single(repo).Problems);
        Assert.Equal($"{file}:3:3", p.Location);
        Assert.StartsWith("unknown field \"dimz\" in ModelConfig", p.Message);
    }

    [Fact]
    public void Missing_model_file_and_missing_versions_are_problems()
    {
        using var repo = new TempDir();
        repo.Write("a/config.pbtxt", Minimal);
        repo.Write("a/1/other.onnx", "");
        repo.Write("b/config.pbtxt", Minimal);
        var models = ModelRepository.Open(repo.Path);
        Assert.Equal(["a", "b"], models.Select(m => m.Name));
        var dir = Path.Combine(repo.Path, "a", "1");
        Assert.Equal($"{dir}: model file \"model.onnx\" (the default model.onnx) not found; expected {Path.Combine(dir, "model.onnx")}", Assert.Single(models[0].Problems).ToString());
        Assert.Equal($"{Path.Combine(repo.Path, "b")}: no version folder; expected numbered folders such as {Path.Combine(repo.Path, "b", "1")}/model.onnx", Assert.Single(models[1].Problems).ToString());
    }

    [Fact]
    public void Model_file_name_comes_from_onnx_file_name_then_default_model_filename()
    {
        using var repo = new TempDir();
        repo.Write("a/config.pbtxt", Minimal + "default_model_filename: \"d.onnx\"\nparameters { key: \"onnx_file_name\" value { string_value: \"p.onnx\" } }");
        repo.Write("a/1/p.onnx", "");
        repo.Write("b/config.pbtxt", Minimal + "default_model_filename: \"d.onnx\"");
        repo.Write("b/1/d.onnx", "");
        var models = ModelRepository.Open(repo.Path);
        Assert.All(models, m => Assert.True(m.IsValid, string.Join("\n", m.Problems)));
        Assert.Equal("p.onnx", Path.GetFileName(models[0].Versions[0].ModelFile));
        Assert.Equal("d.onnx", Path.GetFileName(models[1].Versions[0].ModelFile));
    }

    [Fact]
    public void OpenVino_engine_prefers_model_xml_and_accepts_model_onnx()
    {
        using var repo = new TempDir();
        const string ov = Minimal + "parameters { key: \"engine\" value { string_value: \"openvino\" } }";
        repo.Write("xml/config.pbtxt", ov);
        repo.Write("xml/1/model.xml", "");
        repo.Write("xml/1/model.onnx", "");
        repo.Write("onnx/config.pbtxt", ov);
        repo.Write("onnx/1/model.onnx", "");
        repo.Write("none/config.pbtxt", ov);
        repo.Write("none/1/readme.txt", "");
        var models = ModelRepository.Open(repo.Path).ToDictionary(m => m.Name);
        Assert.Equal("model.xml", Path.GetFileName(models["xml"].Versions[0].ModelFile));
        Assert.Equal("model.onnx", Path.GetFileName(models["onnx"].Versions[0].ModelFile));
        Assert.True(models["xml"].IsValid && models["onnx"].IsValid);
        Assert.Contains("model file \"model.xml\" (the OpenVINO default model.xml) not found", Assert.Single(models["none"].Problems).Message);
    }

    [Fact]
    public void One_bad_model_does_not_prevent_the_others()
    {
        using var repo = new TempDir();
        repo.Write("bad/config.pbtxt", "sequence_batching {");
        repo.Write("good/config.pbtxt", Minimal);
        repo.Write("good/1/model.onnx", "");
        repo.Write(".hidden/config.pbtxt", "garbage");
        repo.Write("stray.txt", "");
        var models = ModelRepository.Open(repo.Path);
        Assert.Equal(["bad", "good"], models.Select(m => m.Name));
        Assert.False(models[0].IsValid);
        Assert.True(models[1].IsValid);
    }

    [Fact]
    public void Config_problems_are_listed_on_the_model()
    {
        using var repo = new TempDir();
        repo.Write("m/config.pbtxt", "backend: \"stateful\"\nmax_batch_size: -1\nparameters { key: \"engine\" value { string_value: \"tf\" } }");
        repo.Write("m/1/model.onnx", "");
        Assert.Equal(
        [
            "parameters[\"engine\"]: value \"tf\" is not accepted; expected one of: onnxruntime, openvino",
            "max_batch_size: -1 is negative; expected 0 (no batching) or a positive batch size",
            "sequence_batching: missing: the model is a sequence model (its backend is \"stateful\") and needs a sequence_batching { … } section",
        ], Single(repo).Problems.Select(p => p.ToString()));
    }

    [Fact]
    public void Missing_repository_is_an_error_naming_it()
    {
        var ex = Assert.Throws<DirectoryNotFoundException>(() => ModelRepository.Open("/nonexistent/ovs-repo"));
        Assert.Equal("model repository \"/nonexistent/ovs-repo\" does not exist; expected a folder holding one folder per model", ex.Message);
    }

    [Theory]
    [InlineData("1", true, 1)]
    [InlineData("42", true, 42)]
    [InlineData("0", false, 0)]
    [InlineData("01", false, 0)]
    [InlineData("1a", false, 0)]
    [InlineData("-1", false, 0)]
    [InlineData("", false, 0)]
    [InlineData("99999999999999999999", false, 0)]
    public void Version_folder_names(string name, bool ok, long version)
    {
        Assert.Equal(ok, VersionSelection.TryParseFolder(name, out var v));
        Assert.Equal(version, v);
    }
}

public class InitialStateFileTests
{
    private const string Config = """
        max_batch_size: 2
        sequence_batching { state { input_name: "i" output_name: "o" data_type: TYPE_INT64 dims: [ 1 ] initial_state { data_type: TYPE_INT64 dims: [ 1 ] data_file: "start.bin" } } }
        """;

    [Fact]
    public void Data_file_is_found_under_the_model_folder()
    {
        using var repo = new TempDir();
        repo.Write("m/config.pbtxt", Config);
        repo.Write("m/1/model.onnx", "");
        repo.Write("m/initial_state/start.bin", "12345678");
        var m = Assert.Single(ModelRepository.Open(repo.Path));
        Assert.True(m.IsValid, string.Join("\n", m.Problems));
    }

    [Fact]
    public void Missing_data_file_is_a_problem()
    {
        using var repo = new TempDir();
        repo.Write("m/config.pbtxt", Config);
        repo.Write("m/1/model.onnx", "");
        var m = Assert.Single(ModelRepository.Open(repo.Path));
        Assert.Equal($"sequence_batching.state[0].initial_state[0].data_file: \"start.bin\" not found; expected {Path.Combine(repo.Path, "m", "initial_state", "start.bin")}",
            Assert.Single(m.Problems).ToString());
    }
}
