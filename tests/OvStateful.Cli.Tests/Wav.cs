using System.Buffers.Binary;

namespace OvStateful.Cli.Tests;

/// <summary>Writes small PCM WAV files for the audio tests.</summary>
internal static class Wav
{
    public static short[] Tone(int samples) =>
        Enumerable.Range(0, samples).Select(i => (short)(8000 * Math.Sin(2 * Math.PI * 440 * i / 16000.0))).ToArray();

    public static void Write(string path, short[] samples, int rate, int channels, int bits)
    {
        var data = new byte[samples.Length * 2];
        for (var i = 0; i < samples.Length; i++) BinaryPrimitives.WriteInt16LittleEndian(data.AsSpan(2 * i), samples[i]);
        using var f = new BinaryWriter(File.Create(path));
        f.Write("RIFF"u8);
        f.Write(36 + data.Length);
        f.Write("WAVEfmt "u8);
        f.Write(16);
        f.Write((short)1);
        f.Write((short)channels);
        f.Write(rate);
        f.Write(rate * channels * bits / 8);
        f.Write((short)(channels * bits / 8));
        f.Write((short)bits);
        f.Write("data"u8);
        f.Write(data.Length);
        f.Write(data);
    }
}
