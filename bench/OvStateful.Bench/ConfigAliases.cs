// The model config is Protocol's generated inference.ModelConfig.
global using ModelConfig = OvStateful.Protocol.Inference.ModelConfig;
