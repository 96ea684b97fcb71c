using System.Text.Json;

namespace OvStateful.Cli.Tests;

/// <summary>`ovs run` end to end on the example models (real batcher, real ONNX Runtime).</summary>
[Collection(ConsoleCollection.Name)]
public class RunCommandTests
{
    [OrtAvailableFact]
    public void Accumulate_runs_verifies_and_writes_json()
    {
        var dir = CliRunner.TempFolder();
        try
        {
            var json = Path.Combine(dir, "run.json");
            var (exit, output, error) = CliRunner.Run("run", "--measurement-mode", "once", "--model-repository", CliRunner.Models, "--model", "accumulate", "--sequences", "4", "--steps", "10", "--verify", "--json", json);
            Assert.True(exit == 0, error + output);
            Assert.Contains("steps/s", output);
            Assert.Contains("40 ok, 0 failed", output);
            Assert.Contains("verify: max abs difference 0, max rel difference 0 over 800 values of 40 steps", output);

            using var doc = JsonDocument.Parse(File.ReadAllText(json));
            var result = doc.RootElement.GetProperty("result");
            Assert.Equal("accumulate", doc.RootElement.GetProperty("model").GetString());
            Assert.Equal(40, result.GetProperty("steps_ok").GetInt64());
            Assert.Equal(0, result.GetProperty("steps_failed").GetInt64());
            Assert.True(result.GetProperty("steps_per_second").GetDouble() > 0);
            Assert.True(result.GetProperty("latency_ms").GetProperty("p99_ms").GetDouble() >= result.GetProperty("latency_ms").GetProperty("p50_ms").GetDouble());
            Assert.Equal(0, result.GetProperty("difference").GetProperty("max_absolute").GetDouble());
            Assert.Equal(800, result.GetProperty("difference").GetProperty("values_compared").GetInt64());
            // Every step went through the batcher: the histogram's entries add up to the 40 steps.
            var batches = result.GetProperty("batches");
            var entries = batches.GetProperty("histogram").EnumerateObject().Sum(p => int.Parse(p.Name) * p.Value.GetInt64());
            Assert.Equal(40, entries);
            Assert.True(result.GetProperty("memory").GetProperty("peak_working_set_bytes").GetInt64() > 0);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [OrtAvailableFact]
    public void Two_state_model_with_spill_and_more_sequences_than_a_batch_verifies()
    {
        var (exit, output, error) = CliRunner.Run("run", "--measurement-mode", "once", "-r", CliRunner.Models, "-m", "gru_counter", "-n", "12", "-k", "6", "--spill", "--verify");
        Assert.True(exit == 0, error + output);
        Assert.Contains("72 ok, 0 failed", output);
        Assert.Contains("verify: max abs difference 0,", output);
    }

    [OrtAvailableFact]
    public void More_sequences_than_slots_with_spill_still_match_the_solo_replay()
    {
        // accumulate has 256 slots (max_candidate_sequences); 270 concurrent sequences need the backlog or spill.
        var dir = CliRunner.TempFolder();
        try
        {
            var json = Path.Combine(dir, "spill.json");
            var (exit, output, error) = CliRunner.Run("run", "--measurement-mode", "once", "-r", CliRunner.Models, "-m", "accumulate", "-n", "270", "-k", "3", "--spill", "--verify", "--json", json);
            Assert.True(exit == 0, error + output);
            Assert.Contains("810 ok, 0 failed", output);
            Assert.Contains("verify: max abs difference 0,", output);
            using var doc = JsonDocument.Parse(File.ReadAllText(json));
            var spill = doc.RootElement.GetProperty("result").GetProperty("spill");
            // Whatever was spilled came back: every sequence ran to its end.
            Assert.Equal(spill.GetProperty("spilled").GetUInt64(), spill.GetProperty("restored").GetUInt64());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [SileroFact]
    public void Silero_streams_wav_files_one_sequence_per_file()
    {
        var dir = CliRunner.TempFolder();
        try
        {
            // 1000 samples → 2 steps (last one zero-padded); 2048 → 4 steps.
            Wav.Write(Path.Combine(dir, "a.wav"), Wav.Tone(1000), 16000, 1, 16);
            Wav.Write(Path.Combine(dir, "b.wav"), Wav.Tone(2048), 16000, 1, 16);
            var json = Path.Combine(dir, "out.json");
            var (exit, output, error) = CliRunner.Run("run", "--measurement-mode", "once", "-r", CliRunner.Models, "-m", "silero_vad", "--input-dir", dir, "--verify", "--json", json);
            Assert.True(exit == 0, error + output);
            Assert.Contains("2 sequences, 2 WAV file(s)", output);
            Assert.Contains("6 ok, 0 failed", output);
            Assert.Contains("verify: max abs difference 0,", output);
            using var doc = JsonDocument.Parse(File.ReadAllText(json));
            Assert.Equal(6, doc.RootElement.GetProperty("result").GetProperty("steps_ok").GetInt64());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [SileroFact]
    public void Wav_that_is_not_16k_mono_pcm16_is_refused_with_what_it_is()
    {
        var dir = CliRunner.TempFolder();
        try
        {
            Wav.Write(Path.Combine(dir, "stereo.wav"), Wav.Tone(2000), 8000, 2, 16);
            var (exit, _, error) = CliRunner.Run("run", "--measurement-mode", "once", "-r", CliRunner.Models, "-m", "silero_vad", "--input-dir", dir);
            Assert.Equal(2, exit);
            Assert.Contains("stereo.wav is PCM, 2 channel(s), 8000 Hz, 16-bit; expected 16 kHz mono 16-bit PCM", error);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [OrtAvailableFact]
    public void Input_dir_for_a_model_that_does_not_take_audio_is_refused()
    {
        var (exit, _, error) = CliRunner.Run("run", "--measurement-mode", "once", "-r", CliRunner.Models, "-m", "gru_counter", "--input-dir", Path.GetTempPath());
        Assert.Equal(2, exit);
        Assert.Contains("--input-dir feeds audio to a model with one FP32 input shaped [1, samples], samples ≥ 160 (e.g. silero_vad: [1, 512]); this model takes x FP32 [1, 8]", error);
    }

    [Fact]
    public void Unknown_model_lists_the_repository_models()
    {
        var (exit, _, error) = CliRunner.Run("run", "--measurement-mode", "once", "-r", CliRunner.Models, "-m", "acumulate");
        Assert.Equal(2, exit);
        Assert.Contains("model \"acumulate\" is not in repository", error);
        Assert.Contains("models there: accumulate, gru_counter, silero_vad", error);
    }

    [Fact]
    public void Unknown_engine_lists_the_valid_engines()
    {
        var (exit, _, error) = CliRunner.Run("run", "--measurement-mode", "once", "-r", CliRunner.Models, "-m", "accumulate", "--engine", "tensorflow");
        Assert.Equal(2, exit);
        Assert.Contains("unknown engine \"tensorflow\"; valid engines: onnxruntime, openvino", error);
    }

    [Fact]
    public void Unknown_device_lists_the_valid_devices()
    {
        var (exit, _, error) = CliRunner.Run("run", "--measurement-mode", "once", "-r", CliRunner.Models, "-m", "accumulate", "--engine", "onnxruntime", "--device", "tpu");
        Assert.Equal(2, exit);
        Assert.Contains("unknown ONNX Runtime device \"tpu\"; valid: cpu, cuda, cuda:N, trt, trt:N", error);
    }

    [OpenVinoMissingFact]
    public void Missing_engine_fails_with_its_reason()
    {
        var (engine, reason) = UnrunnableOpenVino.Get();
        var (exit, _, error) = CliRunner.Run("run", "--measurement-mode", "once", "-r", CliRunner.Models, "-m", "accumulate", "--engine", engine);
        Assert.Equal(1, exit);
        Assert.Contains($"{engine} cannot run accumulate: ", error);
        Assert.Contains(reason, error);
    }

    [Fact]
    public void Zero_sequences_is_a_usage_error()
    {
        var (exit, output, error) = CliRunner.Run("run", "--measurement-mode", "once", "-m", "accumulate", "--sequences", "0");
        Assert.NotEqual(0, exit);
        Assert.Contains("--sequences expects a whole number of at least 1, not 0", error + output);
    }

    [Fact]
    public void Help_documents_every_option()
    {
        var (exit, output, _) = CliRunner.Run("run", "--measurement-mode", "once", "--help");
        Assert.Equal(0, exit);
        foreach (var option in new[] { "--model-repository", "--model", "--engine", "--device", "--sequences", "--steps", "--input-dir", "--verify", "--tolerance", "--spill", "--json", "--seed", "--threads", "--repeats" })
            Assert.Contains(option, output);
    }
}
