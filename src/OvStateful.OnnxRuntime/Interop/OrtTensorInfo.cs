namespace OvStateful.OnnxRuntime.Interop;

/// <summary>A session input or output as the model declares it; dynamic dims are -1 with their symbolic name (or "").</summary>
internal sealed record OrtTensorInfo(string Name, OnnxElementType ElementType, long[] Shape, string[] SymbolicDims, bool IsTensor);
