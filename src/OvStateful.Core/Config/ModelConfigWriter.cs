using System.Globalization;
using System.Text;
using OvStateful.Core.Config.TextFormat;
using OvStateful.Core.Tensors;

namespace OvStateful.Core.Config;

/// <summary>
/// Prints a <see cref="ModelConfig"/> as config.pbtxt text that <see cref="ModelConfigParser"/>
/// (and Triton) read back to an equal config. Fields at their default are left out.
/// </summary>
public static class ModelConfigWriter
{
    public static string Write(ModelConfig c)
    {
        ArgumentNullException.ThrowIfNull(c);
        var w = new Writer();
        w.Str("name", c.Name);
        w.Str("platform", c.Platform);
        w.Str("backend", c.Backend);
        if (c.VersionPolicy is { } vp)
        {
            w.Open("version_policy");
            switch (vp.Kind)
            {
                case VersionPolicyKind.Latest:
                    w.Open("latest");
                    w.Int("num_versions", vp.NumVersions, always: true);
                    w.Close();
                    break;
                case VersionPolicyKind.All:
                    w.Open("all");
                    w.Close();
                    break;
                default:
                    w.Open("specific");
                    w.List("versions", vp.Versions);
                    w.Close();
                    break;
            }
            w.Close();
        }
        w.Int("max_batch_size", c.MaxBatchSize);
        foreach (var i in c.Input)
        {
            w.Open("input");
            w.Str("name", i.Name);
            w.Type("data_type", i.DataType);
            w.List("dims", i.Dims);
            Reshape(w, i.Reshape);
            if (i.Optional) w.Raw("optional", "true");
            w.Close();
        }
        foreach (var o in c.Output)
        {
            w.Open("output");
            w.Str("name", o.Name);
            w.Type("data_type", o.DataType);
            w.List("dims", o.Dims);
            Reshape(w, o.Reshape);
            w.Str("label_filename", o.LabelFilename);
            w.Close();
        }
        if (c.DynamicBatching is { } db)
        {
            w.Open("dynamic_batching");
            w.List("preferred_batch_size", db.PreferredBatchSize);
            w.UInt("max_queue_delay_microseconds", db.MaxQueueDelayMicroseconds);
            if (db.PreserveOrdering) w.Raw("preserve_ordering", "true");
            w.Close();
        }
        if (c.SequenceBatching is { } sb) SequenceBatching(w, sb);
        foreach (var g in c.InstanceGroup)
        {
            w.Open("instance_group");
            w.Str("name", g.Name);
            w.Raw("kind", g.Kind switch
            {
                InstanceKind.Gpu => "KIND_GPU",
                InstanceKind.Cpu => "KIND_CPU",
                InstanceKind.Model => "KIND_MODEL",
                _ => "KIND_AUTO",
            });
            if (g.Count != 1) w.Int("count", g.Count, always: true);
            w.List("gpus", g.Gpus);
            w.Close();
        }
        w.Str("default_model_filename", c.DefaultModelFilename);
        foreach (var (key, value) in c.Parameters)
        {
            w.Open("parameters");
            w.Str("key", key, always: true);
            w.Open("value");
            w.Str("string_value", value, always: true);
            w.Close();
            w.Close();
        }
        foreach (var m in c.ModelWarmup)
        {
            w.Open("model_warmup");
            w.Str("name", m.Name);
            w.Int("batch_size", m.BatchSize);
            foreach (var (key, input) in m.Inputs)
            {
                w.Open("inputs");
                w.Str("key", key, always: true);
                w.Open("value");
                w.Type("data_type", input.DataType);
                w.List("dims", input.Dims);
                if (input.ZeroData) w.Raw("zero_data", "true");
                if (input.RandomData) w.Raw("random_data", "true");
                w.Str("input_data_file", input.InputDataFile);
                w.Close();
                w.Close();
            }
            w.Int("count", m.Count);
            w.Close();
        }
        return w.ToString();
    }

    private static void Reshape(Writer w, ModelTensorReshape? r)
    {
        if (r is null) return;
        w.Open("reshape");
        w.List("shape", r.Shape);
        w.Close();
    }

    private static void SequenceBatching(Writer w, SequenceBatching sb)
    {
        w.Open("sequence_batching");
        if (sb.MaxSequenceIdleMicroseconds != 1_000_000) w.UInt("max_sequence_idle_microseconds", sb.MaxSequenceIdleMicroseconds);
        if (sb.Direct is { } d)
        {
            w.Open("direct");
            w.UInt("max_queue_delay_microseconds", d.MaxQueueDelayMicroseconds);
            if (d.MinimumSlotUtilization != 0) w.Raw("minimum_slot_utilization", Float(d.MinimumSlotUtilization));
            w.Close();
        }
        if (sb.Oldest is { } o)
        {
            w.Open("oldest");
            w.Int("max_candidate_sequences", o.MaxCandidateSequences);
            w.List("preferred_batch_size", o.PreferredBatchSize);
            w.UInt("max_queue_delay_microseconds", o.MaxQueueDelayMicroseconds);
            if (o.PreserveOrdering) w.Raw("preserve_ordering", "true");
            w.Close();
        }
        foreach (var ci in sb.ControlInput)
        {
            w.Open("control_input");
            w.Str("name", ci.Name);
            foreach (var ctl in ci.Control)
            {
                w.Open("control");
                w.Raw("kind", ctl.Kind switch
                {
                    ControlKind.SequenceReady => "CONTROL_SEQUENCE_READY",
                    ControlKind.SequenceEnd => "CONTROL_SEQUENCE_END",
                    ControlKind.SequenceCorrid => "CONTROL_SEQUENCE_CORRID",
                    _ => "CONTROL_SEQUENCE_START",
                });
                w.List("int32_false_true", ctl.Int32FalseTrue);
                if (ctl.Fp32FalseTrue.Count > 0) w.Raw("fp32_false_true", "[ " + string.Join(", ", ctl.Fp32FalseTrue.Select(Float)) + " ]");
                if (ctl.BoolFalseTrue.Count > 0) w.Raw("bool_false_true", "[ " + string.Join(", ", ctl.BoolFalseTrue.Select(b => b ? "true" : "false")) + " ]");
                // A CORRID control without data_type reads back as TYPE_UINT64, so an explicit TYPE_INVALID must be written.
                if (ctl.DataType != DataType.Invalid || ctl.Kind == ControlKind.SequenceCorrid) w.Raw("data_type", ctl.DataType.ConfigName());
                w.Close();
            }
            w.Close();
        }
        foreach (var s in sb.State)
        {
            w.Open("state");
            w.Str("input_name", s.InputName);
            w.Str("output_name", s.OutputName);
            w.Type("data_type", s.DataType);
            w.List("dims", s.Dims);
            foreach (var init in s.InitialState)
            {
                w.Open("initial_state");
                w.Type("data_type", init.DataType);
                w.List("dims", init.Dims);
                if (init.ZeroData) w.Raw("zero_data", "true");
                w.Str("data_file", init.DataFile);
                w.Str("name", init.Name);
                w.Close();
            }
            w.Close();
        }
        if (sb.IterativeSequence) w.Raw("iterative_sequence", "true");
        w.Close();
    }

    private static string Float(float f) =>
        float.IsPositiveInfinity(f) ? "inf" : float.IsNegativeInfinity(f) ? "-inf" : float.IsNaN(f) ? "nan"
        : f.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>Indented text-format output; Open/Close bracket a message field.</summary>
    private sealed class Writer
    {
        private readonly StringBuilder _sb = new();
        private int _depth;

        public void Open(string name)
        {
            Indent().Append(name).Append(" {\n");
            _depth++;
        }

        public void Close()
        {
            _depth--;
            Indent().Append("}\n");
        }

        public void Raw(string name, string value) => Indent().Append(name).Append(": ").Append(value).Append('\n');

        public void Str(string name, string value, bool always = false)
        {
            if (always || value.Length > 0) Raw(name, TextFormatStrings.Quote(value));
        }

        public void Int(string name, long value, bool always = false)
        {
            if (always || value != 0) Raw(name, value.ToString(CultureInfo.InvariantCulture));
        }

        public void UInt(string name, ulong value)
        {
            if (value != 0) Raw(name, value.ToString(CultureInfo.InvariantCulture));
        }

        public void Type(string name, DataType type)
        {
            if (type != DataType.Invalid) Raw(name, type.ConfigName());
        }

        public void List<T>(string name, IReadOnlyCollection<T> values) where T : IFormattable
        {
            if (values.Count > 0) Raw(name, "[ " + string.Join(", ", values.Select(v => v.ToString(null, CultureInfo.InvariantCulture))) + " ]");
        }

        private StringBuilder Indent() => _sb.Append(' ', _depth * 2);

        public override string ToString() => _sb.ToString();
    }
}
