using System.Buffers.Binary;

namespace OvStateful.Cli.Workloads;

/// <summary>
/// Reads a RIFF/WAVE file of 16 kHz mono 16-bit PCM into floats in [-1, 1). Anything else is
/// refused with a message naming what the file holds and what is expected (no resampling).
/// </summary>
internal static class WavReader
{
    public const int ExpectedRate = 16000;

    public static float[] ReadMono16k(string path)
    {
        var data = File.ReadAllBytes(path);
        var span = data.AsSpan();
        if (span.Length < 12 || !span[..4].SequenceEqual("RIFF"u8) || !span.Slice(8, 4).SequenceEqual("WAVE"u8))
            throw new UsageException($"{path} is not a RIFF/WAVE file; expected 16 kHz mono 16-bit PCM .wav");
        int? channels = null, rate = null, bits = null, format = null;
        var pos = 12;
        while (pos + 8 <= span.Length)
        {
            var id = span.Slice(pos, 4);
            var size = BinaryPrimitives.ReadInt32LittleEndian(span.Slice(pos + 4, 4));
            var body = pos + 8;
            if (size < 0 || body + size > span.Length) size = span.Length - body; // tolerate a truncated last chunk
            if (id.SequenceEqual("fmt "u8) && size >= 16)
            {
                format = BinaryPrimitives.ReadUInt16LittleEndian(span.Slice(body, 2));
                channels = BinaryPrimitives.ReadUInt16LittleEndian(span.Slice(body + 2, 2));
                rate = BinaryPrimitives.ReadInt32LittleEndian(span.Slice(body + 4, 4));
                bits = BinaryPrimitives.ReadUInt16LittleEndian(span.Slice(body + 14, 2));
                // WAVE_FORMAT_EXTENSIBLE carries the real format tag in its sub-format GUID.
                if (format == 0xFFFE && size >= 26) format = BinaryPrimitives.ReadUInt16LittleEndian(span.Slice(body + 24, 2));
            }
            else if (id.SequenceEqual("data"u8))
            {
                if (format is null) throw new UsageException($"{path}: the data chunk comes before any fmt chunk");
                if (format != 1 || channels != 1 || rate != ExpectedRate || bits != 16)
                    throw new UsageException($"{path} is {Describe(format.Value, channels, rate, bits)}; expected 16 kHz mono 16-bit PCM (convert it first, e.g. ffmpeg -i in.wav -ar 16000 -ac 1 -c:a pcm_s16le out.wav)");
                var samples = new float[size / 2];
                for (var i = 0; i < samples.Length; i++)
                    samples[i] = BinaryPrimitives.ReadInt16LittleEndian(span.Slice(body + 2 * i, 2)) / 32768f;
                return samples;
            }
            pos = body + size + (size & 1); // chunks are padded to even sizes
        }
        throw new UsageException($"{path} has no {(format is null ? "fmt chunk" : "data chunk")}; expected a 16 kHz mono 16-bit PCM .wav");
    }

    private static string Describe(int format, int? channels, int? rate, int? bits) =>
        $"{(format == 1 ? "PCM" : format == 3 ? "IEEE float" : $"format tag {format}")}, {channels} channel(s), {rate} Hz, {bits}-bit";
}
