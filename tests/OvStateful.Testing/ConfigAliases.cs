// The model config is Protocol's generated inference.ModelConfig; short names for its messages.
// Compiled into every test project (their csproj files link this file).
global using ModelConfig = OvStateful.Protocol.Inference.ModelConfig;
global using ModelInput = OvStateful.Protocol.Inference.ModelInput;
global using ModelOutput = OvStateful.Protocol.Inference.ModelOutput;
global using ModelInstanceGroup = OvStateful.Protocol.Inference.ModelInstanceGroup;
global using ModelSequenceBatching = OvStateful.Protocol.Inference.ModelSequenceBatching;
global using ConfigDataType = OvStateful.Protocol.Inference.DataType;
