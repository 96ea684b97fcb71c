using OvStateful.Core.Engines;
using OvStateful.Core.Tensors;

namespace OvStateful.Cli.Workloads;

/// <summary>
/// Real audio as steps: one sequence per WAV file, cut into chunks of the model's one FP32
/// input (512 samples for Silero VAD at 16 kHz); the last chunk is zero-padded.
/// </summary>
internal sealed class WavSteps : IStepSource
{
    private readonly TensorSpec _input;
    private readonly int _chunk;
    private readonly List<(string File, float[] Samples)> _files;
    private readonly string _directory;

    public WavSteps(IReadOnlyList<TensorSpec> inputs, string directory)
    {
        if (inputs.Count != 1 || inputs[0].DataType != DataType.Fp32 || inputs[0].RequestShape.Length != 2 || inputs[0].RequestShape[0] != 1
            // Fewer than 160 samples (10 ms at 16 kHz) per step is no audio model's input.
            || inputs[0].RequestShape[1] < 160)
        {
            var have = string.Join(", ", inputs.Select(i => $"{i.Name} {i.DataType.WireName()} {Shapes.Format(i.RequestShape)}"));
            throw new UsageException($"--input-dir feeds audio to a model with one FP32 input shaped [1, samples], samples ≥ 160 (e.g. silero_vad: [1, 512]); this model takes {have}");
        }
        if (!Directory.Exists(directory)) throw new UsageException($"--input-dir {directory} does not exist");
        _input = inputs[0];
        _chunk = checked((int)_input.RequestShape[1]);
        _directory = directory;
        _files = Directory.EnumerateFiles(directory, "*.wav", SearchOption.TopDirectoryOnly)
            .Order(StringComparer.Ordinal)
            .Select(f => (f, WavReader.ReadMono16k(f)))
            .ToList();
        if (_files.Count == 0) throw new UsageException($"--input-dir {directory} holds no .wav file");
    }

    public int SequenceCount => _files.Count;
    public int StepsOf(int sequence) => Math.Max(1, (_files[sequence].Samples.Length + _chunk - 1) / _chunk);
    public string Description => $"{_files.Count} WAV file(s) from {_directory}, {_chunk}-sample steps";
    public string FileOf(int sequence) => _files[sequence].File;

    public IReadOnlyList<Tensor> Step(int sequence, int step)
    {
        var samples = _files[sequence].Samples;
        var chunk = new float[_chunk];
        var from = step * _chunk;
        if (from < samples.Length) samples.AsSpan(from, Math.Min(_chunk, samples.Length - from)).CopyTo(chunk);
        return [Tensor.FromArray(_input.Name, DataType.Fp32, (long[])_input.RequestShape.Clone(), chunk)];
    }
}
