using System.Buffers.Binary;
using OvStateful.Core.Engines;
using OvStateful.Core.Sequences;
using OvStateful.Core.Serving;
using OvStateful.Core.Tensors;
using OvStateful.OnnxRuntime;
using OvStateful.OpenVino;
using OvStateful.Server.Tests.Infrastructure;

namespace OvStateful.Server.Tests.Pipelines;

/// <summary>
/// models/vad_pipeline (front end → Silero VAD v6 → hangover, two stateful steps) on a speech
/// file: speech.wav, two sentences spoken by espeak-ng with a second of silence before, between
/// and after them, 16 kHz int16. Every answer equals the same three models called one after
/// another, the hangover's decisions equal an independent implementation of its rule over the
/// probabilities, and the speech found lies where the file has speech. Runs on ONNX Runtime, and
/// on OpenVINO where it is installed.
/// </summary>
public sealed class SpeechPipelineTests
{
    private const int Frame = 512;
    private static string Models => Path.Combine(TestPaths.RepoRoot, "models");

    /// <summary>The wav's samples (PCM 16-bit mono: the "data" chunk).</summary>
    private static short[] ReadWav(string path)
    {
        var bytes = File.ReadAllBytes(path);
        for (var at = 12; at + 8 <= bytes.Length;)
        {
            var size = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(at + 4));
            if (bytes.AsSpan(at, 4).SequenceEqual("data"u8)) return System.Runtime.InteropServices.MemoryMarshal.Cast<byte, short>(bytes.AsSpan(at + 8, size)).ToArray();
            at += 8 + size + (size & 1);
        }
        throw new InvalidDataException($"{path} has no data chunk");
    }

    private static List<short[]> Frames()
    {
        var samples = ReadWav(Path.Combine(TestPaths.RepoRoot, "tests", "OvStateful.Server.Tests", "Pipelines", "speech.wav"));
        var frames = new List<short[]>();
        for (var at = 0; at < samples.Length; at += Frame)
        {
            var f = new short[Frame];
            Array.Copy(samples, at, f, 0, Math.Min(Frame, samples.Length - at));
            frames.Add(f);
        }
        return frames;
    }

    [OrtFact]
    public Task Speech_through_the_pipeline_on_onnx_runtime() => RunAsync(null);

    [OpenVinoServerFact]
    public Task Speech_through_the_pipeline_on_openvino() => RunAsync("openvino");

    private static async Task RunAsync(string? engine)
    {
        IEngineProvider[] providers = engine is null ? [new OnnxRuntimeEngineProvider()] : [new OnnxRuntimeEngineProvider(), new OpenVinoEngineProvider()];
        await using var registry = new ModelRegistry(Models, providers, defaultEngine: engine);
        foreach (var m in new[] { "vad_frontend", "silero_vad_v6", "vad_hangover", "vad_pipeline" }) await registry.LoadAsync(m, CancellationToken.None);
        Assert.True(registry.TryGet("vad_pipeline", null, out var pipeline));
        var frames = Frames();

        // Three sequences of the same audio at once, so the stateful steps batch across them.
        const int sequences = 3;
        var answers = new (float Prob, int Event, int Speaking)[sequences][];
        for (var s = 0; s < sequences; s++) answers[s] = new (float, int, int)[frames.Count];
        for (var k = 0; k < frames.Count; k++)
        {
            var step = Enumerable.Range(0, sequences).Select(s => pipeline!.InferAsync(new InferenceRequest
            {
                ModelName = "vad_pipeline",
                SequenceId = new SequenceId(900 + (ulong)s),
                SequenceStart = k == 0,
                SequenceEnd = k == frames.Count - 1,
                Inputs = [Tensor.FromArray("PCM", DataType.Int16, [1, Frame], frames[k])],
            }, CancellationToken.None).AsTask());
            var outs = await Task.WhenAll(step);
            for (var s = 0; s < sequences; s++)
            {
                var o = outs[s].Outputs;
                answers[s][k] = (o.Single(t => t.Name == "PROB").ToArray<float>()[0], o.Single(t => t.Name == "EVENT").ToArray<int>()[0], o.Single(t => t.Name == "SPEAKING").ToArray<int>()[0]);
            }
        }
        for (var s = 1; s < sequences; s++) Assert.Equal(answers[0], answers[s]);

        // The same models called one after another, on a fresh sequence.
        for (var k = 0; k < frames.Count; k++)
        {
            var audio = await Call(registry, "vad_frontend", 0, k, frames.Count, Tensor.FromArray("pcm", DataType.Int16, [1, Frame], frames[k]));
            var prob = await Call(registry, "silero_vad_v6", 77, k, frames.Count, audio[0] with { Name = "input" });
            var hang = await Call(registry, "vad_hangover", 77, k, frames.Count, prob[0] with { Name = "prob" });
            Assert.Equal(answers[0][k], (prob[0].ToArray<float>()[0], hang.Single(t => t.Name == "event").ToArray<int>()[0], hang.Single(t => t.Name == "speaking").ToArray<int>()[0]));
        }

        // The hangover rule, written again here, over the probabilities.
        bool speaking = false;
        var silent = 0;
        var starts = new List<int>();
        var ends = new List<int>();
        for (var k = 0; k < frames.Count; k++)
        {
            var (p, e, now) = answers[0][k];
            var expected = 0;
            if (!speaking && p >= 0.5f) { speaking = true; silent = 0; expected = 1; }
            else if (speaking)
            {
                silent = p < 0.35f ? silent + 1 : 0;
                if (silent >= 4) { speaking = false; silent = 0; expected = -1; }
            }
            Assert.True(expected == e, $"frame {k}: probability {p}, event {e}, expected {expected}");
            Assert.Equal(speaking ? 1 : 0, now);
            if (e == 1) starts.Add(k);
            if (e == -1) ends.Add(k);
        }

        // Speech where the file has it: nothing in the first 0.9 s or the last 0.9 s, the first start
        // in the first sentence (from 1.0 s), a start in the second one (after the 1 s pause), all ended.
        static double Seconds(int frame) => frame * Frame / 16000.0;
        var duration = Seconds(frames.Count);
        Assert.NotEmpty(starts);
        Assert.InRange(Seconds(starts[0]), 0.9, 1.5);
        Assert.Equal(starts.Count, ends.Count);
        Assert.True(Seconds(ends[^1]) < duration - 0.8, $"speech ends at {Seconds(ends[^1])} s of {duration} s");
        Assert.Contains(starts, f => Seconds(f) > duration / 2);
        Assert.DoesNotContain(answers[0].Take((int)(0.9 * 16000 / Frame)), a => a.Speaking == 1);
    }

    private static async Task<IReadOnlyList<Tensor>> Call(ModelRegistry registry, string model, ulong sequence, int k, int count, Tensor input)
    {
        Assert.True(registry.TryGet(model, null, out var m));
        var r = await m!.InferAsync(new InferenceRequest
        {
            ModelName = model,
            SequenceId = sequence == 0 ? default : new SequenceId(sequence),
            SequenceStart = k == 0,
            SequenceEnd = k == count - 1,
            Inputs = [input],
        }, CancellationToken.None);
        return r.Outputs;
    }
}
