// The config types are the generated messages of Protocol's model_config.proto (Triton's
// names). These aliases give Core's config code Triton's short names for nested messages.
global using ModelConfig = OvStateful.Protocol.Inference.ModelConfig;
global using ModelInput = OvStateful.Protocol.Inference.ModelInput;
global using ModelOutput = OvStateful.Protocol.Inference.ModelOutput;
global using ModelTensorReshape = OvStateful.Protocol.Inference.ModelTensorReshape;
global using ModelInstanceGroup = OvStateful.Protocol.Inference.ModelInstanceGroup;
global using ModelSequenceBatching = OvStateful.Protocol.Inference.ModelSequenceBatching;
global using ControlInput = OvStateful.Protocol.Inference.ModelSequenceBatching.Types.ControlInput;
global using SequenceControl = OvStateful.Protocol.Inference.ModelSequenceBatching.Types.Control;
global using SequenceState = OvStateful.Protocol.Inference.ModelSequenceBatching.Types.State;
global using InitialState = OvStateful.Protocol.Inference.ModelSequenceBatching.Types.InitialState;
global using ConfigDataType = OvStateful.Protocol.Inference.DataType;
global using ModelVersionPolicy = OvStateful.Protocol.Inference.ModelVersionPolicy;
