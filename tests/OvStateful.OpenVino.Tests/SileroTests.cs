using System.Buffers.Binary;
using System.Runtime.InteropServices;
using OvStateful.Core.Config;
using OvStateful.Core.Engines;
using OvStateful.Core.Sequences;
using OvStateful.Core.Serving;
using OvStateful.Core.Tensors;
using OvStateful.OnnxRuntime;
using Xunit.Abstractions;
using static OvStateful.Testing.EngineHarness;

namespace OvStateful.OpenVino.Tests;

/// <summary>
/// Silero VAD v6 served the way its authors run it (models/silero_vad_v6: 512 new samples a step,
/// the server keeping the LSTM state and the 64-sample context), by both engines from one file,
/// checked on real speech (Models/speech_16k.wav, espeak-ng with silence around it) against
/// a reimplementation of Silero's own OnnxWrapper written here over ONNX Runtime.
/// </summary>
public class SileroTests(ITestOutputHelper output)
{
    private const int Chunk = 512, Context = 64;

    /// <summary>16-bit mono PCM samples of a RIFF/WAVE file as floats in [-1, 1).</summary>
    private static float[] ReadWav(string path)
    {
        var data = File.ReadAllBytes(path);
        for (var pos = 12; pos + 8 <= data.Length;)
        {
            var size = BinaryPrimitives.ReadInt32LittleEndian(data.AsSpan(pos + 4));
            if (data.AsSpan(pos, 4).SequenceEqual("data"u8))
            {
                var pcm = MemoryMarshal.Cast<byte, short>(data.AsSpan(pos + 8, size));
                return pcm.ToArray().Select(s => s / 32768f).ToArray();
            }
            pos += 8 + size + (size & 1);
        }
        throw new InvalidDataException($"{path} has no data chunk");
    }

    private static float[][] Chunks(float[] samples) =>
        Enumerable.Range(0, (samples.Length + Chunk - 1) / Chunk).Select(i =>
        {
            var c = new float[Chunk];
            samples.AsSpan(i * Chunk, Math.Min(Chunk, samples.Length - i * Chunk)).CopyTo(c);
            return c;
        }).ToArray();

    private static byte[] Bytes(float[] v) => MemoryMarshal.AsBytes(v.AsSpan()).ToArray();

    /// <summary>
    /// Silero's OnnxWrapper at 16 kHz, step by step: x = context (64, zeros at first) + chunk (512);
    /// prob, state = model(x, state, sr); context = the last 64 samples of x. Here the model runs
    /// in ONNX Runtime with the plain config (input [576], no input_context), the wrapper's work done by this code.
    /// </summary>
    private static float[] WrapperReference(float[][] chunks)
    {
        var config = TestConfigs.Example("silero_vad_v6");
        config.Parameters.Remove("input_context");
        config.Input[0].Dims[0] = Context + Chunk;
        var file = Path.Combine(TestPaths.Models, "silero_vad_v6", "1", "model.onnx");
        using var ort = new OnnxRuntimeEngineProvider().Load(new EngineLoadContext(config, Path.GetDirectoryName(file)!, file, 1));
        var context = new float[Context];
        var probs = new float[chunks.Length];
        for (var t = 0; t < chunks.Length; t++)
        {
            var x = context.Concat(chunks[t]).ToArray();
            probs[t] = MemoryMarshal.Cast<byte, float>(Run(ort, [new Step(0, t == 0 ? StepFlags.Start : 0, 1, [Bytes(x)])])[0][0])[0];
            context = x[^Context..];
        }
        return probs;
    }

    [OpenVinoTheory]
    [InlineData("openvino", OpenVinoMode.Batched)]
    [InlineData("openvino", OpenVinoMode.PerSlot)]
    [InlineData("onnxruntime", OpenVinoMode.Batched)]
    public void Speech_scores_high_and_silence_low_as_with_Silero_own_wrapper(string engineName, OpenVinoMode mode)
    {
        var samples = ReadWav(Path.Combine(LocalModels.Folder, "speech_16k.wav"));
        var chunks = Chunks(samples);
        var reference = WrapperReference(chunks);

        var m = OpenVinoModels.Get("silero_vad_v6", mode);
        IEngineProvider provider = engineName == "openvino" ? new OpenVinoEngineProvider() : new OnnxRuntimeEngineProvider();
        using var engine = EngineHarness.Load(provider, m, 4);
        Assert.Equal([1L, Chunk], engine.Inputs[0].RequestShape);

        // The speech runs in slot 2 beside two other sequences (the same audio reversed, and noise),
        // which start later, so the batches vary; the 512-sample chunks are all a client sends.
        var reversed = Chunks(samples.Reverse().ToArray());
        var r = new Random(5);
        var probs = new float[chunks.Length];
        for (var t = 0; t < chunks.Length; t++)
        {
            var steps = new List<Step> { new(2, t == 0 ? StepFlags.Start : 0, 7, [Bytes(chunks[t])]) };
            if (t >= 3) steps.Add(new Step(0, t == 3 ? StepFlags.Start : 0, 8, [Bytes(reversed[t])]));
            if (t % 2 == 1) steps.Add(new Step(3, t == 1 ? StepFlags.Start : 0, 9, [ModelUnderTest.Floats(r, Chunk, 0.1)]));
            probs[t] = MemoryMarshal.Cast<byte, float>(Run(engine, steps)[0][0])[0];
        }

        var worst = probs.Zip(reference).Max(p => Math.Abs(p.First - p.Second));
        output.WriteLine($"{engineName} ({mode}): {chunks.Length} steps, largest difference from the wrapper {worst:G3}");
        // Float32 in both; OpenVINO's kernels and batching round differently than ORT's at batch 1.
        Assert.True(worst <= 1e-4, $"speech probabilities differ from Silero's wrapper over ONNX Runtime by up to {worst}");

        // Frames of silence (sox's padding: dither only, RMS < 0.001) and of clear speech (RMS > 0.05), by the audio itself.
        static double Rms(float[] c) => Math.Sqrt(c.Average(v => (double)v * v));
        var silence = Enumerable.Range(0, chunks.Length).Where(t => Rms(chunks[t]) < 0.001).ToList();
        var speech = Enumerable.Range(0, chunks.Length).Where(t => Rms(chunks[t]) > 0.05).ToList();
        Assert.True(silence.Count > 30 && speech.Count > 50, $"{silence.Count} silent and {speech.Count} speech frames");
        var speechHigh = speech.Count(t => probs[t] > 0.5) / (double)speech.Count;
        // Silero holds its decision a little after speech stops, so only silence that starts the file counts as "before speech".
        var leading = silence.TakeWhile((t, i) => t == i).ToList();
        var silenceLow = leading.Count(t => probs[t] < 0.5) / (double)leading.Count;
        output.WriteLine($"speech frames above 0.5: {speechHigh:P1}; leading silence below 0.5: {silenceLow:P1}; trailing silence below 0.5: {silence.Except(leading).Count(t => probs[t] < 0.5)}/{silence.Count - leading.Count}");
        Assert.True(speechHigh >= 0.9, $"only {speechHigh:P1} of speech frames scored above 0.5");
        Assert.Equal(1.0, silenceLow);
    }

    [OpenVinoTheory]
    [InlineData("openvino")]
    [InlineData("onnxruntime")]
    public async Task Served_through_the_batcher_clients_send_512_samples_and_get_the_wrappers_answers(string engineName)
    {
        // As the server runs it: ServedModel (sequence batcher + engine), requests of [1, 512] samples.
        var samples = ReadWav(Path.Combine(LocalModels.Folder, "speech_16k.wav"));
        var clips = new[] { Chunks(samples)[..120], Chunks(samples.Reverse().ToArray())[..120] };
        var m = OpenVinoModels.Get("silero_vad_v6", OpenVinoMode.Batched);
        IEngineProvider provider = engineName == "openvino" ? new OpenVinoEngineProvider() : new OnnxRuntimeEngineProvider();
        await using var served = ServedModel.Load(provider, m.Config, "1", Path.GetDirectoryName(m.ModelFile)!, m.ModelFile);
        Assert.Equal([1L, Chunk], served.Inputs[0].RequestShape);

        var answers = await Task.WhenAll(clips.Select(async (chunks, c) =>
        {
            var probs = new float[chunks.Length];
            for (var t = 0; t < chunks.Length; t++)
            {
                var response = await served.InferAsync(new InferenceRequest
                {
                    ModelName = "silero_vad_v6",
                    SequenceId = new SequenceId(40 + (ulong)c),
                    SequenceStart = t == 0,
                    SequenceEnd = t == chunks.Length - 1,
                    Inputs = [Tensor.FromArray("input", DataType.Fp32, [1, Chunk], chunks[t])],
                }, CancellationToken.None);
                probs[t] = response.Outputs[0].ToArray<float>()[0];
            }
            return probs;
        }));
        for (var c = 0; c < clips.Length; c++)
        {
            var reference = WrapperReference(clips[c]);
            var worst = answers[c].Zip(reference).Max(p => Math.Abs(p.First - p.Second));
            Assert.True(worst <= 1e-4, $"{engineName}: clip {c} differs from Silero's wrapper by up to {worst}");
        }
    }
}
