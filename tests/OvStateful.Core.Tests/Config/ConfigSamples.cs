namespace OvStateful.Core.Tests.Config;

/// <summary>Configs that together set every field that ModelConfig models to a non-default value.</summary>
internal static class ConfigSamples
{
    // The oneofs (direct/oldest, dynamic/sequence batching, latest/all/specific) need several configs.
    public static readonly string[] KitchenSinks =
    [
        """
        name: "sink_a"
        platform: "onnxruntime_onnx"
        backend: "stateful"
        version_policy { specific { versions: [ 1, 3 ] } }
        max_batch_size: 8
        input [
          { name: "x" data_type: TYPE_FP16 dims: [ 2, -1, 3 ] reshape { shape: [ 6, -1 ] } optional: true },
          { name: "y\t\"q\"\\ é" data_type: TYPE_BF16 dims: [ 1 ] }
        ]
        output { name: "o" data_type: TYPE_INT8 dims: [ -1, 4 ] reshape: { shape: [ 4 ] } label_filename: "labels.txt" }
        sequence_batching {
          max_sequence_idle_microseconds: 5000000
          oldest { max_candidate_sequences: 64 preferred_batch_size: [ 4, 8 ] max_queue_delay_microseconds: 300 preserve_ordering: true }
          control_input [
            { name: "S" control [ { kind: CONTROL_SEQUENCE_START fp32_false_true: [ 0, 1.5 ] } ] },
            { name: "R" control [ { kind: CONTROL_SEQUENCE_READY bool_false_true: [ false, true ] } ] },
            { name: "E" control [ { kind: CONTROL_SEQUENCE_END int32_false_true: [ 0, 1 ] data_type: TYPE_INT32 } ] },
            { name: "C" control [ { kind: CONTROL_SEQUENCE_CORRID data_type: TYPE_STRING } ] }
          ]
          state [
            {
              input_name: "h_in" output_name: "h_out" data_type: TYPE_FP32 dims: [ 2, -1, 16 ]
              initial_state [ { data_type: TYPE_FP32 dims: [ 2, 1, 16 ] zero_data: true name: "zeros" } ]
            },
            {
              input_name: "c_in" output_name: "c_out" data_type: TYPE_INT64 dims: [ 3 ]
              initial_state { data_type: TYPE_INT64 dims: [ 3 ] data_file: "c_init.bin" name: "file" }
            }
          ]
          iterative_sequence: true
        }
        instance_group [ { name: "g0" kind: KIND_GPU count: 3 gpus: [ 0, 1 ] }, { kind: KIND_CPU count: 0 } ]
        default_model_filename: "m.onnx"
        parameters { key: "state_pairs" value { string_value: "<<<a, b>>>" } }
        parameters { key: "empty" value { string_value: "" } }
        model_warmup [
          {
            name: "w" batch_size: 2 count: 5
            inputs { key: "x" value { data_type: TYPE_FP32 dims: [ 2, 3 ] zero_data: true } }
            inputs { key: "y" value { data_type: TYPE_INT32 dims: [ 1 ] random_data: true } }
            inputs { key: "z" value { data_type: TYPE_UINT8 dims: [ 4 ] input_data_file: "z.bin" } }
          }
        ]
        """,
        """
        name: "sink_b"
        version_policy { latest { num_versions: 3 } }
        max_batch_size: -1
        sequence_batching {
          direct { max_queue_delay_microseconds: 77 minimum_slot_utilization: 0.25 }
          control_input { name: "C" control { kind: CONTROL_SEQUENCE_CORRID data_type: TYPE_INVALID } }
        }
        instance_group { kind: KIND_MODEL }
        instance_group { kind: KIND_AUTO count: -2 }
        """,
        """
        version_policy { all { } }
        dynamic_batching { preferred_batch_size: [ 2, 4 ] max_queue_delay_microseconds: 100 preserve_ordering: true }
        """,
        """
        version_policy { latest { num_versions: 0 } }
        """,
    ];
}
