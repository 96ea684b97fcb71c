namespace OvStateful.Core.Sequences;

/// <summary>
/// A sequence's correlation id: an unsigned 64-bit number or a string, as the config's
/// CONTROL_SEQUENCE_CORRID data_type says. Zero and the empty string mean "no id".
/// </summary>
public readonly struct SequenceId : IEquatable<SequenceId>
{
    /// <summary>The numeric id; 0 when <see cref="Text"/> is set.</summary>
    public ulong Number { get; }
    /// <summary>The string id; null for numeric ids.</summary>
    public string? Text { get; }

    public SequenceId(ulong number) { Number = number; Text = null; }
    public SequenceId(string text) { ArgumentNullException.ThrowIfNull(text); Number = 0; Text = text; }

    public bool IsString => Text is not null;
    /// <summary>True for 0 and "": Triton rejects such ids for sequence models.</summary>
    public bool IsNone => Text is null ? Number == 0 : Text.Length == 0;

    public bool Equals(SequenceId other) => Number == other.Number && string.Equals(Text, other.Text, StringComparison.Ordinal);
    public override bool Equals(object? obj) => obj is SequenceId other && Equals(other);
    public override int GetHashCode() => Text is null ? Number.GetHashCode() : StringComparer.Ordinal.GetHashCode(Text);
    public static bool operator ==(SequenceId a, SequenceId b) => a.Equals(b);
    public static bool operator !=(SequenceId a, SequenceId b) => !a.Equals(b);
    public override string ToString() => Text is null ? Number.ToString(System.Globalization.CultureInfo.InvariantCulture) : "\"" + Text + "\"";
}
